"""Choosing the pod and the container a command acts on, as kubectl does for `logs`,
`exec` and friends.

`TYPE/NAME` of a workload means one of its pods: kubectl lists the pods its selector
matches and takes the first after sorting (`logs` prefers running, ready, long-ready
pods with more restarts; `exec` prefers the same through the reverse of ActivePods).
When no pod matches yet it waits for one, up to --pod-running-timeout. The container
is the one named, else the `kubectl.kubernetes.io/default-container` annotation's, else
the first, saying so on stderr when the pod has more than one.
"""
from __future__ import annotations

import functools
import sys
from typing import Any, Callable

from minikctl import errors

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
# Kinds whose pods a TYPE/NAME argument stands for (polymorphichelpers.SelectorsForObject).
SELECTOR_KINDS = ("ReplicaSet", "StatefulSet", "DaemonSet", "Deployment", "Job")
_GO_TYPES = {"ConfigMap": "*v1.ConfigMap", "Secret": "*v1.Secret", "Node": "*v1.Node",
             "Namespace": "*v1.Namespace", "Endpoints": "*v1.Endpoints", "Event": "*v1.Event",
             "CronJob": "*v1.CronJob", "Lease": "*v1.Lease", "PersistentVolumeClaim": "*v1.PersistentVolumeClaim",
             "RuntimeClass": "*v1.RuntimeClass"}


# --- pods of an object -----------------------------------------------------------------------

def go_type(obj: dict) -> str:
    return _GO_TYPES.get(obj.get("kind", ""), "*v1." + obj.get("kind", ""))


def selector_for(obj: dict) -> str:
    """The label selector (string form) of the pods a workload or Service stands for."""
    from minikctl.api import selectors

    kind = obj.get("kind", "")
    spec = obj.get("spec") or {}
    if kind in SELECTOR_KINDS:
        try:
            return selectors.from_label_selector(spec.get("selector")).to_string()
        except ValueError as exc:
            raise errors.MinikctlError(f"invalid label selector: {exc}") from None
    if kind == "Service":
        if not spec.get("selector"):
            name = (obj.get("metadata") or {}).get("name", "")
            raise errors.MinikctlError(f"invalid service '{name}': Service is defined without a selector")
        return selectors.from_set(spec["selector"]).to_string()
    raise errors.MinikctlError(f"selector for {go_type(obj)} not implemented")


def list_or_wait(client: Any, namespace: str, selector: str, timeout: float) -> list[dict]:
    """GetPodList: the matching pods; with none yet, wait up to `timeout` for one to appear."""
    from minikctl.api import kinds

    pod_kind = kinds.by_kind("Pod")
    pods, revision = client.list(pod_kind, namespace, label_selector=selector or None)
    if pods or timeout <= 0:
        return pods
    for _type, _pod in client.watch(pod_kind, namespace, revision, label_selector=selector or None,
                                    timeout=timeout):
        pods, _ = client.list(pod_kind, namespace, label_selector=selector or None)
        if pods:
            return pods
    raise errors.MinikctlError("timed out waiting for the condition")


def first_pod(client: Any, obj: dict, timeout: float, order: Callable[[dict, dict], int]) -> tuple[dict, int]:
    """GetFirstPod: (the best pod of `obj` by `order`, how many matched)."""
    namespace = (obj.get("metadata") or {}).get("namespace") or "default"
    pods = sorted(list_or_wait(client, namespace, selector_for(obj), timeout), key=functools.cmp_to_key(order))
    if not pods:
        raise errors.MinikctlError("timed out waiting for the condition")
    return pods[0], len(pods)


def pods_of(client: Any, obj: dict, timeout: float, order: Callable[[dict, dict], int]) -> list[dict]:
    namespace = (obj.get("metadata") or {}).get("namespace") or "default"
    return sorted(list_or_wait(client, namespace, selector_for(obj), timeout), key=functools.cmp_to_key(order))


# --- pod orderings -------------------------------------------------------------------------

def is_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def _ready_time(pod: dict) -> str:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready" and c.get("status") == "True":
            return c.get("lastTransitionTime") or ""
    return ""


def _max_restarts(pod: dict) -> int:
    return max((int(c.get("restartCount") or 0) for c in (pod.get("status") or {}).get("containerStatuses") or []),
               default=0)


def _after_or_zero(t1: str, t2: str) -> bool:
    """afterOrZero: a missing time counts as later than any other."""
    from minikctl.cli.printers.age import parse_time

    p1, p2 = parse_time(t1), parse_time(t2)
    if p1 is None or p2 is None:
        return p1 is None
    return p1 > p2


def _created(pod: dict) -> str:
    return (pod.get("metadata") or {}).get("creationTimestamp") or ""


def _node(pod: dict) -> str:
    return (pod.get("spec") or {}).get("nodeName") or ""


def _phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def _as_cmp(less: Callable[[dict, dict], bool]) -> Callable[[dict, dict], int]:
    return lambda a, b: -1 if less(a, b) else (1 if less(b, a) else 0)


def _by_logging_less(a: dict, b: dict) -> bool:
    """podutils.ByLogging: the pod whose logs are most worth reading comes first."""
    if _node(a) != _node(b) and (not _node(a) or not _node(b)):
        return bool(_node(a))
    rank = {"Running": 0, "Unknown": 1, "Pending": 2}
    if rank.get(_phase(a), 0) != rank.get(_phase(b), 0):
        return rank.get(_phase(a), 0) < rank.get(_phase(b), 0)
    if is_ready(a) != is_ready(b):
        return is_ready(a)
    if is_ready(a) and is_ready(b) and _ready_time(a) != _ready_time(b):
        return _after_or_zero(_ready_time(b), _ready_time(a))
    if _max_restarts(a) != _max_restarts(b):
        return _max_restarts(a) > _max_restarts(b)
    if _created(a) != _created(b):
        return _after_or_zero(_created(b), _created(a))
    return False


def _active_less(a: dict, b: dict) -> bool:
    """podutils.ActivePods: the pod least worth keeping comes first."""
    if _node(a) != _node(b) and (not _node(a) or not _node(b)):
        return not _node(a)
    rank = {"Pending": 0, "Unknown": 1, "Running": 2}
    if rank.get(_phase(a), 0) != rank.get(_phase(b), 0):
        return rank.get(_phase(a), 0) < rank.get(_phase(b), 0)
    if is_ready(a) != is_ready(b):
        return not is_ready(a)
    if is_ready(a) and is_ready(b) and _ready_time(a) != _ready_time(b):
        return _after_or_zero(_ready_time(a), _ready_time(b))
    if _max_restarts(a) != _max_restarts(b):
        return _max_restarts(a) > _max_restarts(b)
    if _created(a) != _created(b):
        return _after_or_zero(_created(a), _created(b))
    return False


by_logging = _as_cmp(_by_logging_less)
# AttachablePodForObject sorts with sort.Reverse(ActivePods): the most active pod first.
most_active_first = _as_cmp(lambda a, b: _active_less(b, a))


# --- containers ------------------------------------------------------------------------------

def all_container_names(pod: dict) -> str:
    """podcmd.AllContainerNames: `web, side, setup (init), debug (ephem)`."""
    spec = pod.get("spec") or {}
    names = [c.get("name", "") for c in spec.get("containers") or []]
    names += [f"{c.get('name', '')} (init)" for c in spec.get("initContainers") or []]
    names += [f"{c.get('name', '')} (ephem)" for c in spec.get("ephemeralContainers") or []]
    return ", ".join(names)


def find_container(pod: dict, name: str) -> dict | None:
    spec = pod.get("spec") or {}
    for group in ("containers", "initContainers", "ephemeralContainers"):
        for c in spec.get(group) or []:
            if c.get("name") == name:
                return c
    return None


def _has_several(pod: dict) -> bool:
    spec = pod.get("spec") or {}
    return len(spec.get("containers") or []) > 1 or bool(spec.get("initContainers")) \
        or bool(spec.get("ephemeralContainers"))


def default_container(pod: dict, *, quiet: bool = False) -> str:
    """The annotation's container if it exists, else the first (saying so on stderr)."""
    md = pod.get("metadata") or {}
    containers = (pod.get("spec") or {}).get("containers") or []
    if not containers:
        raise errors.MinikctlError(f"pod {md.get('namespace', '')}/{md.get('name', '')} does not have any containers")
    wanted = (md.get("annotations") or {}).get(DEFAULT_CONTAINER_ANNOTATION)
    if wanted and find_container(pod, wanted) is not None:
        return wanted
    first = containers[0].get("name", "")
    if not quiet and _has_several(pod):
        print(f'Defaulted container "{first}" out of: {all_container_names(pod)}', file=sys.stderr)
    return first


def container_status(pod: dict, name: str) -> dict | None:
    status = pod.get("status") or {}
    for group in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for cs in status.get(group) or []:
            if cs.get("name") == name:
                return cs
    return None
