"""The default plugins, in kube-scheduler's (1.32) order, with its default score weights.

Filters run in this order and the first to reject a node decides its reason; scores
are summed with these weights (TaintToleration 3, NodeAffinity 2, PodTopologySpread 2,
InterPodAffinity 2, the rest 1).
"""
from __future__ import annotations

from collections.abc import Callable


def default_plugins(*, namespace_labels: Callable[[str], dict] | None = None,
                    spread_selector: Callable | None = None) -> list:  # type: ignore[type-arg]
    from minikctl.scheduler.plugins import (
        balancedallocation,
        imagelocality,
        interpodaffinity,
        nodeaffinity,
        nodename,
        nodeports,
        noderesources,
        nodeunschedulable,
        podtopologyspread,
        tainttoleration,
    )

    return [
        nodeunschedulable.NodeUnschedulable(),
        nodename.NodeName(),
        tainttoleration.TaintToleration(),
        nodeaffinity.NodeAffinity(),
        nodeports.NodePorts(),
        noderesources.NodeResourcesFit(),
        podtopologyspread.PodTopologySpread(default_selector=spread_selector),
        interpodaffinity.InterPodAffinity(),
        balancedallocation.NodeResourcesBalancedAllocation(),
        imagelocality.ImageLocality(),
    ]
