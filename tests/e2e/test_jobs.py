"""Jobs and CronJobs end to end: a real daemon (job controller, kubelet) running real
processes, driven through the CLI. Schedules are covered with a fake clock in
tests/unit/controllers/test_cronjob.py; here a CronJob is run by hand (create job --from)."""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import time

import pytest

from tests.conftest import run_cli
from tests.e2e.conftest import wait_for

pytestmark = pytest.mark.timeout(180)
TIMEOUT = 60.0


def apply(obj: dict) -> None:
    out = run_cli("apply", "-f", "-", stdin=json.dumps(obj))
    assert out.returncode == 0, out.stderr


def job(name: str, command: str, **spec) -> dict:  # type: ignore[no-untyped-def]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {**spec, "template": {"spec": {"restartPolicy": "Never", "containers": [
                {"name": "work", "image": "busybox", "command": ["sh", "-c", command]}]}}}}


def get(kind: str, name: str) -> dict:
    out = run_cli("get", kind, name, "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def condition(obj: dict, type_: str) -> dict | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == type_), None)


def finished(name: str, type_: str) -> dict | None:
    obj = get("job", name)
    cond = condition(obj, type_)
    return obj if cond and cond["status"] == "True" else None


def job_pods(name: str) -> list[dict]:
    out = run_cli("get", "pods", "-l", f"batch.kubernetes.io/job-name={name}", "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["items"]


def test_parallel_job_with_one_failing_pod_completes(daemon):
    home, _ = daemon
    marker = os.path.join(home, "failed-once")
    # mkdir is atomic: exactly one pod of all five fails, the first to get there.
    apply(job("work", f"sleep 0.3; if mkdir {marker} 2>/dev/null; then exit 1; fi; exit 0",
              parallelism=2, completions=5, backoffLimit=3))
    done = wait_for(lambda: finished("work", "Complete"), timeout=TIMEOUT, what="job work Complete")
    st = done["status"]
    assert st["succeeded"] == 5 and st["failed"] == 1 and "active" not in st
    assert condition(done, "Complete")["reason"] == "CompletionsReached"
    pods = job_pods("work")
    assert sorted(p["status"]["phase"] for p in pods) == ["Failed"] + ["Succeeded"] * 5
    table = run_cli("get", "jobs").stdout.splitlines()
    assert table[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert table[1].split()[:3] == ["work", "Complete", "5/5"]
    described = run_cli("describe", "job", "work").stdout
    assert re.search(r"Pods Statuses:\s+0 Active \(0 Ready\) / 5 Succeeded / 1 Failed", described), described
    assert "Completed" in described and "SuccessfulCreate" in described


def test_always_failing_job_stops_at_backoff_limit(daemon):
    apply(job("doomed", "exit 3", backoffLimit=1))
    failed = wait_for(lambda: finished("doomed", "Failed"), timeout=TIMEOUT, what="job doomed Failed")
    cond = condition(failed, "Failed")
    assert cond["reason"] == "BackoffLimitExceeded"
    assert cond["message"] == "Job has reached the specified backoff limit"
    assert failed["status"]["failed"] == 2
    assert len(job_pods("doomed")) == 2, "no pod after the limit"
    assert run_cli("get", "jobs", "doomed").stdout.splitlines()[1].split()[:3] == ["doomed", "Failed", "0/1"]
    events = run_cli("events", "--for", "job/doomed").stdout
    assert "BackoffLimitExceeded" in events and "Job has reached the specified backoff limit" in events


def test_indexed_job_pods_see_their_index(daemon):
    apply(job("idx", "echo index=$JOB_COMPLETION_INDEX", completionMode="Indexed", completions=3, parallelism=3))
    wait_for(lambda: finished("idx", "Complete"), timeout=TIMEOUT, what="job idx Complete")
    assert get("job", "idx")["status"]["completedIndexes"] == "0-2"
    seen = set()
    for pod in job_pods("idx"):
        index = pod["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        assert pod["spec"]["hostname"] == f"idx-{index}"
        logs = run_cli("logs", pod["metadata"]["name"])
        assert logs.stdout.strip() == f"index={index}", logs.stderr
        seen.add(index)
    assert seen == {"0", "1", "2"}


def test_create_job_from_cronjob_and_bad_schedule(daemon):
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
               "spec": {"schedule": "0 3 * * *", "jobTemplate": {
                   "metadata": {"labels": {"team": "ops"}},
                   "spec": {"template": {"spec": {"restartPolicy": "OnFailure", "containers": [
                       {"name": "work", "image": "busybox", "command": ["sh", "-c", "echo backup done"]}]}}}}}}
    apply(cronjob)
    out = run_cli("create", "job", "nightly-manual", "--from=cronjob/nightly")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "job.batch/nightly-manual created\n"
    done = wait_for(lambda: finished("nightly-manual", "Complete"), timeout=TIMEOUT, what="manual job Complete")
    md = done["metadata"]
    assert md["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert md["labels"]["team"] == "ops"
    [ref] = md["ownerReferences"]
    assert ref["kind"] == "CronJob" and ref["name"] == "nightly" and ref["controller"] is True
    [pod] = job_pods("nightly-manual")
    assert run_cli("logs", pod["metadata"]["name"]).stdout == "backup done\n"
    row = run_cli("get", "cronjobs").stdout.splitlines()
    assert row[0].split() == ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST", "SCHEDULE", "AGE"]
    assert row[1].split()[:6] == ["nightly", "0", "3", "*", "*", "*"]

    missing = run_cli("create", "job", "x", "--from=cronjob/none")
    assert missing.returncode == 1 and 'cronjobs.batch "none" not found' in missing.stderr

    bad = dict(cronjob, metadata={"name": "bad"})
    bad["spec"] = dict(cronjob["spec"], schedule="0 25 * * *")
    out = run_cli("apply", "-f", "-", stdin=json.dumps(bad))
    assert out.returncode == 1
    assert 'spec.schedule: Invalid value: "0 25 * * *": end of range (25) above maximum (23): 25' in out.stderr
    assert "Traceback" not in out.stderr
    assert run_cli("get", "cronjob", "bad").returncode == 1


@pytest.mark.skipif(not os.path.exists("/usr/bin/kubectl"), reason="kubectl is not installed")
def test_real_kubectl_sees_jobs_and_cronjobs_as_minikctl_does(daemon, tmp_path):
    from tests.e2e.test_kubectl_daemon import Kubectl

    home, _ = daemon
    (tmp_path / "kubectl").mkdir()
    kubectl = Kubectl(home, str(tmp_path / "kubectl"))
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "report"},
               "spec": {"schedule": "@every 1h", "jobTemplate": {"spec": {"template": {"spec": {
                   "restartPolicy": "Never",
                   "containers": [{"name": "work", "image": "busybox", "command": ["sh", "-c", "echo ok"]}]}}}}}}
    kubectl("apply", "-f", "-", stdin=json.dumps(cronjob))
    # kubectl's own `create job --from` sends a protobuf body with ownerReferences.
    created = kubectl("create", "job", "report-now", "--from=cronjob/report")
    assert created.stdout == "job.batch/report-now created\n"
    owner = json.loads(run_cli("get", "job", "report-now", "-o", "json").stdout)["metadata"]["ownerReferences"]
    assert [(o["kind"], o["name"], o.get("controller")) for o in owner] == [("CronJob", "report", True)]
    wait_for(lambda: finished("report-now", "Complete"), timeout=TIMEOUT, what="report-now Complete")
    ours = run_cli("get", "jobs").stdout.splitlines()
    theirs = kubectl("get", "jobs").stdout.splitlines()
    assert [line.split()[:3] for line in ours] == [line.split()[:3] for line in theirs]
    assert theirs[1].split()[:3] == ["report-now", "Complete", "1/1"]
    described = kubectl("describe", "cronjob", "report").stdout
    assert "Schedule:                      @every 1h" in described


def test_ttl_after_finished_deletes_the_job_and_its_pods(daemon):
    apply(job("brief", "echo done", ttlSecondsAfterFinished=0))

    def gone() -> bool:
        return run_cli("get", "job", "brief").returncode == 1 and job_pods("brief") == []
    wait_for(gone, timeout=TIMEOUT, what="job brief and its pod to be deleted")
    assert "Job completed" in run_cli("events", "--for", "job/brief").stdout  # it ran before it went


def test_job_survives_a_daemon_restart_while_its_pods_finish(daemon):
    """Pods outlive the daemon, but the exit status of a process the restarted daemon did
    not start is lost: the kubelet reports ContainerStatusUnknown (Failed), and the Job
    controller does what Kubernetes does with such pods: counts them as failed and
    replaces them. The Job still completes, with nothing started twice at once."""
    home, cidr = daemon
    marker = os.path.join(home, "go")
    # The pods wait for the marker, which appears only while the daemon is down.
    apply(job("batchy", f"while [ ! -e {marker} ]; do sleep 0.1; done", parallelism=2, completions=2))
    wait_for(lambda: len([p for p in job_pods("batchy") if p.get("status", {}).get("phase") == "Running"]) == 2,
             timeout=TIMEOUT, what="two running pods")
    assert run_cli("daemon", "stop", timeout=60).returncode == 0  # the pods keep running
    open(marker, "w").close()
    time.sleep(1.0)  # they finish with nobody watching
    started = run_cli("daemon", "start", "--node-name", "node-1", "--pod-cidr", cidr, timeout=60)
    assert started.returncode == 0, started.stderr
    done = wait_for(lambda: finished("batchy", "Complete"), timeout=TIMEOUT, what="job batchy Complete")
    pods = job_pods("batchy")
    lost = [p for p in pods if p["status"]["phase"] == "Failed"]
    assert len(lost) == 2 and all(
        p["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] == "ContainerStatusUnknown" for p in lost)
    assert done["status"]["succeeded"] == 2 and done["status"]["failed"] == 2 and len(pods) == 4


def test_cronjob_runs_on_its_own_schedule(daemon):
    """The real clock, a short `@every` schedule: the controller wakes itself up."""
    cronjob = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "often"},
               "spec": {"schedule": "@every 3s", "jobTemplate": {"spec": {"template": {"spec": {
                   "restartPolicy": "Never",
                   "containers": [{"name": "work", "image": "busybox", "command": ["sh", "-c", "echo tick"]}]}}}}}}
    apply(cronjob)

    def ran() -> dict | None:
        st = get("cronjob", "often").get("status") or {}
        return st if st.get("lastSuccessfulTime") else None
    status = wait_for(ran, timeout=TIMEOUT, what="a scheduled run to succeed")
    jobs = [j for j in json.loads(run_cli("get", "jobs", "-o", "json").stdout)["items"]
            if j["metadata"]["ownerReferences"][0]["name"] == "often"]
    times = []
    for job in jobs:  # each named by the minute it was scheduled for
        scheduled = job["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
        minutes = int(_dt.datetime.fromisoformat(scheduled.replace("Z", "+00:00")).timestamp()) // 60
        assert job["metadata"]["name"] == f"often-{minutes}"
        times.append(scheduled)
    assert times and min(times) <= status["lastScheduleTime"]
    assert "SuccessfulCreate" in run_cli("events", "--for", "cronjob/often").stdout
