"""The DaemonSet's rollout arithmetic and status, after pkg/controller/daemon/update.go
and the status part of daemon_controller.go. Pure functions over plain dicts.

A pod is updated when its controller-revision-hash label is the current template's.
Without surge (the default) an old pod is deleted first and its node gets the new pod
once the old one is gone, at most maxUnavailable nodes at a time (an old pod that is
not available anyway is replaced at once). With maxSurge the new pod starts next to
the old one, and the old one is deleted once the new one is available.
"""
from __future__ import annotations

import datetime as _dt

from minikctl.api import meta
from minikctl.controllers import daemonset_nodes as dn
from minikctl.controllers import pods
from minikctl.controllers.deployment_util import scaled_value
from minikctl.controllers.history import HASH_LABEL


def is_rolling_update(ds: dict) -> bool:
    return ((ds["spec"].get("updateStrategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"


def is_updated(pod: dict, hash_: str) -> bool:
    return bool(hash_) and meta.labels_of(pod).get(HASH_LABEL) == hash_


def _min_ready(ds: dict) -> int:
    return int(ds["spec"].get("minReadySeconds") or 0)


def _template_spec(ds: dict) -> dict:
    return (ds["spec"].get("template") or {}).get("spec") or {}


def by_creation_and_phase(daemon_pods: list[dict]) -> list[dict]:
    """podByCreationTimestampAndPhase: scheduled pods first, then oldest, then by name."""
    return sorted(daemon_pods, key=lambda p: (not (p.get("spec") or {}).get("nodeName"),
                                              p["metadata"].get("creationTimestamp") or "", meta.name_of(p)))


def allows_surge(ds: dict) -> bool:
    rolling = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
    return is_rolling_update(ds) and scaled_value(rolling.get("maxSurge", 0), 1, True) != 0


def extra_pods(ds: dict, running: list[dict], hash_: str, now: _dt.datetime) -> list[dict]:
    """podsShouldBeOnNode's duplicates: without surge keep only the oldest pod; with surge
    keep the oldest new and the oldest old pod, and the old one only while it is ready
    and the new one is not yet available."""
    ordered = by_creation_and_phase(running)
    if not allows_surge(ds):
        return ordered[1:]
    oldest_new = oldest_old = None
    extra = []
    for pod in ordered:
        if is_updated(pod, hash_):
            if oldest_new is None:
                oldest_new = pod
                continue
        elif oldest_old is None:
            oldest_old = pod
            continue
        extra.append(pod)
    if oldest_new is not None and oldest_old is not None:
        if not pods.is_pod_ready(oldest_old) or pods.is_pod_available(oldest_new, _min_ready(ds), now):
            extra.append(oldest_old)
    return extra


def fenceposts(ds: dict, desired: int) -> tuple[int, int]:
    """updatedDesiredNodeCounts: (maxSurge, maxUnavailable) in nodes, rounded up; both
    zero would stall the rollout, so unavailable becomes 1."""
    rolling = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
    unavailable = scaled_value(rolling.get("maxUnavailable", 1), desired, True)
    surge = scaled_value(rolling.get("maxSurge", 0), desired, True)
    if desired > 0 and unavailable == 0 and surge == 0:
        unavailable = 1
    return surge, unavailable


def _new_and_old(on_node: list[dict], hash_: str) -> tuple[dict | None, dict | None, bool]:
    """findUpdatedPodsOnNode: the node's new and old pod (not being deleted); False when
    there are two of either (the manage loop cleans that up first)."""
    new = old = None
    for pod in on_node:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if is_updated(pod, hash_):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


def rolling_update_plan(ds: dict, nodes: list[dict], node_pods: dict[str, list[dict]], hash_: str,
                        now: _dt.datetime) -> tuple[list[dict], list[str]]:
    """rollingUpdate: (old pods to delete, nodes to create a new pod on)."""
    spec = _template_spec(ds)
    by_node = {name: list(ps) for name, ps in node_pods.items()}
    node_objects = {meta.name_of(n): n for n in nodes}
    desired = 0
    for node in nodes:
        if dn.should_run(spec, node)[0]:
            desired += 1
            by_node.setdefault(meta.name_of(node), [])
    max_surge, max_unavailable = fenceposts(ds, desired)
    min_ready = _min_ready(ds)
    if max_surge == 0:
        return _without_surge(by_node, hash_, max_unavailable, min_ready, now), []
    return _with_surge(spec, by_node, node_objects, hash_, max_surge, min_ready, now)


def _without_surge(by_node: dict[str, list[dict]], hash_: str, max_unavailable: int, min_ready: int,
                   now: _dt.datetime) -> list[dict]:
    unavailable = 0
    replace_now: list[dict] = []
    candidates: list[dict] = []
    for name in sorted(by_node):
        new, old, ok = _new_and_old(by_node[name], hash_)
        if not ok or (new is None) == (old is None):
            unavailable += 1  # the manage loop creates or deletes here first
        elif new is not None:
            if not pods.is_pod_available(new, min_ready, now):
                unavailable += 1
        elif old is not None:
            if not pods.is_pod_available(old, min_ready, now):
                replace_now.append(old)
            elif unavailable < max_unavailable:
                candidates.append(old)
    remaining = max(max_unavailable - unavailable, 0)
    return replace_now + candidates[:remaining]


def _with_surge(spec: dict, by_node: dict[str, list[dict]], node_objects: dict[str, dict], hash_: str,
                max_surge: int, min_ready: int, now: _dt.datetime) -> tuple[list[dict], list[str]]:
    surging = 0
    to_delete: list[dict] = []
    allowed: list[str] = []
    candidates: list[str] = []
    for name in sorted(by_node):
        new, old, ok = _new_and_old(by_node[name], hash_)
        if not ok:
            surging += 1
            continue
        if old is None:
            continue  # nothing old here: the manage loop creates what is missing
        if new is None:
            if not pods.is_pod_available(old, min_ready, now):
                node = node_objects.get(name)
                if node is None or not dn.should_run(spec, node)[0]:
                    to_delete.append(old)
                    continue
                allowed.append(name)
            elif surging < max_surge:
                candidates.append(name)
            continue
        if not pods.is_pod_available(new, min_ready, now):
            surging += 1
            continue
        to_delete.append(old)  # the new pod is available: the old one may go
    remaining = min(max(max_surge - surging, 0), len(candidates))
    return to_delete, allowed + candidates[:remaining]


def calculate_status(ds: dict, nodes: list[dict], node_pods: dict[str, list[dict]], hash_: str,
                     now: _dt.datetime) -> dict:
    """updateDaemonSetStatus: counted over nodes; a node's oldest pod speaks for it."""
    spec, min_ready = _template_spec(ds), _min_ready(ds)
    desired = current = misscheduled = ready = available = updated = 0
    for node in nodes:
        run, _ = dn.should_run(spec, node)
        on_node = node_pods.get(meta.name_of(node)) or []
        if not run:
            misscheduled += bool(on_node)
            continue
        desired += 1
        if not on_node:
            continue
        current += 1
        pod = by_creation_and_phase(on_node)[0]
        if pods.is_pod_ready(pod):
            ready += 1
            if pods.is_pod_available(pod, min_ready, now):
                available += 1
        if is_updated(pod, hash_):
            updated += 1
    return {"desiredNumberScheduled": desired, "currentNumberScheduled": current,
            "numberMisscheduled": misscheduled, "numberReady": ready, "numberAvailable": available,
            "updatedNumberScheduled": updated, "numberUnavailable": desired - available}
