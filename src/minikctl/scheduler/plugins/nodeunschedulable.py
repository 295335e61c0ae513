"""NodeUnschedulable: a cordoned node (spec.unschedulable) takes no new pods, unless
the pod tolerates the node.kubernetes.io/unschedulable:NoSchedule taint (DaemonSet
pods do)."""
from __future__ import annotations

from minikctl.scheduler import framework
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo
from minikctl.api.tolerations import tolerated

REASON = "node(s) were unschedulable"
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


class NodeUnschedulable:
    name = "NodeUnschedulable"

    def filter(self, state: dict, pod: PodInfo, node: NodeInfo) -> framework.Status | None:
        if not node.unschedulable:
            return None
        if tolerated(UNSCHEDULABLE_TAINT, (pod.pod.get("spec") or {}).get("tolerations") or []):
            return None
        return framework.unresolvable(REASON)
