"""The TTL-after-finished controller (pkg/controller/ttlafterfinished): a finished Job
with spec.ttlSecondsAfterFinished is deleted, with its pods (background propagation),
that many seconds after it finished (completionTime, else the Complete/Failed
condition's lastTransitionTime). Before deleting it re-reads the Job from the API: a
TTL extended in the meantime wins.
"""
from __future__ import annotations

import datetime as _dt
import logging

from minikctl import errors
from minikctl.api import kinds, meta
from minikctl.controllers import job_util as ju
from minikctl.controllers.base import Clock, Controller, Informers, split_key
from minikctl.machinery.informer import key_of

log = logging.getLogger(__name__)


class TTLAfterFinishedController(Controller):
    name = "ttl-after-finished-controller"
    kind = "Job"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None) -> None:
        super().__init__(client, informers, clock=clock)
        self.job_kind = kinds.by_kind("Job")
        self.primary.add_handler(self.handle_job_event)

    def handle_job_event(self, etype: str, job: dict, old: dict | None) -> None:
        if etype != "DELETED" and needs_cleanup(job):
            self.enqueue(job)

    def sync(self, key: str) -> None:
        job = self.primary.get(key)
        if job is None or not needs_cleanup(job):
            return
        left = self.time_left(job)
        if left is None or left > 0:
            if left is not None:
                self.queue.add_after(key, left)
            return
        # The cache may be stale (TTL changed, Job replaced): decide on a fresh read.
        namespace, name = split_key(key)
        try:
            fresh = self.client.get(self.job_kind, namespace, name)
        except errors.NotFound:
            return
        if not needs_cleanup(fresh) or fresh["metadata"].get("uid") != job["metadata"].get("uid"):
            return
        left = self.time_left(fresh)
        if left is None or left > 0:
            if left is not None:
                self.queue.add_after(key, left)
            return
        log.info("%s: deleting finished Job %s (ttlSecondsAfterFinished)", self.name, key)
        try:
            self.client.delete(self.job_kind, namespace, name, propagation="Background",
                               expect_rv=fresh["metadata"].get("resourceVersion"))
        except errors.NotFound:
            pass

    def time_left(self, job: dict) -> float | None:
        finished = finish_time(job)
        if finished is None:
            return None
        ttl = int(job["spec"]["ttlSecondsAfterFinished"])
        expires = finished + _dt.timedelta(seconds=ttl)
        return max(0.0, (expires - self.clock.now()).total_seconds())


def needs_cleanup(job: dict) -> bool:
    return (job.get("spec") or {}).get("ttlSecondsAfterFinished") is not None and ju.is_finished(job) \
        and not job["metadata"].get("deletionTimestamp")


def finish_time(job: dict) -> _dt.datetime | None:
    for type_ in (ju.COMPLETE, ju.FAILED):
        cond = ju.condition(job, type_)
        if cond is not None and cond.get("status") == "True" and cond.get("lastTransitionTime"):
            return meta.parse_time(cond["lastTransitionTime"])
    return None
