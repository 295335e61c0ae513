"""The pod garbage collector's orphan pass (pkg/controller/podgc gcOrphaned): pods bound
to a node that no longer exists are deleted, at once (grace 0), since no kubelet will
ever finish them. `minikctl delete node worker-2` after its agent died leaves no pod
Terminating for ever.

A node must have been missing for a quarantine period (40 s in Kubernetes), and is
looked up in the store itself before anything is deleted, so a lagging cache or a node
that is just re-registering never costs a pod. Before the delete the pod is marked
Failed with a DisruptionTarget condition (reason DeletionByPodGC), as Kubernetes does.
"""
from __future__ import annotations

import copy
import logging

from minikctl import errors
from minikctl.api import kinds
from minikctl.controllers.base import Clock, Controller, Informers, rfc3339

log = logging.getLogger(__name__)

QUARANTINE = 40.0  # seconds a node must have been gone


class PodGCController(Controller):
    name = "pod-garbage-collector"
    kind = "Pod"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 quarantine: float = QUARANTINE) -> None:
        super().__init__(client, informers, clock=clock)
        self.pod_kind, self.node_kind = kinds.by_kind("Pod"), kinds.by_kind("Node")
        self.quarantine = float(quarantine)
        self.pods = self.primary
        self.nodes = informers.informer("Node")
        self.informers.append(self.nodes)
        self.missing_since: dict[str, float] = {}  # node name -> when this controller found it gone
        self.pods.add_handler(self.handle_pod_event)
        self.nodes.add_handler(self.handle_node_event)

    def handle_pod_event(self, etype: str, pod: dict, old: dict | None) -> None:
        if etype != "DELETED" and (pod.get("spec") or {}).get("nodeName"):
            self.enqueue(pod)

    def handle_node_event(self, etype: str, node: dict, old: dict | None) -> None:
        name = node["metadata"]["name"]
        if etype != "DELETED":
            self.missing_since.pop(name, None)
            return
        for pod in self.pods.list(predicate=lambda p: (p.get("spec") or {}).get("nodeName") == name):
            self.enqueue(pod)

    def sync(self, key: str) -> None:
        pod = self.pods.get(key)
        node_name = ((pod or {}).get("spec") or {}).get("nodeName")
        if pod is None or not node_name or self.nodes.get(node_name) is not None:
            return
        now = self.clock.monotonic()
        since = self.missing_since.setdefault(node_name, now)
        if now - since < self.quarantine:
            self.queue.add_after(key, self.quarantine - (now - since) + 0.01)
            return
        try:
            self.client.get(self.node_kind, "", node_name)
            self.missing_since.pop(node_name, None)  # the cache lagged: the node is there
            return
        except errors.NotFound:
            pass
        self._delete(pod, node_name)

    def _delete(self, pod: dict, node_name: str) -> None:
        md = pod["metadata"]
        ns, name = md.get("namespace", "default"), md["name"]
        if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
            new = copy.deepcopy(pod)
            status = new.setdefault("status", {})
            status["phase"] = "Failed"
            conditions = [c for c in status.get("conditions") or [] if c.get("type") != "DisruptionTarget"]
            conditions.append({"type": "DisruptionTarget", "status": "True", "reason": "DeletionByPodGC",
                               "message": "PodGC: node no longer exists",
                               "lastTransitionTime": rfc3339(self.clock.now())})
            status["conditions"] = conditions
            try:
                self.client.update_status(new)
            except (errors.NotFound, errors.Conflict):
                pass  # gone already, or changed: deleting is what matters
        try:
            self.client.delete(self.pod_kind, ns, name, grace_period=0)
        except errors.NotFound:
            return
        log.info("deleted pod %s/%s: its node %s no longer exists", ns, name, node_name)
