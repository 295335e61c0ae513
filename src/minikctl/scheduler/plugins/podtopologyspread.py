"""PodTopologySpread: keep matching pods evenly spread over topology domains.

For a DoNotSchedule constraint, placing the pod in a domain may not make that domain's
count of matching pods exceed the smallest domain's by more than maxSkew (with
minDomains: fewer eligible domains than that count as a minimum of 0). ScheduleAnyway
constraints only score: fewer matching pods in the node's domain, higher score.
Domains are counted over nodes that carry every constraint's key and, by default
(nodeAffinityPolicy Honor), match the pod's nodeSelector/affinity; pods counted are
those in the pod's namespace, matching the selector, and not terminating.

A pod without constraints gets kube-scheduler's system defaults (ScheduleAnyway over
hostname, maxSkew 3, and zone, maxSkew 5) when something selects it: the Services and
the ReplicaSet/StatefulSet owning it (`default_selector`).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from minikctl.api import selectors
from minikctl.scheduler import framework
from minikctl.scheduler.framework import MAX_NODE_SCORE, Snapshot
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo
from minikctl.api.tolerations import first_untolerated
from minikctl.api.nodeaffinity import RequiredAffinity

CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
NODE_LABEL_NOT_MATCH = CONSTRAINTS_NOT_MATCH + " (missing required label)"
HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"


@dataclass(frozen=True)
class Constraint:
    max_skew: int
    topology_key: str
    hard: bool
    selector: selectors.Selector
    min_domains: int = 1
    honor_affinity: bool = True
    honor_taints: bool = False


def constraints_of(pod: PodInfo) -> list[Constraint]:
    out = []
    for c in (pod.pod.get("spec") or {}).get("topologySpreadConstraints") or []:
        try:
            selector = selectors.from_label_selector(c.get("labelSelector"))
            # matchLabelKeys: the pod's own values of these keys narrow the selector.
            extra = [selectors.Requirement(k, selectors.IN, (str(pod.labels[k]),))
                     for k in c.get("matchLabelKeys") or [] if k in pod.labels]
            if extra and not selector.nothing:
                selector = selectors.Selector(tuple(sorted(selector.requirements + tuple(extra), key=lambda r: r.key)))
        except ValueError:
            selector = selectors.NOTHING
        out.append(Constraint(
            max_skew=int(c.get("maxSkew") or 1), topology_key=str(c.get("topologyKey") or ""),
            hard=(c.get("whenUnsatisfiable") or "DoNotSchedule") == "DoNotSchedule", selector=selector,
            min_domains=int(c.get("minDomains") or 1),
            honor_affinity=(c.get("nodeAffinityPolicy") or "Honor") == "Honor",
            honor_taints=(c.get("nodeTaintsPolicy") or "Ignore") == "Honor"))
    return out


def count_matching(node: NodeInfo, selector: selectors.Selector, namespace: str) -> int:
    return sum(1 for p in node.pods.values()
               if p.namespace == namespace and not p.terminating and selector.matches(p.labels))


def _has_keys(node: NodeInfo, constraints: list[Constraint]) -> bool:
    return all(c.topology_key in node.labels for c in constraints)


def _included(c: Constraint, pod: PodInfo, node: NodeInfo, affinity: RequiredAffinity) -> bool:
    if c.honor_affinity and not affinity.matches(node.name, node.labels):
        return False
    if c.honor_taints:
        tolerations = (pod.pod.get("spec") or {}).get("tolerations") or []
        if first_untolerated(node.taints, tolerations, ("NoSchedule", "NoExecute")) is not None:
            return False
    return True


class _FilterState:
    def __init__(self, pod: PodInfo, constraints: list[Constraint], snapshot: Snapshot) -> None:
        self.constraints = constraints
        affinity = RequiredAffinity(pod.pod.get("spec") or {})
        self.counts: list[dict[str, int]] = [{} for _ in constraints]
        for node in snapshot.nodes:
            if not _has_keys(node, constraints):
                continue
            for i, c in enumerate(constraints):
                if not _included(c, pod, node, affinity):
                    continue
                value = node.labels[c.topology_key]
                self.counts[i][value] = self.counts[i].get(value, 0) + count_matching(node, c.selector, pod.namespace)
        self.minimum = []
        for i, c in enumerate(constraints):
            domains = self.counts[i]
            low = min(domains.values()) if domains else 0
            self.minimum.append(0 if len(domains) < c.min_domains else low)


class PodTopologySpread:
    name = "PodTopologySpread"
    weight = 2

    def __init__(self, *, default_selector: Callable[[PodInfo], selectors.Selector | None] | None = None) -> None:
        self.default_selector = default_selector

    def pre_filter(self, state: dict, pod: PodInfo, snapshot: Snapshot):  # type: ignore[no-untyped-def]
        hard = [c for c in constraints_of(pod) if c.hard]
        if not hard:
            return framework.Status(framework.SKIP)
        state[self.name] = _FilterState(pod, hard, snapshot)
        return None

    def filter(self, state: dict, pod: PodInfo, node: NodeInfo) -> framework.Status | None:
        s: _FilterState = state[self.name]
        for i, c in enumerate(s.constraints):
            value = node.labels.get(c.topology_key)
            if value is None:
                return framework.unresolvable(NODE_LABEL_NOT_MATCH)
            self_match = 1 if c.selector.matches(pod.labels) else 0
            skew = s.counts[i].get(value, 0) + self_match - s.minimum[i]
            if skew > c.max_skew:
                return framework.unschedulable(CONSTRAINTS_NOT_MATCH)
        return None

    # -- scoring ------------------------------------------------------------------------------

    def _soft_constraints(self, pod: PodInfo) -> tuple[list[Constraint], bool]:
        explicit = (pod.pod.get("spec") or {}).get("topologySpreadConstraints")
        if explicit:
            return [c for c in constraints_of(pod) if not c.hard], False
        selector = self.default_selector(pod) if self.default_selector else None
        if selector is None or selector.empty():
            return [], True
        return [Constraint(3, HOSTNAME, False, selector), Constraint(5, ZONE, False, selector)], True

    def pre_score(self, state: dict, pod: PodInfo, nodes: list[NodeInfo], snapshot: Snapshot) -> bool:
        soft, system = self._soft_constraints(pod)
        if not soft:
            return False
        require_all = not system
        ignored = {n.name for n in nodes if require_all and not _has_keys(n, soft)}
        pairs: dict[tuple[str, str], int] = {}
        sizes = [0] * len(soft)
        for n in nodes:
            if n.name in ignored:
                continue
            for i, c in enumerate(soft):
                if c.topology_key == HOSTNAME or c.topology_key not in n.labels:
                    continue
                pair = (c.topology_key, n.labels[c.topology_key])
                if pair not in pairs:
                    pairs[pair] = 0
                    sizes[i] += 1
        weights = []
        for i, c in enumerate(soft):
            size = len(nodes) - len(ignored) if c.topology_key == HOSTNAME else sizes[i]
            weights.append(math.log(size + 2))
        affinity = RequiredAffinity(pod.pod.get("spec") or {})
        for n in snapshot.nodes:
            if require_all and not _has_keys(n, soft):
                continue
            for c in soft:
                pair = (c.topology_key, n.labels.get(c.topology_key, ""))
                if c.topology_key == HOSTNAME or pair not in pairs or not _included(c, pod, n, affinity):
                    continue
                pairs[pair] += count_matching(n, c.selector, pod.namespace)
        state[self.name + "/score"] = (soft, ignored, pairs, weights, [n.name for n in nodes])
        return True

    def score(self, state: dict, pod: PodInfo, node: NodeInfo) -> int:
        soft, ignored, pairs, weights, _ = state[self.name + "/score"]
        if node.name in ignored:
            return 0
        total = 0.0
        for i, c in enumerate(soft):
            value = node.labels.get(c.topology_key)
            if value is None:
                continue
            if c.topology_key == HOSTNAME:
                count = count_matching(node, c.selector, pod.namespace)
            else:
                count = pairs.get((c.topology_key, value), 0)
            total += count * weights[i] + (c.max_skew - 1)
        return _round_half_away(total)

    def normalize(self, state: dict, scores: list[int]) -> list[int]:
        _, ignored, _, _, names = state[self.name + "/score"]
        counted = [s for s, n in zip(scores, names) if n not in ignored]
        low = min(counted, default=0)
        high = max(counted, default=0)
        out = []
        for s, n in zip(scores, names):
            if n in ignored:
                out.append(0)
            elif high == 0:
                out.append(MAX_NODE_SCORE)
            else:
                out.append(MAX_NODE_SCORE * (high + low - s) // high)
        return out


def _round_half_away(x: float) -> int:
    """Go's math.Round (halves away from zero), not Python's banker's rounding."""
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))
