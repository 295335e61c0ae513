"""The DefaultTolerationSeconds admission plugin, and the one toleration matcher the
scheduler, the DaemonSet and taint eviction controllers and drain share.

Every new pod that does not already tolerate them gets

    - {key: node.kubernetes.io/not-ready,   operator: Exists, effect: NoExecute, tolerationSeconds: 300}
    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 300}

so that when its node stops reporting, it stays bound for five minutes before it is
evicted (the API server's --default-not-ready-toleration-seconds and
--default-unreachable-toleration-seconds; the daemon takes the same flags).
"""
from __future__ import annotations

NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
DEFAULT_SECONDS = 300


def add_default_tolerations(pod: dict, not_ready_seconds: int = DEFAULT_SECONDS,
                            unreachable_seconds: int = DEFAULT_SECONDS) -> None:
    """On pod create, in place, as plugin/pkg/admission/defaulttolerationseconds does."""
    spec = pod.get("spec")
    if not isinstance(spec, dict):
        return
    tolerations = spec.get("tolerations") or []
    for key, seconds in ((NOT_READY, not_ready_seconds), (UNREACHABLE, unreachable_seconds)):
        covered = any(isinstance(t, dict) and t.get("key", "") in (key, "") and t.get("effect", "") in ("NoExecute", "")
                      for t in tolerations)
        if not covered:
            tolerations = [*tolerations, {"key": key, "operator": "Exists", "effect": "NoExecute",
                                          "tolerationSeconds": int(seconds)}]
    spec["tolerations"] = tolerations


def tolerates(toleration: dict, taint: dict) -> bool:
    """Toleration.ToleratesTaint: same effect (or any), same key (or any), and under
    Equal (the default) the same value; an empty key with Exists tolerates every taint."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Exists":
        return True
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def matching(tolerations: list[dict], taint: dict) -> list[dict]:
    return [t for t in tolerations if isinstance(t, dict) and tolerates(t, taint)]


def tolerated(taint: dict, tolerations: list) -> bool:
    return any(isinstance(t, dict) and tolerates(t, taint) for t in tolerations)


def first_untolerated(node_taints: list, tolerations: list, effects: tuple[str, ...]) -> dict | None:
    """The first of a node's taints with one of these effects that nothing tolerates."""
    for taint in node_taints:
        if taint.get("effect") in effects and not tolerated(taint, tolerations):
            return taint
    return None
