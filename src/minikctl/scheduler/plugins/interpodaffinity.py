"""InterPodAffinity: pods placed by where other pods run, per topology domain (the
nodes sharing a value of `topologyKey`).

Filter, in kube-scheduler's order: the pod's required affinity terms need, in the
node's domain, a pod matching all of them (a first pod that matches its own terms may
start a domain); its required anti-affinity terms need no matching pod there; and no
pod already there may have a required anti-affinity term matching this pod.
Score: preferred terms of the pod (+weight, anti: -weight), and the terms of existing
pods matching this pod (their required affinity at weight 1, preferred at theirs),
summed per domain and scaled to 0-100 between the lowest and the highest node.
"""
from __future__ import annotations

from minikctl.scheduler import framework
from minikctl.scheduler.framework import MAX_NODE_SCORE, Snapshot
from minikctl.scheduler.nodeinfo import AffinityTerm, NodeInfo, PodInfo

AFFINITY = "node(s) didn't match pod affinity rules"
ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
HARD_AFFINITY_WEIGHT = 1


def resolve(terms: list[AffinityTerm], namespace_labels: dict) -> list[AffinityTerm]:
    """Turn each namespaceSelector into the names of the namespaces it selects."""
    out = []
    for t in terms:
        if t.namespace_selector is None:
            out.append(t)
        else:
            out.append(t.with_namespaces({ns for ns, labels in namespace_labels.items()
                                          if t.namespace_selector.matches(labels)}))
    return out


class _State:
    def __init__(self, pod: PodInfo, snapshot: Snapshot) -> None:
        ns_labels = snapshot.namespace_labels
        self.own_ns_labels = ns_labels.get(pod.namespace) or {}
        self.affinity = resolve(pod.required_affinity, ns_labels)
        self.anti_affinity = resolve(pod.required_anti_affinity, ns_labels)
        self.existing_anti: dict[tuple[str, str], int] = {}
        self.affinity_counts: dict[tuple[str, str], int] = {}
        self.anti_counts: dict[tuple[str, str], int] = {}
        for node in snapshot.nodes:
            if node.required_anti_affinity_pods:
                for existing in node.pods_with_required_anti_affinity():
                    for t in existing.required_anti_affinity:
                        if t.topology_key in node.labels and t.matches(pod, self.own_ns_labels):
                            _bump(self.existing_anti, (t.topology_key, node.labels[t.topology_key]))
            if not (self.affinity or self.anti_affinity):
                continue
            for existing in node.pods.values():
                if self.affinity and all(t.matches(existing, None) for t in self.affinity):
                    for t in self.affinity:
                        if t.topology_key in node.labels:
                            _bump(self.affinity_counts, (t.topology_key, node.labels[t.topology_key]))
                for t in self.anti_affinity:
                    if t.topology_key in node.labels and t.matches(existing, None):
                        _bump(self.anti_counts, (t.topology_key, node.labels[t.topology_key]))
        # A first pod of a group that matches its own affinity terms may go anywhere
        # the terms' keys exist (otherwise no such group could ever start).
        self.self_match = bool(self.affinity) and all(t.matches(pod, None) for t in self.affinity)


def _bump(counts: dict, key: tuple[str, str], by: int = 1) -> None:
    counts[key] = counts.get(key, 0) + by


class InterPodAffinity:
    name = "InterPodAffinity"
    weight = 2

    def pre_filter(self, state: dict, pod: PodInfo, snapshot: Snapshot):  # type: ignore[no-untyped-def]
        if not (pod.required_affinity or pod.required_anti_affinity) and not any(
                n.required_anti_affinity_pods for n in snapshot.nodes):
            return framework.Status(framework.SKIP)
        state[self.name] = _State(pod, snapshot)
        return None

    def filter(self, state: dict, pod: PodInfo, node: NodeInfo) -> framework.Status | None:
        s: _State = state[self.name]
        labels = node.labels
        if s.affinity:
            present = True
            for t in s.affinity:
                if t.topology_key not in labels:
                    return framework.unresolvable(AFFINITY)
                if s.affinity_counts.get((t.topology_key, labels[t.topology_key]), 0) <= 0:
                    present = False
            if not present and not (not s.affinity_counts and s.self_match):
                return framework.unresolvable(AFFINITY)
        for t in s.anti_affinity:
            if t.topology_key in labels and s.anti_counts.get((t.topology_key, labels[t.topology_key]), 0) > 0:
                return framework.unschedulable(ANTI_AFFINITY)
        if s.existing_anti:
            for key, value in labels.items():
                if s.existing_anti.get((key, value), 0) > 0:
                    return framework.unschedulable(EXISTING_ANTI_AFFINITY)
        return None

    # -- scoring ------------------------------------------------------------------------------

    def pre_score(self, state: dict, pod: PodInfo, nodes: list[NodeInfo], snapshot: Snapshot) -> bool:
        has_preferred = bool(pod.preferred_affinity or pod.preferred_anti_affinity)
        if not has_preferred and not any(n.affinity_pods for n in snapshot.nodes):
            return False
        ns_labels = snapshot.namespace_labels
        own = ns_labels.get(pod.namespace) or {}
        preferred = resolve(pod.preferred_affinity, ns_labels)
        preferred_anti = resolve(pod.preferred_anti_affinity, ns_labels)
        scores: dict[tuple[str, str], int] = {}

        def process(terms: list[AffinityTerm], target: PodInfo, target_ns: dict | None, node: NodeInfo,
                    sign: int, weight: int | None = None) -> None:
            for t in terms:
                if t.topology_key in node.labels and t.matches(target, target_ns):
                    _bump(scores, (t.topology_key, node.labels[t.topology_key]), sign * (weight or t.weight))

        for node in snapshot.nodes:
            if not node.labels or not (has_preferred or node.affinity_pods):
                continue
            for existing in node.pods.values():
                if not has_preferred and not existing.has_affinity:
                    continue
                process(preferred, existing, None, node, 1)
                process(preferred_anti, existing, None, node, -1)
                process(existing.required_affinity, pod, own, node, 1, HARD_AFFINITY_WEIGHT)
                process(existing.preferred_affinity, pod, own, node, 1)
                process(existing.preferred_anti_affinity, pod, own, node, -1)
        state[self.name + "/scores"] = scores
        return bool(scores)

    def score(self, state: dict, pod: PodInfo, node: NodeInfo) -> int:
        scores = state[self.name + "/scores"]
        return sum(v for (key, value), v in scores.items() if node.labels.get(key) == value)

    def normalize(self, state: dict, scores: list[int]) -> list[int]:
        low, high = min(scores), max(scores)
        if high - low <= 0:
            return [0] * len(scores)
        return [int(MAX_NODE_SCORE * ((s - low) / (high - low))) for s in scores]
