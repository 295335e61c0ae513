"""Watches: `GET ...?watch=true`, newline-delimited JSON events over a chunked response.

With no resourceVersion (or "0") the watch starts with a synthetic ADDED for every
matching object, then streams changes after the list's revision; with one, it streams
changes after it (410 Expired, as an ERROR event, when that revision was compacted:
clients relist). `sendInitialEvents=true` adds the initial-events-end BOOKMARK of the
watch-list protocol. Events are Table rows when the Accept header asks for Tables.

The api layer's watch blocks between events, so it runs in its own thread feeding a
queue; the request thread waits on that queue in short steps, so it notices a client that
hung up, the server stopping, the deadline (timeoutSeconds) and when to send a BOOKMARK.
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
from minikctl.server.exchange import Exchange
from minikctl.server.routes import Target

DEFAULT_TIMEOUT = 1800  # seconds; kube-apiserver picks 30-60 min for watches without one
BOOKMARK_EVERY = 30.0  # seconds without events before a BOOKMARK (when the client allows them)
_STEP = 0.25  # how often an idle watch checks on its client
_END = object()


class _Encoder:
    """Events as the client asked for them: full objects, Table rows or metadata only."""

    def __init__(self, kind: Kind, view: str | None, include: str) -> None:
        self.kind, self.view, self.include = kind, view, include

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
    ex.api._matcher(t.kind, label, field)  # bad selectors: 400 before the stream starts
    timeout = ex.int_param("timeoutSeconds") or DEFAULT_TIMEOUT
    rv_param = ex.query.get("resourceVersion") or "0"
    send_initial = ex.flag("sendInitialEvents")
    initial: list[dict] = []
    if rv_param == "0" or send_initial:
        initial, since = ex.api.list(t.kind, t.namespace, label_selector=label, field_selector=field)
    else:
        since = _revision(rv_param)
    enc = _Encoder(t.kind, table.wanted_view(ex.accept), ex.query.get("includeObject") or "Metadata")
    ex.start_stream("application/json")
    try:
        for obj in initial:
            ex.write_chunk(enc.event("ADDED", obj))
        if send_initial:
            ex.write_chunk(enc.bookmark(since, initial_end=True))
        _stream(ex, t, enc, since, label, field, timeout, bookmarks=ex.flag("allowWatchBookmarks"))
    except OSError:
        ex.hang_up()  # the client went away mid-stream
        return
    ex.end_stream()


def _revision(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise errors.BadRequest(f'resourceVersion: Invalid value: "{value}": must be an integer') from None


def _stream(ex: Exchange, t: Target, enc: _Encoder, since: int, label: str | None, field: str | None,
            timeout: int, *, bookmarks: bool) -> None:
    events: queue.Queue = queue.Queue(maxsize=10000)
    stop = threading.Event()
    producer = threading.Thread(target=_produce, args=(ex, t, since, label, field, timeout, stop, events),
                                name="minikctl-watch", daemon=True)
    producer.start()
    deadline = time.monotonic() + timeout
    last_rv, last_sent = since, time.monotonic()
    try:
        while time.monotonic() < deadline and not ex.ctx.stopping.is_set():
            try:
                item = events.get(timeout=_STEP)
            except queue.Empty:
                if ex.client_gone():
                    return
                if bookmarks and time.monotonic() - last_sent > BOOKMARK_EVERY:
                    ex.write_chunk(enc.bookmark(last_rv))
                    last_sent = time.monotonic()
                continue
            if item is _END:
                return
            if isinstance(item, BaseException):
                ex.write_chunk(enc.event("ERROR", _error_status(item)))
                return
            type_, obj = item
            ex.write_chunk(enc.event(type_, obj))
            last_rv = max(last_rv, _rv_of(obj))
            last_sent = time.monotonic()
    finally:
        stop.set()


def _produce(ex: Exchange, t: Target, since: int, label: str | None, field: str | None, timeout: int,
             stop: threading.Event, out: queue.Queue) -> None:
    try:
        for item in ex.api.watch(t.kind, t.namespace, since, label_selector=label, field_selector=field,
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
