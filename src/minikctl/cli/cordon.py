"""`minikctl cordon NODE`: mark a node unschedulable, as `kubectl cordon`."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from minikctl.cli import options

HELP = """Mark node as unschedulable.

Examples:
  # Mark node "foo" as unschedulable
  minikctl cordon foo
"""


def register(app: typer.Typer) -> None:
    @app.command("cordon", help=HELP)
    def cordon(
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NODE")] = None,
        selector: Annotated[Optional[str], typer.Option("--selector", "-l", help="Selector (label query) to filter on")] = None,
        dry_run: options.DryRun = "none",
    ) -> None:
        from minikctl.cli import cordoning, state

        state.exit_code = cordoning.run_cordon(list(args or []), selector, dry_run, desired=True)
