"""The Deployment controller's bookkeeping (Kubernetes' deployment/sync.go): finding or
creating the new ReplicaSet and keeping revisions in step, scaling (proportionally while
a rollout is in flight), cleaning up old ReplicaSets beyond revisionHistoryLimit, the
paused condition, and writing status only when it changed.

A mixin of DeploymentController: it uses the controller's client, caches and clock.
"""
from __future__ import annotations

import copy
import logging
from typing import Any

from minikctl import errors
from minikctl.api import meta
from minikctl.controllers import deployment_util as du
from minikctl.controllers import ownership
from minikctl.controllers.events import NORMAL, WARNING

log = logging.getLogger(__name__)


class DeploymentSync:
    # Provided by DeploymentController.
    client: Any
    clock: Any
    recorder: Any
    replicasets: Any
    d_kind: Any
    rs_kind: Any

    # -- the new ReplicaSet and revisions ---------------------------------------------------

    def get_all_replicasets_and_sync_revision(self, d: dict, rs_list: list[dict],
                                              create: bool) -> tuple[dict | None, list[dict]]:
        """(new ReplicaSet or None, all old ones). Updates rs_list in place with anything
        written, so later steps of the same sync do not act on a stale copy."""
        _, all_old = du.find_old_replicasets(d, rs_list)
        new_rs = self.get_new_replicaset(d, rs_list, all_old, create)
        if new_rs is not None:
            uid = new_rs["metadata"]["uid"]
            rs_list[:] = [new_rs if rs["metadata"]["uid"] == uid else rs for rs in rs_list]
            if all(rs["metadata"]["uid"] != uid for rs in rs_list):
                rs_list.append(new_rs)
        return new_rs, all_old

    def get_new_replicaset(self, d: dict, rs_list: list[dict], old_rss: list[dict], create: bool) -> dict | None:
        existing = du.find_new_replicaset(d, rs_list)
        new_revision = du.max_revision(old_rss) + 1
        if existing is not None:
            return self._sync_existing_new_replicaset(d, existing, new_revision)
        if not create:
            return None
        return self._create_new_replicaset(d, old_rss, new_revision)

    def _sync_existing_new_replicaset(self, d: dict, existing: dict, new_revision: int) -> dict:
        rs = copy.deepcopy(existing)
        # A template that matches an old ReplicaSet (a rollback) reuses it: its revision
        # goes up to the newest, its previous revision into revision-history.
        annotations_changed = du.set_new_replicaset_annotations(d, rs, new_revision, exists=True)
        min_ready = d["spec"].get("minReadySeconds") or 0
        if annotations_changed or (rs["spec"].get("minReadySeconds") or 0) != min_ready:
            if min_ready:
                rs["spec"]["minReadySeconds"] = min_ready
            else:
                rs["spec"].pop("minReadySeconds", None)
            return self.client.update(rs)  # the update event brings us back for the rest
        self.set_deployment_revision(d, (rs["metadata"].get("annotations") or {}).get(du.REVISION, ""))
        if du.has_progress_deadline(d) and du.get_condition(d.get("status") or {}, du.PROGRESSING) is None:
            # First sight of this Deployment's progress: start counting from now.
            du.set_condition(d.setdefault("status", {}), du.new_condition(
                du.PROGRESSING, "True", du.FOUND_NEW_REPLICASET, f'Found new replica set "{meta.name_of(rs)}"',
                self.clock.now()))
            self.write_deployment_status(d)
        return rs

    def _create_new_replicaset(self, d: dict, old_rss: list[dict], new_revision: int) -> dict:
        template = copy.deepcopy(d["spec"]["template"])
        status = d.setdefault("status", {})
        pod_hash = du.compute_hash(template, status.get("collisionCount"))
        labels = {**((template.get("metadata") or {}).get("labels") or {}), du.POD_TEMPLATE_HASH: pod_hash}
        template.setdefault("metadata", {})["labels"] = labels
        selector = copy.deepcopy(d["spec"]["selector"])
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), du.POD_TEMPLATE_HASH: pod_hash}
        name = f"{meta.name_of(d)}-{pod_hash}"  # deterministic, so a retried create is idempotent
        new_rs: dict = {
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": meta.namespace_of(d),
                         "ownerReferences": [ownership.controller_ref(d)], "labels": dict(labels)},
            "spec": {"replicas": 0, "selector": selector, "template": template},
        }
        if d["spec"].get("minReadySeconds"):
            new_rs["spec"]["minReadySeconds"] = d["spec"]["minReadySeconds"]
        replicas = du.new_rs_new_replicas(d, old_rss + [new_rs], new_rs)
        new_rs["spec"]["replicas"] = replicas
        du.set_new_replicaset_annotations(d, new_rs, new_revision, exists=False)
        try:
            created, already_existed = self.client.create(new_rs), False
        except errors.AlreadyExists:
            created, already_existed = self._existing_or_collision(d, new_rs), True
        except Exception as exc:
            message = f'Failed to create new replica set "{name}": {exc}'
            if du.has_progress_deadline(d):
                du.set_condition(status, du.new_condition(du.PROGRESSING, "False", du.FAILED_RS_CREATE, message,
                                                          self.clock.now()))
                try:
                    self.write_deployment_status(d)
                except Exception:  # noqa: BLE001 - the create failure is the error to report
                    pass
            self.recorder.event(d, WARNING, du.FAILED_RS_CREATE, message)
            raise
        if not already_existed and replicas > 0:
            self.recorder.event(d, NORMAL, "ScalingReplicaSet", f"Scaled up replica set {name} from 0 to {replicas}")
        self.set_deployment_revision(d, str(new_revision))
        if not already_existed and du.has_progress_deadline(d):
            du.set_condition(status, du.new_condition(du.PROGRESSING, "True", du.NEW_REPLICASET_CREATED,
                                                      f'Created new replica set "{name}"', self.clock.now()))
            self.write_deployment_status(d)
        return created

    def _existing_or_collision(self, d: dict, new_rs: dict) -> dict:
        """The name is taken: ours from an earlier sync (a slow cache), or a hash
        collision, which bumps collisionCount so the next sync hashes differently."""
        ns, name = meta.namespace_of(new_rs), meta.name_of(new_rs)
        rs = self.replicasets.get(f"{ns}/{name}") or self.client.get(self.rs_kind, ns, name)
        ref = ownership.controller_of(rs)
        if (ref is not None and ref.get("uid") == d["metadata"]["uid"]
                and du.equal_ignore_hash(d["spec"]["template"], rs["spec"].get("template") or {})):
            return rs
        status = d.setdefault("status", {})
        status["collisionCount"] = int(status.get("collisionCount") or 0) + 1
        self.write_deployment_status(d)
        raise errors.AlreadyExists("replicasets", name, "apps")

    def set_deployment_revision(self, d: dict, revision: str) -> None:
        """The Deployment carries its new ReplicaSet's revision (what `rollout history` shows)."""
        annotations = d["metadata"].setdefault("annotations", {})
        if not revision or annotations.get(du.REVISION) == revision:
            return

        def change(obj: dict) -> None:
            obj["metadata"].setdefault("annotations", {})[du.REVISION] = revision

        updated, _ = self.client.modify(self.d_kind, meta.namespace_of(d), meta.name_of(d), change)
        annotations[du.REVISION] = revision
        d["metadata"]["resourceVersion"] = updated["metadata"].get("resourceVersion")

    # -- scaling ----------------------------------------------------------------------------

    def is_scaling_event(self, d: dict, rs_list: list[dict]) -> bool:
        """spec.replicas differs from what the active ReplicaSets were sized for."""
        new_rs, old_rss = self.get_all_replicasets_and_sync_revision(d, rs_list, False)
        for rs in du.filter_active(old_rss + [new_rs]):
            desired = (rs["metadata"].get("annotations") or {}).get(du.DESIRED_REPLICAS)
            try:
                if int(desired) != du.replicas_of(d):
                    return True
            except (TypeError, ValueError):
                continue
        return False

    def sync_scaling(self, d: dict, rs_list: list[dict]) -> None:
        """Kubernetes' sync(): for scaling events and paused Deployments."""
        new_rs, old_rss = self.get_all_replicasets_and_sync_revision(d, rs_list, False)
        self.scale(d, new_rs, old_rss)
        if d["spec"].get("paused"):
            self.cleanup_deployment(old_rss, d)
        self.sync_deployment_status(old_rss + [new_rs], new_rs, d)

    def sync_status_only(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, old_rss = self.get_all_replicasets_and_sync_revision(d, rs_list, False)
        self.sync_deployment_status(old_rss + [new_rs], new_rs, d)

    def scale(self, d: dict, new_rs: dict | None, old_rss: list[dict]) -> None:
        only = du.find_active_or_latest(new_rs, old_rss)
        if only is not None:
            # One active ReplicaSet (or none: the newest) takes the whole size.
            if du.replicas_of(only) != du.replicas_of(d):
                self.scale_replicaset_and_record_event(only, du.replicas_of(d), d)
            return
        if du.is_saturated(d, new_rs):
            for old in du.filter_active(old_rss):
                self.scale_replicaset_and_record_event(old, 0, d)
            return
        if du.is_rolling_update(d):
            self._scale_proportionally(d, du.filter_active(old_rss + [new_rs]))

    def _scale_proportionally(self, d: dict, active: list[dict]) -> None:
        """Mid-rollout resize: spread the change over the active ReplicaSets in
        proportion to their sizes, leftovers to the largest."""
        allowed = du.replicas_of(d) + du.max_surge(d) if du.replicas_of(d) > 0 else 0
        to_add = allowed - du.replica_count(active)
        by_age = du.by_creation(active)
        if to_add > 0:  # largest first; on a tie, scale up newer ones first
            ordered = sorted(reversed(by_age), key=lambda rs: -du.replicas_of(rs))
        else:  # largest first; on a tie, scale down older ones first
            ordered = sorted(by_age, key=lambda rs: -du.replicas_of(rs))
        operation = "up" if to_add > 0 else "down"
        added, sizes = 0, {}
        for rs in ordered:
            share = du.proportion(rs, d, to_add, added) if to_add else 0
            sizes[meta.name_of(rs)] = du.replicas_of(rs) + share
            added += share
        for i, rs in enumerate(ordered):
            size = sizes[meta.name_of(rs)]
            if i == 0 and to_add:
                size = max(0, size + to_add - added)
            self.scale_replicaset(rs, size, d, operation)

    def scale_replicaset_and_record_event(self, rs: dict, new_scale: int, d: dict) -> tuple[bool, dict]:
        if du.replicas_of(rs) == new_scale:
            return False, rs
        operation = "up" if du.replicas_of(rs) < new_scale else "down"
        return self.scale_replicaset(rs, new_scale, d, operation)

    def scale_replicaset(self, rs: dict, new_scale: int, d: dict, operation: str) -> tuple[bool, dict]:
        """Set replicas and the desired/max-replicas annotations; True if the size changed."""
        desired, max_replicas = du.replicas_of(d), du.replicas_of(d) + du.max_surge(d)
        size_changes = du.replicas_of(rs) != new_scale
        if not size_changes and not du.replicas_annotations_need_update(rs, desired, max_replicas):
            return False, rs
        old_scale = du.replicas_of(rs)
        copy_ = copy.deepcopy(rs)
        copy_["spec"]["replicas"] = new_scale
        du.set_replicas_annotations(copy_, desired, max_replicas)
        updated = self.client.update(copy_)  # resourceVersion from the cache: a stale cache conflicts
        if size_changes:
            self.recorder.event(d, NORMAL, "ScalingReplicaSet",
                                f"Scaled {operation} replica set {meta.name_of(rs)} from {old_scale} to {new_scale}")
        return size_changes, updated

    # -- history ----------------------------------------------------------------------------

    def cleanup_deployment(self, old_rss: list[dict], d: dict) -> None:
        """Delete the oldest old ReplicaSets beyond revisionHistoryLimit, if fully scaled
        down (and their controller has seen that)."""
        limit = d["spec"].get("revisionHistoryLimit")
        if limit is None:
            return
        alive = [rs for rs in old_rss if not rs["metadata"].get("deletionTimestamp")]
        excess = len(alive) - int(limit)
        if excess <= 0:
            return
        for rs in du.by_revision(alive)[:excess]:
            st = rs.get("status") or {}
            if (st.get("replicas", 0) != 0 or du.replicas_of(rs) != 0
                    or int(rs["metadata"].get("generation") or 0) > st.get("observedGeneration", 0)):
                continue
            log.debug("cleaning up ReplicaSet %s of Deployment %s", meta.name_of(rs), meta.name_of(d))
            try:
                self.client.delete(self.rs_kind, meta.namespace_of(rs), meta.name_of(rs))
            except errors.NotFound:
                pass

    # -- status -----------------------------------------------------------------------------

    def check_paused_conditions(self, d: dict) -> None:
        """Progressing=Unknown while paused, so the time spent paused never counts
        against progressDeadlineSeconds."""
        if not du.has_progress_deadline(d):
            return
        status = d.setdefault("status", {})
        cond = du.get_condition(status, du.PROGRESSING)
        if cond is not None and cond.get("reason") == du.TIMED_OUT:
            return  # a reported failure is not overwritten by pausing
        paused_recorded = cond is not None and cond.get("reason") == du.PAUSED
        if d["spec"].get("paused") and not paused_recorded:
            new = du.new_condition(du.PROGRESSING, "Unknown", du.PAUSED, "Deployment is paused", self.clock.now())
        elif not d["spec"].get("paused") and paused_recorded:
            new = du.new_condition(du.PROGRESSING, "Unknown", du.RESUMED, "Deployment is resumed", self.clock.now())
        else:
            return
        du.set_condition(status, new)
        self.write_deployment_status(d)

    def sync_deployment_status(self, all_rss: list, new_rs: dict | None, d: dict) -> None:
        new_status = du.calculate_status(all_rss, new_rs, d, self.clock.now())
        if du.omit_empty(d.get("status") or {}) == du.omit_empty(new_status):
            return
        d["status"] = new_status
        self.write_deployment_status(d)

    def write_deployment_status(self, d: dict) -> None:
        obj = copy.deepcopy(d)
        obj["status"] = du.omit_empty(d.get("status") or {})
        # Status is ours alone: write it over the latest object rather than conflict.
        obj["metadata"].pop("resourceVersion", None)
        updated = self.client.update_status(obj)
        d["metadata"]["resourceVersion"] = updated["metadata"].get("resourceVersion")
