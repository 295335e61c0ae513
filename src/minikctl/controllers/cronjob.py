"""The CronJob controller: creates a Job at each scheduled time, as cronjob_controllerv2.

sync_cronjob(key):

    its Jobs (controlled by it; a CronJob never adopts) -> reconcile status.active:
    finished Jobs leave it (SawCompletedJob), vanished ones too (MissingJob), a running
    Job it did not list is reported (UnexpectedJob); lastSuccessfulTime follows the
    newest completed Job
    -> unless being deleted or suspended: the most recent unmet schedule time (at most
       one catch-up run after downtime, none older than startingDeadlineSeconds)
    -> concurrencyPolicy: Forbid skips while a Job runs, Replace deletes the running ones
    -> create Job NAME-<unix minutes> (the name is the lock: a time is never run twice)
    -> delete finished Jobs beyond the history limits, oldest first
    -> write status if changed, requeue at the next schedule time.

The clock is injectable (controllers/base.Clock), so tests move time instead of waiting.
"""
from __future__ import annotations

import copy
import datetime as _dt
import logging

from minikctl import errors
from minikctl.api import kinds, meta
from minikctl.api.rules.common import go_quote
from minikctl.controllers import cronjob_schedule as cs
from minikctl.controllers import job_util as ju
from minikctl.controllers import ownership
from minikctl.controllers.base import Clock, Controller, Informers, rfc3339
from minikctl.machinery.informer import key_of
from minikctl.controllers.events import NORMAL, WARNING, EventRecorder

log = logging.getLogger(__name__)

SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"


class CronJobController(Controller):
    name = "cronjob-controller"
    kind = "CronJob"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None) -> None:
        super().__init__(client, informers, clock=clock)
        self.cj_kind, self.job_kind = kinds.by_kind("CronJob"), kinds.by_kind("Job")
        self.cronjobs = self.primary
        self.jobs = informers.informer("Job")
        self.informers.append(self.jobs)
        self.recorder = recorder or EventRecorder(client, self.name, clock=self.clock)
        self.cronjobs.add_handler(self.handle_cronjob_event)
        self.jobs.add_handler(self.handle_job_event)

    def handle_cronjob_event(self, etype: str, cj: dict, old: dict | None) -> None:
        if etype != "DELETED":
            self.enqueue(cj)

    def handle_job_event(self, etype: str, job: dict, old: dict | None) -> None:
        ref = ownership.controller_of(job)
        cj = ownership.resolve_controller_ref(ref, self.kind, self.cronjobs.get, meta.namespace_of(job))
        if cj is not None:
            self.enqueue(cj)

    # -- sync ---------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        cached = self.cronjobs.get(key)
        if cached is None:
            return
        uid = cached["metadata"]["uid"]
        jobs = self.jobs.list(meta.namespace_of(cached),
                              lambda j: (ownership.controller_of(j) or {}).get("uid") == uid)
        cj = copy.deepcopy(cached)
        old_status = copy.deepcopy(cj.get("status") or {})
        requeue = self.sync_cronjob(cj, jobs)
        self.cleanup_finished_jobs(cj, jobs)
        status = cj.get("status") or {}
        if not status.get("active"):
            status.pop("active", None)
        if status != old_status:
            cj["status"] = status
            cj["metadata"].pop("resourceVersion", None)
            self.client.update_status(cj)
        if requeue is not None:
            self.queue.add_after(key, requeue)

    def sync_cronjob(self, cj: dict, jobs: list[dict]) -> float | None:
        """syncCronJob: status reconciled in place; returns when to look again."""
        self.reconcile_active(cj, jobs)
        spec = cj["spec"]
        if cj["metadata"].get("deletionTimestamp") or spec.get("suspend"):
            return None
        zone = spec.get("timeZone")
        if zone is not None and not cs.known_zone(zone):
            self.recorder.event(cj, WARNING, "UnknownTimeZone", f"invalid timeZone: {go_quote(zone)}: unknown time zone {zone}")
            return None
        if "TZ" in (spec.get("schedule") or ""):
            self.recorder.event(cj, WARNING, "UnsupportedSchedule",
                                f"CRON_TZ or TZ used in schedule {go_quote(spec.get('schedule') or '')} is not officially supported, "
                                "see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details")
        try:
            sched = cs.parse(spec.get("schedule") or "", zone)
        except ValueError as exc:
            self.recorder.event(cj, WARNING, "UnparseableSchedule",
                                f"unparseable schedule: {go_quote(spec.get('schedule') or '')} : {exc}")
            return None
        now = self.clock.now()
        try:
            missed = cs.most_recent_schedule_time(cj, now, sched, with_deadline=True)
        except ValueError as exc:
            self.recorder.event(cj, WARNING, "InvalidSchedule", f"invalid schedule: {spec.get('schedule')} : {exc}")
            return None
        scheduled = missed.most_recent
        if scheduled is None:
            return cs.next_schedule_delay(cj, now, sched)
        if missed.count > cs.MANY_MISSED:
            self.recorder.event(cj, WARNING, "TooManyMissedTimes", "too many missed start times. Set or decrease "
                                ".spec.startingDeadlineSeconds or check clock skew")
        status = cj.setdefault("status", {})
        name = cs.job_name(meta.name_of(cj), scheduled)
        already = any(ref.get("name") == name for ref in status.get("active") or []) or (
            status.get("lastScheduleTime") == rfc3339(scheduled))
        if already:
            return cs.next_schedule_delay(cj, now, sched)
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and status.get("active"):
            self.recorder.event(cj, NORMAL, "JobAlreadyActive",
                                "Not starting job because prior execution is running and concurrency policy is Forbid")
            return cs.next_schedule_delay(cj, now, sched)
        if policy == "Replace":
            for ref in list(status.get("active") or []):
                self.delete_job(cj, ref.get("name", ""))
                status["active"] = [r for r in status.get("active") or [] if r.get("uid") != ref.get("uid")]
        job = self.create_job(cj, scheduled)
        if job is None:
            return None
        status.setdefault("active", []).append(job_ref(job))
        status["lastScheduleTime"] = rfc3339(scheduled)
        return cs.next_schedule_delay(cj, now, sched)

    def reconcile_active(self, cj: dict, jobs: list[dict]) -> None:
        status = cj.setdefault("status", {})
        active = list(status.get("active") or [])
        listed = {ref.get("uid") for ref in active}
        for job in jobs:
            uid = job["metadata"].get("uid")
            finished = ju.is_finished(job)
            if uid not in listed and not finished:
                fresh = self._fresh_active(cj)
                if uid in fresh:
                    continue
                self.recorder.event(cj, WARNING, "UnexpectedJob",
                                    f"Saw a job that the controller did not create or forgot: {meta.name_of(job)}")
            elif uid in listed and finished:
                active = [r for r in active if r.get("uid") != uid]
                cond = "Complete" if ju.has_true(job, ju.COMPLETE) else "Failed"
                self.recorder.event(cj, NORMAL, "SawCompletedJob",
                                    f"Saw completed job: {meta.name_of(job)}, condition: {cond}")
            if ju.has_true(job, ju.COMPLETE):
                done = (job.get("status") or {}).get("completionTime")
                last = status.get("lastSuccessfulTime")
                if done and (not last or meta.parse_time(done) > meta.parse_time(last)):
                    status["lastSuccessfulTime"] = done
        present = {j["metadata"].get("uid") for j in jobs}
        for ref in list(active):
            if ref.get("uid") in present:
                continue
            try:  # the cache may just lag: ask the API before calling it missing
                self.client.get(self.job_kind, meta.namespace_of(cj), ref.get("name", ""))
            except errors.NotFound:
                self.recorder.event(cj, NORMAL, "MissingJob", f"Active job went missing: {ref.get('name')}")
                active = [r for r in active if r.get("uid") != ref.get("uid")]
        status["active"] = active

    def _fresh_active(self, cj: dict) -> set[str]:
        try:
            fresh = self.client.get(self.cj_kind, meta.namespace_of(cj), meta.name_of(cj))
        except errors.NotFound:
            return set()
        return {r.get("uid") for r in (fresh.get("status") or {}).get("active") or []}

    # -- jobs ---------------------------------------------------------------------------------

    def create_job(self, cj: dict, scheduled: _dt.datetime) -> dict | None:
        job = job_from_template(cj, scheduled)
        try:
            created = self.client.create(job)
        except errors.AlreadyExists:
            existing = self.client.get(self.job_kind, meta.namespace_of(cj), job["metadata"]["name"])
            ref = ownership.controller_of(existing) or {}
            listed = {r.get("uid") for r in (cj.get("status") or {}).get("active") or []}
            if ref.get("uid") != cj["metadata"]["uid"] or existing["metadata"]["uid"] in listed:
                return None  # someone else's, or already in our list
            return existing  # ours, created before a status write was lost
        except errors.Forbidden as exc:
            if "being terminated" in str(exc):
                return None
            self.recorder.event(cj, WARNING, "FailedCreate", f"Error creating job: {exc}")
            raise
        except Exception as exc:
            self.recorder.event(cj, WARNING, "FailedCreate", f"Error creating job: {exc}")
            raise
        self.recorder.event(cj, NORMAL, "SuccessfulCreate", f"Created job {meta.name_of(created)}")
        return created

    def delete_job(self, cj: dict, name: str) -> None:
        try:
            self.client.delete(self.job_kind, meta.namespace_of(cj), name, propagation="Background")
        except errors.NotFound:
            return
        except Exception as exc:
            self.recorder.event(cj, WARNING, "FailedDelete", f"Deleted job: {exc}")
            raise
        self.recorder.event(cj, NORMAL, "SuccessfulDelete", f"Deleted job {name}")

    def cleanup_finished_jobs(self, cj: dict, jobs: list[dict]) -> None:
        """Keep the newest successfulJobsHistoryLimit Complete and failedJobsHistoryLimit
        Failed Jobs, by start time (a Job never started counts as oldest)."""
        spec = cj["spec"]
        for type_, field in ((ju.COMPLETE, "successfulJobsHistoryLimit"), (ju.FAILED, "failedJobsHistoryLimit")):
            limit = spec.get(field)
            if limit is None:
                continue
            finished = [j for j in jobs if ju.has_true(j, type_) and not j["metadata"].get("deletionTimestamp")]
            finished.sort(key=_start_key)
            for job in finished[:max(0, len(finished) - int(limit))]:
                self.delete_job(cj, meta.name_of(job))


def job_from_template(cj: dict, scheduled: _dt.datetime | None, *, name: str | None = None) -> dict:
    """getJobFromTemplate2: the jobTemplate's labels, annotations and spec, a controller
    reference to the CronJob, and the scheduled time (in the CronJob's zone)."""
    template = cj["spec"].get("jobTemplate") or {}
    tmd = template.get("metadata") or {}
    annotations = dict(tmd.get("annotations") or {})
    if scheduled is not None:
        zone = cs.parse("* * * * *", cj["spec"].get("timeZone")).zone
        annotations[SCHEDULED_TIMESTAMP] = _rfc3339_in(scheduled, zone)
    md: dict = {"name": name or cs.job_name(meta.name_of(cj), scheduled),  # type: ignore[arg-type]
                "namespace": meta.namespace_of(cj), "ownerReferences": [ownership.controller_ref(cj)]}
    if tmd.get("labels"):
        md["labels"] = dict(tmd["labels"])
    if annotations:
        md["annotations"] = annotations
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": md, "spec": copy.deepcopy(template.get("spec") or {})}


def job_ref(job: dict) -> dict:
    md = job["metadata"]
    return {"kind": "Job", "namespace": md.get("namespace"), "name": md["name"], "uid": md["uid"],
            "apiVersion": "batch/v1", "resourceVersion": md.get("resourceVersion")}


def _rfc3339_in(when: _dt.datetime, zone: _dt.tzinfo) -> str:
    """Go's time.RFC3339 in a zone: "Z" for UTC, the offset otherwise."""
    text = when.astimezone(zone).replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _start_key(job: dict) -> tuple[int, str]:
    start = (job.get("status") or {}).get("startTime")
    return (0, "") if not start else (1, start)
