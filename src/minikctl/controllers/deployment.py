"""The Deployment controller: a ReplicaSet per pod template, rolled over by strategy,
as Kubernetes' pkg/controller/deployment.

A Deployment owns ReplicaSets; the one whose template (ignoring the pod-template-hash
label) equals the Deployment's is the *new* one, the others are *old*. sync_deployment
decides what one step to take, then records status:

    deleted             -> status only
    paused              -> only follow scaling (proportionally), clean up history
    replicas changed    -> scale every active ReplicaSet proportionally
    Recreate            -> old to 0, wait until their pods are gone, then the new one up
    RollingUpdate       -> grow the new one within maxSurge, shrink old ones within
                           maxUnavailable, one of the two per sync

Every change to a ReplicaSet (its status follows its pods) requeues the Deployment, so
a rollout advances as pods become available. The files are split as Kubernetes splits
them: this one (handlers, claiming, the top of sync), deployment_sync (new ReplicaSet,
scaling, history cleanup, status) and deployment_rollout (the strategies, progress).
"""
from __future__ import annotations

import copy
import logging

from minikctl.api import kinds, meta, selectors
from minikctl.controllers import ownership
from minikctl.controllers.base import Clock, Controller, Informers
from minikctl.controllers.deployment_rollout import RolloutStrategies
from minikctl.controllers.deployment_sync import DeploymentSync
from minikctl.controllers.events import WARNING, EventRecorder

log = logging.getLogger(__name__)


class DeploymentController(DeploymentSync, RolloutStrategies, Controller):
    name = "deployment-controller"
    kind = "Deployment"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None) -> None:
        super().__init__(client, informers, clock=clock)
        self.d_kind = kinds.by_kind("Deployment")
        self.rs_kind = kinds.by_kind("ReplicaSet")
        self.deployments = self.primary
        self.replicasets = informers.informer("ReplicaSet")
        self.pods = informers.informer("Pod")
        self.informers += [self.replicasets, self.pods]
        self.recorder = recorder or EventRecorder(client, self.name, clock=self.clock)
        self.deployments.add_handler(self.handle_deployment_event)
        self.replicasets.add_handler(self.handle_replicaset_event)
        self.pods.add_handler(self.handle_pod_event)

    # -- event handlers -------------------------------------------------------------------

    def handle_deployment_event(self, etype: str, d: dict, old: dict | None) -> None:
        self.enqueue(d)

    def handle_replicaset_event(self, etype: str, rs: dict, old: dict | None) -> None:
        if etype == "DELETED":
            self.delete_replicaset(rs)
        elif etype == "ADDED" or old is None:
            self.add_replicaset(rs)
        else:
            self.update_replicaset(old, rs)

    def handle_pod_event(self, etype: str, pod: dict, old: dict | None) -> None:
        # Only deletions matter here: a Recreate rollout waits for old pods to be gone.
        # (Pod readiness reaches us through the ReplicaSet's status.)
        if etype == "DELETED":
            self.delete_pod(pod)

    def add_replicaset(self, rs: dict) -> None:
        if rs["metadata"].get("deletionTimestamp"):
            self.delete_replicaset(rs)
            return
        ref = ownership.controller_of(rs)
        if ref is not None:
            d = self.resolve_controller_ref(meta.namespace_of(rs), ref)
            if d is not None:
                self.enqueue(d)
            return
        for d in self.get_deployments_for_replicaset(rs):
            self.enqueue(d)  # an orphan: any matching Deployment may adopt it

    def update_replicaset(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        cur_ref, old_ref = ownership.controller_of(cur), ownership.controller_of(old)
        if cur_ref != old_ref and old_ref is not None:
            previous = self.resolve_controller_ref(meta.namespace_of(old), old_ref)
            if previous is not None:
                self.enqueue(previous)
        if cur_ref is not None:
            d = self.resolve_controller_ref(meta.namespace_of(cur), cur_ref)
            if d is not None:
                self.enqueue(d)
            return
        if meta.labels_of(cur) != meta.labels_of(old) or cur_ref != old_ref:
            for d in self.get_deployments_for_replicaset(cur):
                self.enqueue(d)

    def delete_replicaset(self, rs: dict) -> None:
        ref = ownership.controller_of(rs)
        d = self.resolve_controller_ref(meta.namespace_of(rs), ref) if ref is not None else None
        if d is not None:
            self.enqueue(d)

    def delete_pod(self, pod: dict) -> None:
        d = self.get_deployment_for_pod(pod)
        if d is None or (d["spec"].get("strategy") or {}).get("type") != "Recreate":
            return
        rs_list = [rs for rs in self.replicasets.list(meta.namespace_of(d))
                   if (ownership.controller_of(rs) or {}).get("uid") == d["metadata"].get("uid")]
        if not any(self.get_pod_map_for_deployment(d, rs_list).values()):
            self.enqueue(d)  # the last old pod is gone: the new ReplicaSet may start

    def resolve_controller_ref(self, namespace: str, ref: dict) -> dict | None:
        return ownership.resolve_controller_ref(ref, self.kind, self.deployments.get, namespace)

    def get_deployment_for_pod(self, pod: dict) -> dict | None:
        ref = ownership.controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return None
        rs = self.replicasets.get(f"{meta.namespace_of(pod)}/{ref.get('name')}")
        if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
            return None
        rs_ref = ownership.controller_of(rs)
        return self.resolve_controller_ref(meta.namespace_of(rs), rs_ref) if rs_ref is not None else None

    def get_deployments_for_replicaset(self, rs: dict) -> list[dict]:
        found = []
        for d in self.deployments.list(meta.namespace_of(rs)):
            try:
                selector = selectors.from_label_selector(d["spec"].get("selector"))
            except ValueError:
                continue
            if not selector.empty() and selector.matches(meta.labels_of(rs)):
                found.append(d)
        if len(found) > 1:
            log.warning("more than one Deployment selects ReplicaSet %s/%s: %s", meta.namespace_of(rs),
                        meta.name_of(rs), ", ".join(meta.name_of(d) for d in found))
        return found

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        self.sync_deployment(key)

    def sync_deployment(self, key: str) -> None:
        cached = self.deployments.get(key)
        if cached is None:
            # TODO(gc): deleted. Its ReplicaSets keep a dangling ownerReference; the
            # garbage collector (not yet written) deletes them with background
            # propagation, and their pods after them. Nothing here recreates anything:
            # the ReplicaSet controller resolves owners by uid, so they stay orphans.
            return
        d = copy.deepcopy(cached)  # never mutate the cache
        if d["spec"].get("selector") == {}:
            self.recorder.event(d, WARNING, "SelectingAll",
                                "This deployment is selecting all pods. A non-empty selector is required.")
            if (d.get("status") or {}).get("observedGeneration", 0) < int(d["metadata"].get("generation") or 0):
                d.setdefault("status", {})["observedGeneration"] = int(d["metadata"]["generation"])
                self.write_deployment_status(d)
            return
        rs_list = self.get_replicasets_for_deployment(d)
        pod_map = self.get_pod_map_for_deployment(d, rs_list)
        if d["metadata"].get("deletionTimestamp"):
            self.sync_status_only(d, rs_list)
            return
        self.check_paused_conditions(d)
        if d["spec"].get("paused"):
            self.sync_scaling(d, rs_list)
            return
        if self.is_scaling_event(d, rs_list):
            self.sync_scaling(d, rs_list)
            return
        if (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            self.rollout_recreate(d, rs_list, pod_map)
        else:
            self.rollout_rolling(d, rs_list)

    def get_replicasets_for_deployment(self, d: dict) -> list[dict]:
        """The Deployment's ReplicaSets, adopting matching orphans and releasing owned
        ones that no longer match. Returned objects are cache objects: copy to change."""
        selector = selectors.from_label_selector(d["spec"].get("selector"))
        can_adopt = ownership.recheck_deletion(self.client, self.d_kind, d)
        manager = ownership.RefManager(self.client, d, selector, self.rs_kind, can_adopt)
        return manager.claim(self.replicasets.list(meta.namespace_of(d)))

    def get_pod_map_for_deployment(self, d: dict, rs_list: list[dict]) -> dict[str, list[dict]]:
        """Pods grouped by the uid of their ReplicaSet, inactive ones included: Recreate
        must know that no old pod is still running, or still terminating."""
        try:
            selector = selectors.from_label_selector(d["spec"].get("selector"))
        except ValueError:
            return {}
        pod_map: dict[str, list[dict]] = {rs["metadata"]["uid"]: [] for rs in rs_list}
        for pod in self.pods.list(meta.namespace_of(d), lambda p: selector.matches(meta.labels_of(p))):
            ref = ownership.controller_of(pod)
            if ref is not None and ref.get("uid") in pod_map:
                pod_map[ref["uid"]].append(pod)
        return pod_map
