"""The ReplicaSet controller: keeps spec.replicas pods alive, as pkg/controller/replicaset.

sync_replicaset(key) is a short linear pipeline:

    get the ReplicaSet from the cache (gone: forget its expectations, done)
    -> are its expectations satisfied? (else the cache lags our own last action)
    -> list its namespace's pods, drop inactive ones (finished, or being deleted)
    -> claim: adopt matching orphans, release owned pods that no longer match
    -> manage_replicas: create or delete the difference, if allowed to act
    -> calculate_replicaset_status and write it, only if it changed
    -> requeue after minReadySeconds when pods are ready but not yet available.

Pods are created in slow-start batches (1, 2, 4, ...; a failing batch stops the rest)
and deleted in Kubernetes' order (pods.sort_for_deletion).
"""
from __future__ import annotations

import copy
import logging

from minikctl import errors
from minikctl.api import kinds, meta, selectors
from minikctl.controllers import ownership, pods
from minikctl.controllers.base import Clock, Controller, Informers, rfc3339, split_key
from minikctl.controllers.events import NORMAL, WARNING, EventRecorder
from minikctl.controllers.expectations import Expectations
from minikctl.machinery.informer import key_of

log = logging.getLogger(__name__)

BURST_REPLICAS = 500
SLOW_START_INITIAL_BATCH = 1
REPLICA_FAILURE = "ReplicaFailure"


class ReplicaSetController(Controller):
    name = "replicaset-controller"
    kind = "ReplicaSet"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None, burst_replicas: int = BURST_REPLICAS) -> None:
        super().__init__(client, informers, clock=clock)
        self.rs_kind = kinds.by_kind("ReplicaSet")
        self.pod_kind = kinds.by_kind("Pod")
        self.replicasets = self.primary
        self.pods = informers.informer("Pod")
        self.informers.append(self.pods)
        self.expectations = Expectations(clock=self.clock.monotonic)
        self.recorder = recorder or EventRecorder(client, self.name, clock=self.clock)
        self.burst_replicas = burst_replicas
        self.replicasets.add_handler(self.handle_replicaset_event)
        self.pods.add_handler(self.handle_pod_event)

    # -- event handlers: map an event to ReplicaSet keys ------------------------------------

    def handle_replicaset_event(self, etype: str, rs: dict, old: dict | None) -> None:
        if etype == "DELETED":
            self.expectations.delete(key_of(rs))
        elif old is not None and old["metadata"].get("uid") != rs["metadata"].get("uid"):
            # Deleted and recreated between two observations: the old one's expectations are void.
            self.expectations.delete(key_of(old))
        # Enqueue on every change, not only spec changes: syncing is cheap and safer.
        self.enqueue(rs)

    def handle_pod_event(self, etype: str, pod: dict, old: dict | None) -> None:
        if etype == "DELETED":
            self.delete_pod(pod)
        elif etype == "ADDED" or old is None:
            self.add_pod(pod)
        else:
            self.update_pod(old, pod)

    def add_pod(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            # Seen for the first time already being deleted (e.g. after a restart): it is
            # a deletion to observe, not a creation.
            self.delete_pod(pod)
            return
        ref = ownership.controller_of(pod)
        if ref is not None:
            rs = self.resolve_controller_ref(meta.namespace_of(pod), ref)
            if rs is not None:
                self.expectations.creation_observed(key_of(rs))
                self.enqueue(rs)
            return
        # An orphan: every matching ReplicaSet gets a chance to adopt it. No creation is
        # observed: nobody waits for an orphan.
        for rs in self.get_pod_replicasets(pod):
            self.enqueue(rs)

    def update_pod(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        labels_changed = meta.labels_of(old) != meta.labels_of(cur)
        if cur["metadata"].get("deletionTimestamp"):
            # A graceful deletion starts with this update: replace the pod now rather
            # than when the kubelet finally removes it.
            self.delete_pod(cur)
            if labels_changed:
                self.delete_pod(old)
            return
        cur_ref, old_ref = ownership.controller_of(cur), ownership.controller_of(old)
        if cur_ref != old_ref and old_ref is not None:
            previous = self.resolve_controller_ref(meta.namespace_of(old), old_ref)
            if previous is not None:
                self.enqueue(previous)
        if cur_ref is not None:
            rs = self.resolve_controller_ref(meta.namespace_of(cur), cur_ref)
            if rs is None:
                return
            self.enqueue(rs)
            min_ready = int(rs["spec"].get("minReadySeconds") or 0)
            if min_ready > 0 and not pods.is_pod_ready(old) and pods.is_pod_ready(cur):
                # Nothing else will tell us when it becomes available; +1 s against skew.
                self.enqueue_after(rs, min_ready + 1)
            return
        if labels_changed or cur_ref != old_ref:
            for rs in self.get_pod_replicasets(cur):
                self.enqueue(rs)

    def delete_pod(self, pod: dict) -> None:
        ref = ownership.controller_of(pod)
        if ref is None:
            return  # nobody cares about an orphan going away
        rs = self.resolve_controller_ref(meta.namespace_of(pod), ref)
        if rs is None:
            return
        self.expectations.deletion_observed(key_of(rs), pods.pod_key(pod))
        self.enqueue(rs)

    def resolve_controller_ref(self, namespace: str, ref: dict) -> dict | None:
        return ownership.resolve_controller_ref(ref, self.kind, self.replicasets.get, namespace)

    def get_pod_replicasets(self, pod: dict) -> list[dict]:
        """ReplicaSets whose selector matches the pod; an empty selector matches nothing."""
        return ownership.selecting(self.replicasets.list(meta.namespace_of(pod)), pod)

    # -- sync -------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        self.sync_replicaset(key)

    def sync_replicaset(self, key: str) -> None:
        namespace, _ = split_key(key)
        cached = self.replicasets.get(key)
        if cached is None:
            # Deleted. TODO(gc): its pods keep a dangling ownerReference until the garbage
            # collector deletes them; nothing here acts on them (owners resolve by uid).
            self.expectations.delete(key)
            return
        needs_sync = self.expectations.satisfied(key)
        selector = ownership.spec_selector(cached)
        if selector is None:
            log.error("%s: ReplicaSet %s has an invalid selector; not syncing it", self.name, key)
            return  # a retry cannot fix it: the next update of the ReplicaSet will
        # All pods, not only matching ones: owned pods that stopped matching are released.
        active = pods.filter_active_pods(self.pods.list(namespace))
        claimed = self.claim_pods(cached, selector, active)
        manage_error: Exception | None = None
        if needs_sync and not cached["metadata"].get("deletionTimestamp"):
            try:
                self.manage_replicas(claimed, cached)
            except Exception as exc:  # noqa: BLE001 - recorded in status, re-raised below
                manage_error = exc
        rs = copy.deepcopy(cached)
        status = self.calculate_replicaset_status(rs, claimed, manage_error)
        updated = self.update_replicaset_status(rs, status)
        replicas = _replicas(updated)
        st = updated.get("status") or {}
        min_ready = int(updated["spec"].get("minReadySeconds") or 0)
        if (manage_error is None and min_ready > 0 and st.get("readyReplicas", 0) == replicas
                and st.get("availableReplicas", 0) != replicas):
            # Last line of defence against skew: look again once they should be available.
            self.queue.add_after(key, min_ready)
        if manage_error is not None:
            raise manage_error

    def claim_pods(self, rs: dict, selector: selectors.Selector, candidates: list[dict]) -> list[dict]:
        can_adopt = ownership.recheck_deletion(self.client, self.rs_kind, rs)
        manager = ownership.RefManager(self.client, rs, selector, self.pod_kind, can_adopt)
        return manager.claim(candidates)

    def manage_replicas(self, filtered: list[dict], rs: dict) -> None:
        """Create or delete pods so that len(filtered) moves to spec.replicas (at most
        burst_replicas per sync), recording expectations before acting."""
        key = key_of(rs)
        diff = len(filtered) - _replicas(rs)
        if diff < 0:
            count = min(-diff, self.burst_replicas)
            self.expectations.expect_creations(key, count)
            log.debug("%s: too few replicas for %s, need %d, creating %d", self.name, key, _replicas(rs), count)
            created, error = self.slow_start_batch(count, lambda: self.create_pod(rs))
            # Pods never attempted will not be observed: stop waiting for them.
            for _ in range(count - created):
                self.expectations.creation_observed(key)
            if error is not None:
                raise error
        elif diff > 0:
            count = min(diff, self.burst_replicas)
            log.debug("%s: too many replicas for %s, need %d, deleting %d", self.name, key, _replicas(rs), count)
            victims = pods.pods_to_delete(filtered, self.get_indirectly_related_pods(rs), count, self.clock.now())
            # By pod key, so a deletion seen as an update and then a delete counts once.
            self.expectations.expect_deletions(key, [pods.pod_key(p) for p in victims])
            first_error = None
            for pod in victims:
                try:
                    self.delete_pod_of(rs, pod)
                except Exception as exc:  # noqa: BLE001 - the first error is raised below
                    self.expectations.deletion_observed(key, pods.pod_key(pod))
                    if not isinstance(exc, errors.NotFound):
                        first_error = first_error or exc
            if first_error is not None:
                raise first_error

    def slow_start_batch(self, count: int, create) -> tuple[int, Exception | None]:  # type: ignore[no-untyped-def]
        """Batches of 1, 2, 4, ... A batch with a failure stops the remaining batches, so
        a pod that cannot be created is not attempted `count` times in a row."""
        successes, remaining = 0, count
        batch = min(remaining, SLOW_START_INITIAL_BATCH)
        while batch > 0:
            first_error = None
            for _ in range(batch):
                try:
                    create()
                    successes += 1
                except Exception as exc:  # noqa: BLE001 - returned to the caller
                    first_error = first_error or exc
            if first_error is not None:
                return successes, first_error
            remaining -= batch
            batch = min(2 * batch, remaining)
        return successes, None

    def create_pod(self, rs: dict) -> None:
        pod = pods.pod_from_template(rs["spec"]["template"], rs, ownership.controller_ref(rs))
        try:
            created = self.client.create(pod)
        except Exception as exc:
            self.recorder.event(rs, WARNING, "FailedCreate", f"Error creating: {exc}")
            if isinstance(exc, errors.Forbidden) and "being terminated" in str(exc):
                return  # the namespace is going away: every create would fail, don't retry
            raise
        self.recorder.event(rs, NORMAL, "SuccessfulCreate", f"Created pod: {meta.name_of(created)}")

    def delete_pod_of(self, rs: dict, pod: dict) -> None:
        try:
            self.client.delete(self.pod_kind, meta.namespace_of(pod), meta.name_of(pod))
        except errors.NotFound:
            raise  # already gone: not a failure worth an event
        except Exception as exc:
            self.recorder.event(rs, WARNING, "FailedDelete", f"Error deleting: {exc}")
            raise
        self.recorder.event(rs, NORMAL, "SuccessfulDelete", f"Deleted pod: {meta.name_of(pod)}")

    def get_indirectly_related_pods(self, rs: dict) -> list[dict]:
        """Pods of every ReplicaSet with the same controller (a Deployment's old and new
        ones): scale-down prefers pods doubled up on a node with their relatives."""
        ref = ownership.controller_of(rs)
        if ref is None:
            return []
        related, seen = [], set()
        for other in self.replicasets.list(meta.namespace_of(rs)):
            other_ref = ownership.controller_of(other)
            if other_ref is None or other_ref.get("uid") != ref.get("uid"):
                continue
            selector = ownership.spec_selector(other)
            if selector is None:
                continue
            for pod in self.pods.list(meta.namespace_of(rs), lambda p, s=selector: s.matches(meta.labels_of(p))):
                uid = pod["metadata"].get("uid")
                if uid not in seen:
                    seen.add(uid)
                    related.append(pod)
        return related

    # -- status -----------------------------------------------------------------------------

    def calculate_replicaset_status(self, rs: dict, filtered: list[dict], manage_error: Exception | None) -> dict:
        status = copy.deepcopy(rs.get("status") or {})
        template_labels = selectors.from_set((rs["spec"].get("template", {}).get("metadata") or {}).get("labels") or {})
        min_ready = int(rs["spec"].get("minReadySeconds") or 0)
        now = self.clock.now()
        fully_labeled = sum(1 for p in filtered if template_labels.matches(meta.labels_of(p)))
        ready = [p for p in filtered if pods.is_pod_ready(p)]
        available = sum(1 for p in ready if pods.is_pod_available(p, min_ready, now))
        conditions = [c for c in status.get("conditions") or []]
        failure = next((c for c in conditions if c.get("type") == REPLICA_FAILURE), None)
        if manage_error is not None and failure is None:
            diff = len(filtered) - _replicas(rs)
            reason = "FailedCreate" if diff < 0 else ("FailedDelete" if diff > 0 else "")
            conditions.append({"type": REPLICA_FAILURE, "status": "True", "lastTransitionTime": rfc3339(now),
                               "reason": reason, "message": str(manage_error)})
        elif manage_error is None and failure is not None:
            conditions = [c for c in conditions if c.get("type") != REPLICA_FAILURE]
        status.update(replicas=len(filtered), fullyLabeledReplicas=fully_labeled,
                      readyReplicas=len(ready), availableReplicas=available)
        status["conditions"] = conditions
        return status

    def update_replicaset_status(self, rs: dict, status: dict) -> dict:
        """Write status only when something changed; observedGeneration records the spec
        generation this status was computed from."""
        old = rs.get("status") or {}
        unchanged = (all(old.get(f, 0) == status.get(f, 0) for f in
                         ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas"))
                     and int(rs["metadata"].get("generation") or 0) == old.get("observedGeneration", 0)
                     and (old.get("conditions") or []) == (status.get("conditions") or []))
        if unchanged:
            return rs
        status["observedGeneration"] = int(rs["metadata"].get("generation") or 0)
        rs["status"] = _omit_empty(status, keep=("replicas",))
        # Without a resourceVersion the write applies to the latest object: status is
        # ours alone, and a concurrent spec change keeps its own generation.
        rs["metadata"].pop("resourceVersion", None)
        return self.client.update_status(rs)


def _replicas(rs: dict) -> int:
    value = (rs.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)



def _omit_empty(status: dict, keep: tuple[str, ...] = ()) -> dict:
    """Kubernetes serialises these fields with omitempty: zero counts and empty lists vanish."""
    return {k: v for k, v in status.items() if k in keep or v not in (0, None, [], {})}
