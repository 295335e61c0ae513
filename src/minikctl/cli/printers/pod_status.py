"""A Pod's READY, STATUS and RESTARTS cells, worked out as kubectl's printPod does.

STATUS is the most telling cell of `kubectl get pods`, and the rules behind it are
subtle: the phase, overridden by the pod's reason, then by the first init container
that has not finished (`Init:0/2`, `Init:CrashLoopBackOff`), then by the last
container that is waiting or terminated (`CrashLoopBackOff`, `Completed`,
`ExitCode:137`), and finally `Terminating` for a pod being deleted. Sidecars
(init containers with restartPolicy Always) count as containers once started.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from minikctl.cli.printers import age


class PodSummary:
    __slots__ = ("ready", "status", "restarts")

    def __init__(self, ready: str, status: str, restarts: str) -> None:
        self.ready, self.status, self.restarts = ready, status, restarts


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


class _Tally:
    """What the walk over container statuses accumulates."""

    __slots__ = ("reason", "ready", "restarts", "last_restart", "sidecar_restarts", "last_sidecar_restart")

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.ready = self.restarts = self.sidecar_restarts = 0
        self.last_restart: datetime | None = None
        self.last_sidecar_restart: datetime | None = None


def _true_condition(conditions: list, kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)


def _terminated_reason(term: dict, prefix: str = "") -> str:
    if term.get("reason"):
        return prefix + term["reason"]
    if term.get("signal"):
        return f"{prefix}Signal:{term['signal']}"
    return f"{prefix}ExitCode:{term.get('exitCode', 0)}"


def _last_finish(status: dict, last: datetime | None) -> datetime | None:
    finished = age.parse_time(((status.get("lastState") or {}).get("terminated") or {}).get("finishedAt"))
    if finished is not None and (last is None or finished > last):
        return finished
    return last


def _walk_init(tally: _Tally, statuses: list[dict], count: int, sidecars: set) -> bool:
    """Init containers in order; True while one of them has not finished."""
    for i, cs in enumerate(statuses):
        restarts = _int(cs.get("restartCount"))
        tally.restarts += restarts
        tally.last_restart = _last_finish(cs, tally.last_restart)
        is_sidecar = cs.get("name") in sidecars
        if is_sidecar:
            tally.sidecar_restarts += restarts
            tally.last_sidecar_restart = _last_finish(cs, tally.last_sidecar_restart)
        state = cs.get("state") or {}
        term, waiting = state.get("terminated"), state.get("waiting")
        if term is not None and _int(term.get("exitCode")) == 0:
            continue
        if is_sidecar and cs.get("started"):
            tally.ready += 1 if cs.get("ready") else 0
            continue
        if term is not None:
            tally.reason = _terminated_reason(term, "Init:")
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            tally.reason = "Init:" + waiting["reason"]
        else:
            tally.reason = f"Init:{i}/{count}"
        return True
    return False


def _walk_containers(tally: _Tally, statuses: list[dict], conditions: list) -> None:
    """App containers, last first: the first one's state wins, as in kubectl."""
    tally.restarts, tally.last_restart = tally.sidecar_restarts, tally.last_sidecar_restart
    has_running, error_reason = False, ""
    for cs in reversed(statuses):
        tally.restarts += _int(cs.get("restartCount"))
        tally.last_restart = _last_finish(cs, tally.last_restart)
        state = cs.get("state") or {}
        waiting, term = state.get("waiting"), state.get("terminated")
        if waiting is not None and waiting.get("reason"):
            tally.reason = waiting["reason"]
        elif term is not None:
            tally.reason = _terminated_reason(term)
            if _int(term.get("exitCode")) != 0:
                error_reason = tally.reason
        elif cs.get("ready") and state.get("running") is not None:
            has_running = True
            tally.ready += 1
    # A pod whose last container completed while another still runs is not Completed.
    if tally.reason == "Completed":
        if has_running and _true_condition(conditions, "Ready"):
            tally.reason = "Running"
        elif error_reason:
            tally.reason = error_reason
        elif has_running:
            tally.reason = "NotReady"


def summarize(pod: dict, now: datetime) -> PodSummary:
    """READY, STATUS and RESTARTS of one pod."""
    spec, status, meta = pod.get("spec") or {}, pod.get("status") or {}, pod.get("metadata") or {}
    conditions = status.get("conditions") or []
    phase = status.get("phase") or "Pending"  # a pod nobody has scheduled yet
    tally = _Tally(status.get("reason") or phase)
    for c in conditions:
        if c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated":
            tally.reason = "SchedulingGated"

    init_specs = spec.get("initContainers") or []
    sidecars = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    initializing = _walk_init(tally, status.get("initContainerStatuses") or [], len(init_specs), sidecars)
    if not initializing or _true_condition(conditions, "Initialized"):
        _walk_containers(tally, status.get("containerStatuses") or [], conditions)

    if meta.get("deletionTimestamp"):
        if status.get("reason") == "NodeLost":
            tally.reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            tally.reason = "Terminating"

    restarts = str(tally.restarts)
    if tally.restarts and tally.last_restart is not None:
        restarts += f" ({age.human_duration((now - tally.last_restart).total_seconds())} ago)"
    return PodSummary(f"{tally.ready}/{total}", tally.reason, restarts)
