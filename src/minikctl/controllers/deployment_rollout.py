"""The Deployment strategies and rollout progress (Kubernetes' rolling.go, recreate.go
and progress.go), a mixin of DeploymentController.

RollingUpdate, one step per sync: grow the new ReplicaSet while the total stays within
replicas+maxSurge; otherwise shrink old ones while available pods stay at or above
replicas-maxUnavailable (unhealthy old replicas go first: removing them costs no
availability). Recreate: old ReplicaSets to 0, wait until none of their pods exists,
then the new one straight to replicas.

Progress: Progressing stays True while replicas move (lastUpdateTime refreshed on each
move), becomes NewReplicaSetAvailable when complete, and False/ProgressDeadlineExceeded
when nothing moved for progressDeadlineSeconds; a stuck Deployment is requeued for the
moment its deadline passes.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from minikctl.api import meta
from minikctl.controllers import deployment_util as du


class RolloutStrategies:
    # Provided by DeploymentController / DeploymentSync.
    clock: Any
    queue: Any
    get_all_replicasets_and_sync_revision: Any
    scale_replicaset_and_record_event: Any
    cleanup_deployment: Any
    write_deployment_status: Any

    # -- RollingUpdate ----------------------------------------------------------------------

    def rollout_rolling(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, old_rss = self.get_all_replicasets_and_sync_revision(d, rs_list, True)
        all_rss = old_rss + [new_rs]
        if self.reconcile_new_replicaset(all_rss, new_rs, d):
            self.sync_rollout_status(all_rss, new_rs, d)
            return
        if self.reconcile_old_replicasets(all_rss, du.filter_active(old_rss), new_rs, d):
            self.sync_rollout_status(all_rss, new_rs, d)
            return
        if du.deployment_complete(d, d.get("status") or {}):
            self.cleanup_deployment(old_rss, d)
        self.sync_rollout_status(all_rss, new_rs, d)

    def reconcile_new_replicaset(self, all_rss: list[dict], new_rs: dict, d: dict) -> bool:
        want = du.replicas_of(d)
        if du.replicas_of(new_rs) == want:
            return False
        if du.replicas_of(new_rs) > want:
            scaled, _ = self.scale_replicaset_and_record_event(new_rs, want, d)
            return bool(scaled)
        scaled, _ = self.scale_replicaset_and_record_event(new_rs, du.new_rs_new_replicas(d, all_rss, new_rs), d)
        return bool(scaled)

    def reconcile_old_replicasets(self, all_rss: list[dict], old_rss: list[dict], new_rs: dict, d: dict) -> bool:
        if du.replica_count(old_rss) == 0:
            return False  # nothing left to scale down
        min_available = du.replicas_of(d) - du.max_unavailable(d)
        new_unavailable = du.replicas_of(new_rs) - du.status_count(new_rs, "availableReplicas")
        # Scaling down may not take availability below min_available, counting the new
        # ReplicaSet's not-yet-available pods as already missing (so a crash-looping new
        # version never eats into the old one's capacity).
        max_scaled_down = du.replica_count(all_rss) - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        old_rss, cleaned = self.cleanup_unhealthy_replicas(old_rss, d, max_scaled_down)
        scaled = self.scale_down_old_replicasets_for_rolling_update(old_rss + [new_rs], old_rss, d)
        return cleaned + scaled > 0

    def cleanup_unhealthy_replicas(self, old_rss: list[dict], d: dict, max_cleanup: int) -> tuple[list[dict], int]:
        """Scale old ReplicaSets down by their unavailable replicas first: the ReplicaSet
        controller deletes not-ready pods first, so this costs no availability."""
        old_rss = du.by_creation(old_rss)
        total = 0
        for i, rs in enumerate(old_rss):
            if total >= max_cleanup:
                break
            unhealthy = du.replicas_of(rs) - du.status_count(rs, "availableReplicas")
            if du.replicas_of(rs) == 0 or unhealthy <= 0:
                continue
            count = min(max_cleanup - total, unhealthy)
            _, old_rss[i] = self.scale_replicaset_and_record_event(rs, du.replicas_of(rs) - count, d)
            total += count
        return old_rss, total

    def scale_down_old_replicasets_for_rolling_update(self, all_rss: list[dict], old_rss: list[dict], d: dict) -> int:
        min_available = du.replicas_of(d) - du.max_unavailable(d)
        available = du.available_replica_count(all_rss)
        if available <= min_available:
            return 0
        to_scale_down, total = available - min_available, 0
        for rs in du.by_creation(old_rss):  # oldest first
            if total >= to_scale_down:
                break
            if du.replicas_of(rs) == 0:
                continue
            count = min(du.replicas_of(rs), to_scale_down - total)
            self.scale_replicaset_and_record_event(rs, du.replicas_of(rs) - count, d)
            total += count
        return total

    # -- Recreate ---------------------------------------------------------------------------

    def rollout_recreate(self, d: dict, rs_list: list[dict], pod_map: dict[str, list[dict]]) -> None:
        new_rs, old_rss = self.get_all_replicasets_and_sync_revision(d, rs_list, False)
        all_rss = old_rss + [new_rs]
        if self.scale_down_old_replicasets_for_recreate(du.filter_active(old_rss), d):
            self.sync_rollout_status(all_rss, new_rs, d)
            return
        if old_pods_running(new_rs, old_rss, pod_map):
            self.sync_rollout_status(all_rss, new_rs, d)
            return
        if new_rs is None:
            new_rs, old_rss = self.get_all_replicasets_and_sync_revision(d, rs_list, True)
            all_rss = old_rss + [new_rs]
        self.scale_replicaset_and_record_event(new_rs, du.replicas_of(d), d)
        if du.deployment_complete(d, d.get("status") or {}):
            self.cleanup_deployment(old_rss, d)
        self.sync_rollout_status(all_rss, new_rs, d)

    def scale_down_old_replicasets_for_recreate(self, old_rss: list[dict], d: dict) -> bool:
        scaled_any = False
        for rs in old_rss:
            if du.replicas_of(rs) == 0:
                continue
            scaled, _ = self.scale_replicaset_and_record_event(rs, 0, d)
            scaled_any = scaled_any or bool(scaled)
        return scaled_any

    # -- progress ---------------------------------------------------------------------------

    def sync_rollout_status(self, all_rss: list, new_rs: dict | None, d: dict) -> None:
        """Status plus the Progressing condition; written only when something changed."""
        now = self.clock.now()
        new_status = du.calculate_status(all_rss, new_rs, d, now)
        if not du.has_progress_deadline(d):
            du.remove_condition(new_status, du.PROGRESSING)
        current = du.get_condition(d.get("status") or {}, du.PROGRESSING)
        complete_recorded = (new_status["replicas"] == new_status["updatedReplicas"] and current is not None
                             and current.get("reason") == du.NEW_REPLICASET_AVAILABLE)
        if du.has_progress_deadline(d) and not complete_recorded:
            self._set_progress(d, new_rs, new_status, current, now)
        failure = _replica_failure(all_rss, new_rs)
        if failure is not None:
            du.set_condition(new_status, failure)
        else:
            du.remove_condition(new_status, du.REPLICA_FAILURE)
        if du.omit_empty(d.get("status") or {}) == du.omit_empty(new_status):
            self.requeue_stuck_deployment(d, new_status)
            return
        d["status"] = new_status
        self.write_deployment_status(d)

    def _set_progress(self, d: dict, new_rs: dict | None, status: dict, current: dict | None,
                      now: _dt.datetime) -> None:
        subject = (f'ReplicaSet "{meta.name_of(new_rs)}"' if new_rs is not None
                   else f'Deployment "{meta.name_of(d)}"')
        if du.deployment_complete(d, status):
            du.set_condition(status, du.new_condition(du.PROGRESSING, "True", du.NEW_REPLICASET_AVAILABLE,
                                                      f"{subject} has successfully progressed.", now))
        elif du.deployment_progressing(d, status):
            cond = du.new_condition(du.PROGRESSING, "True", du.REPLICASET_UPDATED, f"{subject} is progressing.", now)
            # Unlike set_condition, refresh lastUpdateTime even with the same reason:
            # that time is what the deadline counts from.
            if current is not None:
                if current.get("status") == "True":
                    cond["lastTransitionTime"] = current.get("lastTransitionTime")
                du.remove_condition(status, du.PROGRESSING)
            du.set_condition(status, cond)
        elif du.deployment_timed_out(d, status, now):
            du.set_condition(status, du.new_condition(du.PROGRESSING, "False", du.TIMED_OUT,
                                                      f"{subject} has timed out progressing.", now))

    def requeue_stuck_deployment(self, d: dict, new_status: dict) -> float | None:
        """Nothing changed: look again when the progress deadline would pass."""
        current = du.get_condition(d.get("status") or {}, du.PROGRESSING)
        if (not du.has_progress_deadline(d) or current is None or du.deployment_complete(d, new_status)
                or current.get("reason") == du.TIMED_OUT or not current.get("lastUpdateTime")):
            return None
        deadline = meta.parse_time(current["lastUpdateTime"]) + _dt.timedelta(
            seconds=int(d["spec"]["progressDeadlineSeconds"]))
        after = (deadline - self.clock.now()).total_seconds()
        key = f"{meta.namespace_of(d)}/{meta.name_of(d)}"
        if after < 1:
            self.queue.add_rate_limited(key)
            return -1.0
        # One second late, so the deadline has surely passed when we look.
        self.queue.add_after(key, after + 1)
        return after + 1


def old_pods_running(new_rs: dict | None, old_rss: list[dict], pod_map: dict[str, list[dict]]) -> bool:
    """Any pod of an old ReplicaSet that has not finished, terminating ones included."""
    if du.actual_replica_count(old_rss) > 0:
        return True
    new_uid = new_rs["metadata"]["uid"] if new_rs is not None else None
    for uid, pod_list in pod_map.items():
        if uid == new_uid:
            continue
        if any((p.get("status") or {}).get("phase") not in ("Failed", "Succeeded") for p in pod_list):
            return True
    return False


def _replica_failure(all_rss: list, new_rs: dict | None) -> dict | None:
    """The new ReplicaSet's ReplicaFailure condition, else an old one's, as a Deployment condition."""
    for candidates in ([new_rs], all_rss):
        for rs in candidates:
            for c in ((rs or {}).get("status") or {}).get("conditions") or []:
                if c.get("type") == du.REPLICA_FAILURE:
                    return {"type": du.REPLICA_FAILURE, "status": c.get("status"),
                            "lastUpdateTime": c.get("lastTransitionTime"),
                            "lastTransitionTime": c.get("lastTransitionTime"),
                            "reason": c.get("reason"), "message": c.get("message")}
    return None
