"""NodeResourcesFit: the pod's requests (cpu, memory, ephemeral-storage, extended
resources, and one pod slot) must fit in the node's allocatable minus what the pods
already there request. Scores with the LeastAllocated strategy: the emptier the node
after placing the pod (cpu and memory, equal weights, non-zero requests), the higher.
"""
from __future__ import annotations

from minikctl.scheduler import framework, resources
from minikctl.scheduler.framework import MAX_NODE_SCORE
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo

TOO_MANY_PODS = "Too many pods"
_FIRST = (resources.CPU, resources.MEMORY, resources.EPHEMERAL)


def insufficient(pod: PodInfo, node: NodeInfo) -> list[str]:
    """Every reason the pod does not fit, in kube-scheduler's order (fitsRequest)."""
    reasons = []
    if len(node.pods) + 1 > node.allowed_pods:
        reasons.append(TOO_MANY_PODS)
    requests = pod.requests
    if not any(requests.values()):
        return reasons
    alloc, used = node.allocatable, node.requested
    for name in _FIRST:
        want = requests.get(name, 0)
        if want > 0 and want > alloc.get(name, 0) - used.get(name, 0):
            reasons.append(f"Insufficient {name}")
    for name in sorted(requests):
        if name in _FIRST or name == resources.PODS:
            continue
        want = requests[name]
        if want > 0 and want > alloc.get(name, 0) - used.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return reasons


def least_requested(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


class NodeResourcesFit:
    name = "NodeResourcesFit"
    weight = 1

    def filter(self, state: dict, pod: PodInfo, node: NodeInfo) -> framework.Status | None:
        reasons = insufficient(pod, node)
        return framework.unschedulable(*reasons) if reasons else None

    def score(self, state: dict, pod: PodInfo, node: NodeInfo) -> int:
        total = weights = 0
        for requested, capacity in (
                (node.non_zero_cpu + pod.non_zero[0], node.allocatable.get(resources.CPU, 0)),
                (node.non_zero_memory + pod.non_zero[1], node.allocatable.get(resources.MEMORY, 0))):
            if capacity == 0:
                continue
            total += least_requested(requested, capacity)
            weights += 1
        return total // weights if weights else 0
