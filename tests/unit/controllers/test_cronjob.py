"""The CronJob controller against a real store with a fake clock (no minute-long waits):
runs on schedule, Forbid and Replace, history limits, one catch-up run after downtime
and none beyond startingDeadlineSeconds, time zones and @every."""
from __future__ import annotations

import datetime as _dt

import pytest

from minikctl.controllers import cronjob_schedule as cs
from minikctl.controllers.base import rfc3339
from tests.unit.controllers.batch_helpers import CRONJOB, JOB, cond, new_cronjob, owned_by
from tests.unit.controllers.conftest import Cluster


def sync(c: Cluster, name: str = "tick") -> dict:
    c.pump()
    c.manager.controller("cronjob-controller").sync(f"default/{name}")
    c.pump()
    return c.client.get(CRONJOB, "default", name)


def jobs(c: Cluster, cj: dict) -> list[dict]:
    return sorted(owned_by(c.client.list(JOB, "default")[0], cj), key=lambda j: j["metadata"]["name"])


def create(c: Cluster, cj: dict) -> dict:
    """Create, and set the fake clock to the creationTimestamp the store gave it."""
    created = c.client.create(cj)
    c.clock._start = _dt.datetime.fromisoformat(created["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
    c.clock._offset = 0.0
    return created


def next_minute(c: Cluster, late: int = 1) -> None:
    """Move the clock to `late` seconds past the next whole minute."""
    c.clock.advance(60 - c.clock.now().second + late)


def finish_job(c: Cluster, job: dict, type_: str = "Complete") -> None:
    now = rfc3339(c.clock.now())
    st = {"conditions": [{"type": type_, "status": "True", "lastTransitionTime": now}],
          "startTime": job["metadata"]["creationTimestamp"]}
    if type_ == "Complete":
        st["completionTime"] = now
        st["succeeded"] = 1
    c.client.update_status({**c.client.get(JOB, "default", job["metadata"]["name"]), "status": st})


def test_runs_every_minute_named_by_scheduled_minute(batch):
    c = batch
    cj = create(c, new_cronjob())
    assert jobs(c, sync(c)) == []
    next_minute(c)
    cj = sync(c)
    [job] = jobs(c, cj)
    scheduled = c.clock.now().replace(second=0)
    assert job["metadata"]["name"] == f"tick-{int(scheduled.timestamp()) // 60}"
    assert job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == rfc3339(scheduled)
    ref = job["metadata"]["ownerReferences"][0]
    assert ref["kind"] == "CronJob" and ref["controller"] is True
    assert cj["status"]["lastScheduleTime"] == rfc3339(scheduled)
    assert [a["name"] for a in cj["status"]["active"]] == [job["metadata"]["name"]]
    assert ("Normal", "SuccessfulCreate", f"Created job {job['metadata']['name']}") in c.recorder.events
    # Syncing again in the same minute creates nothing more.
    assert len(jobs(c, sync(c))) == 1
    finish_job(c, job)
    c.clock.advance(5)
    cj = sync(c)
    assert "active" not in cj["status"] and cj["status"]["lastSuccessfulTime"]
    assert any(r == "SawCompletedJob" for _, r, _ in c.recorder.events)
    c.clock.advance(60)
    assert len(jobs(c, sync(c))) == 2


def test_forbid_skips_while_a_job_runs_and_replace_replaces_it(batch):
    c = batch
    create(c, new_cronjob(concurrencyPolicy="Forbid"))
    next_minute(c)
    cj = sync(c)
    assert len(jobs(c, cj)) == 1
    c.clock.advance(60)
    cj = sync(c)
    assert len(jobs(c, cj)) == 1
    assert ("Normal", "JobAlreadyActive",
            "Not starting job because prior execution is running and concurrency policy is Forbid") in c.recorder.events

    c.client.modify(CRONJOB, "default", "tick", lambda o: o["spec"].update(concurrencyPolicy="Replace"))
    first = jobs(c, cj)[0]
    c.clock.advance(60)
    cj = sync(c)
    names = [j["metadata"]["name"] for j in jobs(c, cj) if not j["metadata"].get("deletionTimestamp")]
    assert first["metadata"]["name"] not in names and len(names) == 1
    assert [a["name"] for a in cj["status"]["active"]] == names


def test_history_limits_keep_the_newest_finished_jobs(batch):
    c = batch
    create(c, new_cronjob(successfulJobsHistoryLimit=2, failedJobsHistoryLimit=1))
    next_minute(c)
    for i in range(5):
        cj = sync(c)
        newest = jobs(c, cj)[-1]
        finish_job(c, newest, "Failed" if i in (0, 1) else "Complete")
        c.clock.advance(60)
    cj = sync(c)
    left = jobs(c, cj)
    finished = [j for j in left if cond(j, "Complete") or cond(j, "Failed")]
    assert len([j for j in finished if cond(j, "Complete")]) == 2
    assert len([j for j in finished if cond(j, "Failed")]) == 1


def test_one_catch_up_run_after_downtime(batch):
    c = batch
    create(c, new_cronjob())
    next_minute(c)
    cj = sync(c)
    assert len(jobs(c, cj)) == 1
    c.clock.advance(5 * 60 + 30)  # "the daemon was down" for five schedule times
    cj = sync(c)
    created = jobs(c, cj)
    assert len(created) == 2, "only the most recent missed time runs"
    latest = c.clock.now().replace(second=0)
    assert cj["status"]["lastScheduleTime"] == rfc3339(latest)


def test_no_run_beyond_the_starting_deadline(batch):
    c = batch
    create(c, new_cronjob(startingDeadlineSeconds=20))
    next_minute(c, late=30)  # the run was due 30 s ago, the deadline is 20 s
    cj = sync(c)
    assert jobs(c, cj) == []
    c.clock.advance(30)  # next minute, 0 s late
    assert len(jobs(c, sync(c))) == 1


def test_too_many_missed_start_times_is_reported(batch):
    c = batch
    create(c, new_cronjob())
    c.clock.advance(200 * 60)
    cj = sync(c)
    assert len(jobs(c, cj)) == 1
    assert any(r == "TooManyMissedTimes" for _, r, _ in c.recorder.events)


def test_suspended_cronjob_creates_nothing(batch):
    c = batch
    create(c, new_cronjob(suspend=True))
    c.clock.advance(120)
    assert jobs(c, sync(c)) == []


def test_schedules_in_time_zones_and_every():
    tz = cs.parse("0 9 * * *", "America/New_York")
    after = _dt.datetime(2026, 7, 1, 12, 0, tzinfo=cs.UTC)
    assert tz.next(after) == _dt.datetime(2026, 7, 1, 13, 0, tzinfo=cs.UTC)  # 09:00 EDT
    assert cs.parse("CRON_TZ=Asia/Tokyo 0 9 * * *", None).next(after) == _dt.datetime(2026, 7, 2, 0, 0, tzinfo=cs.UTC)
    every = cs.parse("@every 1m30s", None)
    assert every.next(after) == after + _dt.timedelta(seconds=90)
    assert cs.parse("@hourly", None).next(after) == after + _dt.timedelta(hours=1)
    with pytest.raises(ValueError):
        cs.parse("61 * * * *", None)
