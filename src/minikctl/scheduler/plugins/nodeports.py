"""NodePorts: two pods may not claim the same hostPort and protocol on one node, unless
they bind different specific host IPs (0.0.0.0 conflicts with every IP)."""
from __future__ import annotations

from minikctl.scheduler import framework
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo

REASON = "node(s) didn't have free ports for the requested pod ports"
ANY_IP = "0.0.0.0"


def conflicts(wanted: list[tuple[str, str, int]], used) -> bool:  # type: ignore[no-untyped-def]
    for ip, protocol, port in wanted:
        for used_ip, used_protocol, used_port in used:
            if port == used_port and protocol == used_protocol and (
                    ip == used_ip or ip == ANY_IP or used_ip == ANY_IP):
                return True
    return False


class NodePorts:
    name = "NodePorts"

    def pre_filter(self, state: dict, pod: PodInfo, snapshot: object):  # type: ignore[no-untyped-def]
        return None if pod.ports else framework.Status(framework.SKIP)

    def filter(self, state: dict, pod: PodInfo, node: NodeInfo) -> framework.Status | None:
        if pod.ports and node.used_ports and conflicts(pod.ports, node.used_ports):
            return framework.unschedulable(REASON)
        return None
