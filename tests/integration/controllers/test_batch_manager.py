"""Job and CronJob controllers inside a running controller manager (informers, worker
threads) with a fake kubelet thread that finishes pods: a CronJob runs on schedule,
its Job completes, the "daemon" goes down for five minutes and comes back to exactly
one catch-up run; a Job whose pods always fail stops at backoffLimit. Wall time is
shifted by the test (no minute-long waits); queue delays stay real."""
from __future__ import annotations

import datetime as _dt
import threading
import time

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.client.local import LocalClient
from minikctl.controllers import manager as manager_mod
from tests.unit.controllers.batch_helpers import cond, finish_pod, new_cronjob, new_job, owned_by

POD, JOB, CRONJOB = kinds.by_kind("Pod"), kinds.by_kind("Job"), kinds.by_kind("CronJob")
TIMEOUT = 20.0
pytestmark = pytest.mark.timeout(120)


class ShiftedClock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> _dt.datetime:
        return _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic()


class FinishingKubelet(threading.Thread):
    """Finishes every new pod: Failed when `fail` is set, else Succeeded."""

    def __init__(self, client: LocalClient, clock: ShiftedClock, *, fail: bool = False) -> None:
        super().__init__(name="finishing-kubelet", daemon=True)
        self.client, self.clock, self.fail = client, clock, fail
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(0.02):
            for pod in self.client.list(POD, "default")[0]:
                try:
                    if pod["metadata"].get("deletionTimestamp"):
                        self.client.finish_delete(POD, "default", pod["metadata"]["name"])
                    elif (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                        finish_pod(self.client, pod["metadata"]["name"], when=self.clock.now(),
                                   phase="Failed" if self.fail else "Succeeded")
                except (errors.Conflict, errors.NotFound):
                    pass


def wait_for(what: str, predicate, timeout: float = TIMEOUT):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def env(tmp_path):
    before = set(threading.enumerate())
    client = LocalClient.open(path=str(tmp_path))
    kubelet_client = LocalClient.open(path=str(tmp_path))
    clock = ShiftedClock()
    kubelet = FinishingKubelet(kubelet_client, clock)
    managers: list = []

    def start():  # type: ignore[no-untyped-def]
        manager = manager_mod.build(client, clock=clock, resync_period=None)
        manager.start()
        managers.append(manager)
        return manager

    kubelet.start()
    yield client, clock, kubelet, start
    kubelet.stop_event.set()
    kubelet.join(5)
    for manager in managers:
        manager.stop(timeout=5)
        assert manager.alive_threads() == []
    client.close()
    kubelet_client.close()
    assert set(threading.enumerate()) - before == set()


def to_next_minute(clock: ShiftedClock) -> None:
    clock.offset += 60 - clock.now().second + 1


def test_cronjob_runs_on_schedule_and_catches_up_once_after_downtime(env):
    client, clock, _, start = env
    manager = start()
    cj = client.create(new_cronjob(successfulJobsHistoryLimit=5))
    cronjobs = manager.controller("cronjob-controller")

    to_next_minute(clock)
    cronjobs.resync()
    [job] = wait_for("the first job", lambda: owned_by(client.list(JOB, "default")[0], cj))
    first_minute = clock.now().replace(second=0, microsecond=0)
    assert job["metadata"]["name"] == f"tick-{int(first_minute.timestamp()) // 60}"
    wait_for("the job to complete", lambda: cond(client.get(JOB, "default", job["metadata"]["name"]), "Complete"))
    status = wait_for("the cronjob to see it", lambda: (
        (st := client.get(CRONJOB, "default", "tick").get("status") or {}).get("lastSuccessfulTime")
        and not st.get("active") and st))
    assert status["lastScheduleTime"] == first_minute.strftime("%Y-%m-%dT%H:%M:%SZ")

    manager.stop(timeout=5)  # the daemon is down for five schedule times
    clock.offset += 5 * 60
    start()
    jobs = wait_for("the catch-up job", lambda: (
        js if len(js := owned_by(client.list(JOB, "default")[0], cj)) >= 2 else None))
    time.sleep(0.3)  # a second catch-up would show up by now
    jobs = owned_by(client.list(JOB, "default")[0], cj)
    assert len(jobs) == 2
    latest = clock.now().replace(second=0, microsecond=0)
    assert f"tick-{int(latest.timestamp()) // 60}" in {j["metadata"]["name"] for j in jobs}


def test_always_failing_job_stops_at_backoff_limit_with_the_manager(env):
    client, clock, kubelet, start = env
    kubelet.fail = True
    manager = start()
    controller = manager.controller("job-controller")
    controller.backoff = 0.05  # 50 ms, 100 ms, ... instead of 10 s, 20 s
    client.create(new_job(name="doomed", backoffLimit=2))
    job = wait_for("the job to fail", lambda: (
        j if cond(j := client.get(JOB, "default", "doomed"), "Failed") else None))
    failed = cond(job, "Failed")
    assert failed["reason"] == "BackoffLimitExceeded" and job["status"]["failed"] == 3
    time.sleep(0.3)
    assert len(owned_by(client.list(POD, "default")[0], job)) == 3, "no pod after the limit"
