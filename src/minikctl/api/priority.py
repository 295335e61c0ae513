"""Pod priority: PriorityClass validation, the two system classes every cluster has, and
the Priority admission step that turns a pod's priorityClassName into spec.priority
(and spec.preemptionPolicy), as kube-apiserver's Priority plugin does on create.

    priorityClassName ""        -> the globalDefault class if there is one, else 0
    priorityClassName "high"    -> that class's value; no such class: Forbidden
    spec.priority given         -> must equal what the class gives (Forbidden otherwise)

Only the stdlib and the api layer: the CLI's in-process path runs this on create.
"""
from __future__ import annotations

from minikctl import errors
from minikctl.errors import Cause

SYSTEM_PREFIX = "system-"
HIGHEST_USER_DEFINABLE = 1000000000
PREEMPT_LOWER, NEVER = "PreemptLowerPriority", "Never"
RESOURCE = "priorityclasses.scheduling.k8s.io"  # the store's name for the kind (Kind.resource)
SYSTEM_CLASSES = {
    "system-node-critical": (2000001000, "Used for system critical pods that must not be moved from their "
                                         "current node."),
    "system-cluster-critical": (2000000000, "Used for system critical pods that must run in the cluster, but "
                                            "can be moved to another node if necessary."),
}


def system_class(name: str) -> dict:
    value, description = SYSTEM_CLASSES[name]
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
            "value": value, "globalDefault": False, "description": description, "preemptionPolicy": PREEMPT_LOWER}


def validate_priority_class(obj: dict) -> list[Cause]:
    """ValidatePriorityClass: reserved names, the user-definable maximum, the policy."""
    from minikctl.api.rules.common import as_int, as_str, forbidden, not_supported  # rules import this module

    name = as_str((obj.get("metadata") or {}).get("name"))
    value = as_int(obj.get("value"))
    causes = []
    if name.startswith(SYSTEM_PREFIX):
        known = SYSTEM_CLASSES.get(name)
        if known is None:
            why = f"{name} is not a known system priority class"
        elif value != known[0]:
            why = f"value of {name} PriorityClass must be {known[0]}"
        elif obj.get("globalDefault"):
            why = f"globalDefault of {name} PriorityClass must be false"
        else:
            why = ""
        if why:
            causes.append(forbidden("metadata.name", f"priority class names with '{SYSTEM_PREFIX}' prefix are "
                                                     f"reserved for system use only. error: {why}"))
    elif value is not None and value > HIGHEST_USER_DEFINABLE:
        causes.append(forbidden("value", f"maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE}"))
    policy = obj.get("preemptionPolicy")
    if policy is not None and policy not in (PREEMPT_LOWER, NEVER):
        causes.append(not_supported("preemptionPolicy", policy, (NEVER, PREEMPT_LOWER)))
    return causes


def admit_pod(store, pod: dict) -> None:  # type: ignore[no-untyped-def]
    """Set spec.priority and spec.preemptionPolicy of a pod being created."""
    spec = pod.setdefault("spec", {})
    name = spec.get("priorityClassName") or ""
    pod_name = (pod.get("metadata") or {}).get("name") or ""
    if name:
        try:
            pc = store.get(RESOURCE, "", name)
        except errors.NotFound:
            raise _forbidden(pod_name, f"no PriorityClass with name {name} was found") from None
        value, policy = int(pc.get("value") or 0), pc.get("preemptionPolicy") or PREEMPT_LOWER
    else:
        default = _global_default(store)
        if default is None:
            value, policy = 0, PREEMPT_LOWER
        else:
            spec["priorityClassName"] = default["metadata"]["name"]
            value, policy = int(default.get("value") or 0), default.get("preemptionPolicy") or PREEMPT_LOWER
    given = spec.get("priority")
    if given is not None and given != value:
        raise _forbidden(pod_name, f"the integer value of priority ({given}) must not be provided in pod spec; "
                                   f"priority admission controller computed {value} from the given PriorityClass name")
    spec["priority"] = value
    given_policy = spec.get("preemptionPolicy")
    if given_policy is not None and given_policy != policy:
        raise _forbidden(pod_name, f"the string value of PreemptionPolicy ({given_policy}) must not be provided in "
                                   f"pod spec; priority admission controller computed {policy} from the given "
                                   "PriorityClass name")
    spec["preemptionPolicy"] = policy


def _global_default(store) -> dict | None:  # type: ignore[no-untyped-def]
    """The globalDefault class with the lowest value (getDefaultPriority)."""
    classes, _ = store.list(RESOURCE)
    defaults = [pc for pc in classes if pc.get("globalDefault")]
    return min(defaults, key=lambda pc: int(pc.get("value") or 0)) if defaults else None


def _forbidden(pod_name: str, why: str) -> errors.Forbidden:
    return errors.Forbidden(f'pods "{pod_name}" is forbidden: {why}', kind="pods", name=pod_name)


def bootstrap(api) -> None:  # type: ignore[no-untyped-def]
    """Create the system priority classes (the API server's bootstrap hook)."""
    for name in SYSTEM_CLASSES:
        try:
            api.create(system_class(name))
        except errors.AlreadyExists:
            pass
