"""A real cluster minus the kubelets: a SQLite store, the controller manager (its shared
informers and controllers, in threads) and the scheduler, with Node objects created
directly. Pods only get bound; a tiny "terminator" finishes graceful deletes the way a
kubelet would, so evicted and deleted pods really go away."""
from __future__ import annotations

import threading
import time

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.client.local import LocalClient
from minikctl.controllers import manager as manager_mod
from minikctl.scheduler import scheduler as scheduling
from minikctl.scheduler.queue import SchedulingQueue

POD, NODE, EVENT = kinds.by_kind("Pod"), kinds.by_kind("Node"), kinds.by_kind("Event")
TIMEOUT = 20.0


def node(name: str, *, cpu: str = "2", memory: str = "4Gi", pods: str = "110", labels: dict | None = None,
         taints: list | None = None) -> dict:
    alloc = {"cpu": cpu, "memory": memory, "pods": pods}
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                                  **(labels or {})}},
            "spec": {"taints": taints or []},
            "status": {"capacity": alloc, "allocatable": alloc,
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}


def pod(name: str, *, cpu: str | None = None, labels: dict | None = None, **spec) -> dict:
    requests = {"cpu": cpu} if cpu else {}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"],
                                     "resources": {"requests": requests}}], **spec}}


class Terminator(threading.Thread):
    """Finishes graceful pod deletions, as the kubelet of a node would."""

    def __init__(self, client: LocalClient) -> None:
        super().__init__(name="terminator", daemon=True)
        self.client = client
        self.stop_event = threading.Event()
        self.grace = 0.0  # seconds a terminating pod lingers, as a container's shutdown would
        self._seen: dict[str, float] = {}

    def run(self) -> None:
        while not self.stop_event.wait(0.05):
            try:
                for p in self.client.list(POD)[0]:
                    if not p["metadata"].get("deletionTimestamp"):
                        continue
                    first = self._seen.setdefault(p["metadata"]["uid"], time.monotonic())
                    if time.monotonic() - first >= self.grace:
                        self.client.finish_delete(POD, p["metadata"]["namespace"], p["metadata"]["name"],
                                                  uid=p["metadata"]["uid"])
            except (errors.NotFound, errors.Conflict):
                pass


class Cluster:
    def __init__(self, path: str) -> None:
        self.path = path
        self.client = LocalClient.open(path=path)
        self.manager = manager_mod.build(self.client)
        # Short backoffs keep the tests quick; the logic is the same.
        self.scheduler = scheduling.build(self.client, self.manager,
                                          queue=SchedulingQueue(initial_backoff=0.2, max_backoff=1.0))
        self.terminator = Terminator(LocalClient.open(path=path))

    def start(self) -> None:
        self.manager.start()
        self.scheduler.start()
        self.terminator.start()

    def stop(self) -> None:
        self.terminator.stop_event.set()
        self.scheduler.stop()
        self.manager.stop()
        self.terminator.join(5)

    # -- helpers -----------------------------------------------------------------------------

    def add_node(self, n: dict) -> dict:
        return self.client.create(n)

    def create(self, obj: dict) -> dict:
        return self.client.create(obj)

    def pod(self, name: str) -> dict:
        return self.client.get(POD, "default", name)

    def node_of(self, name: str) -> str | None:
        return (self.pod(name).get("spec") or {}).get("nodeName")

    def placement(self) -> dict[str, str | None]:
        return {p["metadata"]["name"]: p["spec"].get("nodeName") for p in self.client.list(POD, "default")[0]}

    def condition(self, name: str) -> dict | None:
        conds = (self.pod(name).get("status") or {}).get("conditions") or []
        return next((c for c in conds if c["type"] == "PodScheduled"), None)

    def events(self, name: str) -> list[tuple[str, str, str]]:
        return [(e["type"], e["reason"], e["message"]) for e in self.client.list(EVENT, "default")[0]
                if e["involvedObject"]["name"] == name]


def wait_for(what: str, predicate, timeout: float = TIMEOUT):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


@pytest.fixture
def cluster(tmp_path):
    before = set(threading.enumerate())
    c = Cluster(str(tmp_path))
    c.start()
    try:
        yield c
    finally:
        c.stop()
        leftover = [t for t in threading.enumerate() if t not in before and t.is_alive()
                    and t.name.startswith(("scheduler", "terminator"))]
        assert not leftover, leftover
