"""NodeAffinity: spec.nodeSelector and required node affinity filter nodes; preferred
node affinity scores them (the sum of the weights of matching terms, scaled to 0-100).

The matching itself is api/nodeaffinity.py, shared with the DaemonSet controller. A
pre-filter narrows the nodes to those named by `metadata.name In` fields, as
kube-scheduler's does.
"""
from __future__ import annotations

from minikctl.api.nodeaffinity import RequiredAffinity, Term
from minikctl.scheduler import framework
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo
from minikctl.scheduler.plugins.scoring import default_normalize

REASON = "node(s) didn't match Pod's node affinity/selector"
CONFLICT = "pod affinity terms conflict"


def _pinned_names(spec: dict) -> set[str] | None:
    """Node names the required terms pin the pod to through `metadata.name In`, or None
    when some term leaves every node possible."""
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution") or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return None
    names: set[str] = set()
    for term in terms:
        term_names: set[str] | None = None
        for f in term.get("matchFields") or []:
            if f.get("key") == "metadata.name" and f.get("operator") == "In":
                values = {str(v) for v in f.get("values") or []}
                term_names = values if term_names is None else term_names & values
        if term_names is None:
            return None  # this term does not name nodes: terms are ORed, so any node may do
        names |= term_names
    return names


class NodeAffinity:
    name = "NodeAffinity"
    weight = 2

    def pre_filter(self, state: dict, pod: PodInfo, snapshot: object):  # type: ignore[no-untyped-def]
        spec = pod.pod.get("spec") or {}
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution")
        if required is None and not spec.get("nodeSelector"):
            return framework.Status(framework.SKIP)
        state[self.name] = RequiredAffinity(spec)
        names = _pinned_names(spec)
        if names is None:
            return None
        if not names:
            return framework.unresolvable(CONFLICT)
        return names

    def filter(self, state: dict, pod: PodInfo, node: NodeInfo) -> framework.Status | None:
        required = state.get(self.name) or RequiredAffinity(pod.pod.get("spec") or {})
        return None if required.matches(node.name, node.labels) else framework.unresolvable(REASON)

    def pre_score(self, state: dict, pod: PodInfo, nodes: list, snapshot: object) -> bool:
        preferred = ((((pod.pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {})
                     .get("preferredDuringSchedulingIgnoredDuringExecution") or [])
        terms = [(int(p.get("weight") or 0), Term(p.get("preference") or {})) for p in preferred]
        terms = [(w, t) for w, t in terms if w]
        state[self.name + "/preferred"] = terms
        return bool(terms)

    def score(self, state: dict, pod: PodInfo, node: NodeInfo) -> int:
        return sum(w for w, t in state[self.name + "/preferred"] if t.matches(node.name, node.labels))

    def normalize(self, state: dict, scores: list[int]) -> list[int]:
        return default_normalize(scores)
