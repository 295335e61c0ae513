"""Toleration matching (k8s.io/api core/v1 Toleration.ToleratesTaint), shared by the
TaintToleration and NodeUnschedulable plugins."""
from __future__ import annotations


def tolerates(toleration: dict, taint: dict) -> bool:
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True  # an empty key with Exists tolerates every taint
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def tolerated(taint: dict, tolerations: list) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


def first_untolerated(node_taints: list, tolerations: list, effects: tuple[str, ...]) -> dict | None:
    for taint in node_taints:
        if taint.get("effect") in effects and not tolerated(taint, tolerations):
            return taint
    return None
