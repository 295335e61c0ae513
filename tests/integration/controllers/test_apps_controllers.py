"""The DaemonSet and StatefulSet controllers inside the real controller manager:
informers watching a real store, worker threads, and a fake kubelet thread (its own
client) that binds each pod to the node its affinity names, runs it and finishes
deletions. Extra Node objects are created directly: the DaemonSet puts one pod on each,
and the StatefulSet comes up in order."""
from __future__ import annotations

import copy
import datetime as _dt
import threading
import time

from minikctl import errors
from minikctl.api import kinds
from minikctl.client.local import LocalClient
from minikctl.controllers import daemonset_nodes as dn
from minikctl.controllers import manager as manager_mod
from minikctl.controllers.base import rfc3339

POD, NODE = kinds.by_kind("Pod"), kinds.by_kind("Node")
DS, STS, PVC = kinds.by_kind("DaemonSet"), kinds.by_kind("StatefulSet"), kinds.by_kind("PersistentVolumeClaim")
TIMEOUT = 20.0


class FakeKubelet(threading.Thread):
    """Binds pods to their pinned node (node-1 otherwise), marks them Running and Ready,
    and records the order in which pods first became ready."""

    def __init__(self, client: LocalClient) -> None:
        super().__init__(name="fake-kubelet", daemon=True)
        self.client = client
        self.stop_event = threading.Event()
        self.ready_order: list[str] = []
        self.errors: list[Exception] = []

    def run(self) -> None:
        while not self.stop_event.wait(0.02):
            try:
                self.step()
            except (errors.Conflict, errors.NotFound):
                pass
            except Exception as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(exc)

    def step(self) -> None:
        pods, _ = self.client.list(POD, "default")
        for pod in pods:
            name = pod["metadata"]["name"]
            if pod["metadata"].get("deletionTimestamp"):
                self.client.finish_delete(POD, "default", name, uid=pod["metadata"]["uid"])
                continue
            if not pod["spec"].get("nodeName"):
                pod = self.client.bind("default", name, dn.target_node(pod) or "node-1")
            if (pod.get("status") or {}).get("phase") != "Running":
                status = copy.deepcopy(pod.get("status") or {})
                status["phase"] = "Running"
                status["conditions"] = [{"type": "Ready", "status": "True",
                                         "lastTransitionTime": rfc3339(_dt.datetime.now(_dt.timezone.utc))}]
                self.client.update_status({**pod, "status": status})
                self.ready_order.append(name)


def wait_for(what: str, predicate, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def template(app: str, image: str = "busybox:1") -> dict:
    return {"metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": "app", "image": image, "command": ["sleep", "3600"]}]}}


def test_daemonset_and_statefulset_under_the_running_manager(tmp_path):
    before = set(threading.enumerate())
    client = LocalClient.open(path=str(tmp_path))
    kubelet_client = LocalClient.open(path=str(tmp_path))
    manager = manager_mod.build(client)
    kubelet = FakeKubelet(kubelet_client)
    try:
        for name in ("node-1", "node-2", "node-3"):
            client.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
        manager.start()
        kubelet.start()
        client.create({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
                       "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": template("agent")}})
        client.create({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
                       "spec": {"replicas": 3, "serviceName": "web", "selector": {"matchLabels": {"app": "web"}},
                                "template": template("web"), "volumeClaimTemplates": [{
                                    "metadata": {"name": "data"}, "spec": {
                                        "accessModes": ["ReadWriteOnce"],
                                        "resources": {"requests": {"storage": "1Gi"}}}}]}})

        def agent_nodes() -> list[str]:
            pods = client.list(POD, "default", label_selector="app=agent")[0]
            return sorted(p["spec"].get("nodeName") or "" for p in pods if not p["metadata"].get("deletionTimestamp"))

        wait_for("an agent on each node", lambda: agent_nodes() == ["node-1", "node-2", "node-3"]
                 and (client.get(DS, "default", "agent").get("status") or {}).get("numberAvailable") == 3)
        wait_for("web 3/3", lambda: (client.get(STS, "default", "web").get("status") or {}).get("readyReplicas") == 3)
        web_order = [n for n in kubelet.ready_order if n.startswith("web-")]
        assert web_order == ["web-0", "web-1", "web-2"]
        claims = client.list(PVC, "default")[0]
        assert sorted(c["metadata"]["name"] for c in claims) == ["data-web-0", "data-web-1", "data-web-2"]
        wait_for("claims bound", lambda: all((c.get("status") or {}).get("phase") == "Bound"
                                             for c in client.list(PVC, "default")[0]))

        # A fourth node gets its pod; a rolling update replaces all of them.
        client.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-4"}})
        wait_for("an agent on node-4", lambda: "node-4" in agent_nodes())
        client.modify(DS, "default", "agent",
                      lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="busybox:2"))

        def rolled() -> bool:
            pods = [p for p in client.list(POD, "default", label_selector="app=agent")[0]
                    if not p["metadata"].get("deletionTimestamp")]
            st = client.get(DS, "default", "agent").get("status") or {}
            return (len(pods) == 4 and all(p["spec"]["containers"][0]["image"] == "busybox:2" for p in pods)
                    and st.get("updatedNumberScheduled") == 4 and st.get("numberAvailable") == 4)

        wait_for("the agents at busybox:2", rolled)
        assert not kubelet.errors, kubelet.errors
    finally:
        kubelet.stop_event.set()
        kubelet.join(5)
        manager.stop()
        client.close()
        kubelet_client.close()
    assert not manager.alive_threads()
    leftover = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert not leftover, leftover
