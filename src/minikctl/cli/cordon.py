"""`minikctl cordon NODE`: mark a node unschedulable, as `kubectl cordon`."""
from __future__ import annotations

from minikctl.cli import cordoning

HELP = """Mark node as unschedulable.

Examples:
  # Mark node "foo" as unschedulable
  minikctl cordon foo
"""


def register(app) -> None:  # type: ignore[no-untyped-def]
    cordoning.register_verb(app, "cordon", HELP, desired=True)
