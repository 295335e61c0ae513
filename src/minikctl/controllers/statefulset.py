"""The StatefulSet controller, after pkg/controller/statefulset (1.32).

sync_statefulset(key):

    get the set from the cache (gone: done; its pods and revisions go by garbage collection)
    -> claim its revisions and pods (adopt matching orphans named NAME-i, release strays)
    -> the update revision (the spec's template: found, renumbered on a rollback, or
       created) and the current revision (status.currentRevision, else the update one)
    -> update_set: create missing ordinals (claims first), delete ordinals past
       spec.replicas from the highest down, then roll pods to the update revision
       from the highest ordinal down to the partition, one at a time
    -> status, written only when it changed; history truncated to revisionHistoryLimit.

OrderedReady (the default) is monotonic: one action per sync, and none while a lower
ordinal is not Running and Ready (or a higher one is still terminating on scale-down).
Parallel creates and deletes all at once; rolling updates stay one pod at a time in
both. Names are deterministic, so a create that finds the pod already there only means
the cache is behind: no expectations are needed, as in Kubernetes.
"""
from __future__ import annotations

import copy
import logging

from minikctl import errors
from minikctl.api import kinds, meta
from minikctl.controllers import ownership, pods
from minikctl.controllers import statefulset_pods as sp
from minikctl.controllers.base import Clock, Controller, Informers
from minikctl.controllers.events import NORMAL, WARNING, EventRecorder
from minikctl.controllers.history import History, template_of

log = logging.getLogger(__name__)

_STATUS_COUNTS = ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas")
# How long a pod we deleted is not deleted again while the cache catches up.
_RECENT_DELETE = 10.0
# StatefulSetStatus fields serialised with omitempty.
_OMIT_EMPTY = ("readyReplicas", "currentReplicas", "updatedReplicas")


class _Wait(Exception):
    """OrderedReady: stop acting in this sync (a pod is not ready yet, or was just acted on)."""


class StatefulSetController(Controller):
    name = "statefulset-controller"
    kind = "StatefulSet"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None) -> None:
        super().__init__(client, informers, clock=clock)
        self.sts_kind = kinds.by_kind("StatefulSet")
        self.pod_kind = kinds.by_kind("Pod")
        self.pvc_kind = kinds.by_kind("PersistentVolumeClaim")
        self.sets = self.primary
        self.pods = informers.informer("Pod")
        self.claims = informers.informer("PersistentVolumeClaim")
        self.revisions = informers.informer("ControllerRevision")
        self.informers += [self.pods, self.claims, self.revisions]
        self.history = History(client, lambda ns: self.revisions.list(ns))
        self.recorder = recorder or EventRecorder(client, self.name, clock=self.clock)
        self._deleted: dict[str, float] = {}  # pod uid -> when we deleted it
        self.sets.add_handler(lambda _t, obj, _old: self.enqueue(obj))
        self.pods.add_handler(self.handle_pod_event)
        self.revisions.add_handler(self.handle_owned_event)

    # -- event handlers ---------------------------------------------------------------------

    def handle_pod_event(self, etype: str, pod: dict, old: dict | None) -> None:
        if old is not None and old["metadata"].get("resourceVersion") == pod["metadata"].get("resourceVersion"):
            return
        owners = [self._owner(pod)] + ([self._owner(old)] if old is not None else [])
        found = [o for o in owners if o is not None]
        if not found and etype != "DELETED":
            found = self._matching_sets(pod)  # an orphan: whoever may adopt it
        for sts in found:
            self.enqueue(sts)
            min_ready = int(sts["spec"].get("minReadySeconds") or 0)
            if min_ready and old is not None and not pods.is_pod_ready(old) and pods.is_pod_ready(pod):
                self.enqueue_after(sts, min_ready + 1)  # nothing else says when it becomes available

    def handle_owned_event(self, _etype: str, obj: dict, _old: dict | None) -> None:
        owner = self._owner(obj)
        if owner is not None:
            self.enqueue(owner)

    def _owner(self, obj: dict) -> dict | None:
        return ownership.resolve_controller_ref(ownership.controller_of(obj), self.kind, self.sets.get,
                                                meta.namespace_of(obj))

    def _matching_sets(self, pod: dict) -> list[dict]:
        return [sts for sts in ownership.selecting(self.sets.list(meta.namespace_of(pod)), pod)
                if sp.ordinal_of(meta.name_of(sts), pod) is not None]

    # -- sync -------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        self.sync_statefulset(key)

    def sync_statefulset(self, key: str) -> None:
        cached = self.sets.get(key)
        if cached is None:
            return
        sts = copy.deepcopy(cached)
        selector = ownership.spec_selector(sts)
        if selector is None:
            log.error("%s: StatefulSet %s has an invalid selector; not syncing it", self.name, key)
            return
        revisions = self.history.owned(sts, selector, self.sts_kind)
        status = sts.get("status") or {}
        current, update, collisions = self.history.current_and_update(
            sts, revisions, int(status.get("collisionCount") or 0), status.get("currentRevision"))
        members = [p for p in self.pods.list(meta.namespace_of(sts))
                   if sp.ordinal_of(meta.name_of(sts), p) is not None]
        claimed = ownership.RefManager(self.client, sts, selector, self.pod_kind,
                                       ownership.recheck_deletion(self.client, self.sts_kind, sts)).claim(members)
        error: Exception | None = None
        if not sts["metadata"].get("deletionTimestamp"):
            try:
                self.update_set(sts, current, update, claimed)
            except _Wait:
                pass
            except Exception as exc:  # noqa: BLE001 - status is still written, then retried
                error = exc
        self.write_status(sts, self.calculate_status(sts, claimed, current, update, collisions))
        live = {meta.name_of(current), meta.name_of(update)} | {sp.revision_of(p) for p in claimed}
        self.history.truncate(sts, [r for r in revisions if meta.name_of(r) != meta.name_of(update)]
                              + [update], live)
        if error is not None:
            raise error
        self._requeue_for_availability(sts, claimed)

    # -- acting -----------------------------------------------------------------------------

    def update_set(self, sts: dict, current: dict, update: dict, claimed: list[dict]) -> None:
        """updateStatefulSet: raises _Wait where OrderedReady must wait for the next sync."""
        start, count = sp.start_ordinal(sts), sp.replicas_of(sts)
        replicas: dict[int, dict] = {}
        condemned: list[dict] = []
        for pod in claimed:
            ordinal = sp.ordinal_of(meta.name_of(sts), pod)
            assert ordinal is not None
            if start <= ordinal < start + count:
                replicas[ordinal] = pod
            else:
                condemned.append(pod)
        condemned.sort(key=lambda p: -(sp.ordinal_of(meta.name_of(sts), p) or 0))
        monotonic = (sts["spec"].get("podManagementPolicy") or "OrderedReady") != "Parallel"
        min_ready = int(sts["spec"].get("minReadySeconds") or 0)
        # The first unavailable pod: the lowest ordinal, among replicas, then condemned ones.
        unhealthy = [p for p in [replicas[o] for o in sorted(replicas)] + condemned[::-1]
                     if not self._healthy(p, min_ready)]
        first_unhealthy = unhealthy[0] if unhealthy else None

        for ordinal in range(start, start + count):
            self._process_replica(sts, current, update, ordinal, replicas.get(ordinal), monotonic, min_ready)
        for pod in condemned:
            self._process_condemned(sts, pod, monotonic, first_unhealthy)
        self._roll(sts, update, replicas, start, count, min_ready)

    def _process_replica(self, sts: dict, current: dict, update: dict, ordinal: int, pod: dict | None,
                         monotonic: bool, min_ready: int) -> None:
        name = sp.pod_name(sts, ordinal)
        if pod is None:
            self._create(sts, current, update, ordinal)
            if monotonic:
                raise _Wait
            return
        if sp.is_terminal(pod):
            # A failed (or finished) pod is deleted and, on a later sync, created again.
            if not sp.is_terminating(pod):
                log.info("%s: recreating %s pod %s", self.name, pod["status"].get("phase"), name)
                self._delete(sts, pod)
            if monotonic:
                raise _Wait
            return
        if not sp.is_terminating(pod):
            self._create_claims(sts, pod, ordinal)  # a claim deleted under a pod comes back
        if sp.is_terminating(pod):
            if monotonic:
                log.debug("%s: waiting for %s to terminate", self.name, name)
                raise _Wait
            return
        if monotonic and not sp.is_running_and_ready(pod):
            log.debug("%s: waiting for %s to be Running and Ready", self.name, name)
            raise _Wait
        if monotonic and not pods.is_pod_available(pod, min_ready, self.clock.now()):
            raise _Wait
        self._sync_claim_refs(sts, pod, scaled_down=False)
        if not sp.identity_matches(sts, pod):
            self.client.modify(self.pod_kind, meta.namespace_of(pod), name, lambda p: sp.fix_identity(sts, p))

    def _process_condemned(self, sts: dict, pod: dict, monotonic: bool, first_unhealthy: dict | None) -> None:
        if sp.is_terminating(pod):
            if monotonic:
                raise _Wait
            return
        if monotonic and not self._healthy(pod, int(sts["spec"].get("minReadySeconds") or 0)) \
                and pod is not first_unhealthy:
            raise _Wait  # only the first unavailable pod may go while it is unavailable
        self._sync_claim_refs(sts, pod, scaled_down=True)
        self._delete(sts, pod)
        if monotonic:
            raise _Wait

    def _roll(self, sts: dict, update: dict, replicas: dict[int, dict], start: int, count: int,
              min_ready: int) -> None:
        """RollingUpdate: from the highest ordinal down to the partition, replace one pod
        not at the update revision, and wait until it is back and healthy."""
        strategy = sts["spec"].get("updateStrategy") or {}
        if (strategy.get("type") or "RollingUpdate") != "RollingUpdate":
            return
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        for index in range(count - 1, partition - 1, -1):
            pod = replicas.get(start + index)
            if pod is None:
                raise _Wait
            if sp.revision_of(pod) != meta.name_of(update) and not sp.is_terminating(pod):
                log.info("%s: terminating %s for update", self.name, meta.name_of(pod))
                self._delete(sts, pod)
                raise _Wait
            if not self._healthy(pod, min_ready):
                raise _Wait

    def _healthy(self, pod: dict, min_ready: int) -> bool:
        return (sp.is_running_and_ready(pod) and not sp.is_terminating(pod)
                and pods.is_pod_available(pod, min_ready, self.clock.now()))

    def _versioned_set(self, sts: dict, current: dict, update: dict, ordinal: int) -> tuple[dict, dict]:
        """newVersionedStatefulSetPod: ordinals below the partition keep the current revision."""
        strategy = sts["spec"].get("updateStrategy") or {}
        if (strategy.get("type") or "RollingUpdate") == "RollingUpdate":
            rolling = strategy.get("rollingUpdate")
            partition = (rolling or {}).get("partition")
            index = ordinal - sp.start_ordinal(sts)
            current_count = int((sts.get("status") or {}).get("currentReplicas") or 0)
            if (partition is None and index < current_count) or (partition is not None and index < int(partition)):
                return _applied(sts, current), current
        return _applied(sts, update), update

    def _create(self, sts: dict, current: dict, update: dict, ordinal: int) -> None:
        template_set, revision = self._versioned_set(sts, current, update, ordinal)
        pod = sp.new_pod(template_set, ordinal, meta.name_of(revision))
        self._create_claims(sts, pod, ordinal)
        name = meta.name_of(pod)
        try:
            self.client.create(pod)
        except errors.AlreadyExists:
            return  # our cache is behind: the pod's event brings the next sync
        except Exception as exc:
            self.recorder.event(sts, WARNING, "FailedCreate",
                                f"create Pod {name} in StatefulSet {meta.name_of(sts)} failed error: {exc}")
            if _namespace_terminating(exc):
                raise _Wait from None  # every create would fail: nothing to retry
            raise
        self.recorder.event(sts, NORMAL, "SuccessfulCreate",
                            f"create Pod {name} in StatefulSet {meta.name_of(sts)} successful")

    def _create_claims(self, sts: dict, pod: dict, ordinal: int) -> None:
        """createPersistentVolumeClaims: every missing claim of this ordinal, before its pod."""
        when_deleted, _ = sp.retention(sts)
        for claim in sp.claims_for(sts, ordinal).values():
            name = meta.name_of(claim)
            existing = self.claims.get(f"{meta.namespace_of(sts)}/{name}")
            if existing is not None:
                if existing["metadata"].get("deletionTimestamp"):
                    raise errors.MinikctlError(f"pvc {name} is being deleted")
                continue
            if when_deleted == sp.DELETE:
                claim["metadata"]["ownerReferences"] = [sp.owner_ref(sts)]
            try:
                self.client.create(claim)
            except errors.AlreadyExists:
                continue
            except Exception as exc:
                self.recorder.event(sts, WARNING, "FailedCreate",
                                    f"create Claim {name} for Pod {meta.name_of(pod)} in StatefulSet "
                                    f"{meta.name_of(sts)} failed error: {exc}")
                raise
            self.recorder.event(sts, NORMAL, "SuccessfulCreate",
                                f"create Claim {name} Pod {meta.name_of(pod)} in StatefulSet {meta.name_of(sts)} "
                                "success")

    def _sync_claim_refs(self, sts: dict, pod: dict, *, scaled_down: bool) -> None:
        """The retention policy, applied to the claims of a live or a condemned pod."""
        ordinal = sp.ordinal_of(meta.name_of(sts), pod)
        for claim in sp.claims_for(sts, ordinal or 0).values():
            cached = self.claims.get(f"{meta.namespace_of(sts)}/{meta.name_of(claim)}")
            if cached is None or sp.claim_refs(sts, cached, pod, scaled_down) is None:
                continue

            def set_refs(current: dict) -> None:
                refs = sp.claim_refs(sts, current, pod, scaled_down)
                if refs is not None:
                    if refs:
                        current["metadata"]["ownerReferences"] = refs
                    else:
                        current["metadata"].pop("ownerReferences", None)

            try:
                self.client.modify(self.pvc_kind, meta.namespace_of(sts), meta.name_of(claim), set_refs)
            except errors.NotFound:
                pass

    def _delete(self, sts: dict, pod: dict) -> None:
        name, uid, now = meta.name_of(pod), pod["metadata"].get("uid", ""), self.clock.monotonic()
        # The cache may show a pod we just deleted without its deletionTimestamp for a few
        # milliseconds: deleting it again would only repeat the event.
        self._deleted = {u: t for u, t in self._deleted.items() if now - t < _RECENT_DELETE}
        if uid in self._deleted:
            return
        self._deleted[uid] = now
        try:
            self.client.delete(self.pod_kind, meta.namespace_of(pod), name)
        except errors.NotFound:
            return
        except Exception as exc:
            self._deleted.pop(uid, None)  # not deleted: the retry must try again
            self.recorder.event(sts, WARNING, "FailedDelete",
                                f"delete Pod {name} in StatefulSet {meta.name_of(sts)} failed error: {exc}")
            raise
        self.recorder.event(sts, NORMAL, "SuccessfulDelete",
                            f"delete Pod {name} in StatefulSet {meta.name_of(sts)} successful")

    # -- status -----------------------------------------------------------------------------

    def calculate_status(self, sts: dict, claimed: list[dict], current: dict, update: dict,
                         collisions: int) -> dict:
        min_ready = int(sts["spec"].get("minReadySeconds") or 0)
        now = self.clock.now()
        counts = dict.fromkeys(_STATUS_COUNTS, 0)
        for pod in claimed:
            counts["replicas"] += 1
            if sp.is_running_and_ready(pod):
                counts["readyReplicas"] += 1
                if pods.is_pod_available(pod, min_ready, now):
                    counts["availableReplicas"] += 1
            if not sp.is_terminating(pod):
                revision = sp.revision_of(pod)
                counts["currentReplicas"] += revision == meta.name_of(current)
                counts["updatedReplicas"] += revision == meta.name_of(update)
        status = {**(sts.get("status") or {}), **counts,
                  "currentRevision": meta.name_of(current), "updateRevision": meta.name_of(update),
                  "collisionCount": collisions,
                  "observedGeneration": int(sts["metadata"].get("generation") or 0)}
        strategy = (sts["spec"].get("updateStrategy") or {}).get("type") or "RollingUpdate"
        if (strategy == "RollingUpdate" and status["updatedReplicas"] == status["replicas"]
                and status["readyReplicas"] == status["replicas"]):
            # completeRollingUpdate: every pod is at the update revision and ready.
            status["currentReplicas"] = status["updatedReplicas"]
            status["currentRevision"] = status["updateRevision"]
        return status

    def write_status(self, sts: dict, status: dict) -> None:
        """Write status only when it changed; zero counts Kubernetes omits are dropped."""
        old = sts.get("status") or {}
        computed = set(status)
        status = {k: v for k, v in status.items() if v or k not in _OMIT_EMPTY}
        new = {**{k: v for k, v in old.items() if k not in computed}, **status}
        if new == old:
            return
        sts["status"] = new
        # Status is ours alone: write it onto the latest object, whatever its resourceVersion.
        sts["metadata"].pop("resourceVersion", None)
        try:
            self.client.update_status(sts)
        except errors.NotFound:
            pass

    def _requeue_for_availability(self, sts: dict, claimed: list[dict]) -> None:
        min_ready = int(sts["spec"].get("minReadySeconds") or 0)
        now = self.clock.now()
        if min_ready and any(sp.is_running_and_ready(p) and not pods.is_pod_available(p, min_ready, now)
                             for p in claimed):
            self.enqueue_after(sts, min_ready)


def _namespace_terminating(exc: Exception) -> bool:
    return isinstance(exc, errors.Forbidden) and "being terminated" in str(exc)


def _applied(sts: dict, revision: dict) -> dict:
    """ApplyRevision: the set as it was at `revision` (its template restored)."""
    out = copy.deepcopy(sts)
    out["spec"]["template"] = template_of(revision)
    return out


