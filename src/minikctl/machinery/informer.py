"""An informer: one kind listed then watched into a local cache, with handlers.

The watch starts from the list's revision, so nothing between the two is missed; a
watch whose revision was compacted away (Gone) relists, and handlers see the
difference as adds, updates and deletes. Cached objects are shared: never mutate them.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from minikctl import errors
from minikctl.api.kinds import Kind
from minikctl.machinery.stopping import StopEvent

log = logging.getLogger(__name__)

Handler = Callable[[str, dict, "dict | None"], None]  # (event type, object, old object)


def key_of(obj: dict) -> str:
    md = obj["metadata"]
    return f"{md.get('namespace', '')}/{md['name']}" if md.get("namespace") else md["name"]


class Informer:
    def __init__(self, client, kind: Kind, *, namespace: str | None = None) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.kind = kind
        self.namespace = namespace
        self.cache: dict[str, dict] = {}
        self._handlers: list[Handler] = []
        self._lock = threading.RLock()
        self.synced = threading.Event()
        self._stop = StopEvent()  # wakes a local store watch at once, not at its next poll
        self._thread: threading.Thread | None = None
        self.revision = 0

    def add_handler(self, handler: Handler) -> None:
        self._handlers.append(handler)

    # -- reads (the lister) ------------------------------------------------------------

    def get(self, key: str) -> dict | None:
        with self._lock:
            return self.cache.get(key)

    def list(self, namespace: str | None = None, predicate: Callable[[dict], bool] | None = None) -> list[dict]:
        with self._lock:
            items = list(self.cache.values())
        if namespace is not None:
            items = [i for i in items if i["metadata"].get("namespace") == namespace]
        if predicate is not None:
            items = [i for i in items if predicate(i)]
        return items

    # -- running -----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"informer-{self.kind.plural}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._relist()
                self.synced.set()
                self._watch()
            except errors.Gone:
                log.info("%s: watch revision compacted, relisting", self.kind.plural)
            except Exception:  # noqa: BLE001 - keep the loop alive; the next relist repairs
                log.exception("%s informer failed; relisting in 1s", self.kind.plural)
                self._stop.wait(1.0)

    def _relist(self) -> None:
        items, rev = self.client.list(self.kind, self.namespace)
        fresh = {key_of(i): i for i in items}
        with self._lock:
            old = self.cache
            self.cache = fresh
            self.revision = rev
        for key, obj in fresh.items():
            before = old.get(key)
            if before is None:
                self._dispatch("ADDED", obj, None)
            elif before["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                self._dispatch("MODIFIED", obj, before)
        for key, obj in old.items():
            if key not in fresh:
                self._dispatch("DELETED", obj, None)

    def _watch(self) -> None:
        for etype, obj in self.client.watch(self.kind, self.namespace, self.revision, stop=self._stop):
            key = key_of(obj)
            with self._lock:
                before = self.cache.get(key)
                if etype == "DELETED":
                    self.cache.pop(key, None)
                else:
                    self.cache[key] = obj
                self.revision = max(self.revision, int(obj["metadata"].get("resourceVersion") or 0))
            self._dispatch(etype, obj, before)
            if self._stop.is_set():
                return

    def _dispatch(self, etype: str, obj: dict, old: dict | None) -> None:
        for handler in self._handlers:
            try:
                handler(etype, obj, old)
            except Exception:  # noqa: BLE001 - one bad handler must not stop the others
                log.exception("%s handler failed on %s", self.kind.plural, key_of(obj))
