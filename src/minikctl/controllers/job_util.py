"""Pure helpers of the Job controller (pkg/controller/job: job_controller.go's small
functions, indexed_job_utils.go and backoff_utils.go): which pods count as what, the
completion index of a pod, the interval strings of status.completedIndexes, the
retry delay after failures, and the conditions a Job carries.
"""
from __future__ import annotations

import datetime as _dt

from minikctl.api import meta
from minikctl.controllers import pods
from minikctl.controllers.base import rfc3339

COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
COMPLETION_INDEX_ENV = "JOB_COMPLETION_INDEX"
# The job controller's default and maximum pod-creation back-off after failures.
DEFAULT_BACKOFF = 10.0
MAX_BACKOFF = 360.0

COMPLETE, FAILED, SUSPENDED = "Complete", "Failed", "Suspended"
SUCCESS_CRITERIA_MET, FAILURE_TARGET = "SuccessCriteriaMet", "FailureTarget"
COMPLETIONS_REACHED = ("CompletionsReached", "Reached expected number of succeeded pods")
BACKOFF_LIMIT_EXCEEDED = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE_EXCEEDED = ("DeadlineExceeded", "Job was active longer than specified deadline")


def phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def is_terminal(pod: dict) -> bool:
    return phase(pod) in ("Succeeded", "Failed")


def is_terminating(pod: dict) -> bool:
    """Being deleted but not finished: neither active nor counted yet."""
    return bool(pod["metadata"].get("deletionTimestamp")) and not is_terminal(pod)


# -- conditions ------------------------------------------------------------------------------

def condition(job: dict, type_: str) -> dict | None:
    return next((c for c in (job.get("status") or {}).get("conditions") or [] if c.get("type") == type_), None)


def has_true(job: dict, type_: str) -> bool:
    cond = condition(job, type_)
    return cond is not None and cond.get("status") == "True"


def is_finished(job: dict) -> bool:
    """IsJobFinished: a Complete or Failed condition that is True."""
    return has_true(job, COMPLETE) or has_true(job, FAILED)


def new_condition(type_: str, status: str, reason: str, message: str, now: _dt.datetime) -> dict:
    stamp = rfc3339(now)
    return {"type": type_, "status": status, "lastProbeTime": stamp, "lastTransitionTime": stamp,
            "reason": reason, "message": message}


def set_condition(conditions: list[dict], cond: dict) -> list[dict]:
    """Replace the condition of the same type if its status, reason or message changed
    (lastTransitionTime moves only when the status does); append it otherwise."""
    out, found = [], False
    for c in conditions:
        if c.get("type") != cond["type"]:
            out.append(c)
            continue
        found = True
        if (c.get("status"), c.get("reason"), c.get("message")) == (cond["status"], cond["reason"], cond["message"]):
            out.append(c)
        else:
            new = dict(cond)
            if c.get("status") == cond["status"]:
                new["lastTransitionTime"] = c.get("lastTransitionTime", cond["lastTransitionTime"])
            out.append(new)
    return out if found else out + [cond]


# -- completion indexes ------------------------------------------------------------------------

def completion_index(pod: dict) -> int | None:
    """The pod's index from its annotation (or label), None when missing or malformed."""
    md = pod.get("metadata") or {}
    value = (md.get("annotations") or {}).get(COMPLETION_INDEX) or (md.get("labels") or {}).get(COMPLETION_INDEX)
    if value is None or not str(value).isdigit():
        return None
    return int(value)


def parse_indexes(text: str | None, completions: int) -> set[int]:
    """status.completedIndexes ("1,3-5,7") as a set, ignoring what is out of range."""
    found: set[int] = set()
    for part in (text or "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        try:
            lo, hi = int(first), int(last or first)
        except ValueError:
            continue
        found.update(i for i in range(lo, hi + 1) if 0 <= i < completions)
    return found


def format_indexes(indexes: set[int]) -> str:
    """orderedIntervals.String(): runs of 3+ as "a-b", a pair as "a,b"."""
    parts: list[str] = []
    ordered = sorted(indexes)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        first, last = ordered[i], ordered[j]
        parts.append(str(first) if first == last else f"{first}{',' if last == first + 1 else '-'}{last}")
        i = j + 1
    return ",".join(parts)


def generate_name_with_index(job_name: str, index: int) -> str:
    """podGenerateNameWithIndex: "<job>-<index>-", the job name cut to leave room."""
    suffix = f"-{index}-"
    prefix = job_name + suffix
    if len(prefix) > 58:
        prefix = job_name[:58 - len(suffix)] + suffix
    return prefix


def add_completion_index_env(template_spec: dict) -> None:
    """Every (init) container reads its index from the pod's annotation by the downward API."""
    env_var = {"name": COMPLETION_INDEX_ENV, "valueFrom": {"fieldRef": {
        "fieldPath": f"metadata.annotations['{COMPLETION_INDEX}']"}}}
    for field in ("initContainers", "containers"):
        for container in template_spec.get(field) or []:
            env = container.setdefault("env", [])
            if not any(e.get("name") == COMPLETION_INDEX_ENV for e in env):
                env.append(dict(env_var))


def success_policy_match(spec: dict, done: set[int]) -> int | None:
    """The index of the first spec.successPolicy rule the completed indexes satisfy
    (matchSuccessPolicy): all of succeededIndexes, or succeededCount of them (or of all)."""
    completions = int(spec.get("completions") or 0)
    for index, rule in enumerate((spec.get("successPolicy") or {}).get("rules") or []):
        wanted_text, count = rule.get("succeededIndexes"), rule.get("succeededCount")
        if wanted_text is not None:
            wanted = parse_indexes(wanted_text, completions)
            matched = len(wanted & done)
            if (count is None and matched == len(wanted)) or (count is not None and matched >= int(count)):
                return index
        elif count is not None and len(done) >= int(count):
            return index
    return None


# -- failures and back-off ---------------------------------------------------------------------

def finish_time(pod: dict) -> _dt.datetime | None:
    """getFinishedTime: the last container's finishedAt, else the deletion time, else the
    Ready condition's last transition."""
    status = pod.get("status") or {}
    latest = None
    for cs in status.get("containerStatuses") or []:
        finished = ((cs.get("state") or {}).get("terminated") or {}).get("finishedAt")
        when = _time(finished)
        if when is not None and (latest is None or when > latest):
            latest = when
    if latest is not None:
        return latest
    deleted = _time(pod["metadata"].get("deletionTimestamp"))
    if deleted is not None:
        return deleted
    ready = pods.ready_condition(pod)
    return _time((ready or {}).get("lastTransitionTime"))


def _time(value: str | None) -> _dt.datetime | None:
    try:
        return meta.parse_time(value) if value else None
    except ValueError:
        return None


def backoff_remaining(all_pods: list[dict], now: _dt.datetime, *, base: float = DEFAULT_BACKOFF,
                      cap: float = MAX_BACKOFF) -> float:
    """Seconds to wait before creating pods again: base * 2^(failures-1), capped, counted
    from the last failure, where failures are those since the last success (the job
    controller's backoffRecord, recomputed from the pods so a restart forgets nothing)."""
    last_success = max((t for p in all_pods if phase(p) == "Succeeded" and (t := finish_time(p))), default=None)
    failures = [finish_time(p) or now for p in all_pods if phase(p) == "Failed"]
    if last_success is not None:
        failures = [t for t in failures if t > last_success]
    if not failures:
        return 0.0
    delay = base
    for _ in range(1, len(failures)):
        delay *= 2
        if delay >= cap:
            delay = cap
            break
    elapsed = (now - max(failures)).total_seconds()
    return max(0.0, delay - elapsed)


def restarts_on_failure(job: dict, active: list[dict]) -> bool:
    """pastBackoffLimitOnFailure: with restartPolicy OnFailure, container restarts of the
    active pods count as failures against backoffLimit."""
    template_spec = ((job["spec"].get("template") or {}).get("spec") or {})
    if template_spec.get("restartPolicy") != "OnFailure":
        return False
    total = 0
    for pod in active:
        st = pod.get("status") or {}
        for cs in (st.get("initContainerStatuses") or []) + (st.get("containerStatuses") or []):
            total += int(cs.get("restartCount") or 0)
    limit = int(job["spec"].get("backoffLimit") or 0)
    return total > 0 if limit == 0 else total >= limit
