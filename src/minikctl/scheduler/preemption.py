"""DefaultPreemption, the post-filter: when no node fits, could evicting lower-priority
pods make one fit?

For each node rejected for a reason preemption can fix (UNSCHEDULABLE, not
UNRESOLVABLE), remove every pod of lower priority and filter again; if the pod then
fits, give back as many of those pods as still allow it (highest priority first): the
rest are the victims. The best candidate has the lowest highest-victim priority, then
the smallest sum of victim priorities, then the fewest victims. Its victims are
deleted and the pod is nominated to that node; it is scheduled when they are gone.

The text of this step ends the FailedScheduling message, as kube-scheduler's does:
"preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod,
2 Preemption is not helpful for scheduling."
"""
from __future__ import annotations

from dataclasses import dataclass

from minikctl.scheduler import framework
from minikctl.scheduler.framework import FitError, Framework, Snapshot, Status
from minikctl.scheduler.nodeinfo import NodeInfo, PodInfo

NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"
NEVER = "not eligible due to preemptionPolicy=Never."
TERMINATING_VICTIM = "not eligible due to a terminating pod on the nominated node."


@dataclass
class Candidate:
    node: str
    victims: list[PodInfo]

    def rank(self) -> tuple:
        priorities = [v.priority for v in self.victims]
        return (max(priorities, default=-(2 ** 31)), sum(priorities), len(self.victims))


def _fits_without(fw: Framework, pod: PodInfo, snapshot: Snapshot, node: NodeInfo) -> Status | None:
    """Filter the pod on `node` (a modified copy) within a snapshot that holds it."""
    nodes = [node if n.name == node.name else n for n in snapshot.nodes]
    trial = Snapshot(nodes, snapshot.namespace_labels)
    state: dict = {}
    try:
        allowed, skipped = fw.pre_filter(state, pod, trial)
    except FitError as exc:
        return exc.statuses.get(node.name) or framework.unresolvable(exc.pre_filter_msg)
    if allowed is not None and node.name not in allowed:
        return framework.unresolvable(NOT_HELPFUL)
    return fw.filter(state, pod, node, skipped)


def select_victims(fw: Framework, pod: PodInfo, snapshot: Snapshot, node: NodeInfo) -> tuple[list[PodInfo], Status | None]:
    lower = [p for p in node.pods.values() if p.priority < pod.priority]
    if not lower:
        return [], framework.unresolvable(NO_VICTIMS)
    trial = node.clone()
    for p in lower:
        trial.remove_pod(p.key)
    status = _fits_without(fw, pod, snapshot, trial)
    if status is not None:
        return [], status
    # Reprieve: put back the most important pods first, as long as the pod still fits.
    victims = []
    for p in sorted(lower, key=lambda p: -p.priority):
        trial.add_pod(p)
        if _fits_without(fw, pod, snapshot, trial) is not None:
            trial.remove_pod(p.key)
            victims.append(p)
    return victims, None


def terminating_by_preemption(pod: PodInfo) -> bool:
    conditions = (pod.pod.get("status") or {}).get("conditions") or []
    return pod.terminating and any(c.get("type") == "DisruptionTarget" and c.get("reason") == "PreemptionByScheduler"
                                   for c in conditions)


def ineligible(pod: PodInfo, snapshot: Snapshot, error: FitError, nominated_node: str) -> str:
    """Why the pod may not preempt now (PodEligibleToPreemptOthers), or ''. A pod whose
    victims are still terminating waits for them instead of evicting more."""
    if (pod.pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return NEVER
    node = snapshot.by_name.get(nominated_node) if nominated_node else None
    status = error.statuses.get(nominated_node) if nominated_node else None
    if node is not None and not (status is not None and status.code == framework.UNRESOLVABLE):
        if any(p.priority < pod.priority and terminating_by_preemption(p) for p in node.pods.values()):
            return TERMINATING_VICTIM
    return ""


def evaluate(fw: Framework, pod: PodInfo, snapshot: Snapshot, error: FitError,
             nominated_node: str = "") -> tuple[str, Candidate | None]:
    """(the post-filter message, the chosen candidate or None)."""
    why = ineligible(pod, snapshot, error, nominated_node)
    if why:
        return "preemption: " + why, None
    statuses: dict[str, Status] = {}
    candidates: list[Candidate] = []
    not_helpful = framework.unresolvable(NOT_HELPFUL)
    for node in snapshot.nodes:
        status = error.statuses.get(node.name)
        if status is None or status.code != framework.UNSCHEDULABLE:
            statuses[node.name] = not_helpful
            continue
        victims, why = select_victims(fw, pod, snapshot, node)
        if why is not None:
            statuses[node.name] = why
        else:
            candidates.append(Candidate(node.name, victims))
    if not candidates:
        return "preemption: " + str(FitError(len(snapshot.nodes), statuses))[:-1], None
    return "", min(candidates, key=Candidate.rank)
