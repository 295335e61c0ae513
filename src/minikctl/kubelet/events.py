"""Events the kubelet records about pods (Pulled, Created, Started, Killing, BackOff,
Unhealthy, FailedMount ...), as core/v1 Events from source component "kubelet".

Events are written by a background thread, off the pod workers' path (a restart must
not wait for an event write). Repeats of the same event are folded into one object with a growing count, as
client-go's event correlator does, so a crash loop does not flood the store. Recording
never fails the caller: an event is a courtesy, not state.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from minikctl.api import kinds
from minikctl.kubelet.status import rfc3339

log = logging.getLogger(__name__)


class Recorder:
    def __init__(self, client, *, node_name: str, now: Callable[[], float] = time.time) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.node_name = node_name
        self.now = now
        self._seen: dict[tuple, str] = {}  # (uid, field, reason, message) -> event name
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.enabled = True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="kubelet-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def pod(self, pod: dict, etype: str, reason: str, message: str, *, container: str = "") -> None:
        if self.enabled:
            self._queue.put((pod, etype, reason, message, container))

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            pod, etype, reason, message, container = item
            try:
                self._record(pod, etype, reason, message, container)
            except Exception:  # noqa: BLE001 - events are best effort
                log.debug("could not record event %s for %s", reason, pod["metadata"].get("name"), exc_info=True)

    def _record(self, pod: dict, etype: str, reason: str, message: str, container: str) -> None:
        md = pod["metadata"]
        field = f"spec.containers{{{container}}}" if container else ""
        key = (md.get("uid"), field, reason, message)
        kind = kinds.by_kind("Event")
        now = rfc3339(self.now())
        with self._lock:
            name = self._seen.get(key)
        if name is not None:
            def bump(ev: dict) -> None:
                ev["count"] = int(ev.get("count") or 1) + 1
                ev["lastTimestamp"] = now
            try:
                self.client.modify(kind, md.get("namespace", "default"), name, bump)
                return
            except Exception:  # noqa: BLE001 - gone (expired): create it again
                pass
        # Kubernetes' "<object>.<unix nanoseconds in hex>": names sort in recording order.
        name = f"{md['name']}.{time.time_ns():x}"
        involved = {"apiVersion": "v1", "kind": "Pod", "name": md["name"], "namespace": md.get("namespace"),
                    "uid": md.get("uid"), "resourceVersion": md.get("resourceVersion")}
        if field:
            involved["fieldPath"] = field
        self.client.create({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": md.get("namespace", "default")},
            "involvedObject": involved, "reason": reason, "message": message, "type": etype,
            "source": {"component": "kubelet", "host": self.node_name},
            "firstTimestamp": now, "lastTimestamp": now, "count": 1,
            "reportingComponent": "kubelet", "reportingInstance": self.node_name,
        })
        with self._lock:
            self._seen[key] = name
            if len(self._seen) > 5000:
                for k in list(self._seen)[:1000]:
                    del self._seen[k]

    def forget(self, uid: str) -> None:
        with self._lock:
            for k in [k for k in self._seen if k[0] == uid]:
                del self._seen[k]
