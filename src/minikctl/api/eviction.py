"""The pods/eviction subresource (pkg/registry/core/pod/storage/eviction.go): a delete
that a PodDisruptionBudget may refuse. One code path for the API server and the
in-process client:

- a pod that is Pending, Succeeded, Failed or already terminating is deleted without
  consulting budgets (its disruption has already happened);
- otherwise the budgets covering it decide: none, the pod is deleted; more than one,
  500 "This pod has more than one PodDisruptionBudget, which the eviction subresource
  does not support."; one whose status lags its generation, or allows 0 disruptions,
  429 TooManyRequests (a DisruptionBudget cause says why); otherwise disruptionsAllowed
  is decremented and the pod recorded in status.disruptedPods in one compare-and-swap
  of the budget's status (a Conflict re-reads the budget and decides again), then the
  pod is deleted;
- a Running pod that is not Ready is covered by spec.unhealthyPodEvictionPolicy:
  AlwaysAllow deletes it, IfHealthyBudget (the default) deletes it while the budget has
  its desired healthy pods (currentHealthy >= desiredHealthy > 0), else decides as for
  a healthy pod. Such a delete carries the pod's resourceVersion as a precondition: a
  pod that turned Ready meanwhile is not deleted (429, the budget "is still being
  processed").

The pod gets the DisruptionTarget condition (EvictionByEvictionAPI) before the delete,
and the delete is graceful with the Eviction's deleteOptions.gracePeriodSeconds.
"""
from __future__ import annotations

import copy

from minikctl import errors
from minikctl.api import disruptionbudgets as budgets
from minikctl.api import kinds, meta

RETRIES = 20  # EvictionsRetry's steps
MAX_DISRUPTED_PODS = 2000
VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget."
MULTIPLE = "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
DISRUPTION_BUDGET_CAUSE = "DisruptionBudget"


class TooManyRequests(errors.StatusError):
    """429: the eviction would break a budget (or the budget is not settled yet); retry."""

    code = 429
    reason = "TooManyRequests"

    def __init__(self, message: str, cause: str = "", retry_after: int = 0) -> None:
        super().__init__(message)
        self.causes = [{"reason": DISRUPTION_BUDGET_CAUSE, "message": cause}] if cause else []
        self.retry_after = retry_after

    def to_status(self) -> dict:
        status = super().to_status()
        details: dict = {"retryAfterSeconds": self.retry_after} if self.retry_after else {}
        if self.causes:
            details["causes"] = self.causes
        if details:
            status["details"] = details
        return status


class MultipleBudgets(errors.StatusError):
    """500, as Kubernetes answers (a Status with no reason)."""

    code = 500
    reason = ""

    def __init__(self) -> None:
        super().__init__(MULTIPLE)

    def to_status(self) -> dict:
        status = super().to_status()
        status.pop("reason", None)
        return status


def still_processing(name: str) -> TooManyRequests:
    return TooManyRequests(VIOLATION, f"The disruption budget {name} is still being processed by the server.")


def success() -> dict:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def evict(api, namespace: str, name: str, *, grace_period: int | None = None,  # type: ignore[no-untyped-def]
          dry_run: bool = False) -> dict:
    """Evict pod namespace/name through `api` (an api.handler.Api): the Status of a
    successful eviction, or the StatusError Kubernetes answers with."""
    pod_kind = kinds.by_kind("Pod")
    for _ in range(RETRIES):
        pod = api.get(pod_kind, namespace, name)
        if not _can_ignore_budgets(pod):
            break
        try:
            # A terminal pod needs no precondition; a pending one must not have started meanwhile.
            rv = None if _phase(pod) in ("Succeeded", "Failed") else pod["metadata"]["resourceVersion"]
            _delete(api, pod, grace_period, dry_run, rv)
            return success()
        except errors.Conflict:
            continue
    else:
        raise errors.Conflict("pods", name)

    covering = budgets.budgets_for(api.list(kinds.by_kind("PodDisruptionBudget"), namespace)[0], pod)
    if len(covering) > 1:
        raise MultipleBudgets()
    precondition = None
    if covering:
        pdb = covering[0]
        if not _ready(pod) and _unhealthy_may_go(pdb):
            precondition = pod["metadata"]["resourceVersion"]  # it must still be unready when deleted
        else:
            _take_disruption(api, pdb, name, dry_run)
    try:
        _delete(api, pod, grace_period, dry_run, precondition)
    except errors.Conflict:
        if precondition is not None:
            raise still_processing(meta.name_of(covering[0])) from None
        raise
    return success()


def _take_disruption(api, pdb: dict, pod_name: str, dry_run: bool) -> None:  # type: ignore[no-untyped-def]
    """checkAndDecrement, retried on Conflict against a fresh read of the budget."""
    pdb_kind = kinds.by_kind("PodDisruptionBudget")
    for attempt in range(RETRIES):
        if attempt:
            pdb = api.get(pdb_kind, meta.namespace_of(pdb), meta.name_of(pdb))
        status = copy.deepcopy(pdb.get("status") or {})
        if int(status.get("observedGeneration") or 0) < int(pdb["metadata"].get("generation") or 0):
            raise still_processing(meta.name_of(pdb))
        allowed = int(status.get("disruptionsAllowed") or 0)
        if allowed < 0:
            raise errors.Forbidden(f'poddisruptionbudget.policy "{meta.name_of(pdb)}" is forbidden: '
                                   "pdb disruptions allowed is negative")
        if len(status.get("disruptedPods") or {}) > MAX_DISRUPTED_PODS:
            raise errors.Forbidden(f'poddisruptionbudget.policy "{meta.name_of(pdb)}" is forbidden: DisruptedPods '
                                   "map too big - too many evictions not confirmed by PDB controller")
        if allowed == 0:
            raise TooManyRequests(VIOLATION, f"The disruption budget {meta.name_of(pdb)} needs "
                                             f"{int(status.get('desiredHealthy') or 0)} healthy pods and has "
                                             f"{int(status.get('currentHealthy') or 0)} currently")
        if dry_run:
            return
        status["disruptionsAllowed"] = allowed - 1
        if allowed == 1:
            _insufficient(status)
        status.setdefault("disruptedPods", {})[pod_name] = meta.now_rfc3339()
        try:
            api.update_status({**pdb, "status": status})  # resourceVersion set: a compare-and-swap
            return
        except errors.Conflict:
            continue
    raise errors.StatusError(f'couldn\'t update PodDisruptionBudget "{meta.name_of(pdb)}" due to conflicts')


def _insufficient(status: dict) -> None:
    """UpdateDisruptionAllowedCondition once the last allowed disruption is taken."""
    conditions = [dict(c) for c in status.get("conditions") or []]
    found = next((c for c in conditions if c.get("type") == budgets.CONDITION), None)
    if found is None:
        found = {"type": budgets.CONDITION}
        conditions.append(found)
    if found.get("status") != "False":
        found["lastTransitionTime"] = meta.now_rfc3339()
    found.update(status="False", reason=budgets.INSUFFICIENT_PODS, message="",
                 observedGeneration=status.get("observedGeneration", 0))
    status["conditions"] = conditions


def _delete(api, pod: dict, grace_period: int | None, dry_run: bool,  # type: ignore[no-untyped-def]
            precondition: str | None) -> None:
    """addConditionAndDeletePod: DisruptionTarget=True on the pod, then a graceful delete."""
    pod_kind = kinds.by_kind("Pod")
    ns, name = meta.namespace_of(pod), meta.name_of(pod)
    expect = precondition
    for attempt in range(RETRIES if not dry_run and not pod["metadata"].get("deletionTimestamp") else 0):
        if attempt:
            if precondition is not None:
                raise errors.Conflict("pods", name)
            pod = api.get(pod_kind, ns, name)  # a racing status write (the kubelet's): mark the latest
        marked = copy.deepcopy(pod)
        status = marked.setdefault("status", {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "DisruptionTarget"]
        conditions.append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                           "lastTransitionTime": meta.now_rfc3339(), "reason": "EvictionByEvictionAPI",
                           "message": "Eviction API: evicting"})
        status["conditions"] = conditions
        try:
            updated = api.update_status(marked)  # resourceVersion set: never over a newer status
        except errors.Conflict:
            continue
        if precondition is not None:
            expect = updated["metadata"]["resourceVersion"]
        break
    api.delete(pod_kind, ns, name, dry_run=dry_run, grace_period=grace_period, expect_rv=expect)


def _can_ignore_budgets(pod: dict) -> bool:
    return _phase(pod) in ("Pending", "Succeeded", "Failed") or bool(pod["metadata"].get("deletionTimestamp"))


def _phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or "Pending"


def _ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def _unhealthy_may_go(pdb: dict) -> bool:
    policy = (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") or budgets.IF_HEALTHY_BUDGET
    if policy == budgets.ALWAYS_ALLOW:
        return True
    status = pdb.get("status") or {}
    desired = int(status.get("desiredHealthy") or 0)
    return int(status.get("currentHealthy") or 0) >= desired > 0
