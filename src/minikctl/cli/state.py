"""Process-wide CLI state: verbosity and the client, opened once and only when needed."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minikctl.client import Client

verbose = 0
_client: "Client | None" = None


def client() -> "Client":
    global _client
    if _client is None:
        from minikctl.cli.errors import warn
        from minikctl.client import connect

        _client = connect(warn=warn)
        if verbose:
            print(f"I0000 using the {_client.transport} transport", file=sys.stderr)
    return _client

# Set by a command that reported some errors but carried on (kubectl's partial failure).
exit_code = 0
