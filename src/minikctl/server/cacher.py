"""The watch cache: one shared watch of the store per resource, fanned out to every
HTTP watch of that resource (kube-apiserver's cacher, in small).

Without it each watch request read the change log from SQLite, decoded every event's
JSON and encoded it again on its own: 50 watchers through a rollout cost the daemon
50 times the work and slowed the rollout threefold. Here one thread per resource reads
the log once, keeps the recent events in order (`KEEP` of them), and each watcher takes
the events after its position, filters them by namespace and selectors, and writes the
bytes; each event is encoded once per wire format (`CachedEvent.encoded`), whatever the
number of watchers asking for that format.

A watch whose resourceVersion is older than what the cache holds, one that falls behind
the cache's window, or one whose cache stopped (its store watch failed), is served
directly from the store (`Behind`): the same events in the same order, or 410 Gone when
that revision was compacted, as before.
"""
from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Callable
from typing import Any

from minikctl.api.kinds import Kind

log = logging.getLogger("minikctl.server")

KEEP = 5000  # events a cache keeps for watchers starting from a recent revision or lagging
_TRIM_EVERY = 1000  # the buffer is trimmed back to KEEP once it holds this many more


class Behind(Exception):
    """The cache cannot serve this position: serve it from the store."""


class CachedEvent:
    """One change, shared by every watcher: never mutated; its bytes made once per format."""

    __slots__ = ("type", "object", "revision", "namespace", "_encoded")

    def __init__(self, type_: str, obj: dict, revision: int) -> None:
        self.type = type_
        self.object = obj
        self.revision = revision
        self.namespace = (obj.get("metadata") or {}).get("namespace") or ""
        self._encoded: dict[Any, bytes] = {}

    def encoded(self, key: Any, encode: Callable[[str, dict], bytes]) -> bytes:
        data = self._encoded.get(key)
        if data is None:  # two watchers racing here both encode; one result is kept
            data = self._encoded.setdefault(key, encode(self.type, self.object))
        return data


class Cacher:
    """The shared watch of one resource, all namespaces, from revision `since` on."""

    def __init__(self, api: Any, kind: Kind, since: int) -> None:
        self.kind = kind
        self._api = api
        self._cond = threading.Condition()
        self._events: list[CachedEvent] = []
        self._revisions: list[int] = []  # parallel to _events, for bisect
        self._first_seq = 0  # sequence number of _events[0]
        self.floor = since  # every event with revision > floor is (or was) in the buffer
        self.failed: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"minikctl-cacher-{kind.resource}", daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self.failed is None and not self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()

    def _run(self) -> None:
        try:
            for type_, obj in self._api.watch(self.kind, None, self.floor, stop=self._stop):
                try:
                    revision = int((obj.get("metadata") or {}).get("resourceVersion") or 0)
                except ValueError:
                    revision = 0
                self._append(CachedEvent(type_, obj, revision))
            if not self._stop.is_set():
                raise RuntimeError("the store watch ended")
        except BaseException as exc:  # noqa: BLE001 - its watchers carry on from the store
            log.debug("watch cache of %s stopped", self.kind.resource, exc_info=True)
            with self._cond:
                self.failed = exc
                self._cond.notify_all()

    def _append(self, event: CachedEvent) -> None:
        with self._cond:
            self._events.append(event)
            self._revisions.append(event.revision)
            if len(self._events) > KEEP + _TRIM_EVERY:
                drop = len(self._events) - KEEP
                self.floor = self._revisions[drop - 1]
                del self._events[:drop], self._revisions[:drop]
                self._first_seq += drop
            self._cond.notify_all()

    def position(self, since: int) -> int:
        """The sequence number of the first event after revision `since`; Behind when the
        cache does not hold every event after it."""
        with self._cond:
            if not self.alive or since < self.floor:
                raise Behind()
            return self._first_seq + bisect.bisect_right(self._revisions, since)

    def read(self, seq: int, timeout: float) -> tuple[list[CachedEvent], int]:
        """The events from sequence number `seq` on (waiting at most `timeout` seconds for
        one) and the next position; Behind when they left the window or the cache stopped."""
        with self._cond:
            if seq >= self._first_seq + len(self._events) and self.alive:
                self._cond.wait(timeout)
            if seq < self._first_seq or not self.alive:
                raise Behind()
            batch = self._events[seq - self._first_seq:]
            return batch, seq + len(batch)


class WatchCache:
    """The server's cachers, one per resource, started by the first watch of it."""

    def __init__(self, api: Any) -> None:
        self._api = api
        self._lock = threading.Lock()
        self._cachers: dict[tuple[str, str], Cacher] = {}
        self._closed = False

    def cacher(self, kind: Kind, since: int) -> Cacher | None:
        """The running cacher of `kind`; when there is none yet, one started from `since`
        (or from the store's revision, if `since` is ahead of it: a watch from a future
        revision must not leave the cache unable to serve everyone else)."""
        key = (kind.group, kind.resource)
        with self._lock:
            if self._closed:
                return None
            current = self._cachers.get(key)
            if current is None or not current.alive:
                store = getattr(self._api, "store", None)
                if store is not None:
                    since = min(since, store.current_revision())
                current = self._cachers[key] = Cacher(self._api, kind, since)
            return current

    def close(self) -> None:
        with self._lock:
            self._closed = True
            cachers, self._cachers = list(self._cachers.values()), {}
        for c in cachers:
            c.stop()
