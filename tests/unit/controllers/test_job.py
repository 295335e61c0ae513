"""The Job controller against a real store, driven step by step with a fake clock:
counts and completions, the failure back-off, backoffLimit, activeDeadlineSeconds,
suspend, Indexed jobs, and the TTL-after-finished controller."""
from __future__ import annotations

import pytest

from minikctl import errors
from minikctl.controllers import job_util as ju
from minikctl.controllers.base import rfc3339
from tests.unit.controllers.batch_helpers import JOB, POD, cond, finish_pod, new_job, owned_by
from tests.unit.controllers.conftest import Cluster


def sync(c: Cluster, name: str = "pi") -> dict:
    c.pump()
    c.manager.controller("job-controller").sync(f"default/{name}")
    c.pump()
    return c.client.get(JOB, "default", name)


def job_pods(c: Cluster, job: dict, *, phase: str | None = None) -> list[dict]:
    pods = owned_by(c.pods(), job)
    return [p for p in pods if phase is None or (p.get("status") or {}).get("phase", "Pending") == phase]


def running(c: Cluster, job: dict) -> list[dict]:
    return [p for p in owned_by(c.pods(), job) if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            and not p["metadata"].get("deletionTimestamp")]


def test_parallel_job_with_one_failure_completes_after_the_backoff(batch):
    c = batch
    c.client.create(new_job(parallelism=2, completions=5, backoffLimit=6))
    job = sync(c)
    pods = running(c, job)
    assert len(pods) == 2
    p = pods[0]
    assert p["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "pi"
    assert p["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] == job["metadata"]["uid"]
    ref = p["metadata"]["ownerReferences"][0]
    assert ref["kind"] == "Job" and ref["controller"] and ref["blockOwnerDeletion"]
    assert job["status"]["active"] == 2 and job["status"]["startTime"]

    finish_pod(c.client, pods[0]["metadata"]["name"], phase="Failed", when=c.clock.now())
    job = sync(c)
    assert job["status"]["failed"] == 1 and job["status"]["active"] == 1
    assert len(running(c, job)) == 1, "no replacement before the 10 s back-off"
    c.clock.advance(9)
    assert len(running(c, sync(c))) == 1
    c.clock.advance(2)
    job = sync(c)
    assert len(running(c, job)) == 2

    while True:
        active = running(c, job)
        if not active:
            break
        for pod in active:
            finish_pod(c.client, pod["metadata"]["name"], phase="Succeeded", when=c.clock.now())
        c.clock.advance(1)
        job = sync(c)
    st = job["status"]
    assert st["succeeded"] == 5 and st["failed"] == 1 and "active" not in st
    assert cond(job, "SuccessCriteriaMet")["status"] == "True"
    complete = cond(job, "Complete")
    assert complete["status"] == "True" and complete["reason"] == "CompletionsReached"
    assert st["completionTime"] and st["ready"] == 0 and st["uncountedTerminatedPods"] == {}
    assert len(job_pods(c, job)) == 6
    reasons = [r for _, r, _ in c.recorder.events]
    assert reasons.count("SuccessfulCreate") == 6 and reasons[-1] == "Completed"


def test_always_failing_job_stops_at_backoff_limit(batch):
    c = batch
    c.client.create(new_job(backoffLimit=2))
    job = sync(c)
    delays = []
    for attempt in range(3):
        [pod] = running(c, job)
        finish_pod(c.client, pod["metadata"]["name"], phase="Failed", when=c.clock.now())
        job = sync(c)
        if attempt < 2:
            assert not running(c, job)
            waited = 0
            while not running(c, job):
                c.clock.advance(1)
                waited += 1
                job = sync(c)
            delays.append(waited)
    assert delays == [10, 20]  # 10 s, then 20 s
    assert job["status"]["failed"] == 3
    failed = cond(job, "Failed")
    assert failed["status"] == "True" and failed["reason"] == "BackoffLimitExceeded"
    assert failed["message"] == "Job has reached the specified backoff limit"
    assert cond(job, "FailureTarget")["reason"] == "BackoffLimitExceeded"
    assert ("Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit") in c.recorder.events
    c.clock.advance(400)
    assert not running(c, sync(c))


def test_active_deadline_deletes_pods_and_fails_the_job(batch):
    c = batch
    c.client.create(new_job(activeDeadlineSeconds=30, parallelism=2, completions=4))
    job = sync(c)
    assert len(running(c, job)) == 2
    c.clock.advance(31)
    job = sync(c)
    assert cond(job, "FailureTarget")["reason"] == "DeadlineExceeded"
    assert cond(job, "Failed") is None, "Failed only once the pods are gone"
    assert job["status"]["terminating"] == 2
    c.finish_deletions()
    job = sync(c)
    failed = cond(job, "Failed")
    assert failed["reason"] == "DeadlineExceeded" and failed["message"] == "Job was active longer than specified deadline"
    assert "completionTime" not in job["status"]
    assert job["status"]["failed"] == 2, "pods killed at the deadline count as failed, as in Kubernetes"
    assert "terminating" in job["status"] and job["status"]["terminating"] == 0


def test_suspend_deletes_active_pods_and_resume_recreates_them(batch):
    c = batch
    c.client.create(new_job(parallelism=3, completions=3))
    job = sync(c)
    assert len(running(c, job)) == 3
    c.client.modify(JOB, "default", "pi", lambda j: j["spec"].update(suspend=True))
    job = sync(c)
    suspended = cond(job, "Suspended")
    assert suspended["status"] == "True" and suspended["reason"] == "JobSuspended"
    assert not running(c, job)
    c.finish_deletions()
    c.clock.advance(5)
    c.client.modify(JOB, "default", "pi", lambda j: j["spec"].update(suspend=False))
    job = sync(c)
    assert cond(job, "Suspended")["status"] == "False" and cond(job, "Suspended")["reason"] == "JobResumed"
    assert len(running(c, job)) == 3
    assert "failed" not in job["status"], "pods stopped by a suspension are not failures"


def test_indexed_job_gives_each_pod_its_index(batch):
    c = batch
    c.client.create(new_job(completionMode="Indexed", completions=3, parallelism=3))
    job = sync(c)
    pods = sorted(running(c, job), key=lambda p: p["metadata"]["annotations"][ju.COMPLETION_INDEX])
    assert [p["metadata"]["annotations"][ju.COMPLETION_INDEX] for p in pods] == ["0", "1", "2"]
    for i, pod in enumerate(pods):
        assert pod["metadata"]["name"].startswith(f"pi-{i}-")
        assert pod["spec"]["hostname"] == f"pi-{i}"
        assert pod["metadata"]["labels"][ju.COMPLETION_INDEX] == str(i)
        assert {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
            "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']", "apiVersion": "v1"}}} in \
            pod["spec"]["containers"][0]["env"]
    finish_pod(c.client, pods[1]["metadata"]["name"], phase="Failed", when=c.clock.now())
    finish_pod(c.client, pods[0]["metadata"]["name"], phase="Succeeded", when=c.clock.now())
    job = sync(c)
    assert job["status"]["completedIndexes"] == "0"
    c.clock.advance(11)
    job = sync(c)
    [again] = [p for p in running(c, job) if p["metadata"]["annotations"][ju.COMPLETION_INDEX] == "1"]
    for pod in running(c, job):
        finish_pod(c.client, pod["metadata"]["name"], phase="Succeeded", when=c.clock.now())
    job = sync(c)
    assert job["status"]["completedIndexes"] == "0-2" and job["status"]["succeeded"] == 3
    assert cond(job, "Complete")["status"] == "True"


def test_ttl_after_finished_deletes_the_job(batch):
    c = batch
    c.client.create(new_job(ttlSecondsAfterFinished=60))
    job = sync(c)
    [pod] = running(c, job)
    finish_pod(c.client, pod["metadata"]["name"], phase="Succeeded", when=c.clock.now())
    job = sync(c)
    assert cond(job, "Complete")["status"] == "True"
    ttl = c.manager.controller("ttl-after-finished-controller")
    c.pump()
    ttl.sync("default/pi")
    assert c.client.get(JOB, "default", "pi")
    c.clock.advance(61)
    ttl.sync("default/pi")
    with pytest.raises(errors.NotFound):
        c.client.get(JOB, "default", "pi")


def test_completed_indexes_strings():
    assert ju.format_indexes({0, 1}) == "0,1"
    assert ju.format_indexes({0, 1, 2, 4, 6, 7, 8, 9}) == "0-2,4,6-9"
    assert ju.parse_indexes("0-2,4,6-9", 8) == {0, 1, 2, 4, 6, 7}
    assert ju.generate_name_with_index("a" * 60, 12) == "a" * 54 + "-12-"


def test_on_failure_restarts_count_against_the_backoff_limit(batch):
    c = batch
    job = new_job(backoffLimit=3)
    job["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure"
    c.client.create(job)
    job = sync(c)
    [pod] = running(c, job)
    c.set_pod(pod["metadata"]["name"], restarts=2)
    job = sync(c)
    assert cond(job, "FailureTarget") is None
    c.set_pod(pod["metadata"]["name"], restarts=3)
    job = sync(c)
    assert cond(job, "FailureTarget")["reason"] == "BackoffLimitExceeded"
    assert not running(c, job)


def failure_policy_job(name: str) -> dict:
    job = new_job(name=name, backoffLimit=6, podFailurePolicy={"rules": [
        {"action": "FailJob", "onExitCodes": {"containerName": "work", "operator": "In", "values": [42]}},
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
    ]})
    return job


def test_pod_failure_policy_fail_job_on_exit_code(batch):
    c = batch
    c.client.create(failure_policy_job("pfp"))
    job = sync(c, "pfp")
    [pod] = running(c, job)
    finish_pod(c.client, pod["metadata"]["name"], phase="Failed", when=c.clock.now(), exit_code=42)
    job = sync(c, "pfp")
    failed = cond(job, "Failed")
    assert failed["reason"] == "PodFailurePolicy"
    assert failed["message"] == (f"Container work for pod default/{pod['metadata']['name']} failed with exit code 42 "
                                 "matching FailJob rule at index 0")


def test_pod_failure_policy_ignore_does_not_count(batch):
    c = batch
    c.client.create(failure_policy_job("pfi"))
    job = sync(c, "pfi")
    [pod] = running(c, job)
    finished = finish_pod(c.client, pod["metadata"]["name"], phase="Failed", when=c.clock.now(), exit_code=137)
    finished["status"]["conditions"].append({"type": "DisruptionTarget", "status": "True",
                                             "lastTransitionTime": rfc3339(c.clock.now())})
    c.client.update_status(finished)
    job = sync(c, "pfi")
    assert "failed" not in job["status"] and cond(job, "Failed") is None
    assert len(running(c, job)) == 1, "replaced at once: an ignored failure has no back-off"


def test_success_policy_completes_an_indexed_job_early(batch):
    c = batch
    c.client.create(new_job(name="leader", completionMode="Indexed", completions=3, parallelism=3,
                            successPolicy={"rules": [{"succeededIndexes": "0"}]}))
    job = sync(c, "leader")
    pods = {p["metadata"]["annotations"][ju.COMPLETION_INDEX]: p for p in running(c, job)}
    finish_pod(c.client, pods["0"]["metadata"]["name"], phase="Succeeded", when=c.clock.now())
    job = sync(c, "leader")
    met = cond(job, "SuccessCriteriaMet")
    assert (met["reason"], met["message"]) == ("SuccessPolicy", "Matched rules at index 0")
    assert cond(job, "Complete") is None and not running(c, job), "the others are stopped first"
    c.finish_deletions()
    job = sync(c, "leader")
    assert cond(job, "Complete")["reason"] == "SuccessPolicy" and job["status"]["completionTime"]


def test_a_pod_deleted_while_running_counts_as_failed_and_is_replaced(batch):
    c = batch
    c.client.create(new_job(backoffLimit=3))
    job = sync(c)
    [pod] = running(c, job)
    c.client.delete(POD, "default", pod["metadata"]["name"])  # unbound: gone at once
    job = sync(c)
    assert job["status"]["failed"] == 1
    [replacement] = running(c, job)
    assert replacement["metadata"]["name"] != pod["metadata"]["name"]
    job = sync(c)
    assert job["status"]["failed"] == 1, "counted once"


def index_pods(c: Cluster, job: dict) -> dict[str, dict]:
    return {p["metadata"]["annotations"][ju.COMPLETION_INDEX]: p for p in running(c, job)}


def test_backoff_limit_per_index_fails_only_that_index(batch):
    c = batch
    c.client.create(new_job(name="per", completionMode="Indexed", completions=3, parallelism=3,
                            backoffLimitPerIndex=1))
    job = sync(c, "per")
    pods = index_pods(c, job)
    assert {i: p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"]
            for i, p in pods.items()} == {"0": "0", "1": "0", "2": "0"}
    finish_pod(c.client, pods["1"]["metadata"]["name"], phase="Failed", when=c.clock.now())
    finish_pod(c.client, pods["0"]["metadata"]["name"], phase="Succeeded", when=c.clock.now())
    job = sync(c, "per")
    assert job["status"]["failedIndexes"] == "" and "1" not in index_pods(c, job)
    c.clock.advance(10)  # index 1's own back-off
    job = sync(c, "per")
    retry = index_pods(c, job)["1"]
    assert retry["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"] == "1"
    finish_pod(c.client, retry["metadata"]["name"], phase="Failed", when=c.clock.now())
    job = sync(c, "per")
    assert job["status"]["failedIndexes"] == "1" and cond(job, "Failed") is None, "index 2 still runs"
    finish_pod(c.client, index_pods(c, job)["2"]["metadata"]["name"], phase="Succeeded", when=c.clock.now())
    job = sync(c, "per")
    failed = cond(job, "Failed")
    assert (failed["reason"], failed["message"]) == ("FailedIndexes", "Job has failed indexes")
    assert job["status"]["completedIndexes"] == "0,2" and job["status"]["failed"] == 2


def test_max_failed_indexes_exceeded(batch):
    c = batch
    c.client.create(new_job(name="maxf", completionMode="Indexed", completions=4, parallelism=2,
                            backoffLimitPerIndex=0, maxFailedIndexes=0))
    job = sync(c, "maxf")
    pods = index_pods(c, job)
    finish_pod(c.client, pods["0"]["metadata"]["name"], phase="Failed", when=c.clock.now())
    job = sync(c, "maxf")
    assert cond(job, "FailureTarget")["reason"] == "MaxFailedIndexesExceeded"
    c.finish_deletions()
    job = sync(c, "maxf")
    failed = cond(job, "Failed")
    assert failed["message"] == "Job has exceeded the specified maximal number of failed indexes"


@pytest.mark.parametrize("policy, replaced_at_once", [("TerminatingOrFailed", True), ("Failed", False)])
def test_pod_replacement_policy(batch, policy, replaced_at_once):
    c = batch
    c.client.create(new_job(name="rep", podReplacementPolicy=policy, backoffLimit=3))
    job = sync(c, "rep")
    [pod] = running(c, job)
    c.set_pod(pod["metadata"]["name"])  # bound and running: its deletion is graceful
    c.client.delete(POD, "default", pod["metadata"]["name"])
    job = sync(c, "rep")
    assert job["status"]["terminating"] == 1
    assert (len(running(c, job)) == 1) is replaced_at_once
    c.finish_deletions()
    job = sync(c, "rep")
    assert len(running(c, job)) == 1 and job["status"]["failed"] == 1
