"""A harness for the DaemonSet, StatefulSet, claim-binder and pvc-protection controllers: the shared
Cluster (real store, pumped informers, fake clock) with a settle() over these
controllers, and builders for their objects."""
from __future__ import annotations

from minikctl import errors
from minikctl.api import kinds
from minikctl.controllers import daemonset_nodes
from tests.unit.controllers.conftest import POD, Cluster, container

STS = kinds.by_kind("StatefulSet")
DS = kinds.by_kind("DaemonSet")
PVC = kinds.by_kind("PersistentVolumeClaim")
NODE_KIND = kinds.by_kind("Node")
REVISION = kinds.by_kind("ControllerRevision")


class AppsCluster(Cluster):
    def __init__(self, client, clock) -> None:  # type: ignore[no-untyped-def]
        super().__init__(client, clock)
        self.stsc = self.manager.controller("statefulset-controller")
        self.dsc = self.manager.controller("daemonset-controller")
        self.binder = self.manager.controller("persistentvolume-binder-controller")
        self.protection = self.manager.controller("pvc-protection-controller")
        # pvc-protection first: a claim released by a pod's deletion is gone before the
        # set's sync in the same round looks at it (in the daemon the set's sync retries).
        self.settled = [self.protection, self.stsc, self.dsc, self.binder]

    def run_pod(self, name: str, *, ready: bool = True) -> dict:
        """The kubelet starts a pod: bound to the node it is pinned to (or node-1)."""
        pod = self.client.get(POD, "default", name)
        if not pod["spec"].get("nodeName"):
            self.client.bind("default", name, daemonset_nodes.target_node(pod) or "node-1")
        return self.set_pod(name, ready=ready)

    def finish(self, name: str) -> None:
        try:
            self.client.finish_delete(POD, "default", name)
        except errors.NotFound:
            pass

    def names(self, *, include_terminating: bool = False) -> list[str]:
        return sorted(p["metadata"]["name"] for p in self.pods(include_terminating=include_terminating))

    def add_node(self, name: str, labels: dict | None = None, taints: list | None = None) -> dict:
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
                "spec": {"taints": taints} if taints else {}}
        return self.client.create(node)


def new_statefulset(name: str = "web", replicas: int = 3, *, image: str = "busybox:1", claims: bool = True,
                    **spec) -> dict:
    labels = {"app": name}
    body: dict = {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": dict(labels)},
                  "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": [container(image)]}}}
    if claims:
        body["volumeClaimTemplates"] = [{"metadata": {"name": "data"},
                                         "spec": {"accessModes": ["ReadWriteOnce"],
                                                  "resources": {"requests": {"storage": "1Gi"}}}}]
    body.update(spec)
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name}, "spec": body}


def new_daemonset(name: str = "agent", *, image: str = "busybox:1", **spec) -> dict:
    labels = {"app": name}
    body: dict = {"selector": {"matchLabels": dict(labels)},
                  "template": {"metadata": {"labels": dict(labels)}, "spec": {"containers": [container(image)]}}}
    body.update(spec)
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name}, "spec": body}


def set_image(obj: dict, image: str) -> None:
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = image
