"""NodeName: a pod that names its node (spec.nodeName) fits only there."""
from __future__ import annotations

from minikctl.scheduler import framework
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo

REASON = "node(s) didn't match the requested node name"


class NodeName:
    name = "NodeName"

    def filter(self, state: dict, pod: PodInfo, node: NodeInfo) -> framework.Status | None:
        if pod.node_name and pod.node_name != node.name:
            return framework.unresolvable(REASON)
        return None
