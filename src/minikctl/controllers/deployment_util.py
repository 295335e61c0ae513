"""Pure helpers of the Deployment controller (Kubernetes' deployment/util): template
hashes, revisions and their annotations, surge/unavailable arithmetic, ReplicaSet
bookkeeping, proportional scaling, and the Deployment's conditions.

Nothing here talks to the API; everything takes and returns plain dicts.
"""
from __future__ import annotations

import copy
import datetime as _dt
import json
import math

from minikctl.api import meta
from minikctl.controllers.base import rfc3339

POD_TEMPLATE_HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
# Deployment annotations never copied onto its ReplicaSets.
_SKIP_ANNOTATIONS = {"kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY,
                     DESIRED_REPLICAS, MAX_REPLICAS, "deprecated.deployment.rollback.to"}
MAX_REVISION_HISTORY_CHARS = 2000
NO_PROGRESS_DEADLINE = 2**31 - 1

# Condition types and reasons, worded as Kubernetes.
AVAILABLE, PROGRESSING, REPLICA_FAILURE = "Available", "Progressing", "ReplicaFailure"
MINIMUM_REPLICAS_AVAILABLE, MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasAvailable", "MinimumReplicasUnavailable"
REPLICASET_UPDATED, FAILED_RS_CREATE = "ReplicaSetUpdated", "ReplicaSetCreateError"
NEW_REPLICASET_CREATED, FOUND_NEW_REPLICASET = "NewReplicaSetCreated", "FoundNewReplicaSet"
NEW_REPLICASET_AVAILABLE, TIMED_OUT = "NewReplicaSetAvailable", "ProgressDeadlineExceeded"
PAUSED, RESUMED = "DeploymentPaused", "DeploymentResumed"

_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


# -- hashing --------------------------------------------------------------------------------

def safe_encode(text: str) -> str:
    """rand.SafeEncodeString: every byte mapped into an alphabet with no vowels (no
    accidental words) and no look-alikes (0/o, 1/l)."""
    return "".join(_SAFE_ALPHABET[b % len(_SAFE_ALPHABET)] for b in text.encode())


def compute_hash(template: dict, collision_count: int | None) -> str:
    """controller.ComputeHash: FNV-1a (32 bit) over the template, then the collision
    count, rendered as its decimal digits through safe_encode. Canonical JSON stands in
    for Go's DeepHashObject: same shape, not byte-identical to Kubernetes."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += int(collision_count).to_bytes(4, "little") + bytes(4)
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return safe_encode(str(h))


def _normalized(value: object) -> object:
    """Semantic equality treats nil and empty maps and lists alike."""
    if isinstance(value, dict):
        out = {k: _normalized(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    return value


def equal_ignore_hash(t1: dict, t2: dict) -> bool:
    """Two pod templates are the same if they differ only in the pod-template-hash label."""
    a, b = copy.deepcopy(t1), copy.deepcopy(t2)
    for t in (a, b):
        ((t.get("metadata") or {}).get("labels") or {}).pop(POD_TEMPLATE_HASH, None)
    return _normalized(a) == _normalized(b)


# -- numbers ---------------------------------------------------------------------------------

def replicas_of(obj: dict | None) -> int:
    if obj is None:
        return 0
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None and obj.get("kind") == "Deployment" else int(value or 0)


def status_count(rs: dict | None, field: str) -> int:
    return int(((rs or {}).get("status") or {}).get(field) or 0)


def replica_count(rss: list) -> int:
    """Sum of spec.replicas."""
    return sum(replicas_of(rs) for rs in rss if rs is not None)


def actual_replica_count(rss: list) -> int:
    return sum(status_count(rs, "replicas") for rs in rss if rs is not None)


def ready_replica_count(rss: list) -> int:
    return sum(status_count(rs, "readyReplicas") for rs in rss if rs is not None)


def available_replica_count(rss: list) -> int:
    return sum(status_count(rs, "availableReplicas") for rs in rss if rs is not None)


def scaled_value(value: object, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent: "25%" of 10 is 3 rounded up, 2 down."""
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.endswith("%"):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"invalid value for IntOrString: invalid type: string is not a percentage: {text!r}") from None
    percent = int(text[:-1])
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def is_rolling_update(d: dict) -> bool:
    return ((d["spec"].get("strategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"


def resolve_fenceposts(d: dict) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as pod counts: surge rounds up, unavailable down, and
    both zero would deadlock a rollout, so unavailable becomes 1."""
    rolling = (d["spec"].get("strategy") or {}).get("rollingUpdate") or {}
    desired = replicas_of(d)
    surge = scaled_value(rolling.get("maxSurge", "25%"), desired, True)
    unavailable = scaled_value(rolling.get("maxUnavailable", "25%"), desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: dict) -> int:
    return resolve_fenceposts(d)[0] if is_rolling_update(d) else 0


def max_unavailable(d: dict) -> int:
    if not is_rolling_update(d) or replicas_of(d) == 0:
        return 0
    return min(resolve_fenceposts(d)[1], replicas_of(d))


def new_rs_new_replicas(d: dict, all_rss: list, new_rs: dict) -> int:
    """How far the new ReplicaSet may grow now: up to replicas+maxSurge pods in total
    (rolling), or straight to replicas (recreate)."""
    if not is_rolling_update(d):
        return replicas_of(d)
    max_total = replicas_of(d) + max_surge(d)
    current = replica_count(all_rss)
    if current >= max_total:
        return replicas_of(new_rs)
    grow = min(max_total - current, replicas_of(d) - replicas_of(new_rs))
    return replicas_of(new_rs) + grow


def is_saturated(d: dict, rs: dict | None) -> bool:
    """The new ReplicaSet has every replica, all available, sized for this Deployment."""
    if rs is None:
        return False
    try:
        desired = int(((rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS)))
    except (TypeError, ValueError):
        return False
    n = replicas_of(d)
    return replicas_of(rs) == n and desired == n and status_count(rs, "availableReplicas") == n


# -- ReplicaSet bookkeeping ----------------------------------------------------------------------

def by_creation(rss: list[dict]) -> list[dict]:
    return sorted(rss, key=lambda rs: (rs["metadata"].get("creationTimestamp") or "", meta.name_of(rs)))


def filter_active(rss: list) -> list[dict]:
    return [rs for rs in rss if rs is not None and replicas_of(rs) > 0]


def revision_of(obj: dict) -> int:
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def max_revision(rss: list[dict]) -> int:
    return max((revision_of(rs) for rs in rss), default=0)


def by_revision(rss: list[dict]) -> list[dict]:
    return sorted(rss, key=lambda rs: (revision_of(rs), rs["metadata"].get("creationTimestamp") or "",
                                       meta.name_of(rs)))


def find_new_replicaset(d: dict, rs_list: list[dict]) -> dict | None:
    """The ReplicaSet whose template is the Deployment's; the oldest if (rarely) several."""
    for rs in by_creation(rs_list):
        if equal_ignore_hash(rs["spec"].get("template") or {}, d["spec"].get("template") or {}):
            return rs
    return None


def find_old_replicasets(d: dict, rs_list: list[dict]) -> tuple[list[dict], list[dict]]:
    """(old ones that still have replicas, all old ones)."""
    new = find_new_replicaset(d, rs_list)
    new_uid = new["metadata"]["uid"] if new is not None else None
    all_old = [rs for rs in rs_list if rs["metadata"].get("uid") != new_uid]
    return [rs for rs in all_old if replicas_of(rs) != 0], all_old


def find_active_or_latest(new_rs: dict | None, old_rss: list[dict]) -> dict | None:
    """The one ReplicaSet with replicas; the newest when none has any; None when several do."""
    if new_rs is None and not old_rss:
        return None
    newest_first = list(reversed(by_creation(old_rss)))
    active = filter_active(newest_first + [new_rs])
    if not active:
        return new_rs if new_rs is not None else newest_first[0]
    return active[0] if len(active) == 1 else None


# -- annotations -----------------------------------------------------------------------------------

def _annotations(obj: dict) -> dict:
    return obj["metadata"].setdefault("annotations", {})


def set_replicas_annotations(rs: dict, desired: int, max_replicas: int) -> bool:
    ann = _annotations(rs)
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(max_replicas))):
        if ann.get(key) != value:
            ann[key] = value
            changed = True
    return changed


def replicas_annotations_need_update(rs: dict, desired: int, max_replicas: int) -> bool:
    ann = (rs["metadata"].get("annotations") or {})
    return ann.get(DESIRED_REPLICAS) != str(desired) or ann.get(MAX_REPLICAS) != str(max_replicas)


def set_new_replicaset_annotations(d: dict, rs: dict, new_revision: int, exists: bool) -> bool:
    """Copy the Deployment's annotations, raise the revision to new_revision (a reused
    ReplicaSet - a rollback - keeps its old revisions in revision-history), and size
    annotations for a ReplicaSet about to be created. True if anything changed."""
    ann = _annotations(rs)
    changed = False
    for key, value in ((d["metadata"].get("annotations") or {})).items():
        if key not in _SKIP_ANNOTATIONS and ann.get(key) != value:
            ann[key] = value
            changed = True
    had_revision = REVISION in ann
    try:
        old_revision = int(ann.get(REVISION) or 0)
    except ValueError:
        return changed  # someone else's value: leave it alone
    if old_revision < new_revision:
        ann[REVISION] = str(new_revision)
        changed = True
        if had_revision:
            _append_revision_history(ann, str(old_revision))
    if not exists and set_replicas_annotations(rs, replicas_of(d), replicas_of(d) + max_surge(d)):
        changed = True
    return changed


def _append_revision_history(ann: dict, old_revision: str) -> None:
    history = [r for r in (ann.get(REVISION_HISTORY) or "").split(",") if r]
    # Drop the oldest entries until the annotation fits its size limit.
    while history and len(",".join(history + [old_revision])) > MAX_REVISION_HISTORY_CHARS:
        history.pop(0)
    ann[REVISION_HISTORY] = ",".join(history + [old_revision])


# -- proportional scaling ----------------------------------------------------------------------------

def _round_half_away(x: float) -> int:
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def replicaset_fraction(rs: dict, d: dict) -> int:
    """How many replicas rs gains (or loses) when the Deployment's size changes, in
    proportion to the Deployment size it was last scaled for (max-replicas)."""
    if replicas_of(d) == 0:
        return -replicas_of(rs)
    deployment_replicas = replicas_of(d) + max_surge(d)
    try:
        annotated = int((rs["metadata"].get("annotations") or {}).get(MAX_REPLICAS))
    except (TypeError, ValueError):
        annotated = status_count(d, "replicas")
    if annotated == 0:
        return 0
    return _round_half_away(replicas_of(rs) * deployment_replicas / annotated) - replicas_of(rs)


def proportion(rs: dict | None, d: dict, to_add: int, added: int) -> int:
    if rs is None or replicas_of(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = replicaset_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


# -- conditions and status ------------------------------------------------------------------------------

def new_condition(type_: str, status: str, reason: str, message: str, now: _dt.datetime) -> dict:
    stamp = rfc3339(now)
    return {"type": type_, "status": status, "lastUpdateTime": stamp, "lastTransitionTime": stamp,
            "reason": reason, "message": message}


def get_condition(status: dict, type_: str) -> dict | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == type_), None)


def set_condition(status: dict, cond: dict) -> None:
    """Same status and reason: keep the old one. Same status: keep its transition time."""
    current = get_condition(status, cond["type"])
    if current is not None and current.get("status") == cond["status"] and current.get("reason") == cond["reason"]:
        return
    if current is not None and current.get("status") == cond["status"]:
        cond = {**cond, "lastTransitionTime": current.get("lastTransitionTime")}
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != cond["type"]] + [cond]


def remove_condition(status: dict, type_: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != type_]


def has_progress_deadline(d: dict) -> bool:
    value = d["spec"].get("progressDeadlineSeconds")
    return value is not None and int(value) != NO_PROGRESS_DEADLINE


def deployment_complete(d: dict, status: dict) -> bool:
    n = replicas_of(d)
    return (status.get("updatedReplicas", 0) == n and status.get("replicas", 0) == n
            and status.get("availableReplicas", 0) == n
            and status.get("observedGeneration", 0) >= int(d["metadata"].get("generation") or 0))


def deployment_progressing(d: dict, new: dict) -> bool:
    """Progress: more updated, ready or available replicas, or fewer old ones, than the
    status last written."""
    old = d.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = new.get("replicas", 0) - new.get("updatedReplicas", 0)
    return (new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0) or new_old < old_old
            or new.get("readyReplicas", 0) > old.get("readyReplicas", 0)
            or new.get("availableReplicas", 0) > old.get("availableReplicas", 0))


def deployment_timed_out(d: dict, status: dict, now: _dt.datetime) -> bool:
    if not has_progress_deadline(d):
        return False
    cond = get_condition(status, PROGRESSING)
    if cond is None or cond.get("reason") == NEW_REPLICASET_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    if not cond.get("lastUpdateTime"):
        return False
    since = meta.parse_time(cond["lastUpdateTime"])
    return since + _dt.timedelta(seconds=int(d["spec"]["progressDeadlineSeconds"])) < now


def calculate_status(all_rss: list, new_rs: dict | None, d: dict, now: _dt.datetime) -> dict:
    """The Deployment's status from its ReplicaSets, with the Available condition."""
    available = available_replica_count(all_rss)
    old = d.get("status") or {}
    status: dict = {
        "observedGeneration": int(d["metadata"].get("generation") or 0),
        "replicas": actual_replica_count(all_rss),
        "updatedReplicas": actual_replica_count([new_rs]),
        "readyReplicas": ready_replica_count(all_rss),
        "availableReplicas": available,
        "unavailableReplicas": max(0, replica_count(all_rss) - available),
        "conditions": copy.deepcopy(old.get("conditions") or []),
    }
    if old.get("collisionCount") is not None:
        status["collisionCount"] = old["collisionCount"]
    if available >= replicas_of(d) - max_unavailable(d):
        set_condition(status, new_condition(AVAILABLE, "True", MINIMUM_REPLICAS_AVAILABLE,
                                            "Deployment has minimum availability.", now))
    else:
        set_condition(status, new_condition(AVAILABLE, "False", MINIMUM_REPLICAS_UNAVAILABLE,
                                            "Deployment does not have minimum availability.", now))
    return status


def omit_empty(status: dict) -> dict:
    """DeploymentStatus fields are all omitempty (collisionCount is a pointer: 0 stays)."""
    return {k: v for k, v in status.items() if v not in (0, None, [], {}) or (k == "collisionCount" and v == 0)}
