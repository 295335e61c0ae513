"""`minikctl annotate`: Update the annotations on a resource."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from minikctl.cli import options

EXAMPLES = """
Examples:
  # Annotate pod "web" with a description, then remove it
  minikctl annotate pods web description="my frontend"
  minikctl annotate pods web description-
"""


def register(app: typer.Typer) -> None:
    @app.command("annotate", help="Update the annotations on a resource." + EXAMPLES)
    def annotate(
        args: Annotated[list[str], typer.Argument(metavar="(-f FILENAME | TYPE NAME | TYPE/NAME) KEY_1=VAL_1 ... KEY_N=VAL_N")],
        namespace: options.Namespace = None,
        all_namespaces: options.AllNamespaces = False,
        selector: options.Selector = None,
        all: Annotated[bool, typer.Option("--all", help="Select all resources, in the namespace of the specified resource types.")] = False,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="If true, allow existing values to be overwritten.")] = False,
        resource_version: Annotated[Optional[str], typer.Option("--resource-version", help="If non-empty, the update will only succeed if this is the current resource-version for the object.")] = None,
        dry_run: options.DryRun = "none",
        output: options.Output = None,
    ) -> None:
        from minikctl.cli import keyvalues, state

        state.exit_code = keyvalues.run(
            args, command="annotate", namespace=namespace, all_namespaces=all_namespaces, selector=selector,
            all_=all, overwrite=overwrite, dry_run=options.dry_run_mode(dry_run, "annotate"), output=output,
            resource_version=resource_version)
