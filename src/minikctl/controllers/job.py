"""The Job controller: runs pods to completion, as pkg/controller/job.

sync_job(key) is a linear pipeline:

    get the Job from the cache (gone or finished: nothing to do)
    -> claim its pods (adopt matching orphans, release what stopped matching)
    -> count: active, terminating, succeeded, failed (and completed indexes)
    -> is it done? a podFailurePolicy FailJob rule matched, backoffLimit exceeded,
       activeDeadlineSeconds passed, a successPolicy rule met, or enough completions:
       a FailureTarget / SuccessCriteriaMet condition, active pods deleted,
       and the final Failed / Complete condition once no pod is left running
    -> otherwise manage the pods: suspended: delete them; else create the missing ones
       (after the failure back-off: 10 s doubling to 6 min) and delete the excess
    -> write status if it changed, requeue at the next deadline or back-off expiry.

Counts are taken from the pods that exist and never go down (status.succeeded is
max(recorded, seen)): pods of a Job stay until the Job is deleted, so this is the
count Kubernetes keeps, without the job-tracking finalizer. A pod deleted before it
succeeded counts as failed, as in Kubernetes (not when the Job is suspended or already
met its success criteria); the informer handler remembers such pods, since they may be
gone by the next sync. Indexed Jobs keep their progress in status.completedIndexes
(and, with backoffLimitPerIndex, their failed indexes: job_indexed).
"""
from __future__ import annotations

import copy
import logging
import threading
from dataclasses import dataclass

from minikctl import errors
from minikctl.api import kinds, meta
from minikctl.controllers import job_failure_policy as pfp
from minikctl.controllers import job_indexed
from minikctl.controllers import job_util as ju
from minikctl.controllers import ownership, pods
from minikctl.controllers.base import Clock, Controller, Informers, rfc3339, split_key
from minikctl.controllers.events import NORMAL, WARNING, EventRecorder
from minikctl.controllers.expectations import Expectations
from minikctl.machinery.informer import key_of

log = logging.getLogger(__name__)

MAX_POD_CREATE_DELETE_PER_SYNC = 500


class JobController(Controller):
    name = "job-controller"
    kind = "Job"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None, backoff: float = ju.DEFAULT_BACKOFF, max_backoff: float = ju.MAX_BACKOFF) -> None:
        super().__init__(client, informers, clock=clock)
        self.job_kind, self.pod_kind = kinds.by_kind("Job"), kinds.by_kind("Pod")
        self.jobs = self.primary
        self.pods = informers.informer("Pod")
        self.informers.append(self.pods)
        self.expectations = Expectations(clock=self.clock.monotonic)
        self.recorder = recorder or EventRecorder(client, self.name, clock=self.clock)
        self.backoff, self.max_backoff = backoff, max_backoff
        # Pods seen being deleted before they succeeded: Kubernetes counts them as failed
        # (its job-tracking finalizer keeps them visible until counted; here the informer
        # handler remembers them, as they may be gone before the next sync).
        self._deleted: dict[str, set[str]] = {}
        self._deleted_lock = threading.Lock()
        self.jobs.add_handler(self.handle_job_event)
        self.pods.add_handler(self.handle_pod_event)

    # -- event handlers ---------------------------------------------------------------------

    def handle_job_event(self, etype: str, job: dict, old: dict | None) -> None:
        if etype == "DELETED":
            self.expectations.delete(key_of(job))
            self.forget_deleted(key_of(job))
        self.enqueue(job)

    def handle_pod_event(self, etype: str, pod: dict, old: dict | None) -> None:
        ref = ownership.controller_of(pod)
        job = self.resolve(meta.namespace_of(pod), ref) if ref is not None else None
        if job is None:
            if ref is None and etype != "DELETED":
                for candidate in self.matching_jobs(pod):  # an orphan: a Job may adopt it
                    self.enqueue(candidate)
            return
        key = key_of(job)
        if etype == "DELETED" or pod["metadata"].get("deletionTimestamp"):
            self.expectations.deletion_observed(key, pods.pod_key(pod))
            if self.counts_as_failed_when_deleted(job, pod):
                with self._deleted_lock:
                    self._deleted.setdefault(key, set()).add(pod["metadata"]["uid"])
        elif etype == "ADDED" or old is None:
            self.expectations.creation_observed(key)
        self.enqueue(job)

    @staticmethod
    def counts_as_failed_when_deleted(job: dict, pod: dict) -> bool:
        """isPodFailed for a pod going away: not if it succeeded, was ignored by the pod
        failure policy, or was deleted because the Job is suspended."""
        if job["spec"].get("suspend") or ju.phase(pod) == "Succeeded":
            return False
        return ju.phase(pod) != "Failed" or pfp.judge(job["spec"], pod).counts

    def deleted_uids(self, key: str) -> set[str]:
        with self._deleted_lock:
            return set(self._deleted.get(key, ()))

    def forget_deleted(self, key: str) -> None:
        with self._deleted_lock:
            self._deleted.pop(key, None)

    def resolve(self, namespace: str, ref: dict | None) -> dict | None:
        return ownership.resolve_controller_ref(ref, self.kind, self.jobs.get, namespace)

    def matching_jobs(self, pod: dict) -> list[dict]:
        return ownership.selecting(self.jobs.list(meta.namespace_of(pod)), pod)

    # -- sync -----------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        self.sync_job(key)

    def sync_job(self, key: str) -> None:
        namespace, _ = split_key(key)
        cached = self.jobs.get(key)
        if cached is None:
            self.expectations.delete(key)
            return
        if ju.is_finished(cached) or cached["metadata"].get("deletionTimestamp"):
            return
        selector = ownership.spec_selector(cached)
        if selector is None:
            log.error("%s: Job %s has an invalid selector; not syncing it", self.name, key)
            return
        can_adopt = ownership.recheck_deletion(self.client, self.job_kind, cached)
        owned = ownership.RefManager(self.client, cached, selector, self.pod_kind, can_adopt).claim(
            self.pods.list(namespace))
        job = copy.deepcopy(cached)
        old_status = copy.deepcopy(job.get("status") or {})
        requeue = self.reconcile(job, owned)
        if job.get("status") != old_status:
            job["metadata"].pop("resourceVersion", None)  # status is ours alone
            self.client.update_status(job)
        if requeue is not None:
            self.queue.add_after(key, requeue)

    def reconcile(self, job: dict, owned: list[dict]) -> float | None:
        """Bring status (in place) and pods towards the spec; returns when to look again."""
        spec, status = job["spec"], job.setdefault("status", {})
        now = self.clock.now()
        active = [p for p in owned if not ju.is_terminal(p) and not p["metadata"].get("deletionTimestamp")]
        terminating = [p for p in owned if ju.is_terminating(p)]
        suspended = bool(spec.get("suspend"))
        if status.get("startTime") is None and not suspended:
            status["startTime"] = rfc3339(now)
        counts = self.count(job, owned, terminating, suspended)
        succeeded, done, failed = counts.succeeded, counts.done, counts.failed
        owned = counts.counted  # ignored failures neither count nor slow down the replacements
        conditions = list(status.get("conditions") or [])
        target = self.finish_target(job, conditions, active, counts, now)
        requeue, active_count = None, 0
        if target is not None:
            # Done, one way or the other: nothing may keep running.
            self.delete_pods(job, active)
            still_running = bool(active or terminating)
            terminating, active = terminating + active, []
            conditions = ju.set_condition(conditions, target)
            if not still_running:
                conditions = self.finish(job, conditions, target, now)
                self.forget_deleted(key_of(job))
        else:
            requeue, active_count = self.manage(job, owned, active, counts, now)
            requeue = _sooner(requeue, self.deadline_remaining(job, now))
        conditions = self.suspension(job, conditions, suspended, now)
        status.update(conditions=conditions, active=active_count, succeeded=succeeded, failed=failed,
                      ready=sum(1 for p in active if pods.is_pod_ready(p)), terminating=len(terminating),
                      uncountedTerminatedPods={})
        _omit_empty(status)
        return requeue

    def count(self, job: dict, owned: list[dict], terminating: list[dict], suspended: bool) -> _Counts:
        """succeeded (completed indexes for an Indexed Job) and failed, never below what
        status already records; status.completedIndexes is updated in place."""
        spec, status = job["spec"], job["status"]
        succeeded_pods = [p for p in owned if ju.phase(p) == "Succeeded"]
        done: set[int] = set()
        if spec.get("completionMode") == "Indexed":
            completions = int(spec.get("completions") or 0)
            done = ju.parse_indexes(status.get("completedIndexes"), completions)
            done |= {i for p in succeeded_pods if (i := ju.completion_index(p)) is not None and i < completions}
            status["completedIndexes"] = ju.format_indexes(done)
            succeeded = len(done)
        else:
            succeeded = max(int(status.get("succeeded") or 0), len(succeeded_pods))
        policy = spec.get("podFailurePolicy")
        verdicts = {p["metadata"]["uid"]: pfp.judge(spec, p) if policy else pfp.COUNTED
                    for p in owned if ju.phase(p) == "Failed"}
        failed_uids = {uid for uid, v in verdicts.items() if v.counts}
        if not suspended and not ju.has_true(job, ju.SUCCESS_CRITERIA_MET):
            # Deleted before finishing (by a user, a deadline, a scale-down): a failure.
            failed_uids |= {p["metadata"]["uid"] for p in terminating} | self.deleted_uids(key_of(job))
        index_failures: dict[int, int] = {}
        failed_indexes: set[int] = set()
        if spec.get("completionMode") == "Indexed" and spec.get("backoffLimitPerIndex") is not None:
            index_failures = job_indexed.index_failures(owned, verdicts, int(spec.get("completions") or 0))
            failed_indexes = job_indexed.failed_indexes(spec, status, owned, verdicts, index_failures) - done
            status["failedIndexes"] = ju.format_indexes(failed_indexes)
        return _Counts(
            succeeded=succeeded, done=done, failed=max(int(status.get("failed") or 0), len(failed_uids)),
            counted=[p for p in owned if verdicts.get(p["metadata"]["uid"], pfp.COUNTED).counts],
            fail_job=next((v for v in verdicts.values() if v.action == pfp.FAIL_JOB), None),
            index_failures=index_failures, failed_indexes=failed_indexes)

    # -- finishing ----------------------------------------------------------------------------

    def finish_target(self, job: dict, conditions: list[dict], active: list[dict], counts: _Counts,
                      now) -> dict | None:  # type: ignore[no-untyped-def]
        """The FailureTarget or SuccessCriteriaMet condition, if the Job is done (already
        recorded, or decided now)."""
        for type_ in (ju.FAILURE_TARGET, ju.SUCCESS_CRITERIA_MET):
            cond = next((c for c in conditions if c.get("type") == type_ and c.get("status") == "True"), None)
            if cond is not None:
                return cond
        spec, succeeded, failed = job["spec"], counts.succeeded, counts.failed
        if counts.fail_job is not None:
            return ju.new_condition(ju.FAILURE_TARGET, "True", pfp.REASON, counts.fail_job.message, now)
        max_failed = spec.get("maxFailedIndexes")
        if max_failed is not None and len(counts.failed_indexes) > int(max_failed):
            return ju.new_condition(ju.FAILURE_TARGET, "True", *job_indexed.MAX_FAILED_INDEXES_EXCEEDED, now)
        if failed > int(spec.get("backoffLimit") or 0) or ju.restarts_on_failure(job, active):
            return ju.new_condition(ju.FAILURE_TARGET, "True", *ju.BACKOFF_LIMIT_EXCEEDED, now)
        if self.deadline_remaining(job, now) == 0:
            return ju.new_condition(ju.FAILURE_TARGET, "True", *ju.DEADLINE_EXCEEDED, now)
        if spec.get("successPolicy") and spec.get("completionMode") == "Indexed":
            matched = ju.success_policy_match(spec, ju.parse_indexes((job.get("status") or {}).get("completedIndexes"),
                                                                     int(spec.get("completions") or 0)))
            if matched is not None:
                return ju.new_condition(ju.SUCCESS_CRITERIA_MET, "True", "SuccessPolicy",
                                        f"Matched rules at index {matched}", now)
        completions = spec.get("completions")
        if counts.failed_indexes and len(counts.done) + len(counts.failed_indexes) >= int(completions or 0):
            return ju.new_condition(ju.FAILURE_TARGET, "True", *job_indexed.FAILED_INDEXES, now)
        if (succeeded > 0 and not active) if completions is None else succeeded >= int(completions):
            return ju.new_condition(ju.SUCCESS_CRITERIA_MET, "True", *ju.COMPLETIONS_REACHED, now)
        return None

    def finish(self, job: dict, conditions: list[dict], target: dict, now) -> list[dict]:  # type: ignore[no-untyped-def]
        """The final condition, once every pod has stopped."""
        reason, message = target["reason"], target["message"]
        if target["type"] == ju.SUCCESS_CRITERIA_MET:
            job["status"]["completionTime"] = rfc3339(now)
            self.recorder.event(job, NORMAL, "Completed", "Job completed")
            return ju.set_condition(conditions, ju.new_condition(ju.COMPLETE, "True", reason, message, now))
        self.recorder.event(job, WARNING, reason, message)
        return ju.set_condition(conditions, ju.new_condition(ju.FAILED, "True", reason, message, now))

    def deadline_remaining(self, job: dict, now) -> float | None:  # type: ignore[no-untyped-def]
        """Seconds until activeDeadlineSeconds passes (0: passed); None without one."""
        deadline = job["spec"].get("activeDeadlineSeconds")
        start = (job.get("status") or {}).get("startTime")
        if deadline is None or not start or job["spec"].get("suspend"):
            return None
        left = int(deadline) - (now - meta.parse_time(start)).total_seconds()
        return max(0.0, left)

    def suspension(self, job: dict, conditions: list[dict], suspended: bool, now) -> list[dict]:  # type: ignore[no-untyped-def]
        current = ju.condition(job, ju.SUSPENDED)
        if ju.is_finished({"status": {"conditions": conditions}}):
            return conditions
        if suspended and (current is None or current.get("status") != "True"):
            self.recorder.event(job, NORMAL, "Suspended", "Job suspended")
            return ju.set_condition(conditions, ju.new_condition(ju.SUSPENDED, "True", "JobSuspended",
                                                                 "Job suspended", now))
        if not suspended and current is not None and current.get("status") == "True":
            self.recorder.event(job, NORMAL, "Resumed", "Job resumed")
            # Resumed: activeDeadlineSeconds counts from now, as in Kubernetes.
            job["status"]["startTime"] = rfc3339(now)
            return ju.set_condition(conditions, ju.new_condition(ju.SUSPENDED, "False", "JobResumed",
                                                                 "Job resumed", now))
        return conditions

    # -- managing pods ----------------------------------------------------------------------------

    def manage(self, job: dict, owned: list[dict], active: list[dict], counts: _Counts,
               now) -> tuple[float | None, int]:  # type: ignore[no-untyped-def]
        """Create or delete pods so that the right number run. Returns a back-off wait
        and the active count after acting (manageJob's `active`)."""
        key = key_of(job)
        if not self.expectations.satisfied(key):
            return None, len(active)
        spec = job["spec"]
        if spec.get("suspend"):
            self.delete_pods(job, active)
            return None, 0
        parallelism = int(spec.get("parallelism") if spec.get("parallelism") is not None else 1)
        completions = spec.get("completions")
        succeeded = counts.succeeded
        if spec.get("completionMode") == "Indexed":
            excess, missing = job_indexed.plan(active, counts.done | counts.failed_indexes, int(completions or 0),
                                               parallelism)
        else:
            if completions is None:
                want = len(active) if succeeded > 0 else parallelism
            else:
                want = max(0, min(parallelism, int(completions) - succeeded))
            excess = pods.sort_for_deletion(active, [0] * len(active), now)[:max(0, len(active) - want)]
            missing = [None] * max(0, want - len(active))
        if excess:
            self.delete_pods(job, excess)
            return None, len(active) - len(excess)
        if spec.get("podReplacementPolicy") == "Failed":
            missing = _wait_for_terminating(missing, [p for p in owned if ju.is_terminating(p)])
        if not missing:
            return None, len(active)
        missing, wait = self.after_backoff(job, owned, missing, now)
        if not missing:
            return wait, len(active)
        missing = missing[:MAX_POD_CREATE_DELETE_PER_SYNC]
        self.expectations.expect_creations(key, len(missing))
        failures = counts.index_failures if spec.get("backoffLimitPerIndex") is not None else None
        created, error = _slow_start(missing, lambda index: self.create_pod(job, index, failures))
        for _ in range(len(missing) - created):
            self.expectations.creation_observed(key)
        if error is not None:
            raise error
        return wait, len(active) + created

    def after_backoff(self, job: dict, owned: list[dict], missing: list, now) -> tuple[list, float | None]:  # type: ignore[no-untyped-def]
        """The pods that may be created now, and how long the others wait: one back-off
        for the Job, or one per index with backoffLimitPerIndex."""
        if job["spec"].get("backoffLimitPerIndex") is None:
            wait = ju.backoff_remaining(owned, now, base=self.backoff, cap=self.max_backoff)
            return (missing, None) if wait <= 0 else ([], wait)
        ready, waits = [], []
        for index in missing:
            left = job_indexed.backoff_remaining(owned, index, now, base=self.backoff, cap=self.max_backoff)
            if left > 0:
                waits.append(left)
            else:
                ready.append(index)
        return ready, (min(waits) if waits else None)

    def create_pod(self, job: dict, index: int | None, index_failures: dict[int, int] | None = None) -> None:
        template = copy.deepcopy(job["spec"].get("template") or {})
        if index is not None:
            tmd = template.setdefault("metadata", {})
            tmd.setdefault("annotations", {})[ju.COMPLETION_INDEX] = str(index)
            if index_failures is not None:
                tmd["annotations"][job_indexed.FAILURE_COUNT] = str(index_failures.get(index, 0))
            tmd.setdefault("labels", {})[ju.COMPLETION_INDEX] = str(index)
            tspec = template.setdefault("spec", {})
            ju.add_completion_index_env(tspec)
            tspec["hostname"] = f"{meta.name_of(job)}-{index}"
        pod = pods.pod_from_template(template, job, ownership.controller_ref(job))
        if index is not None:
            pod["metadata"]["generateName"] = ju.generate_name_with_index(meta.name_of(job), index)
        try:
            created = self.client.create(pod)
        except Exception as exc:
            self.recorder.event(job, WARNING, "FailedCreate", f"Error creating: {exc}")
            raise
        self.recorder.event(job, NORMAL, "SuccessfulCreate", f"Created pod: {meta.name_of(created)}")

    def delete_pods(self, job: dict, victims: list[dict]) -> None:
        if not victims:
            return
        key = key_of(job)
        self.expectations.expect_deletions(key, [pods.pod_key(p) for p in victims])
        first_error = None
        for pod in victims:
            try:
                self.client.delete(self.pod_kind, meta.namespace_of(pod), meta.name_of(pod))
            except errors.NotFound:
                self.expectations.deletion_observed(key, pods.pod_key(pod))
                continue
            except Exception as exc:  # noqa: BLE001 - the first is raised below
                self.expectations.deletion_observed(key, pods.pod_key(pod))
                self.recorder.event(job, WARNING, "FailedDelete", f"Error deleting: {exc}")
                first_error = first_error or exc
                continue
            self.recorder.event(job, NORMAL, "SuccessfulDelete", f"Deleted pod: {meta.name_of(pod)}")
        if first_error is not None:
            raise first_error


@dataclass
class _Counts:
    succeeded: int
    done: set[int]  # completed indexes (Indexed Jobs)
    failed: int
    counted: list[dict]  # the pods, less those whose failure the policy ignores
    fail_job: pfp.Verdict | None  # a FailJob verdict of the pod failure policy
    index_failures: dict[int, int]  # backoffLimitPerIndex: failures per index so far
    failed_indexes: set[int]  # backoffLimitPerIndex: indexes failed for good


def _wait_for_terminating(missing: list, terminating: list[dict]) -> list:
    """podReplacementPolicy Failed: a pod being deleted is replaced only once it is gone
    (or Failed), so old and new never run side by side."""
    if not terminating:
        return missing
    if missing and missing[0] is None:  # NonIndexed: fewer new pods
        return missing[:max(0, len(missing) - len(terminating))]
    held = {ju.completion_index(p) for p in terminating}
    return [index for index in missing if index not in held]


def _slow_start(items: list, create) -> tuple[int, Exception | None]:  # type: ignore[no-untyped-def]
    """Batches of 1, 2, 4, ...: a failing batch stops the rest (controller_utils)."""
    done, batch = 0, 1
    while done < len(items):
        first_error = None
        for item in items[done:done + batch]:
            try:
                create(item)
                done += 1
            except Exception as exc:  # noqa: BLE001 - returned to the caller
                first_error = first_error or exc
        if first_error is not None:
            return done, first_error
        batch *= 2
    return done, None


def _sooner(a: float | None, b: float | None) -> float | None:
    values = [v for v in (a, b) if v is not None]
    return min(values) if values else None



def _omit_empty(status: dict) -> None:
    """Kubernetes omits zero counters and empty strings (ready, terminating are pointers)."""
    for field in ("active", "succeeded", "failed", "completedIndexes", "conditions"):
        if status.get(field) in (0, "", [], None):
            status.pop(field, None)
