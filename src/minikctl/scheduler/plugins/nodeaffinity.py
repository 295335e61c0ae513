"""NodeAffinity: spec.nodeSelector and required node affinity filter nodes; preferred
node affinity scores them (the sum of the weights of matching terms, scaled to 0-100).

Required terms are ORed; inside a term, matchExpressions (on labels) and matchFields
(only metadata.name, which DaemonSet pods use to pin themselves) are ANDed; a term
with neither matches nothing. Operators: In, NotIn, Exists, DoesNotExist, Gt, Lt (Gt
and Lt compare the label as an integer). A pre-filter narrows the nodes to those named
by `metadata.name In` fields, as kube-scheduler's does.
"""
from __future__ import annotations

from minikctl.api import selectors
from minikctl.scheduler import framework
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo
from minikctl.scheduler.plugins.scoring import default_normalize

REASON = "node(s) didn't match Pod's node affinity/selector"
CONFLICT = "pod affinity terms conflict"
_OPERATORS = {"In": selectors.IN, "NotIn": selectors.NOT_IN, "Exists": selectors.EXISTS,
              "DoesNotExist": selectors.DOES_NOT_EXIST, "Gt": selectors.GREATER_THAN, "Lt": selectors.LESS_THAN}


class _Term:
    """A NodeSelectorTerm, parsed. `valid` False when an expression cannot be parsed:
    such a term matches no node (nodeaffinity.newNodeSelectorTerm's parse errors)."""

    def __init__(self, term: dict) -> None:
        self.valid = True
        self.labels: list[selectors.Requirement] = []
        self.fields: list[selectors.Requirement] = []
        try:
            for expr in term.get("matchExpressions") or []:
                self.labels.append(_requirement(expr))
            for expr in term.get("matchFields") or []:
                if expr.get("key") != "metadata.name":
                    raise ValueError(f"not a supported field selector key: {expr.get('key')}")
                req = _requirement(expr, validate=False)
                if req.operator not in (selectors.IN, selectors.NOT_IN) or len(req.values) != 1:
                    raise ValueError("metadata.name takes In or NotIn with exactly one value")
                self.fields.append(req)
        except ValueError:
            self.valid = False
        self.empty = not self.labels and not self.fields

    def matches(self, node: NodeInfo) -> bool:
        if not self.valid or self.empty:
            return False
        if not all(r.matches(node.labels) for r in self.labels):
            return False
        name = {"metadata.name": node.name}
        return all(r.matches(name) for r in self.fields)


def _requirement(expr: dict, *, validate: bool = True) -> selectors.Requirement:
    op = _OPERATORS.get(str(expr.get("operator")))
    if op is None:
        raise ValueError(f"{expr.get('operator')!r} is not a valid node selector operator")
    values = [str(v) for v in expr.get("values") or []]
    if validate:
        return selectors.new_requirement(str(expr.get("key") or ""), op, values)
    return selectors.Requirement(str(expr.get("key") or ""), op, tuple(values))


class RequiredAffinity:
    """nodeSelector AND (any required term)."""

    def __init__(self, spec: dict) -> None:
        self.node_selector = {str(k): str(v) for k, v in (spec.get("nodeSelector") or {}).items()}
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution")
        self.terms = None if required is None else [_Term(t) for t in required.get("nodeSelectorTerms") or []]

    def matches(self, node: NodeInfo) -> bool:
        labels = node.labels
        if any(labels.get(k) != v for k, v in self.node_selector.items()):
            return False
        return self.terms is None or any(t.matches(node) for t in self.terms)


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
        return None if required.matches(node) else framework.unresolvable(REASON)

    def pre_score(self, state: dict, pod: PodInfo, nodes: list, snapshot: object) -> bool:
        preferred = ((((pod.pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {})
                     .get("preferredDuringSchedulingIgnoredDuringExecution") or [])
        terms = [(int(p.get("weight") or 0), _Term(p.get("preference") or {})) for p in preferred]
        terms = [(w, t) for w, t in terms if w]
        state[self.name + "/preferred"] = terms
        return bool(terms)

    def score(self, state: dict, pod: PodInfo, node: NodeInfo) -> int:
        return sum(w for w, t in state[self.name + "/preferred"] if t.matches(node))

    def normalize(self, state: dict, scores: list[int]) -> list[int]:
        return default_normalize(scores)
