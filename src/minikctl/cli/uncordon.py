"""`minikctl uncordon NODE`: mark a node schedulable again, as `kubectl uncordon`."""
from __future__ import annotations

from minikctl.cli import cordoning

HELP = """Mark node as schedulable.

Examples:
  # Mark node "foo" as schedulable
  minikctl uncordon foo
"""


def register(app) -> None:  # type: ignore[no-untyped-def]
    cordoning.register_verb(app, "uncordon", HELP, desired=False)
