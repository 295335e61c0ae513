"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory would be used in
equal fractions after placing the pod (score = (1 - std of the fractions) * 100), so
one resource is not exhausted while the other sits idle. Pods that request nothing
are not scored by it."""
from __future__ import annotations

import math

from minikctl.scheduler import resources
from minikctl.scheduler.framework import MAX_NODE_SCORE
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo

SCORED = (resources.CPU, resources.MEMORY)


def balanced_score(requested: list[int], allocatable: list[int]) -> int:
    fractions = [min(r / a, 1.0) for r, a in zip(requested, allocatable) if a]
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)


class NodeResourcesBalancedAllocation:
    name = "NodeResourcesBalancedAllocation"
    weight = 1

    def pre_score(self, state: dict, pod: PodInfo, nodes: list, snapshot: object) -> bool:
        return any(pod.requests.get(r, 0) for r in SCORED)  # BestEffort pods: skipped

    def score(self, state: dict, pod: PodInfo, node: NodeInfo) -> int:
        requested = [node.requested.get(r, 0) + pod.requests.get(r, 0) for r in SCORED]
        return balanced_score(requested, [node.allocatable.get(r, 0) for r in SCORED])
