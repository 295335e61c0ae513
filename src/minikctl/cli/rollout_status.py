"""The rollout status of a Deployment, DaemonSet or StatefulSet, in kubectl's words
(polymorphichelpers/rollout_status.go): a message, whether the rollout is done, or an
error (the progress deadline passed, a pinned revision was rolled over).

Each viewer reads only the object's own spec and status, as kubectl does; the
Deployment viewer also looks at its pods to append what holds the rollout up
(`(Warning: CrashLoopBackOff - back-off 10s restarting failed container)`).
"""
from __future__ import annotations

from typing import Any, Callable

from minikctl import errors

REVISION_ANNOTATION = "deployment.kubernetes.io/revision"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
_STUCK_REASONS = ("ImagePullBackOff", "ErrImagePull", "CrashLoopBackOff", "CreateContainerConfigError",
                  "CreateContainerError")

Viewer = Callable[[dict, int], "tuple[str, bool]"]


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def revision_of(obj: dict) -> int:
    """deploymentutil.Revision: the revision annotation, 0 when absent."""
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANNOTATION)
    if value is None:
        return 0
    try:
        return int(value)
    except ValueError:
        raise errors.MinikctlError(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None


def deployment_status(client: Any) -> Viewer:
    def view(d: dict, revision: int) -> tuple[str, bool]:
        name = d["metadata"]["name"]
        spec, st = d.get("spec") or {}, d.get("status") or {}
        if revision > 0:
            running = revision_of(d)
            if revision != running:
                raise errors.MinikctlError(f"desired revision ({revision}) is different from the running revision "
                                           f"({running})")
        if _int(d["metadata"].get("generation")) > _int(st.get("observedGeneration")):
            return _warn(client, d, "Waiting for deployment spec update to be observed...\n"), False
        progressing = next((c for c in st.get("conditions") or [] if c.get("type") == "Progressing"), None)
        if progressing is not None and progressing.get("reason") == TIMED_OUT_REASON:
            raise errors.MinikctlError(f'deployment "{name}" exceeded its progress deadline')
        replicas, updated = _int(spec.get("replicas"), 1), _int(st.get("updatedReplicas"))
        total, available = _int(st.get("replicas")), _int(st.get("availableReplicas"))
        if updated < replicas:
            return _warn(client, d, f'Waiting for deployment "{name}" rollout to finish: {updated} out of {replicas} '
                                    "new replicas have been updated...\n"), False
        if total > updated:
            return _warn(client, d, f'Waiting for deployment "{name}" rollout to finish: {total - updated} old '
                                    "replicas are pending termination...\n"), False
        if available < updated:
            return _warn(client, d, f'Waiting for deployment "{name}" rollout to finish: {available} of {updated} '
                                    "updated replicas are available...\n"), False
        return f'deployment "{name}" successfully rolled out\n', True

    return view


def _warn(client: Any, d: dict, message: str) -> str:
    """appendWarning: name the first pod problem that keeps the rollout from progressing."""
    from minikctl.api import kinds, selectors

    try:
        selector = selectors.from_label_selector((d.get("spec") or {}).get("selector")).to_string()
        pods, _ = client.list(kinds.by_kind("Pod"), d["metadata"].get("namespace"), label_selector=selector or None)
    except (ValueError, errors.MinikctlError):
        return message
    for pod in pods:
        st = pod.get("status") or {}
        for c in st.get("conditions") or []:
            if c.get("type") == "PodScheduled" and c.get("status") == "False" and c.get("reason") == "Unschedulable":
                return f"{message.strip()} (Warning: {c.get('message', '')})\n"
        for cs in st.get("containerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting")
            if waiting is not None and waiting.get("reason") in _STUCK_REASONS:
                return f"{message.strip()} (Warning: {waiting['reason']} - {waiting.get('message', '')})\n"
    return message


def daemonset_status(_client: Any) -> Viewer:
    def view(ds: dict, _revision: int) -> tuple[str, bool]:
        name = ds["metadata"]["name"]
        spec, st = ds.get("spec") or {}, ds.get("status") or {}
        if ((spec.get("updateStrategy") or {}).get("type") or "RollingUpdate") != "RollingUpdate":
            raise errors.MinikctlError("rollout status is only available for RollingUpdate strategy type")
        if _int(ds["metadata"].get("generation")) > _int(st.get("observedGeneration")):
            return "Waiting for daemon set spec update to be observed...\n", False
        desired, updated = _int(st.get("desiredNumberScheduled")), _int(st.get("updatedNumberScheduled"))
        available = _int(st.get("numberAvailable"))
        if updated < desired:
            return (f'Waiting for daemon set "{name}" rollout to finish: {updated} out of {desired} new pods have '
                    "been updated...\n"), False
        if available < desired:
            return (f'Waiting for daemon set "{name}" rollout to finish: {available} of {desired} updated pods are '
                    "available...\n"), False
        return f'daemon set "{name}" successfully rolled out\n', True

    return view


def statefulset_status(_client: Any) -> Viewer:
    def view(sts: dict, _revision: int) -> tuple[str, bool]:
        spec, st = sts.get("spec") or {}, sts.get("status") or {}
        strategy = spec.get("updateStrategy") or {}
        if (strategy.get("type") or "RollingUpdate") != "RollingUpdate":
            raise errors.MinikctlError("rollout status is only available for RollingUpdate strategy type")
        observed = _int(st.get("observedGeneration"))
        if observed == 0 or _int(sts["metadata"].get("generation")) > observed:
            return "Waiting for statefulset spec update to be observed...\n", False
        replicas, ready = _int(spec.get("replicas"), 1), _int(st.get("readyReplicas"))
        if ready < replicas:
            return f"Waiting for {replicas - ready} pods to be ready...\n", False
        updated = _int(st.get("updatedReplicas"))
        rolling = strategy.get("rollingUpdate")
        if rolling is not None:
            partition = rolling.get("partition")
            if isinstance(partition, int) and updated < replicas - partition:
                return (f"Waiting for partitioned roll out to finish: {updated} out of {replicas - partition} new "
                        "pods have been updated...\n"), False
            return f"partitioned roll out complete: {updated} new pods have been updated...\n", True
        if st.get("updateRevision") != st.get("currentRevision"):
            return (f"waiting for statefulset rolling update to complete {updated} pods at revision "
                    f"{st.get('updateRevision', '')}...\n"), False
        return (f"statefulset rolling update complete {_int(st.get('currentReplicas'))} pods at revision "
                f"{st.get('currentRevision', '')}...\n"), True

    return view


VIEWERS = {"Deployment": deployment_status, "DaemonSet": daemonset_status, "StatefulSet": statefulset_status}


def group_kind(kind: Any) -> str:
    """schema.GroupKind.String(): `ReplicaSet.apps`, `Pod`."""
    return f"{kind.kind}.{kind.group}" if kind.group else kind.kind


def viewer_for(kind: Any, client: Any) -> Viewer:
    make = VIEWERS.get(kind.kind)
    if make is None:
        raise errors.MinikctlError(f"no status viewer has been implemented for {group_kind(kind)}")
    return make(client)
