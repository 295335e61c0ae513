"""Bad pods end in the status and reason a Kubernetes user expects, and the daemon
stays healthy."""
from __future__ import annotations

import json

from tests.conftest import run_cli
from tests.e2e.conftest import wait_for


def pod(name: str, container: dict, restart: str = "Always") -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                       "spec": {"restartPolicy": restart, "terminationGracePeriodSeconds": 1,
                                "containers": [{"name": "c", **container}]}})


def waiting_reason(name: str) -> str:
    out = run_cli("get", "pod", name, "-o", "json")
    if out.returncode:
        return ""
    statuses = (json.loads(out.stdout).get("status") or {}).get("containerStatuses") or []
    state = statuses[0].get("state", {}) if statuses else {}
    return (state.get("waiting") or {}).get("reason", "")


def test_bad_pods_get_kubernetes_reasons(daemon):
    bad = {
        "missing-image": pod("missing-image", {"image": "nosuch:1.0"}),
        "no-command": pod("no-command", {"image": "busybox:1.36", "command": ["no-such-binary-here"]}),
        "crasher": pod("crasher", {"image": "busybox:1.36", "command": ["sh", "-c", "echo dying; exit 3"]}),
        "missing-config": pod("missing-config", {"image": "busybox:1.36", "command": ["sleep", "60"],
                                                 "envFrom": [{"configMapRef": {"name": "absent"}}]}),
    }
    for doc in bad.values():
        assert run_cli("apply", "-f", "-", stdin=doc).returncode == 0

    wait_for(lambda: waiting_reason("missing-image") in ("ErrImagePull", "ImagePullBackOff"), what="ErrImagePull")
    wait_for(lambda: waiting_reason("crasher") == "CrashLoopBackOff", what="CrashLoopBackOff")
    wait_for(lambda: waiting_reason("no-command") in ("RunContainerError", "CrashLoopBackOff"), what="StartError")
    wait_for(lambda: waiting_reason("missing-config") == "CreateContainerConfigError", what="config error")

    described = run_cli("describe", "pod", "missing-image").stdout
    assert "minikctl image import" in described  # the message says how to fix it
    logs = run_cli("logs", "crasher", "--previous")
    assert logs.stdout.strip() == "dying", logs.stderr
    table = run_cli("get", "pods").stdout
    assert "CrashLoopBackOff" in table

    # The daemon is still healthy: a good pod next to the bad ones runs.
    good = pod("good", {"image": "busybox:1.36", "command": ["sleep", "60"]})
    assert run_cli("apply", "-f", "-", stdin=good).returncode == 0
    wait_for(lambda: "Running" in run_cli("get", "pod", "good").stdout, what="good pod running")
    assert run_cli("daemon", "status").returncode == 0
