"""Delayed requeues that do not pile up: at most one pending wake-up per key, the
earliest, as client-go's delaying queue keeps (waitingForQueue).

The batch controllers ask to look again "in 59.9 s" (the next schedule time), "in an
hour" (an event's expiry) on every sync, and the manager's resync syncs every object
every minute: without this, each resync would leave one more timer per object in the
work queue's heap until it fires.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

from minikctl.machinery.workqueue import WorkQueue


class RequeueAfter:
    def __init__(self, queue: WorkQueue, clock: Callable[[], float]) -> None:
        self.queue = queue
        self.clock = clock
        self._due: dict[Hashable, float] = {}
        self._lock = threading.Lock()

    def __call__(self, key: Hashable, delay: float) -> None:
        now = self.clock()
        due = now + max(0.0, delay)
        with self._lock:
            pending = self._due.get(key)
            if pending is not None and now < pending <= due:
                return  # an earlier wake-up is coming; that sync will ask again
            self._due[key] = due
        self.queue.add_after(key, delay)

    def forget(self, key: Hashable) -> None:
        """The object is gone: drop its record (a pending timer fires harmlessly)."""
        with self._lock:
            self._due.pop(key, None)

    def pending(self, key: Hashable) -> float | None:
        with self._lock:
            return self._due.get(key)
