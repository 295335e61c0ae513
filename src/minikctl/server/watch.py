"""Watches: `GET ...?watch=true`, newline-delimited JSON events over a chunked response.

With no resourceVersion (or "0") the watch starts with a synthetic ADDED for every
matching object, then streams changes after the list's revision; with one, it streams
changes after it (410 Expired, as an ERROR event, when that revision was compacted:
clients relist). `sendInitialEvents=true` adds the initial-events-end BOOKMARK of the
watch-list protocol. Events are Table rows when the Accept header asks for Tables.

Events come from the server's shared watch of the resource (cacher.py: read from the
store once, encoded once per format, whatever the number of watchers); a watch from a
revision the cache does not hold reads the store itself, through the api layer's watch in
its own thread feeding a queue. Either way the request thread waits in short steps, so it
notices a client that hung up, the server stopping, the deadline (timeoutSeconds) and
when to send a BOOKMARK.
"""
from __future__ import annotations

import json
import queue
import threading
import time
from typing import Any

from minikctl import errors
from minikctl.api.kinds import Kind
from minikctl.server import table
from minikctl.server.cacher import Behind, CachedEvent, CachedObject, Cacher
from minikctl.server.exchange import Exchange
from minikctl.server.routes import Target

DEFAULT_TIMEOUT = 1800  # seconds; kube-apiserver picks 30-60 min for watches without one
BOOKMARK_EVERY = 30.0  # seconds without events before a BOOKMARK (when the client allows them)
_STEP = 0.25  # how often an idle watch checks on its client
_BATCH = 256  # events written per flush at most
_END = object()


class _Encoder:
    """Events as the client asked for them: full objects, Table rows or metadata only.
    `key` names the format: watchers with equal keys get the very same bytes."""

    def __init__(self, kind: Kind, view: str | None, include: str) -> None:
        self.kind, self.view, self.include = kind, view, include
        self.key = (view, include if view == table.TABLE else None)

    def event(self, type_: str, obj: dict) -> bytes:
        if type_ in ("ERROR", "BOOKMARK"):
            out = obj
        elif self.view == table.TABLE:
            rv = (obj.get("metadata") or {}).get("resourceVersion", "")
            out = table.table(self.kind, [obj], resource_version=rv, include=self.include)
        elif self.view is not None:
            out = table.partial(obj)
        else:
            out = obj
        return json.dumps({"type": type_, "object": out}, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"

    def bookmark(self, rv: int, *, initial_end: bool = False) -> bytes:
        md: dict[str, Any] = {"resourceVersion": str(rv)}
        if initial_end:
            md["annotations"] = {"k8s.io/initial-events-end": "true"}
        return self.event("BOOKMARK", {"kind": self.kind.kind, "apiVersion": self.kind.api_version, "metadata": md})


def serve(ex: Exchange, t: Target) -> None:
    label, field = ex.query.get("labelSelector") or None, ex.query.get("fieldSelector") or None
    match = ex.api._matcher(t.kind, label, field)  # bad selectors: 400 before the stream starts
    timeout = ex.int_param("timeoutSeconds") or DEFAULT_TIMEOUT
    rv_param = ex.query.get("resourceVersion") or "0"
    send_initial = ex.flag("sendInitialEvents")
    initial: list[dict] = []
    if rv_param == "0" or send_initial:
        cached = cached_list(ex, t, match)
        if cached is not None:
            initial, since = [o.object for o in cached[0]], cached[1]
        else:
            initial, since = ex.api.list(t.kind, t.namespace, label_selector=label, field_selector=field)
    else:
        since = _revision(rv_param)
    enc = _Encoder(t.kind, table.wanted_view(ex.accept), ex.query.get("includeObject") or "Metadata")
    ex.start_stream("application/json")
    try:
        for first in range(0, len(initial), _BATCH):
            ex.write_chunks([enc.event("ADDED", obj) for obj in initial[first:first + _BATCH]])
        if send_initial:
            ex.write_chunk(enc.bookmark(since, initial_end=True))
        _stream(ex, _Filter(t, match, label, field), enc, since, timeout, bookmarks=ex.flag("allowWatchBookmarks"))
    except OSError:
        ex.hang_up()  # the client went away mid-stream
        return
    ex.end_stream()


def _revision(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise errors.BadRequest(f'resourceVersion: Invalid value: "{value}": must be an integer') from None


class _Filter:
    """What one watch wants: its target's namespace and selectors."""

    def __init__(self, t: Target, match: Any, label: str | None, field: str | None) -> None:
        self.t, self.match, self.label, self.field = t, match, label, field

    def wants(self, event: CachedEvent) -> bool:
        if self.t.namespace and event.namespace != self.t.namespace:
            return False
        return self.match is None or self.match(event.object)


def _stream(ex: Exchange, want: _Filter, enc: _Encoder, since: int, timeout: int, *, bookmarks: bool) -> None:
    """Events after `since` until the deadline, from the shared cache (or, when it cannot
    serve this watch, from the store), each batch written as one flush."""
    deadline = time.monotonic() + timeout
    seen, last_sent = since, time.monotonic()  # seen: every event up to it was sent or filtered out
    source = _open(ex, want, since, deadline)
    try:
        while time.monotonic() < deadline and not ex.ctx.stopping.is_set():
            try:
                batch = source.next(_STEP)
            except Behind:  # the cache cannot serve us (any more): go on from the store, exactly
                source.close()
                source = _FromStore(ex, want, seen, deadline)
                continue
            except _Ended:
                return
            except Exception as exc:  # noqa: BLE001 - the store's error (410 Gone...) as an ERROR event
                ex.write_chunk(enc.event("ERROR", _error_status(exc)))
                return
            if not batch:
                if ex.client_gone():
                    return
                if bookmarks and time.monotonic() - last_sent > BOOKMARK_EVERY:
                    ex.write_chunk(enc.bookmark(seen))
                    last_sent = time.monotonic()
                continue
            out = []
            for event in batch:
                seen = max(seen, event.revision)
                if source.filtered or want.wants(event):
                    out.append(event.encoded(enc.key, enc.event))
            if out:
                ex.write_chunks(out)
                last_sent = time.monotonic()
    finally:
        source.close()


class _Ended(Exception):
    """The store watch ended (its timeout)."""


def cacher_of(ex: Exchange, kind: Kind, since: int | None = None) -> Cacher | None:
    """The server's shared cache of `kind` (cacher.py), or None: then the store serves."""
    watches = getattr(ex.ctx, "watches", None)
    if watches is None:
        return None
    try:
        return watches.cacher(kind, since)
    except errors.MinikctlError:
        return None


def cached_list(ex: Exchange, t: Target, match: Any) -> tuple[list[CachedObject], int] | None:
    """A consistent list from the cache: (objects, revision), or None if it cannot serve."""
    cacher = cacher_of(ex, t.kind)
    if cacher is None:
        return None
    try:
        return cacher.list(t.namespace if t.kind.namespaced else None, match)
    except Behind:
        return None


def _open(ex: Exchange, want: _Filter, since: int, deadline: float) -> "_FromCache | _FromStore":
    cacher = cacher_of(ex, want.t.kind, since)
    if cacher is not None:
        try:
            return _FromCache(cacher, cacher.position(since), since)
        except Behind:
            pass
    return _FromStore(ex, want, since, deadline)


class _FromCache:
    """This watch's position in the shared cache of its resource."""

    filtered = False  # the cache holds every namespace's events: the watch filters

    def __init__(self, cacher: Cacher, seq: int, since: int) -> None:
        self._cacher, self._seq, self._since = cacher, seq, since

    def next(self, timeout: float) -> list[CachedEvent]:
        batch, self._seq = self._cacher.read(self._seq, timeout)
        # A watch from a revision the cache had not reached yet (its list came from the
        # store) starts at the end of the buffer: what then arrives up to it was listed.
        if batch and batch[0].revision <= self._since:
            batch = [e for e in batch if e.revision > self._since]
        return batch

    def close(self) -> None:
        pass


class _FromStore:
    """This watch's own read of the store's change log (the api layer's watch, in a
    thread feeding a queue): for revisions the cache does not hold."""

    filtered = True  # the api layer's watch filters by namespace and selectors

    def __init__(self, ex: Exchange, want: _Filter, since: int, deadline: float) -> None:
        self._events: queue.Queue = queue.Queue(maxsize=10000)
        self._stop = threading.Event()
        timeout = max(1, int(deadline - time.monotonic() + 0.999))
        threading.Thread(target=_produce, args=(ex, want, since, timeout, self._stop, self._events),
                         name="minikctl-watch", daemon=True).start()

    def next(self, timeout: float) -> list[CachedEvent]:
        try:
            item = self._events.get(timeout=timeout)
        except queue.Empty:
            return []
        out: list[CachedEvent] = []
        while True:
            if item is _END:
                if out:
                    self._events.put(item)  # after this batch
                    return out
                raise _Ended()
            if isinstance(item, BaseException):
                if out:
                    self._events.put(item)
                    return out
                raise item
            type_, obj = item
            out.append(CachedEvent(type_, obj, _rv_of(obj)))
            if len(out) >= _BATCH:
                return out
            try:
                item = self._events.get_nowait()
            except queue.Empty:
                return out

    def close(self) -> None:
        self._stop.set()


def _produce(ex: Exchange, want: _Filter, since: int, timeout: int, stop: threading.Event,
             out: queue.Queue) -> None:
    try:
        t = want.t
        for item in ex.api.watch(t.kind, t.namespace, since, label_selector=want.label, field_selector=want.field,
                                 timeout=timeout, stop=stop):
            while not stop.is_set():
                try:
                    out.put(item, timeout=_STEP)
                    break
                except queue.Full:
                    continue
            if stop.is_set():
                return
        out.put(_END)
    except BaseException as exc:  # noqa: BLE001 - handed to the request thread, which reports it
        out.put(exc)


def _error_status(exc: BaseException) -> dict:
    from minikctl.server import status as statuses

    if isinstance(exc, errors.Gone):
        return statuses.status(410, "Expired", exc.message)
    if isinstance(exc, errors.StatusError):
        return exc.to_status()
    return statuses.status(500, "InternalError", f"Internal error occurred: {type(exc).__name__}: {exc}")


def _rv_of(obj: dict) -> int:
    try:
        return int((obj.get("metadata") or {}).get("resourceVersion") or 0)
    except ValueError:
        return 0
