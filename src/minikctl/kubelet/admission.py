"""The kubelet's resource admission (lifecycle/predicate.go): a pod bound to this node
that does not fit what the node has left is rejected rather than run.

The scheduler never binds such a pod; one given spec.nodeName directly skips the
scheduler, and lands here. The check is kube-scheduler's NodeResourcesFit against the
node's allocatable (pods first, then cpu, memory, ephemeral-storage, others), counting
the pods this kubelet has admitted and not finished. A rejected pod is Failed with

    reason: OutOfcpu
    message: "Pod was rejected: Node didn't have enough resource: cpu, requested: 8000, used: 500, capacity: 3500"

(cpu in millicores, memory in bytes), and a Warning event with the same reason.
"""
from __future__ import annotations

ORDER = ("cpu", "memory", "ephemeral-storage")


def reject_reason(pod: dict, admitted: list[dict], allocatable: dict[str, str] | None) -> tuple[str, str] | None:
    """(reason, message) when the pod does not fit, else None."""
    if not allocatable:
        return None
    from minikctl.scheduler import resources

    capacity = resources.resource_list(allocatable)
    if "pods" in capacity and len(admitted) + 1 > capacity["pods"]:
        return _insufficient("pods", 1, len(admitted), capacity["pods"])
    wanted = resources.pod_requests(pod.get("spec") or {})
    used: dict[str, int] = {}
    for other in admitted:
        for name, value in resources.pod_requests(other.get("spec") or {}).items():
            used[name] = used.get(name, 0) + value
    names = [n for n in ORDER if n in wanted] + sorted(n for n in wanted if n not in ORDER and n != "pods")
    for name in names:
        if wanted[name] <= 0 or name not in capacity:
            continue
        if used.get(name, 0) + wanted[name] > capacity[name]:
            return _insufficient(name, wanted[name], used.get(name, 0), capacity[name])
    return None


def _insufficient(name: str, requested: int, used: int, capacity: int) -> tuple[str, str]:
    return (f"OutOf{name}",
            f"Node didn't have enough resource: {name}, requested: {requested}, used: {used}, capacity: {capacity}")
