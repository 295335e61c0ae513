"""A rate-limited work queue with client-go's semantics.

A key added while it is being processed is marked dirty and queued again when done()
is called, so one sync always sees the latest state and no key runs concurrently. A key
waiting to be added (add_after) waits once, for the earliest time asked, as client-go's
delaying queue keeps it: controllers that ask "look again in a minute" on every sync
do not pile up timers.
"""
from __future__ import annotations

import heapq
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable


class WorkQueue:
    def __init__(self, *, base_delay: float = 0.005, max_delay: float = 1000.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._queue: deque[Hashable] = deque()
        self._dirty: set[Hashable] = set()
        self._processing: set[Hashable] = set()
        self._waiting: list[tuple[float, int, Hashable]] = []  # heap of (ready_at, seq, key)
        self._ready_at: dict[Hashable, float] = {}  # each waiting key's earliest time: older heap entries are stale
        self._seq = 0
        self._failures: dict[Hashable, int] = {}
        self._cond = threading.Condition()
        self._shutdown = False
        self._base, self._max = base_delay, max_delay
        self._clock = clock

    def add(self, key: Hashable) -> None:
        with self._cond:
            if self._shutdown or key in self._dirty:
                return
            self._dirty.add(key)
            if key not in self._processing:
                self._queue.append(key)
                self._cond.notify()

    def add_after(self, key: Hashable, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        with self._cond:
            if self._shutdown:
                return
            ready_at = self._clock() + delay
            if self._ready_at.get(key, float("inf")) <= ready_at:
                return  # already waiting, to be added sooner
            self._ready_at[key] = ready_at
            self._seq += 1
            heapq.heappush(self._waiting, (ready_at, self._seq, key))
            self._cond.notify()

    def add_rate_limited(self, key: Hashable) -> None:
        """Requeue after a failure: 5 ms, 10 ms, 20 ms ... up to max_delay."""
        with self._cond:
            n = self._failures.get(key, 0)
            self._failures[key] = n + 1
        self.add_after(key, min(self._base * (2 ** n), self._max))

    def forget(self, key: Hashable) -> None:
        with self._cond:
            self._failures.pop(key, None)

    def num_requeues(self, key: Hashable) -> int:
        with self._cond:
            return self._failures.get(key, 0)

    def get(self, timeout: float | None = None) -> Hashable | None:
        """The next key to process, or None on shutdown or timeout."""
        deadline = None if timeout is None else self._clock() + timeout
        with self._cond:
            while True:
                self._promote_waiting()
                if self._queue:
                    key = self._queue.popleft()
                    self._processing.add(key)
                    self._dirty.discard(key)
                    return key
                if self._shutdown:
                    return None
                wait = None
                if self._waiting:
                    wait = max(0.0, self._waiting[0][0] - self._clock())
                if deadline is not None:
                    left = deadline - self._clock()
                    if left <= 0:
                        return None
                    wait = left if wait is None else min(wait, left)
                self._cond.wait(wait)

    def done(self, key: Hashable) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._queue.append(key)
                self._cond.notify()

    def _promote_waiting(self) -> None:
        now = self._clock()
        while self._waiting and self._waiting[0][0] <= now:
            ready_at, _, key = heapq.heappop(self._waiting)
            if self._ready_at.get(key) != ready_at:
                continue  # superseded by an earlier time for the same key
            del self._ready_at[key]
            if key not in self._dirty:
                self._dirty.add(key)
                if key not in self._processing:
                    self._queue.append(key)

    def shutdown(self) -> None:
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)
