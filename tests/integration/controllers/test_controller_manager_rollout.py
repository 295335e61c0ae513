"""The controller manager for real: informers watching a real store, worker threads, and
a fake kubelet thread (its own client, as another component would be) that binds pods
and marks them Running and Ready. A Deployment comes up 3/3, then rolls over to a new
image with no loss of availability, and every thread stops at the end."""
from __future__ import annotations

import copy
import datetime as _dt
import threading
import time

from minikctl import errors
from minikctl.api import kinds
from minikctl.client.local import LocalClient
from minikctl.controllers import deployment_util as du
from minikctl.controllers import manager as manager_mod
from minikctl.controllers.base import rfc3339

POD, RS, DEPLOY = kinds.by_kind("Pod"), kinds.by_kind("ReplicaSet"), kinds.by_kind("Deployment")
TIMEOUT = 20.0


class FakeKubelet(threading.Thread):
    def __init__(self, client: LocalClient) -> None:
        super().__init__(name="fake-kubelet", daemon=True)
        self.client = client
        self.stop_event = threading.Event()
        self.track = False  # record the fewest ready pods seen, while a rollout runs
        self.min_ready_seen: int | None = None
        self.errors: list[Exception] = []

    def run(self) -> None:
        while not self.stop_event.wait(0.02):
            try:
                self.step()
            except (errors.Conflict, errors.NotFound):
                pass  # raced with a controller: the next step sees the new state
            except Exception as exc:  # noqa: BLE001 - reported by the test
                self.errors.append(exc)

    def step(self) -> None:
        pods, _ = self.client.list(POD, "default")
        # Ready pods as a Service would see them right now (before this step's changes).
        ready = sum(1 for p in pods if not p["metadata"].get("deletionTimestamp") and any(
            c["type"] == "Ready" and c["status"] == "True" for c in (p.get("status") or {}).get("conditions") or []))
        for pod in pods:
            name = pod["metadata"]["name"]
            if pod["metadata"].get("deletionTimestamp"):
                self.client.finish_delete(POD, "default", name, uid=pod["metadata"]["uid"])
                continue
            if not pod["spec"].get("nodeName"):
                pod = self.client.bind("default", name, "node-1")
            if (pod.get("status") or {}).get("phase") != "Running":
                status = copy.deepcopy(pod.get("status") or {})
                status["phase"] = "Running"
                status["conditions"] = [c for c in status.get("conditions") or [] if c["type"] != "Ready"] + [
                    {"type": "Ready", "status": "True",
                     "lastTransitionTime": rfc3339(_dt.datetime.now(_dt.timezone.utc))}]
                self.client.update_status({**pod, "status": status})
        if self.track:
            self.min_ready_seen = ready if self.min_ready_seen is None else min(self.min_ready_seen, ready)


def wait_for(what: str, predicate, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def deployment() -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": "busybox:1",
                                                           "command": ["sleep", "3600"]}]}}}}


def test_deployment_comes_up_and_rolls_over_with_the_manager_running(tmp_path):
    before = set(threading.enumerate())
    client = LocalClient.open(path=str(tmp_path))
    kubelet_client = LocalClient.open(path=str(tmp_path))
    manager = manager_mod.build(client)
    kubelet = FakeKubelet(kubelet_client)
    try:
        manager.start()
        kubelet.start()
        client.create(deployment())

        def status() -> dict:
            return client.get(DEPLOY, "default", "web").get("status") or {}

        wait_for("3/3 available", lambda: status().get("availableReplicas") == 3
                 and status().get("updatedReplicas") == 3)
        [first] = client.list(RS, "default")[0]
        assert first["metadata"]["annotations"][du.REVISION] == "1"

        # Roll over to a new image. Default strategy for 3 replicas: surge 1, unavailable 0.
        kubelet.min_ready_seen, kubelet.track = None, True
        client.modify(DEPLOY, "default", "web",
                      lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image="busybox:2"))

        def rolled_over() -> bool:
            rss = client.list(RS, "default")[0]
            new = [rs for rs in rss if rs["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:2"]
            old = client.get(RS, "default", first["metadata"]["name"])
            pods = client.list(POD, "default")[0]
            st = status()
            return (len(new) == 1 and (new[0].get("status") or {}).get("availableReplicas") == 3
                    and old["spec"]["replicas"] == 0 and not (old.get("status") or {}).get("replicas")
                    and st.get("updatedReplicas") == 3 and st.get("availableReplicas") == 3
                    and st.get("replicas") == 3 and st.get("observedGeneration") == 2
                    and len(pods) == 3
                    and all(p["spec"]["containers"][0]["image"] == "busybox:2" for p in pods))

        wait_for("the rollout to busybox:2", rolled_over)
        kubelet.track = False
        assert kubelet.min_ready_seen is not None and kubelet.min_ready_seen >= 3  # maxUnavailable 0
        d = client.get(DEPLOY, "default", "web")
        assert d["metadata"]["annotations"][du.REVISION] == "2"
        progressing = next(c for c in d["status"]["conditions"] if c["type"] == "Progressing")
        assert progressing["reason"] == "NewReplicaSetAvailable"
        assert kubelet.errors == []
    finally:
        kubelet.stop_event.set()
        kubelet.join(5)
        manager.stop(timeout=5)
        client.close()
        kubelet_client.close()
    assert not kubelet.is_alive()
    assert manager.alive_threads() == []
    assert set(threading.enumerate()) - before == set()
