"""The node lifecycle controller, after pkg/controller/nodelifecycle: it notices a node
whose kubelet stopped reporting and says so, in the Node and in taints.

Health, per node: the last time this controller *saw* the node report, on its own clock
(its Lease's renewTime or its Ready condition's lastHeartbeatTime changing), never the
node's timestamps themselves. A node first seen gets a full grace period. sync(node):

    reported within --node-monitor-grace-period   -> look again when it would expire
    silent for longer                              -> every condition (Ready, MemoryPressure,
        DiskPressure, PIDPressure) becomes Unknown, reason NodeStatusUnknown, "Kubelet
        stopped posting node status." (NodeStatusNeverUpdated when it never did); an
        event NodeNotReady on the node; its pods' Ready condition False ("Node is not ready")
    then, always, the taints that follow the conditions (TaintNodesByCondition and the
    NoExecute taint pass):
        Ready Unknown  -> node.kubernetes.io/unreachable  NoSchedule + NoExecute
        Ready False    -> node.kubernetes.io/not-ready    NoSchedule + NoExecute
        MemoryPressure / DiskPressure / PIDPressure True -> node.kubernetes.io/*-pressure NoSchedule
        spec.unschedulable (cordon)                      -> node.kubernetes.io/unschedulable NoSchedule
    Taints this controller does not own are left alone; a NoExecute taint keeps the
    timeAdded it got, which is when the taint eviction controller starts counting.

Evicting the pods is the taint eviction controller's job (controllers/tainteviction.py).
"""
from __future__ import annotations

import copy
import logging
from dataclasses import dataclass

from minikctl import errors
from minikctl.api import kinds
from minikctl.api.tolerations import NOT_READY, UNREACHABLE, UNSCHEDULABLE
from minikctl.controllers.base import Clock, Controller, Informers, rfc3339

log = logging.getLogger(__name__)

GRACE_PERIOD = 40.0  # --node-monitor-grace-period
MONITOR_PERIOD = 5.0  # --node-monitor-period
NODE_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")
PRESSURE_TAINTS = {"MemoryPressure": "node.kubernetes.io/memory-pressure",
                   "DiskPressure": "node.kubernetes.io/disk-pressure",
                   "PIDPressure": "node.kubernetes.io/pid-pressure"}
# Every taint key this controller sets and may therefore take away again.
OWNED = {NOT_READY, UNREACHABLE, UNSCHEDULABLE, *PRESSURE_TAINTS.values()}
LEASE_NAMESPACE = "kube-node-lease"


@dataclass
class Health:
    """What this controller last saw of a node, and when (its monotonic clock)."""

    probe: float
    lease_renew: str = ""
    heartbeat: str = ""


class NodeLifecycleController(Controller):
    name = "node-lifecycle-controller"
    kind = "Node"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None, grace_period: float = GRACE_PERIOD, monitor_period: float = MONITOR_PERIOD) -> None:
        super().__init__(client, informers, clock=clock)
        self.node_kind, self.pod_kind = kinds.by_kind("Node"), kinds.by_kind("Pod")
        self.grace_period = float(grace_period)
        self.monitor_period = float(monitor_period)
        self.recorder = recorder
        self.health: dict[str, Health] = {}
        self.nodes = self.primary
        self.leases = informers.informer("Lease")
        self.pods = informers.informer("Pod")
        self.informers += [self.leases, self.pods]
        self.nodes.add_handler(self.handle_node_event)
        self.leases.add_handler(self.handle_lease_event)

    def handle_node_event(self, etype: str, node: dict, old: dict | None) -> None:
        if etype == "DELETED":
            self.health.pop(node["metadata"]["name"], None)
        self.enqueue(node)

    def handle_lease_event(self, etype: str, lease: dict, old: dict | None) -> None:
        if lease["metadata"].get("namespace") == LEASE_NAMESPACE and etype != "DELETED":
            self.queue.add(lease["metadata"]["name"])

    # -- sync --------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        node = self.nodes.get(key)
        if node is None:
            self.health.pop(key, None)
            return
        now = self.clock.monotonic()
        silent_for = self._observe(key, node, now)
        if silent_for > self.grace_period:
            node = self._mark_unknown(node)
        else:
            # Look again when the grace period would run out (the monitor period at most).
            self.queue.add_after(key, min(self.monitor_period, self.grace_period - silent_for + 0.01))
        self._reconcile_taints(node)

    def _observe(self, name: str, node: dict, now: float) -> float:
        """Seconds since this controller last saw the node report."""
        lease = self.leases.get(f"{LEASE_NAMESPACE}/{name}")
        renew = str(((lease or {}).get("spec") or {}).get("renewTime") or "")
        heartbeat = str(_condition(node, "Ready").get("lastHeartbeatTime") or "")
        health = self.health.get(name)
        if health is None:
            self.health[name] = Health(probe=now, lease_renew=renew, heartbeat=heartbeat)
            self._event(node, "Normal", "RegisteredNode", f"Node {name} event: Registered Node {name} in Controller")
            return 0.0
        if renew != health.lease_renew or heartbeat != health.heartbeat:
            health.probe, health.lease_renew, health.heartbeat = now, renew, heartbeat
        return now - health.probe

    def _mark_unknown(self, node: dict) -> dict:
        if all(_condition(node, t).get("status") == "Unknown" for t in NODE_CONDITIONS):
            return node
        name = node["metadata"]["name"]
        new = copy.deepcopy(node)
        status = new.setdefault("status", {})
        now = rfc3339(self.clock.now())
        conditions = list(status.get("conditions") or [])
        for ctype in NODE_CONDITIONS:
            cond = next((c for c in conditions if c.get("type") == ctype), None)
            if cond is None:
                conditions.append({"type": ctype, "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status.", "lastHeartbeatTime": now,
                                   "lastTransitionTime": now})
            elif cond.get("status") != "Unknown":
                cond.update(status="Unknown", reason="NodeStatusUnknown", message="Kubelet stopped posting node status.",
                            lastTransitionTime=now)
        status["conditions"] = conditions
        try:
            new = self.client.update_status(new)
        except errors.NotFound:
            return node
        log.info("node %s stopped reporting for over %gs: Ready=Unknown", name, self.grace_period)
        self._event(node, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady")
        self._mark_pods_not_ready(name)
        return new

    def _mark_pods_not_ready(self, node_name: str) -> None:
        """MarkPodsNotReady: the kubelet cannot say so any more, so endpoints would keep
        sending traffic to pods nobody watches."""
        for pod in self.pods.list(predicate=lambda p: (p.get("spec") or {}).get("nodeName") == node_name):
            ready = next((c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None)
            if ready is None or ready.get("status") == "False":
                continue
            new = copy.deepcopy(pod)
            for c in new["status"]["conditions"]:
                if c.get("type") == "Ready":
                    c.update(status="False", lastTransitionTime=rfc3339(self.clock.now()))
            try:
                self.client.update_status(new)
            except (errors.NotFound, errors.Conflict):
                continue  # gone, or changed: the next sync sees it again
            self._event(pod, "Warning", "NodeNotReady", "Node is not ready")

    def _reconcile_taints(self, node: dict) -> None:
        wanted = self.wanted_taints(node)
        current = (node.get("spec") or {}).get("taints") or []
        if _taint_set(t for t in current if t.get("key") in OWNED) == _taint_set(wanted):
            return

        def retaint(n: dict) -> None:
            have = (n.get("spec") or {}).get("taints") or []
            old = {(t.get("key"), t.get("effect")): t for t in have}
            keep = [t for t in have if t.get("key") not in OWNED]
            # A taint that stays keeps its timeAdded: eviction counts from it.
            n.setdefault("spec", {})["taints"] = keep + [old.get((t["key"], t["effect"]), t) for t in self.wanted_taints(n)]
            if not n["spec"]["taints"]:
                n["spec"].pop("taints")
        try:
            self.client.modify(self.node_kind, "", node["metadata"]["name"], retaint)
        except errors.NotFound:
            return

    def wanted_taints(self, node: dict) -> list[dict]:
        """The taints the node's conditions and spec call for."""
        out = []
        ready = _condition(node, "Ready").get("status")
        if ready in ("False", "Unknown"):
            key = NOT_READY if ready == "False" else UNREACHABLE
            out.append({"key": key, "effect": "NoSchedule"})
            out.append({"key": key, "effect": "NoExecute", "timeAdded": rfc3339(self.clock.now())})
        for ctype, key in PRESSURE_TAINTS.items():
            if _condition(node, ctype).get("status") == "True":
                out.append({"key": key, "effect": "NoSchedule"})
        if (node.get("spec") or {}).get("unschedulable"):
            out.append({"key": UNSCHEDULABLE, "effect": "NoSchedule"})
        return out

    def _event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        if self.recorder is not None:
            self.recorder.event(obj, type_, reason, message)


def _condition(node: dict, ctype: str) -> dict:
    return next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == ctype), {})


def _taint_set(taints) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return {(t.get("key"), t.get("effect")) for t in taints}
