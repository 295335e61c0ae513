"""Events: what a controller did, recorded as core/v1 Events on the object it acted for,
so `describe` and `get events` show "Scaled up replica set web-5d8f6c7b9 from 0 to 3".

Best effort, as Kubernetes' recorder: a failure to record is logged, never raised. As
Kubernetes' EventBroadcaster, the manager writes them from one background thread
(EventSink), so recording never slows a sync down; without a sink (unit tests) they
are written at once. (Kubernetes also aggregates repeats into one with a count: not yet.)
"""
from __future__ import annotations

import logging
import queue
import threading
import time

from minikctl.controllers.base import SYSTEM_CLOCK, Clock, rfc3339

log = logging.getLogger(__name__)

NORMAL, WARNING = "Normal", "Warning"


class EventSink:
    """Writes events from a queue in one background thread, in batches after a quiet
    moment; drops them when the queue is full."""

    def __init__(self, client, *, maxsize: int = 10000, quiet: float = 0.05,  # type: ignore[no-untyped-def]
                 max_delay: float = 1.0) -> None:
        self.client = client
        self.quiet, self.max_delay = quiet, max_delay
        self._queue: queue.Queue[dict | None] = queue.Queue(maxsize)
        self._thread: threading.Thread | None = None

    def __call__(self, event: dict) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            log.debug("event queue full; dropping %s", event.get("reason"))

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="event-sink", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued (within timeout), then end the thread."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)

    @property
    def thread(self) -> threading.Thread | None:
        return self._thread

    def _run(self) -> None:
        while True:
            batch, last = self._next_batch()
            for event in batch:
                write(self.client, event)
            if last:
                return

    def _next_batch(self) -> tuple[list[dict], bool]:
        """Events gathered until a quiet moment (or max_delay). A burst of events comes
        with a burst of controller writes; writing alongside them would only make both
        wait for the database's write lock."""
        first = self._queue.get()
        if first is None:
            return [], True
        batch, start = [first], time.monotonic()
        while True:
            wait = min(self.quiet, self.max_delay - (time.monotonic() - start))
            if wait <= 0:
                return batch, False
            try:
                event = self._queue.get(timeout=wait)
            except queue.Empty:
                return batch, False
            if event is None:
                return batch, True
            batch.append(event)


def write(client, event: dict) -> None:  # type: ignore[no-untyped-def]
    try:
        client.create(event)
    except Exception as exc:  # noqa: BLE001 - events must never break anything
        log.debug("could not record event %s: %s", event.get("reason"), exc)


class EventRecorder:
    def __init__(self, client, component: str, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 sink: EventSink | None = None) -> None:
        self.client = client
        self.component = component
        self.clock = clock or SYSTEM_CLOCK
        self.sink = sink

    def event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        md = obj.get("metadata") or {}
        now = rfc3339(self.clock.now())
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            # Kubernetes names an event "<object>.<unix nanoseconds in hex>".
            "metadata": {"name": f"{md.get('name', '')}.{time.time_ns():x}", "namespace": md.get("namespace") or "default"},
            "involvedObject": {
                "kind": obj.get("kind"), "namespace": md.get("namespace"), "name": md.get("name"),
                "uid": md.get("uid"), "apiVersion": obj.get("apiVersion"),
                "resourceVersion": md.get("resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "source": {"component": self.component},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": type_,
            "reportingComponent": self.component,
            "reportingInstance": "",
        }
        if self.sink is not None:
            self.sink(event)
        else:
            write(self.client, event)


class NullRecorder:
    """Records nothing (tests that do not care, or a caller that wants no events)."""

    def event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        return None
