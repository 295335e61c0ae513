"""Until the scheduler exists (a later issue), bind every pending pod that asks for
the default scheduler to this node, through pods/binding as a scheduler would."""
from __future__ import annotations

import logging
import threading

from minikctl import errors
from minikctl.api import kinds
from minikctl.machinery.informer import Informer, key_of
from minikctl.machinery.workqueue import WorkQueue

log = logging.getLogger(__name__)


class LocalBinder:
    def __init__(self, client, pods: Informer, node_name: str) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.pods = pods
        self.node_name = node_name
        self.queue = WorkQueue()
        pods.add_handler(self._on_pod)
        self._thread: threading.Thread | None = None

    def _on_pod(self, etype: str, pod: dict, _old: dict | None) -> None:
        if etype != "DELETED" and self._pending(pod):
            self.queue.add(key_of(pod))

    @staticmethod
    def _pending(pod: dict) -> bool:
        spec = pod.get("spec") or {}
        return (not spec.get("nodeName") and not pod["metadata"].get("deletionTimestamp")
                and spec.get("schedulerName", "default-scheduler") == "default-scheduler")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="binder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.queue.shutdown()

    def _run(self) -> None:
        while True:
            key = self.queue.get()
            if key is None:
                return
            try:
                pod = self.pods.get(key)
                if pod is not None and self._pending(pod):
                    ns, name = key.split("/", 1)
                    self.client.bind(ns, name, self.node_name)
                self.queue.forget(key)
            except (errors.NotFound, errors.Conflict):
                self.queue.forget(key)  # gone, or bound by someone else: nothing to do
            except Exception:  # noqa: BLE001
                log.exception("binding %s failed", key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)


POD = kinds.by_kind("Pod")
