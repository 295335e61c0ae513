"""`minikctl create serviceaccount NAME`, as kubectl's create serviceaccount (alias `sa`):
`serviceaccount/NAME created`, --dry-run, -o. minikctl issues no tokens, so the account
is an object only (pods may name it; admission checks it exists)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from minikctl.cli import options
from minikctl.cli.create import SharedFlags, generator
from minikctl.cli.goflags import GoFlagsCommand

HELP = "Create a service account with the specified name."
EXAMPLES = """
Examples:
  # Create a new service account named my-service-account
  minikctl create serviceaccount my-service-account
"""


def service_account(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}


def register(create_app: typer.Typer) -> None:
    from minikctl.cli.create_job import keep_layout

    @create_app.command("serviceaccount", cls=GoFlagsCommand, short_help="Create a service account with the specified name",
                        help=HELP + "\n\n" + keep_layout(EXAMPLES.strip("\n")))
    @generator()
    def serviceaccount(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME")] = None,
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        from minikctl.cli import create, state

        verb = "create serviceaccount"
        name, _, flags = create.complete(ctx, args, verb, shared)
        state.exit_code = create.create_generated(service_account(name), flags, "serviceaccount")

    create_app.command("sa", hidden=True, cls=GoFlagsCommand)(serviceaccount)
