"""Does a node satisfy a pod's nodeSelector and required node affinity: the one
matcher the scheduler's NodeAffinity and PodTopologySpread plugins and the DaemonSet
controller share (k8s.io/component-helpers/scheduling/corev1/nodeaffinity).

Required terms are ORed; inside a term, matchExpressions (on labels) and matchFields
(only metadata.name, which DaemonSet pods use to pin themselves) are ANDed; a term
with neither matches nothing. Operators: In, NotIn, Exists, DoesNotExist, Gt, Lt (Gt
and Lt compare the label as an integer).
"""
from __future__ import annotations

from minikctl.api import selectors

NAME_FIELD = "metadata.name"
_OPERATORS = {"In": selectors.IN, "NotIn": selectors.NOT_IN, "Exists": selectors.EXISTS,
              "DoesNotExist": selectors.DOES_NOT_EXIST, "Gt": selectors.GREATER_THAN, "Lt": selectors.LESS_THAN}


class Term:
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
                if expr.get("key") != NAME_FIELD:
                    raise ValueError(f"not a supported field selector key: {expr.get('key')}")
                req = _requirement(expr, validate=False)
                if req.operator not in (selectors.IN, selectors.NOT_IN) or len(req.values) != 1:
                    raise ValueError("metadata.name takes In or NotIn with exactly one value")
                self.fields.append(req)
        except ValueError:
            self.valid = False
        self.empty = not self.labels and not self.fields

    def matches(self, name: str, labels: dict) -> bool:
        if not self.valid or self.empty:
            return False
        if not all(r.matches(labels) for r in self.labels):
            return False
        return all(r.matches({NAME_FIELD: name}) for r in self.fields)


def _requirement(expr: dict, *, validate: bool = True) -> selectors.Requirement:
    op = _OPERATORS.get(str(expr.get("operator")))
    if op is None:
        raise ValueError(f"{expr.get('operator')!r} is not a valid node selector operator")
    values = [str(v) for v in expr.get("values") or []]
    if validate:
        return selectors.new_requirement(str(expr.get("key") or ""), op, values)
    return selectors.Requirement(str(expr.get("key") or ""), op, tuple(values))


class RequiredAffinity:
    """nodeSelector AND (any required term), for one pod spec."""

    def __init__(self, spec: dict) -> None:
        self.node_selector = {str(k): str(v) for k, v in (spec.get("nodeSelector") or {}).items()}
        required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution")
        self.terms = None if required is None else [Term(t) for t in required.get("nodeSelectorTerms") or []]

    def matches(self, name: str, labels: dict) -> bool:
        if any(labels.get(k) != v for k, v in self.node_selector.items()):
            return False
        return self.terms is None or any(t.matches(name, labels) for t in self.terms)
