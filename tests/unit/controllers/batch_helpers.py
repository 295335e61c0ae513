"""Helpers for the Job and CronJob controller tests: builders and a fake kubelet step
that finishes pods (Succeeded or Failed, with a terminated container state)."""
from __future__ import annotations

import copy

from minikctl.api import kinds
from minikctl.controllers.base import rfc3339

JOB, CRONJOB, POD, EVENT = (kinds.by_kind(k) for k in ("Job", "CronJob", "Pod", "Event"))


def pod_template(restart_policy: str = "Never") -> dict:
    return {"spec": {"restartPolicy": restart_policy,
                     "containers": [{"name": "work", "image": "busybox:1", "command": ["true"]}]}}


def new_job(name: str = "pi", **spec) -> dict:  # type: ignore[no-untyped-def]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": pod_template(), **spec}}


def new_cronjob(name: str = "tick", schedule: str = "* * * * *", **spec) -> dict:  # type: ignore[no-untyped-def]
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": pod_template()}}, **spec}}


def finish_pod(client, name: str, *, phase: str, when, exit_code: int | None = None) -> dict:  # type: ignore[no-untyped-def]
    """What the kubelet writes when a pod's container exits."""
    pod = client.get(POD, "default", name)
    if not pod["spec"].get("nodeName"):
        pod = client.bind("default", name, "node-1")
    code = exit_code if exit_code is not None else (0 if phase == "Succeeded" else 1)
    status = copy.deepcopy(pod.get("status") or {})
    status["phase"] = phase
    status["conditions"] = [{"type": "Ready", "status": "False", "lastTransitionTime": rfc3339(when)}]
    status["containerStatuses"] = [{
        "name": c["name"], "ready": False, "restartCount": 0, "image": c.get("image", ""), "imageID": "",
        "started": False, "state": {"terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                                                   "finishedAt": rfc3339(when), "startedAt": rfc3339(when)}}}
        for c in pod["spec"]["containers"]]
    pod["status"] = status
    return client.update_status(pod)


def owned_by(objs: list[dict], owner: dict) -> list[dict]:
    uid = owner["metadata"]["uid"]
    return [o for o in objs if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or [])]


def cond(obj: dict, type_: str) -> dict | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == type_), None)
