"""The watch cache: one shared, always current copy of each resource the API server is
asked about, fed by the store's change log (kube-apiserver's cacher, in small).

Without it every list decoded every row from SQLite and encoded it again, and every
watch request read the change log on its own: 50 watchers through a rollout cost the
daemon 50 times the work and slowed the rollout threefold. A `Cacher` per resource
starts from a list of the store at revision R and follows the change log from R, in one
thread. It keeps:

- the current objects (each encoded to JSON at most once while it is current), so a
  list is a filter, a sort and a join of ready bytes. Lists stay consistent reads, as
  kube-apiserver's (ConsistentListFromCache): a list first brings the cache up to the
  store's revision at the time of the request (`catch_up`, normally a no-op);
- the recent events in order (`KEEP` of them), each encoded once per wire format
  (`CachedEvent.encoded`) whatever the number of watchers; each watch request keeps its
  own position, filters by namespace and selectors, and writes the shared bytes.

A watch from a revision older than the cache holds, one that falls behind the window,
or one whose cacher stopped (its store watch failed) is told `Behind` and reads the
store itself, as before: the same events in the same order, or 410 Gone when that
revision was compacted. The cache reads the store (its change log and revision) below
the api layer, as kube-apiserver's cacher reads etcd: it only reads, and it holds what
api.list and api.watch would return.
"""
from __future__ import annotations

import bisect
import logging
import threading
from collections.abc import Callable
from typing import Any

from minikctl import errors
from minikctl.api.kinds import Kind
from minikctl.server.exchange import dumps

log = logging.getLogger("minikctl.server")

KEEP = 5000  # events a cacher keeps for watchers starting from a recent revision or lagging
_TRIM_EVERY = 1000  # the buffer is trimmed back to KEEP once it holds this many more
_PAGE = 1000
_WAIT = 1.0  # the store watch's wait step (its stop flag is checked in between)
# After events, the cacher waits this long before reading again, so a burst of writes
# (a rollout) reaches each watcher as one batch, one wake-up, one write: with 50 watchers
# the per-event wake-ups were most of the fan-out's cost. Lists do not wait for it
# (catch_up reads the store itself).
COALESCE = 0.02


class Behind(Exception):
    """The cache cannot serve this position: serve it from the store."""


class CachedObject:
    """A current object, shared: never mutated; its JSON made at most once."""

    __slots__ = ("object", "_json")

    def __init__(self, obj: dict) -> None:
        self.object = obj
        self._json: bytes | None = None

    @property
    def json(self) -> bytes:
        if self._json is None:
            self._json = dumps(self.object)
        return self._json


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


def _key(obj: dict) -> tuple[str, str]:
    md = obj.get("metadata") or {}
    return md.get("namespace") or "", md.get("name") or ""


class Cacher:
    """The shared copy of one resource (all namespaces), from a list at the store's
    current revision on."""

    def __init__(self, api: Any, kind: Kind, since: int | None = None) -> None:
        self.kind = kind
        self._store = api.store
        self._cond = threading.Condition()
        self._catching_up = threading.Lock()
        items, revision = api.list(kind, None)
        self._objects: dict[tuple[str, str], CachedObject] = {_key(o): CachedObject(o) for o in items}
        self.progress = revision  # the cache holds the store's state of this resource at this revision
        self._events: list[CachedEvent] = []
        self._revisions: list[int] = []  # parallel to _events, for bisect
        self._first_seq = 0  # sequence number of _events[0]
        self.floor = revision  # every event with revision > floor is (or was) in the buffer
        self.failed: BaseException | None = None
        if since is not None and since < revision:
            self._backfill(since)
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

    def _backfill(self, since: int) -> None:
        """Also hold the events from `since` up to the list's revision (the watch that
        started this cacher wants them, and so may the next ones), when they are few."""
        old: list[CachedEvent] = []
        cursor = since
        try:
            while cursor < self.progress:
                events, upto = self._store.changes_since(cursor, resource=self.kind.resource, limit=_PAGE)
                old += [CachedEvent(e.type, e.object, e.revision) for e in events if e.revision <= self.progress]
                if len(old) > KEEP or upto <= cursor:
                    return  # too far back: watches from there read the store
                cursor = upto
        except errors.Gone:
            return
        self._events, self._revisions, self.floor = old, [e.revision for e in old], since

    # -- following the store ---------------------------------------------------------------

    def _run(self) -> None:
        try:
            with self._store.watch(self.progress, resource=self.kind.resource) as w:
                while not self._stop.is_set():
                    events = w.next(_WAIT)
                    self._apply(events, w.revision)
                    if events:  # let the rest of a burst land: one read, one wake-up of each watcher
                        self._stop.wait(COALESCE)
        except BaseException as exc:  # noqa: BLE001 - its watchers carry on from the store
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        log.debug("watch cache of %s stopped", self.kind.resource, exc_info=exc)
        with self._cond:
            self.failed = exc
            self._cond.notify_all()

    def _apply(self, events: list, upto: int) -> None:
        """Store events (in revision order, possibly already applied by catch_up) into
        the objects and the event buffer; then the cache is current up to `upto`."""
        with self._cond:
            for e in events:
                if e.revision <= self.progress:
                    continue  # seen: the thread and catch_up read overlapping ranges
                key = _key(e.object)
                if e.type == "DELETED":
                    self._objects.pop(key, None)
                else:
                    self._objects[key] = CachedObject(e.object)
                self._events.append(CachedEvent(e.type, e.object, e.revision))
                self._revisions.append(e.revision)
                self.progress = e.revision
            self.progress = max(self.progress, upto)
            if len(self._events) > KEEP + _TRIM_EVERY:
                drop = len(self._events) - KEEP
                self.floor = self._revisions[drop - 1]
                del self._events[:drop], self._revisions[:drop]
                self._first_seq += drop
            self._cond.notify_all()

    def catch_up(self) -> None:
        """Bring the cache up to the store's current revision (every write committed
        before this call is in it). Behind when the cacher cannot."""
        target = self._store.current_revision()
        if self.progress >= target and self.alive:
            return
        with self._catching_up:
            while self.alive and self.progress < target:
                try:
                    events, upto = self._store.changes_since(self.progress, resource=self.kind.resource,
                                                             limit=_PAGE)
                except errors.Gone as exc:  # compacted past us: this cacher is done
                    self._fail(exc)
                    break
                self._apply(events, upto)
        if not self.alive:
            raise Behind()

    # -- serving ---------------------------------------------------------------------------

    def list(self, namespace: str | None, match: Callable[[dict], bool] | None) -> tuple[list[CachedObject], int]:
        """The current objects in `namespace` (None: all) that `match`, sorted by
        (namespace, name), and the revision they are at: a consistent read."""
        self.catch_up()
        with self._cond:
            found = [(k, o) for k, o in self._objects.items() if namespace is None or k[0] == namespace]
            revision = self.progress
        found.sort(key=lambda ko: ko[0])
        return [o for _, o in found if match is None or match(o.object)], revision

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
    """The server's cachers, one per resource, started by the first list or watch of it."""

    def __init__(self, api: Any) -> None:
        self._api = api
        self._lock = threading.Lock()
        self._cachers: dict[tuple[str, str], Cacher] = {}
        self._closed = False

    def cacher(self, kind: Kind, since: int | None = None) -> Cacher | None:
        """The running cacher of `kind`, started now if there is none (holding the events
        after `since` too, for the watch asking); None when this server has no store to
        follow (or is stopping)."""
        if getattr(self._api, "store", None) is None:
            return None
        key = (kind.group, kind.resource)
        with self._lock:
            if self._closed:
                return None
            current = self._cachers.get(key)
            if current is None or not current.alive:
                current = self._cachers[key] = Cacher(self._api, kind, since)
            return current

    def close(self) -> None:
        with self._lock:
            self._closed = True
            cachers, self._cachers = list(self._cachers.values()), {}
        for c in cachers:
            c.stop()
