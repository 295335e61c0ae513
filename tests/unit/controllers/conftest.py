"""Controller test harness: a real LocalClient on a temp SQLite store, informers that
catch up synchronously (pump), a fake clock, and a fake kubelet that writes pod status.

Nothing runs in the background: a test writes, pumps (handlers run, keys are queued,
expectations are lowered), calls sync(key) directly or drains the queues, and asserts.
"""
from __future__ import annotations

import copy
import datetime as _dt

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.client.local import LocalClient
from minikctl.controllers import manager as manager_mod
from minikctl.controllers.base import rfc3339
from minikctl.controllers.events import NullRecorder
from minikctl.machinery.informer import Informer

POD = kinds.by_kind("Pod")
RS = kinds.by_kind("ReplicaSet")
DEPLOY = kinds.by_kind("Deployment")
NODE = "node-1"


class FakeClock:
    """Wall and monotonic time that move only when told to."""

    def __init__(self) -> None:
        self._start = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
        self._offset = 0.0

    def now(self) -> _dt.datetime:
        return self._start + _dt.timedelta(seconds=self._offset)

    def monotonic(self) -> float:
        return 1000.0 + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


class PumpedInformer(Informer):
    """An Informer without a thread: pump() relists and dispatches the differences
    synchronously, so handlers run in the test's own thread."""

    def start(self) -> None:  # never threaded in unit tests
        self.pump()

    def pump(self) -> None:
        self._relist()
        self.synced.set()


class Cluster:
    def __init__(self, client: LocalClient, clock: FakeClock, recorder=None) -> None:
        self.client = client
        self.clock = clock
        self.manager = manager_mod.build(client, clock=clock, informer_factory=PumpedInformer,
                                         recorder=recorder or NullRecorder(), resync_period=None)
        self.rsc = self.manager.controller("replicaset-controller")
        self.dc = self.manager.controller("deployment-controller")
        self.settled = [self.dc, self.rsc]  # the controllers settle() runs

    # -- driving ---------------------------------------------------------------------------

    def pump(self) -> None:
        for inf in self.manager.informers.values():
            inf.pump()

    def sync_rs(self, name: str, ns: str = "default") -> None:
        self.pump()
        self.rsc.sync(f"{ns}/{name}")
        self.pump()

    def sync_deploy(self, name: str, ns: str = "default") -> None:
        self.pump()
        self.dc.sync(f"{ns}/{name}")
        self.pump()

    def settle(self, *, check=None, max_syncs: int = 500) -> int:
        """Run queued keys (every ready key of self.settled) until nothing is left;
        `check()` runs after every single sync. Errors propagate. Returns syncs run."""
        self.pump()
        runs = 0
        while True:
            progressed = False
            for controller in self.settled:
                key = controller.queue.get(timeout=0)
                if key is None:
                    continue
                try:
                    controller.sync(key)
                    controller.queue.forget(key)
                finally:
                    controller.queue.done(key)
                self.pump()
                runs += 1
                progressed = True
                if check is not None:
                    check()
                assert runs < max_syncs, "controllers did not settle"
            if not progressed:
                return runs

    # -- a fake kubelet --------------------------------------------------------------------

    def bind_all(self) -> None:
        for pod in self.pods():
            if not pod["spec"].get("nodeName") and not pod["metadata"].get("deletionTimestamp"):
                self.client.bind("default", pod["metadata"]["name"], NODE)

    def set_pod(self, name: str, *, phase: str = "Running", ready: bool = True, restarts: int = 0,
                ready_since: _dt.datetime | None = None) -> dict:
        pod = self.client.get(POD, "default", name)
        if not pod["spec"].get("nodeName"):
            pod = self.client.bind("default", name, NODE)
        status = copy.deepcopy(pod.get("status") or {})
        status["phase"] = phase
        conds = [c for c in status.get("conditions") or [] if c.get("type") != "Ready"]
        conds.append({"type": "Ready", "status": "True" if ready else "False",
                      "lastTransitionTime": rfc3339(ready_since or self.clock.now())})
        status["conditions"] = conds
        status["containerStatuses"] = [{"name": c["name"], "ready": ready, "restartCount": restarts,
                                        "image": c.get("image", ""), "imageID": "", "started": True,
                                        "state": {"running": {}}} for c in pod["spec"]["containers"]]
        pod["status"] = status
        return self.client.update_status(pod)

    def run_pods(self, *, ready: bool = True, limit: int | None = None) -> list[str]:
        """Start pods not yet running (all, or the first `limit`): bound, Running, and
        Ready unless told otherwise. Running pods are left as they are."""
        done = []
        for pod in self.pods():
            if pod["metadata"].get("deletionTimestamp") or (pod.get("status") or {}).get("phase") == "Running":
                continue
            if limit is not None and len(done) >= limit:
                break
            self.set_pod(pod["metadata"]["name"], ready=ready)
            done.append(pod["metadata"]["name"])
        return done

    def finish_deletions(self) -> list[str]:
        """What the kubelet does once a deleted pod's processes are gone."""
        gone = []
        for pod in self.pods(include_terminating=True):
            if pod["metadata"].get("deletionTimestamp"):
                try:
                    self.client.finish_delete(POD, "default", pod["metadata"]["name"])
                except errors.NotFound:
                    pass
                gone.append(pod["metadata"]["name"])
        return gone

    # -- reads -----------------------------------------------------------------------------

    def pods(self, *, include_terminating: bool = True) -> list[dict]:
        items, _ = self.client.list(POD, "default")
        if not include_terminating:
            items = [p for p in items if not p["metadata"].get("deletionTimestamp")]
        return items

    def replicasets(self) -> list[dict]:
        return self.client.list(RS, "default")[0]

    def rs(self, name: str) -> dict:
        return self.client.get(RS, "default", name)

    def deploy(self, name: str) -> dict:
        return self.client.get(DEPLOY, "default", name)

    def owned_pods(self, rs: dict, *, include_terminating: bool = False) -> list[dict]:
        uid = rs["metadata"]["uid"]
        return [p for p in self.pods(include_terminating=include_terminating)
                if any(r.get("uid") == uid and r.get("controller") for r in p["metadata"].get("ownerReferences") or [])]


def drain(queue) -> list[str]:
    """Take every key that is due now off a work queue (as a worker would, without syncing)."""
    keys = []
    while (key := queue.get(timeout=0)) is not None:
        queue.done(key)
        keys.append(key)
    return keys


def is_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def condition(obj: dict, type_: str) -> dict | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == type_), None)


def container(image: str = "busybox:1") -> dict:
    return {"name": "app", "image": image, "command": ["sleep", "3600"]}


def new_replicaset(name: str = "web", replicas: int = 3, labels: dict | None = None, **spec) -> dict:
    labels = labels or {"app": name}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                     "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": [container()]}},
                     **spec}}


def new_deployment(name: str = "web", replicas: int = 3, *, image: str = "busybox:1", strategy: dict | None = None,
                   **spec) -> dict:
    labels = {"app": name}
    body: dict = {"replicas": replicas, "selector": {"matchLabels": dict(labels)},
                  "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": [container(image)]}}}
    if strategy is not None:
        body["strategy"] = strategy
    body.update(spec)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": body}


def new_pod(name: str, labels: dict, **metadata) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": dict(labels), **metadata},
            "spec": {"containers": [container()]}}


@pytest.fixture
def client(tmp_path):
    c = LocalClient.open(path=str(tmp_path))
    yield c
    c.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def cluster(client, clock) -> Cluster:
    return Cluster(client, clock)


class EventLog:
    """A recorder that keeps (type, reason, message) of every event, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        self.events.append((type_, reason, message))


@pytest.fixture
def batch(client, clock) -> Cluster:
    """A Cluster whose controllers record their events in `cluster.recorder`."""
    recorder = EventLog()
    cluster = Cluster(client, clock, recorder=recorder)
    cluster.recorder = recorder
    return cluster
