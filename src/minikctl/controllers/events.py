"""Events: what a controller did, recorded as core/v1 Events on the object it acted for,
so `describe` and `get events` show "Scaled up replica set web-5d8f6c7b9 from 0 to 3".

Best effort, as Kubernetes' recorder: a failure to record is logged, never raised. As
Kubernetes' EventBroadcaster, the manager writes them from one background thread
(EventSink), so recording never slows a sync down; without a sink (unit tests) they
are written at once.

Repeats are folded as client-go's EventCorrelator folds them: the same event (object,
source, type, reason, message) again bumps `count` and `lastTimestamp` of the first
one instead of creating another; and once an object has had 10 events of one reason
with different messages within 10 minutes, the next ones become a single
"(combined from similar events): ..." event that counts up. A source may record 25
events of one reason about one object, then one every 5 minutes (the spam filter).
"""
from __future__ import annotations

import collections
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
    CORRELATOR.write(client, event)


MAX_LRU = 4096
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_INTERVAL = 600.0
# client-go's spam filter: per object and reason, a burst of 25, then one every 5 minutes.
SPAM_BURST = 25
SPAM_REFILL_PER_SECOND = 1 / 300
COMBINED = "(combined from similar events): "


def _object_key(event: dict) -> tuple:
    inv, src = event.get("involvedObject") or {}, event.get("source") or {}
    return (src.get("component"), src.get("host"), inv.get("kind"), inv.get("namespace"), inv.get("name"),
            inv.get("fieldPath"), inv.get("uid"), inv.get("apiVersion"), event.get("type"), event.get("reason"))


class EventCorrelator:
    """client-go's EventAggregator + eventLogger: decides, per event, whether to create
    it or to bump the count of one already written. Keys live in bounded LRU caches."""

    def __init__(self, *, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self._lock = threading.Lock()
        self._clock = clock
        self._aggregates: collections.OrderedDict[tuple, tuple[set[str], float]] = collections.OrderedDict()
        self._written: collections.OrderedDict[tuple, tuple[str, str]] = collections.OrderedDict()
        self._buckets: collections.OrderedDict[tuple, tuple[float, float]] = collections.OrderedDict()

    def allowed(self, event: dict) -> bool:
        """EventSourceObjectSpamFilter: a token bucket per source, object, type and reason;
        an event without a token is dropped (a flood must not flood the store)."""
        key, now = _object_key(event), self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(SPAM_BURST), now))
            tokens = min(float(SPAM_BURST), tokens + (now - last) * SPAM_REFILL_PER_SECOND)
            ok = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if ok else tokens, now)
            _trim(self._buckets)
        return ok

    def correlate(self, event: dict) -> tuple[dict, tuple]:
        """The event to record (maybe the combined one) and its dedupe key."""
        agg_key, message = _object_key(event), event.get("message") or ""
        now = self._clock()
        with self._lock:
            messages, last = self._aggregates.pop(agg_key, (set(), now))
            if now - last > AGGREGATE_INTERVAL:
                messages = set()
            messages.add(message)
            self._aggregates[agg_key] = (messages, now)
            _trim(self._aggregates)
            if len(messages) < AGGREGATE_MAX_EVENTS:
                return event, agg_key + (message,)
        combined = dict(event, message=COMBINED + message)
        return combined, agg_key + (COMBINED,)

    def write(self, client, event: dict) -> None:  # type: ignore[no-untyped-def]
        from minikctl.api import kinds

        event, key = self.correlate(event)
        if not self.allowed(event):
            log.debug("event %s on %s dropped by the spam filter", event.get("reason"),
                      (event.get("involvedObject") or {}).get("name"))
            return
        with self._lock:
            seen = self._written.get(key)
        if seen is not None:
            name, namespace = seen

            def bump(ev: dict) -> None:
                ev["count"] = int(ev.get("count") or 1) + 1
                ev["lastTimestamp"] = event.get("lastTimestamp")
                ev["message"] = event.get("message")
            try:
                client.modify(kinds.by_kind("Event"), namespace, name, bump)
                return
            except Exception as exc:  # noqa: BLE001 - gone (expired) or unreachable: write a new one
                log.debug("could not update event %s: %s", name, exc)
        try:
            created = client.create(event)
        except Exception as exc:  # noqa: BLE001 - events must never break anything
            log.debug("could not record event %s: %s", event.get("reason"), exc)
            return
        with self._lock:
            self._written[key] = (created["metadata"]["name"], created["metadata"].get("namespace") or "default")
            self._written.move_to_end(key)
            _trim(self._written)


def _trim(cache: collections.OrderedDict) -> None:
    while len(cache) > MAX_LRU:
        cache.popitem(last=False)


# One per process, as client-go's broadcaster keeps one correlator for all its recorders.
CORRELATOR = EventCorrelator()


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
