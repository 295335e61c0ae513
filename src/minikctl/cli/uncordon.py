"""`minikctl uncordon NODE`: mark a node schedulable again, as `kubectl uncordon`."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from minikctl.cli import options

HELP = """Mark node as schedulable.

Examples:
  # Mark node "foo" as schedulable
  minikctl uncordon foo
"""


def register(app: typer.Typer) -> None:
    @app.command("uncordon", help=HELP)
    def uncordon(
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NODE")] = None,
        selector: Annotated[Optional[str], typer.Option("--selector", "-l", help="Selector (label query) to filter on")] = None,
        dry_run: options.DryRun = "none",
    ) -> None:
        from minikctl.cli import cordoning, state

        state.exit_code = cordoning.run_cordon(list(args or []), selector, dry_run, desired=False)
