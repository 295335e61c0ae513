"""`create job` through the real CLI (no daemon: the in-process client): from a CronJob's
jobTemplate, from an image and command, and kubectl's errors for bad input."""
from __future__ import annotations

import json

from tests.conftest import run_cli

CRONJOB = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup"},
           "spec": {"schedule": "0 3 * * *", "jobTemplate": {
               "metadata": {"labels": {"team": "ops"}, "annotations": {"owner": "ops"}},
               "spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "OnFailure", "containers": [
                   {"name": "work", "image": "busybox", "command": ["sh", "-c", "echo backup"]}]}}}}}}


def get_job(name: str) -> dict:
    out = run_cli("get", "job", name, "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_create_job_from_cronjob(minikctl_home):
    assert run_cli("apply", "-f", "-", stdin=json.dumps(CRONJOB)).returncode == 0
    cj = json.loads(run_cli("get", "cronjob", "backup", "-o", "json").stdout)
    out = run_cli("create", "job", "backup-now", "--from=cronjob/backup")
    assert (out.returncode, out.stdout, out.stderr) == (0, "job.batch/backup-now created\n", "")
    job = get_job("backup-now")
    md = job["metadata"]
    assert md["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual", "owner": "ops"}
    assert md["labels"] == {"team": "ops"}  # given labels: the generated ones stay on the template
    assert job["spec"]["template"]["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "backup-now"
    assert md["ownerReferences"] == [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "backup",
                                      "uid": cj["metadata"]["uid"], "controller": True}]
    assert job["spec"]["backoffLimit"] == 2
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["sh", "-c", "echo backup"]
    dry = run_cli("create", "job", "again", "--from", "cronjob/backup", "--dry-run=client", "-o", "name")
    assert (dry.returncode, dry.stdout) == (0, "job.batch/again\n")
    assert run_cli("get", "job", "again").returncode == 1


def test_create_job_from_image_with_command(minikctl_home):
    out = run_cli("create", "job", "once", "--image=busybox", "--", "sh", "-c", "date")
    assert (out.returncode, out.stdout) == (0, "job.batch/once created\n"), out.stderr
    spec = get_job("once")["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never"
    assert spec["containers"][0]["name"] == "once" and spec["containers"][0]["command"] == ["sh", "-c", "date"]


def test_create_job_bad_input(minikctl_home):
    cases = [
        (("create", "job", "x"), "error: either --image or --from must be specified\n"),
        (("create", "job", "x", "--image=busybox", "--from=cronjob/backup"),
         "error: either --image or --from must be specified\n"),
        (("create", "job", "x", "--from=cronjob/backup", "--", "date"), "error: cannot specify --from and command\n"),
        (("create", "job", "x", "--from=cronjob/none"), 'Error from server (NotFound): cronjobs.batch "none" not found\n'),
    ]
    for args, message in cases:
        out = run_cli(*args)
        assert (out.returncode, out.stdout, out.stderr) == (1, "", message), args
    assert run_cli("get", "jobs").stdout == ""


def test_create_cronjob(minikctl_home):
    out = run_cli("create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "sh", "-c", "date")
    assert (out.returncode, out.stdout) == (0, "cronjob.batch/tick created\n"), out.stderr
    cj = json.loads(run_cli("get", "cronjob", "tick", "-o", "json").stdout)
    assert cj["spec"]["schedule"] == "*/5 * * * *" and cj["spec"]["jobTemplate"]["metadata"]["name"] == "tick"
    pod_spec = cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod_spec["restartPolicy"] == "OnFailure"
    assert pod_spec["containers"][0]["name"] == "tick" and pod_spec["containers"][0]["command"] == ["sh", "-c", "date"]
    for args, message in [
        (("create", "cronjob", "x", "--schedule=* * * * *"), "error: --image must be specified\n"),
        (("create", "cronjob", "x", "--image=busybox"), "error: --schedule must be specified\n"),
    ]:
        out = run_cli(*args)
        assert (out.returncode, out.stderr) == (1, message)
    bad = run_cli("create", "cronjob", "x", "--image=busybox", "--schedule=*/5 * * *")
    assert bad.returncode == 1
    assert 'spec.schedule: Invalid value: "*/5 * * *": expected exactly 5 fields, found 4: [*/5 * * *]' in bad.stderr
    assert run_cli("get", "cronjob", "x").returncode == 1
