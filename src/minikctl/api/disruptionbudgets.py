"""What the disruption controller and the eviction subresource agree on about
PodDisruptionBudgets: which budgets cover a pod, and how long an evicted pod counts as
disrupted (Kubernetes' DeletionTimeout).

Stdlib only (plus api/selectors): the in-process CLI evicts through this too.
"""
from __future__ import annotations

from minikctl.api import meta, selectors

# An evicted pod is counted as disrupted (not healthy) until it is gone, for at most
# this long: a pod that was expected to go but did not is counted again afterwards.
DELETION_TIMEOUT_SECONDS = 120.0
CONDITION = "DisruptionAllowed"
SUFFICIENT_PODS, INSUFFICIENT_PODS, SYNC_FAILED = "SufficientPods", "InsufficientPods", "SyncFailed"
IF_HEALTHY_BUDGET, ALWAYS_ALLOW = "IfHealthyBudget", "AlwaysAllow"


def selector_of(pdb: dict) -> selectors.Selector:
    """policy/v1: an empty selector covers every pod of the namespace, none covers none;
    an unparsable one covers none (validation keeps those out)."""
    try:
        return selectors.from_label_selector((pdb.get("spec") or {}).get("selector"))
    except ValueError:
        return selectors.from_label_selector(None)


def covers(pdb: dict, pod: dict) -> bool:
    return (meta.namespace_of(pdb) == meta.namespace_of(pod)
            and selector_of(pdb).matches(meta.labels_of(pod)))


def budgets_for(pdbs: list[dict], pod: dict) -> list[dict]:
    """The budgets among `pdbs` whose selector matches the pod (getPodDisruptionBudgets)."""
    if not meta.labels_of(pod):
        return []  # as Kubernetes: a pod without labels is covered by no budget
    return [p for p in pdbs if covers(p, pod)]


def scaled(value: object, total: int) -> int:
    """intstr.GetScaledValueFromIntOrPercent with roundUp: an int as is, `N%` of total
    rounded up. ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"invalid value for IntOrString: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%"):
        try:
            percent = int(value[:-1])
        except ValueError:
            raise ValueError(f"invalid value for IntOrString: invalid value {value!r}") from None
        return -(-percent * total // 100)
    raise ValueError(f"invalid value for IntOrString: invalid type: string is not a percentage")
