"""A watch over the change log: events after a revision, in order, as they happen.

Subscribe to wake-ups first, then read the log: a write that lands between the two is
still seen, because the read starts from our last revision, not from "now".
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minikctl.store.store import Event, Store

# Without a wake-up, re-read the log this often: a safety net on SQLite, where every
# writer is on this machine and wakes us; the way to see writes at all on a store shared
# with other machines (PostgreSQL), where no datagram reaches. Each informer of an idle
# daemon pays one read per period.
FALLBACK_POLL = 1.0
FALLBACK_POLL_LOCAL = 30.0
PAGE = 1000  # changes_since's page size: a full page means more is waiting


class Watch:
    def __init__(self, store: "Store", since: int, *, resource: str | None, namespace: str | None) -> None:
        self._store = store
        self._sub = store.notifier.subscribe()
        self.revision = since
        self._resource = resource
        self._namespace = namespace
        self._pending: list[Event] = []
        self._dirty = False
        self._poll = FALLBACK_POLL_LOCAL if store.engine.dialect.name == "sqlite" else FALLBACK_POLL
        self._interrupted = False
        # Fail fast with Gone if `since` is already compacted.
        self._pending = self._read()

    def _read(self) -> list["Event"]:
        events, self.revision = self._store.changes_since(
            self.revision, resource=self._resource, namespace=self._namespace, limit=PAGE
        )
        self._last_read = time.monotonic()
        self._dirty = len(events) >= PAGE
        return events

    def next(self, timeout: float) -> list["Event"]:
        """The next batch of events, waiting at most `timeout` seconds; [] if none."""
        if self._pending:
            out, self._pending = self._pending, []
            return out
        deadline = time.monotonic() + timeout
        while not self._sub.closed and not self._interrupted:
            now = time.monotonic()
            # Read only when woken by a write (or a full page is waiting), or when the
            # fallback period has passed: an idle watch costs nothing in between.
            if self._dirty or now >= self._last_read + self._poll:
                events = self._read()
                if events:
                    return events
                now = time.monotonic()
            left = deadline - now
            if left <= 0:
                return []
            due = self._last_read + self._poll - now
            written = self._sub.wait(max(0.0, min(left, due)))
            # A watch of one resource reads only when that resource (or an unknown
            # one) was written: a node heartbeat does not wake the pod informer's read.
            if written and (self._resource is None or self._resource in written or "*" in written):
                self._dirty = True
        return []

    def __iter__(self) -> Iterator["Event"]:
        while not self._sub.closed:
            yield from self.next(FALLBACK_POLL)

    def interrupt(self) -> None:
        """From another thread: make next() return [] now, and at once from then on."""
        self._interrupted = True
        self._sub.wake()

    def close(self) -> None:
        self._sub.close()

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
