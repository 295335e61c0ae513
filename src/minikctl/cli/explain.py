"""`minikctl explain`: documentation of a kind or field, from schemas/."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

EXAMPLES = """
Examples:
  # The fields of a Deployment, then of its update strategy
  minikctl explain deployment
  minikctl explain deployment.spec.strategy

  # Every field of a container, as a tree
  minikctl explain pod.spec.containers --recursive
"""


def register(app: typer.Typer) -> None:
    @app.command("explain", help="Describe fields and structure of various resources." + EXAMPLES)
    def explain(
        path: Annotated[str, typer.Argument(metavar="TYPE[.FIELD]...")],
        recursive: Annotated[bool, typer.Option("--recursive", help="Print the fields of fields (currently only 1 level deep).")] = False,
        api_version: Annotated[Optional[str], typer.Option("--api-version", help="Use given api-version (group/version) of the resource.")] = None,
    ) -> None:
        from minikctl.api import explaining

        typer.echo(explaining.explain(path, recursive=recursive, api_version=api_version), nl=False)
