"""Expectations: what a controller has asked for and not yet seen in its cache.

After creating 3 pods, the informer may not show them for a few milliseconds; a sync in
that window would count 0 pods and create 3 more. So, as Kubernetes' controller_utils:

- before acting, a controller records how many creations/deletions it expects
  (deletions by pod key, so one pod is counted once whether its deletion is observed
  as a deletionTimestamp update, as a delete, or both);
- the informer handlers lower them as the events arrive; expectations only go down;
- sync() skips manage_x() until they are fulfilled or have expired (5 minutes: a
  watch event lost for good must not wedge the controller forever).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

EXPECTATIONS_TIMEOUT = 5 * 60.0


@dataclass
class _Expected:
    add: int
    delete: int
    timestamp: float
    delete_keys: set[str] = field(default_factory=set)

    def fulfilled(self) -> bool:
        return self.add <= 0 and self.delete <= 0


class Expectations:
    """UIDTrackingControllerExpectations, keyed by controller key ("ns/name")."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 ttl: float = EXPECTATIONS_TIMEOUT) -> None:
        self._items: dict[str, _Expected] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._ttl = ttl

    def satisfied(self, key: str) -> bool:
        """True when the controller may act: nothing pending, everything observed, or
        the expectations expired. A controller with no record (new, or restarted)
        is satisfied too."""
        with self._lock:
            exp = self._items.get(key)
            if exp is None or exp.fulfilled():
                return True
            if self._clock() - exp.timestamp > self._ttl:
                log.info("expectations of %s expired (add %d, delete %d)", key, exp.add, exp.delete)
                return True
            return False

    def expect_creations(self, key: str, count: int) -> None:
        with self._lock:
            self._items[key] = _Expected(add=count, delete=0, timestamp=self._clock())

    def expect_deletions(self, key: str, pod_keys: Iterable[str]) -> None:
        keys = set(pod_keys)
        with self._lock:
            self._items[key] = _Expected(add=0, delete=len(keys), timestamp=self._clock(), delete_keys=keys)

    def creation_observed(self, key: str) -> None:
        with self._lock:
            exp = self._items.get(key)
            if exp is not None:
                exp.add -= 1

    def deletion_observed(self, key: str, pod_key: str) -> None:
        """Lowers the count once per expected pod, however many events it produces."""
        with self._lock:
            exp = self._items.get(key)
            if exp is not None and pod_key in exp.delete_keys:
                exp.delete_keys.discard(pod_key)
                exp.delete -= 1

    def delete(self, key: str) -> None:
        """Forget a controller entirely (it was deleted)."""
        with self._lock:
            self._items.pop(key, None)

    def pending(self, key: str) -> tuple[int, int] | None:
        """(adds, deletes) still expected, for tests and debugging."""
        with self._lock:
            exp = self._items.get(key)
            return None if exp is None else (exp.add, exp.delete)
