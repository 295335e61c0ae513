"""The pod status Kubernetes' kubelet would report, computed from what this node knows
(records.PodRecord) and the pod: pure functions, no I/O.

Phase follows the kubelet's getPhase (restartPolicy decides whether all-exited means
Running, Succeeded or Failed); the Initialized, ContainersReady and Ready conditions
follow pkg/kubelet/status's generators, with their reasons and messages; a condition
keeps its lastTransitionTime while its status does not change; conditions the kubelet
does not own (PodScheduled, DisruptionTarget...) are kept as they were.
"""
from __future__ import annotations

import datetime as _dt

from minikctl.kubelet.records import ContainerRecord, PodRecord, Run

KUBELET_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady")
TERMINAL = ("Succeeded", "Failed")


def rfc3339(ts: float | None) -> str | None:
    if ts is None:
        return None
    return _dt.datetime.fromtimestamp(ts, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- container statuses --------------------------------------------------------------

def terminated_state(run: Run) -> dict:
    ex = run.exit
    assert ex is not None
    state = {"exitCode": ex.exit_code, "reason": ex.reason}
    if ex.message:
        state["message"] = ex.message
    state["startedAt"] = rfc3339(run.started_at)
    state["finishedAt"] = rfc3339(ex.finished_at)
    if run.container_id:
        state["containerID"] = run.container_id
    return state


def container_status(spec: dict, c: ContainerRecord | None, default_reason: str, default_message: str = "") -> dict:
    """One entry of containerStatuses / initContainerStatuses."""
    if c is None:
        c = ContainerRecord(name=spec["name"])
    state: dict
    last: dict = {}
    if c.waiting is not None:
        reason, message = c.waiting
        state = {"waiting": {"reason": reason, **({"message": message} if message else {})}}
        if c.terminated:
            last = {"terminated": terminated_state(c.run)}  # type: ignore[arg-type]
        elif c.previous is not None and c.previous.exit is not None:
            last = {"terminated": terminated_state(c.previous)}
    elif c.running:
        state = {"running": {"startedAt": rfc3339(c.run.started_at)}}  # type: ignore[union-attr]
        last = _previous(c)
    elif c.terminated:
        state = {"terminated": terminated_state(c.run)}  # type: ignore[arg-type]
        last = _previous(c)
    else:
        state = {"waiting": {"reason": default_reason, **({"message": default_message} if default_message else {})}}
    if c.init and spec.get("restartPolicy") != "Always":
        ready = bool(c.terminated and c.waiting is None and c.run.exit.exit_code == 0)  # type: ignore[union-attr]
    else:
        ready = bool(c.running and c.ready)
    status = {
        "name": spec["name"], "state": state, "lastState": last,
        "ready": ready, "restartCount": c.restart_count,
        "image": spec.get("image", ""), "imageID": c.image_id,
    }
    if c.run is not None and c.run.container_id:
        status["containerID"] = c.run.container_id
    status["started"] = bool(c.running and c.started)
    return status


def _previous(c: ContainerRecord) -> dict:
    if c.previous is not None and c.previous.exit is not None:
        return {"terminated": terminated_state(c.previous)}
    return {}


def container_statuses(pod: dict, rec: PodRecord) -> tuple[list[dict], list[dict]]:
    spec = pod.get("spec") or {}
    inits = spec.get("initContainers") or []
    default = "PodInitializing" if inits else "ContainerCreating"
    msg = rec.volume_error  # why the pod is stuck creating, where Kubernetes shows it only as an event
    init_statuses = [container_status(s, rec.inits.get(s["name"]), default, msg) for s in inits]
    statuses = [container_status(s, rec.containers.get(s["name"]), default, msg) for s in spec.get("containers") or []]
    return init_statuses, statuses


# -- phase ---------------------------------------------------------------------------

def _state(cs: dict) -> tuple[str, dict]:
    (kind, body), = (cs.get("state") or {"waiting": {}}).items()
    return kind, body


def phase(spec: dict, init_statuses: list[dict], statuses: list[dict], pod_is_terminal: bool = False) -> str:
    """getPhase from pkg/kubelet/kubelet_pods.go (restartable init containers aside)."""
    policy = spec.get("restartPolicy") or "Always"
    pending_init = failed_init = 0
    by_name = {s["name"]: s for s in init_statuses}
    for c in spec.get("initContainers") or []:
        if c.get("restartPolicy") == "Always":
            continue  # sidecars do not gate the phase
        cs = by_name.get(c["name"])
        if cs is None:
            pending_init += 1
            continue
        kind, body = _state(cs)
        last = (cs.get("lastState") or {}).get("terminated")
        if kind == "terminated":
            failed_init += body.get("exitCode", 0) != 0
        elif kind == "waiting" and last is not None:
            failed_init += last.get("exitCode", 0) != 0
        else:
            pending_init += 1
    running = waiting = stopped = succeeded = unknown = 0
    by_name = {s["name"]: s for s in statuses}
    for c in spec.get("containers") or []:
        cs = by_name.get(c["name"])
        if cs is None:
            unknown += 1
            continue
        kind, body = _state(cs)
        if kind == "running":
            running += 1
        elif kind == "terminated":
            stopped += 1
            succeeded += body.get("exitCode", 0) == 0
        elif (cs.get("lastState") or {}).get("terminated") is not None:
            stopped += 1
        else:
            waiting += 1
    if failed_init and policy == "Never":
        return "Failed"
    if (pending_init and not _any_regular_started(statuses)) or waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if pod_is_terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"  # all of them are on their way back
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if policy == "Never" else "Running"
    return "Pending"


def _any_regular_started(statuses: list[dict]) -> bool:
    for cs in statuses:
        kind, _ = _state(cs)
        if kind != "waiting" or (cs.get("lastState") or {}).get("terminated") is not None:
            return True
    return False


# -- conditions ----------------------------------------------------------------------

def _names(names: list[str]) -> str:
    return "[" + " ".join(names) + "]"  # Go's %s of a []string


def initialized(spec: dict, init_statuses: list[dict], statuses: list[dict], pod_phase: str) -> dict:
    inits = [c for c in spec.get("initContainers") or []]
    by_name = {s["name"]: s for s in init_statuses}
    unknown = [c["name"] for c in inits if c["name"] not in by_name]
    incomplete = []
    for c in inits:
        cs = by_name.get(c["name"])
        if cs is None:
            continue
        kind, body = _state(cs)
        if c.get("restartPolicy") == "Always":
            if not cs.get("started"):
                incomplete.append(c["name"])
        elif kind != "terminated" or body.get("exitCode", 0) != 0:
            incomplete.append(c["name"])
    if pod_phase == "Succeeded" and not unknown:
        return {"type": "Initialized", "status": "True", "reason": "PodCompleted"}
    if _any_regular_started(statuses):
        return {"type": "Initialized", "status": "True"}
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {_names(unknown)}")
    if incomplete:
        messages.append(f"containers with incomplete status: {_names(incomplete)}")
    if messages:
        return {"type": "Initialized", "status": "False", "reason": "ContainersNotInitialized",
                "message": ", ".join(messages)}
    return {"type": "Initialized", "status": "True"}


def containers_ready(spec: dict, statuses: list[dict], pod_phase: str) -> dict:
    by_name = {s["name"]: s for s in statuses}
    unknown = [c["name"] for c in spec.get("containers") or [] if c["name"] not in by_name]
    unready = [c["name"] for c in spec.get("containers") or []
               if c["name"] in by_name and not by_name[c["name"]].get("ready")]
    if pod_phase == "Succeeded" and not unknown:
        return {"type": "ContainersReady", "status": "False", "reason": "PodCompleted"}
    if pod_phase == "Failed":
        return {"type": "ContainersReady", "status": "False", "reason": "PodFailed"}
    messages = []
    if unknown:
        messages.append(f"containers with unknown status: {_names(unknown)}")
    if unready:
        messages.append(f"containers with unready status: {_names(unready)}")
    if messages:
        return {"type": "ContainersReady", "status": "False", "reason": "ContainersNotReady",
                "message": ", ".join(messages)}
    return {"type": "ContainersReady", "status": "True"}


def ready(spec: dict, containers_ready_cond: dict, conditions: list[dict]) -> dict:
    if containers_ready_cond["status"] != "True":
        return {**containers_ready_cond, "type": "Ready"}
    by_type = {c.get("type"): c for c in conditions}
    for gate in spec.get("readinessGates") or []:
        ctype = gate.get("conditionType")
        cond = by_type.get(ctype)
        if cond is None:
            return {"type": "Ready", "status": "False", "reason": "ReadinessGatesNotReady",
                    "message": f'corresponding condition of pod readiness gate "{ctype}" does not exist.'}
        if cond.get("status") != "True":
            return {"type": "Ready", "status": "False", "reason": "ReadinessGatesNotReady",
                    "message": f'the status of pod readiness gate "{ctype}" is not "True", but {cond.get("status")}'}
    return {"type": "Ready", "status": "True"}


def merge_conditions(old: list[dict], owned: list[dict], now: str) -> list[dict]:
    """Owned conditions in the kubelet's order, then the others as they were; a
    condition keeps its lastTransitionTime while its status stays the same."""
    before = {c.get("type"): c for c in old}
    merged = []
    for cond in owned:
        prev = before.get(cond["type"])
        keep = prev is not None and prev.get("status") == cond["status"]
        merged.append({"type": cond["type"], "status": cond["status"], "lastProbeTime": None,
                       "lastTransitionTime": prev.get("lastTransitionTime") if keep else now,
                       **{k: cond[k] for k in ("reason", "message") if cond.get(k)}})
    owned_types = {c["type"] for c in owned}
    merged.extend(c for c in old if c.get("type") not in owned_types)
    return merged


# -- the whole status ----------------------------------------------------------------

def pod_status(pod: dict, rec: PodRecord, *, host_ip: str, now: float) -> dict:
    """The status to write for pod, given this node's record of it."""
    spec = pod.get("spec") or {}
    old = pod.get("status") or {}
    init_statuses, statuses = container_statuses(pod, rec)
    pod_phase = old.get("phase") if old.get("phase") in TERMINAL else \
        (rec.terminal or phase(spec, init_statuses, statuses, rec.torn_down))
    cr = containers_ready(spec, statuses, pod_phase)
    owned = [
        {"type": "PodReadyToStartContainers",
         "status": "True" if rec.sandbox is not None and not rec.torn_down else "False"},
        initialized(spec, init_statuses, statuses, pod_phase),
        ready(spec, cr, old.get("conditions") or []),
        cr,
    ]
    new = {k: v for k, v in old.items() if k not in (
        "phase", "conditions", "containerStatuses", "initContainerStatuses",
        "podIP", "podIPs", "hostIP", "hostIPs", "startTime")}
    new["phase"] = pod_phase
    new["conditions"] = merge_conditions(old.get("conditions") or [], owned, rfc3339(now) or "")
    new["hostIP"], new["hostIPs"] = host_ip, [{"ip": host_ip}]
    ip = rec.ip or old.get("podIP")
    if ip:
        new["podIP"], new["podIPs"] = ip, [{"ip": ip}]
    start = rfc3339(rec.start_time) if rec.start_time is not None else old.get("startTime")
    if start:
        new["startTime"] = start
    if init_statuses:
        new["initContainerStatuses"] = init_statuses
    new["containerStatuses"] = statuses
    return new
