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

# Without a wake-up, re-read the log this often (lost datagram, store on another machine).
FALLBACK_POLL = 1.0


class Watch:
    def __init__(self, store: "Store", since: int, *, resource: str | None, namespace: str | None) -> None:
        self._store = store
        self._sub = store.notifier.subscribe()
        self.revision = since
        self._resource = resource
        self._namespace = namespace
        self._pending: list[Event] = []
        # Fail fast with Gone if `since` is already compacted.
        self._pending = self._read()

    def _read(self) -> list["Event"]:
        events, self.revision = self._store.changes_since(
            self.revision, resource=self._resource, namespace=self._namespace
        )
        return events

    def next(self, timeout: float) -> list["Event"]:
        """The next batch of events, waiting at most `timeout` seconds; [] if none."""
        if self._pending:
            out, self._pending = self._pending, []
            return out
        deadline = time.monotonic() + timeout
        while not self._sub.closed:
            events = self._read()
            if events:
                return events
            left = deadline - time.monotonic()
            if left <= 0:
                return []
            self._sub.wait(min(left, FALLBACK_POLL))
        return []

    def __iter__(self) -> Iterator["Event"]:
        while not self._sub.closed:
            yield from self.next(FALLBACK_POLL)

    def close(self) -> None:
        self._sub.close()

    def __enter__(self) -> "Watch":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
