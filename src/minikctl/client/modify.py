"""Read-modify-write with retry on conflict: what label, annotate, scale and the
controllers use to change one object without losing a racing writer's change.
Shared by both transports (it only needs the client's get and update)."""
from __future__ import annotations

import copy
from collections.abc import Callable

from minikctl import errors
from minikctl.api.kinds import Kind

ATTEMPTS = 100


class Modifiable:
    """Mixin for a client with get() and update(): adds modify()."""

    def modify(self, kind: Kind, namespace: str, name: str, change: Callable[[dict], None], *,
               dry_run: bool = False) -> tuple[dict, bool]:
        """Apply `change` to the latest version, retrying on conflict. Returns the
        object and whether anything changed (an unchanged object is not written)."""
        for _ in range(ATTEMPTS):
            current = self.get(kind, namespace, name)  # type: ignore[attr-defined]
            wanted = copy.deepcopy(current)
            change(wanted)
            if wanted == current:
                return current, False
            try:
                return self.update(wanted, dry_run=dry_run), True  # type: ignore[attr-defined]
            except errors.Conflict:
                continue
        raise errors.Conflict(kind.resource, name)
