"""Pod helpers the workload controllers share (Kubernetes' controller_utils and podutil):
which pods count, which are ready and available, which to delete first, and how a pod
is made from a template.
"""
from __future__ import annotations

import copy
import datetime as _dt
import functools
import math

from minikctl.api import meta

# Which pods to delete first on scale-down: earlier in their life first.
_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
# The API server truncates generateName to leave room for 5 random characters in 63.
_MAX_GENERATED_PREFIX = 58


def pod_key(pod: dict) -> str:
    return f"{meta.namespace_of(pod)}/{meta.name_of(pod)}"


def is_pod_active(pod: dict) -> bool:
    """Counts towards replicas: not finished and not being deleted (FilterActivePods)."""
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


def filter_active_pods(pods: list[dict]) -> list[dict]:
    return [p for p in pods if is_pod_active(p)]


def ready_condition(pod: dict) -> dict | None:
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond
    return None


def is_pod_ready(pod: dict) -> bool:
    cond = ready_condition(pod)
    return cond is not None and cond.get("status") == "True"


def _time(value: str | None) -> _dt.datetime | None:
    if not value:
        return None
    try:
        return meta.parse_time(value)
    except ValueError:
        return None


def ready_since(pod: dict) -> _dt.datetime | None:
    """When the pod last became ready (None if not ready or unknown)."""
    if not is_pod_ready(pod):
        return None
    return _time((ready_condition(pod) or {}).get("lastTransitionTime"))


def is_pod_available(pod: dict, min_ready_seconds: int, now: _dt.datetime) -> bool:
    """Ready for at least minReadySeconds (podutil.IsPodAvailable)."""
    if not is_pod_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    since = ready_since(pod)
    return since is not None and since + _dt.timedelta(seconds=min_ready_seconds) < now


# -- deletion order (ActivePodsWithRanks) ----------------------------------------------------

def _deletion_cost(pod: dict) -> int:
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(DELETION_COST)
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def _max_restarts(pod: dict) -> tuple[int, int]:
    """(highest restart count of a regular container, of a sidecar init container)."""
    status = pod.get("status") or {}
    regular = max((c.get("restartCount", 0) for c in status.get("containerStatuses") or []), default=0)
    sidecars = {c.get("name") for c in (pod.get("spec") or {}).get("initContainers") or []
                if c.get("restartPolicy") == "Always"}
    sidecar = max((c.get("restartCount", 0) for c in status.get("initContainerStatuses") or []
                   if c.get("name") in sidecars), default=0)
    return regular, sidecar


def _log_rank(when: _dt.datetime, now: _dt.datetime) -> int:
    """Kubernetes' LogarithmicScaleDown bucket: floor(log2(age in ns)), -1 if not in the past."""
    age_ns = (now - when).total_seconds() * 1e9
    return int(math.log2(age_ns)) if age_ns > 0 else -1


def _compare_times(t1: _dt.datetime | None, t2: _dt.datetime | None, a: dict, b: dict,
                   now: _dt.datetime) -> int:
    """Newer (or unset) first; times in the same log2 bucket of age tie, broken by uid,
    so scale-down does not always pick the very newest of a batch."""
    if t1 is None or t2 is None:
        return -1 if t1 is None and t2 is not None else (1 if t2 is None and t1 is not None else 0)
    diff = _log_rank(t1, now) - _log_rank(t2, now)
    if diff == 0:
        ua, ub = a["metadata"].get("uid", ""), b["metadata"].get("uid", "")
        return -1 if ua < ub else (1 if ua > ub else 0)
    return -1 if diff < 0 else 1


def _compare_for_deletion(a: tuple[dict, int], b: tuple[dict, int], now: _dt.datetime) -> int:
    """Negative when pod a should be deleted before pod b."""
    (pa, rank_a), (pb, rank_b) = a, b
    node_a, node_b = (pa.get("spec") or {}).get("nodeName") or "", (pb.get("spec") or {}).get("nodeName") or ""
    # 1. unscheduled < scheduled
    if node_a != node_b and (not node_a or not node_b):
        return -1 if not node_a else 1
    # 2. Pending < Unknown < Running
    ord_a = _PHASE_ORDINAL.get((pa.get("status") or {}).get("phase") or "", 0)
    ord_b = _PHASE_ORDINAL.get((pb.get("status") or {}).get("phase") or "", 0)
    if ord_a != ord_b:
        return -1 if ord_a < ord_b else 1
    # 3. not ready < ready
    ready_a, ready_b = is_pod_ready(pa), is_pod_ready(pb)
    if ready_a != ready_b:
        return -1 if not ready_a else 1
    # 4. lower pod-deletion-cost < higher
    cost_a, cost_b = _deletion_cost(pa), _deletion_cost(pb)
    if cost_a != cost_b:
        return -1 if cost_a < cost_b else 1
    # 5. doubled up on a node with more related pods < fewer
    if rank_a != rank_b:
        return -1 if rank_a > rank_b else 1
    # 6. ready for less time < more time
    if ready_a and ready_b:
        since_a, since_b = ready_since(pa), ready_since(pb)
        if since_a != since_b:
            return _compare_times(since_a, since_b, pa, pb, now)
    # 7. more restarts < fewer
    restarts_a, restarts_b = _max_restarts(pa), _max_restarts(pb)
    if restarts_a != restarts_b:
        return -1 if restarts_a > restarts_b else 1
    # 8. newer < older
    created_a = _time(pa["metadata"].get("creationTimestamp"))
    created_b = _time(pb["metadata"].get("creationTimestamp"))
    if created_a != created_b:
        return _compare_times(created_a, created_b, pa, pb, now)
    return 0


def sort_for_deletion(pods: list[dict], ranks: list[int], now: _dt.datetime) -> list[dict]:
    """Pods ordered so the ones to delete first come first (controller.ActivePodsWithRanks)."""
    key = functools.cmp_to_key(lambda a, b: _compare_for_deletion(a, b, now))
    return [p for p, _ in sorted(zip(pods, ranks), key=key)]


def pods_to_delete(pods: list[dict], related: list[dict], count: int, now: _dt.datetime) -> list[dict]:
    """The `count` pods to delete. A pod is ranked by how many active related pods (same
    owner's other ReplicaSets too) share its node: doubled-up pods go first."""
    if count >= len(pods):
        return list(pods)
    on_node: dict[str, int] = {}
    for pod in related:
        if is_pod_active(pod):
            node = (pod.get("spec") or {}).get("nodeName") or ""
            on_node[node] = on_node.get(node, 0) + 1
    ranks = [on_node.get((p.get("spec") or {}).get("nodeName") or "", 0) for p in pods]
    return sort_for_deletion(pods, ranks, now)[:count]


# -- making pods -------------------------------------------------------------------------------

def pod_from_template(template: dict, owner: dict, controller_ref: dict) -> dict:
    """A new pod for `owner` (GetPodFromTemplate): labels, annotations and finalizers from
    the template, name generated from the owner's, the controller reference set."""
    tmd = template.get("metadata") or {}
    prefix = (meta.name_of(owner) + "-")[:_MAX_GENERATED_PREFIX]
    md: dict = {"generateName": prefix, "namespace": meta.namespace_of(owner)}
    for field in ("labels", "annotations", "finalizers"):
        if tmd.get(field):
            md[field] = copy.deepcopy(tmd[field])
    md["ownerReferences"] = [dict(controller_ref)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": copy.deepcopy(template.get("spec") or {})}
