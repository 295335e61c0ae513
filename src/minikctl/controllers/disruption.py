"""The disruption controller (pkg/controller/disruption): keeps every
PodDisruptionBudget's status true to the pods it covers, so the eviction subresource
(api/eviction.py) can decide from the budget alone.

For a budget, in its namespace, the pods its selector matches:

    expectedPods     maxUnavailable or a percent minAvailable: the sum of the scales of
                     the pods' controllers (Deployment, ReplicaSet, StatefulSet replicas:
                     getExpectedScale); an integer minAvailable: the number of pods
    desiredHealthy   minAvailable (a percent of expectedPods, rounded up), or
                     expectedPods - maxUnavailable (rounded up), never below 0
    currentHealthy   pods Ready and not terminating, minus those evicted but not yet gone
    disruptionsAllowed  currentHealthy - desiredHealthy, 0 when negative or expectedPods is 0

The condition DisruptionAllowed says True/SufficientPods or False/InsufficientPods;
False/SyncFailed (and 0 disruptions) when the expected count cannot be computed (a pod
whose controller cannot be found). Pods with no controller under a percent or
maxUnavailable budget are counted out and reported in an UnmanagedPods event, as
Kubernetes does ("set .spec.minAvailable to an integer").

status.disruptedPods: the eviction subresource adds a pod there when it takes a
disruption; the pod stays counted as disrupted until it is gone (or terminating), and
for at most DELETION_TIMEOUT_SECONDS (2 minutes): after that it is counted again with a
NotDeleted event. The budget is re-synced when the earliest entry expires.

Keys are budget keys (ns/name). A pod event queues every budget covering the pod (old
and new labels); controllers' scale changes reach budgets through their pods and the
periodic resync.
"""
from __future__ import annotations

import datetime as _dt
import logging

from minikctl import errors
from minikctl.api import disruptionbudgets as budgets
from minikctl.api import kinds, meta, selectors
from minikctl.controllers.base import Clock, Controller, Informers, rfc3339
from minikctl.controllers.events import EventRecorder
from minikctl.controllers.pods import is_pod_ready

log = logging.getLogger(__name__)
WARNING, NORMAL = "Warning", "Normal"


class SyncFailed(Exception):
    """The expected pod count cannot be computed: the budget fails safe (0 disruptions)."""


class DisruptionController(Controller):
    name = "disruption-controller"
    kind = "PodDisruptionBudget"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None) -> None:
        super().__init__(client, informers, clock=clock)
        self.pdb_kind = kinds.by_kind("PodDisruptionBudget")
        self.pods = informers.informer("Pod")
        # Listers for the expected scale (Kubernetes' finders); no handlers needed.
        self.scalers = {k: informers.informer(k) for k in ("ReplicaSet", "Deployment", "StatefulSet")}
        self.informers += [self.pods, *self.scalers.values()]
        self.recorder = recorder or EventRecorder(client, self.name, clock=self.clock)
        self.primary.add_handler(self._on_budget)
        self.pods.add_handler(self._on_pod)

    # -- event handlers -------------------------------------------------------------------

    def _on_budget(self, etype: str, pdb: dict, _old: dict | None) -> None:
        if etype != "DELETED":
            self.enqueue(pdb)

    def _on_pod(self, etype: str, pod: dict, old: dict | None) -> None:
        ns_budgets = self.primary.list(meta.namespace_of(pod))
        found = {meta.name_of(p): p for p in budgets.budgets_for(ns_budgets, pod)}
        if old is not None and meta.labels_of(old) != meta.labels_of(pod):
            found.update({meta.name_of(p): p for p in budgets.budgets_for(ns_budgets, old)})
        for pdb in found.values():
            self.enqueue(pdb)

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        pdb = self.primary.get(key)
        if pdb is None:
            return
        try:
            self._try_sync(pdb)
        except SyncFailed as exc:
            self._fail_safe(pdb, str(exc))

    def _try_sync(self, pdb: dict) -> None:
        ns = meta.namespace_of(pdb)
        selector = budgets.selector_of(pdb)
        pods = self.pods.list(ns, lambda p: selector.matches(meta.labels_of(p)))
        if not pods:
            self.recorder.event(pdb, NORMAL, "NoPods", "No matching pods found")
        expected, desired, unmanaged = self.expected_pod_count(pdb, pods)
        if unmanaged:
            shown = selectors.format_label_selector((pdb.get("spec") or {}).get("selector"))
            self.recorder.event(pdb, WARNING, "UnmanagedPods", (
                f"Pods selected by this PodDisruptionBudget (selector: {shown}) were found to be unmanaged. "
                "As a result, the status of the PDB cannot be calculated correctly, which may result in undefined "
                "behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an "
                "integer value."))
        now = self.clock.now()
        disrupted, recheck = self._disrupted_pods(pdb, pods, now)
        healthy = current_healthy(pods, disrupted, now)
        self._update_status(pdb, healthy, desired, expected, disrupted)
        if recheck is not None:
            self.enqueue_after(pdb, max(0.0, (recheck - now).total_seconds()))

    def expected_pod_count(self, pdb: dict, pods: list[dict]) -> tuple[int, int, list[str]]:
        """(expectedPods, desiredHealthy, unmanaged pod names): getExpectedPodCount."""
        spec = pdb.get("spec") or {}
        max_unavailable, min_available = spec.get("maxUnavailable"), spec.get("minAvailable")
        try:
            if max_unavailable is not None:
                expected, unmanaged = self.expected_scale(pods)
                return expected, max(0, expected - budgets.scaled(max_unavailable, expected)), unmanaged
            if isinstance(min_available, int) and not isinstance(min_available, bool):
                return len(pods), min_available, []
            if min_available is not None:
                expected, unmanaged = self.expected_scale(pods)
                return expected, budgets.scaled(min_available, expected), unmanaged
        except ValueError as exc:
            raise SyncFailed(str(exc)) from None
        return 0, 0, []

    def expected_scale(self, pods: list[dict]) -> tuple[int, list[str]]:
        """The sum of the scales of the pods' controllers, each counted once; pods with
        no controller are left out and named."""
        scales: dict[str, int] = {}
        unmanaged: list[str] = []
        for pod in pods:
            ref = meta.controller_of(pod)
            if ref is None:
                unmanaged.append(meta.name_of(pod))
                continue
            if ref.get("uid") in scales:
                continue
            found = self._controller_scale(ref, meta.namespace_of(pod))
            if found is None:
                raise SyncFailed(f'found no controllers for pod "{meta.name_of(pod)}"')
            scales[found[0]] = found[1]
        return sum(scales.values()), unmanaged

    def _controller_scale(self, ref: dict, ns: str) -> tuple[str, int] | None:
        """(uid, replicas) of the controller a pod's reference names: a ReplicaSet owned by
        a Deployment answers with the Deployment's scale (the finders' order)."""
        kind = ref.get("kind")
        if kind not in ("ReplicaSet", "StatefulSet"):
            return None
        owner = self.scalers[kind].get(f"{ns}/{ref.get('name')}")
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return None
        if kind == "ReplicaSet":
            up = meta.controller_of(owner)
            if up is not None and up.get("kind") == "Deployment":
                deploy = self.scalers["Deployment"].get(f"{ns}/{up.get('name')}")
                if deploy is None or deploy["metadata"].get("uid") != up.get("uid"):
                    return None
                return deploy["metadata"]["uid"], _replicas(deploy)
        return owner["metadata"]["uid"], _replicas(owner)

    def _disrupted_pods(self, pdb: dict, pods: list[dict], now: _dt.datetime
                        ) -> tuple[dict[str, str], _dt.datetime | None]:
        """buildDisruptedPodMap: entries of pods still here, not terminating and within the
        deletion timeout; the earliest time one of them expires."""
        recorded = (pdb.get("status") or {}).get("disruptedPods") or {}
        kept: dict[str, str] = {}
        recheck: _dt.datetime | None = None
        for pod in pods:
            name = meta.name_of(pod)
            if pod["metadata"].get("deletionTimestamp") or name not in recorded:
                continue
            try:
                expires = meta.parse_time(recorded[name]) + _dt.timedelta(seconds=budgets.DELETION_TIMEOUT_SECONDS)
            except (TypeError, ValueError):
                continue
            if expires < now:
                self.recorder.event(pod, WARNING, "NotDeleted",
                                    f"Pod was expected by PDB {meta.namespace_of(pdb)}/{meta.name_of(pdb)} to be "
                                    "deleted but it wasn't")
                continue
            kept[name] = recorded[name]
            recheck = expires if recheck is None or expires < recheck else recheck
        return kept, recheck

    def _update_status(self, pdb: dict, healthy: int, desired: int, expected: int, disrupted: dict[str, str]) -> None:
        allowed = healthy - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0  # a budget that matches no pods yet is safe when its first pods appear
        old = pdb.get("status") or {}
        generation = int(pdb["metadata"].get("generation") or 0)
        status = {"currentHealthy": healthy, "desiredHealthy": desired, "expectedPods": expected,
                  "disruptionsAllowed": allowed, "observedGeneration": generation,
                  "conditions": list(old.get("conditions") or [])}
        if disrupted:
            status["disruptedPods"] = disrupted
        if allowed > 0:
            set_condition(status, "True", budgets.SUFFICIENT_PODS, "", self.clock.now())
        else:
            set_condition(status, "False", budgets.INSUFFICIENT_PODS, "", self.clock.now())
        if _same(old, status):
            return
        self._write(pdb, status)

    def _fail_safe(self, pdb: dict, message: str) -> None:
        status = dict(pdb.get("status") or {})
        status["disruptionsAllowed"] = 0
        status["conditions"] = list(status.get("conditions") or [])
        set_condition(status, "False", budgets.SYNC_FAILED, message, self.clock.now())
        if status != (pdb.get("status") or {}):
            self._write(pdb, status)

    def _write(self, pdb: dict, status: dict) -> None:
        new = {**pdb, "status": status}  # the cached resourceVersion: a stale write is a Conflict, retried
        try:
            self.client.update_status(new)
        except errors.NotFound:
            return


def current_healthy(pods: list[dict], disrupted: dict[str, str], now: _dt.datetime) -> int:
    """countHealthyPods: Ready, not terminating, not evicted within the deletion timeout."""
    count = 0
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        stamp = disrupted.get(meta.name_of(pod))
        if stamp is not None:
            try:
                if meta.parse_time(stamp) + _dt.timedelta(seconds=budgets.DELETION_TIMEOUT_SECONDS) > now:
                    continue
            except ValueError:
                pass
        if is_pod_ready(pod):
            count += 1
    return count


def set_condition(status: dict, value: str, reason: str, message: str, now: _dt.datetime) -> None:
    """apimeta.SetStatusCondition for DisruptionAllowed: the transition time moves only
    when the status does."""
    conditions = status["conditions"]
    found = next((c for c in conditions if c.get("type") == budgets.CONDITION), None)
    cond = {"type": budgets.CONDITION, "status": value, "reason": reason, "message": message,
            "observedGeneration": status.get("observedGeneration", 0),
            "lastTransitionTime": rfc3339(now)}
    if found is None:
        conditions.append(cond)
        return
    if found.get("status") == value:
        cond["lastTransitionTime"] = found.get("lastTransitionTime") or cond["lastTransitionTime"]
    found.clear()
    found.update(cond)


def _same(old: dict, new: dict) -> bool:
    keys = ("currentHealthy", "desiredHealthy", "expectedPods", "disruptionsAllowed", "observedGeneration",
            "conditions")
    return (all(old.get(k) == new.get(k) for k in keys)
            and (old.get("disruptedPods") or {}) == (new.get("disruptedPods") or {}))


def _replicas(obj: dict) -> int:
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)
