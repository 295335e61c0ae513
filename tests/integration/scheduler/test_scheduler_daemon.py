"""The scheduler inside the real daemon, seen through the real CLI: a pod that fits is
placed on the daemon's node, one that cannot fit stays Pending and says why in
`get -o json` and `describe`."""
from __future__ import annotations

import json

from tests.conftest import run_cli
from tests.e2e.conftest import daemon, wait_for  # noqa: F401 - the fixture

TOO_BIG = ("0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
           "1 No preemption victims found for incoming pod.")


def manifest(name: str, cpu: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {
        "terminationGracePeriodSeconds": 1,
        "containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"],
                        "resources": {"requests": {"cpu": cpu}}}]}})


def get(name: str) -> dict | None:
    out = run_cli("get", "pod", name, "-o", "json")
    return json.loads(out.stdout) if out.returncode == 0 else None


def scheduled_condition(pod: dict | None) -> dict | None:
    conds = ((pod or {}).get("status") or {}).get("conditions") or []
    return next((c for c in conds if c["type"] == "PodScheduled"), None)


def test_the_daemon_schedules_and_explains(daemon):  # noqa: F811
    assert run_cli("apply", "-f", "-", stdin=manifest("small", "100m")).returncode == 0
    assert run_cli("apply", "-f", "-", stdin=manifest("big", "64")).returncode == 0
    small = wait_for(lambda: (get("small") or {}).get("spec", {}).get("nodeName") and get("small"),
                     what="small bound")
    assert small["spec"]["nodeName"] == "node-1"
    cond = wait_for(lambda: scheduled_condition(get("big")), what="big's PodScheduled condition")
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", TOO_BIG)
    big = get("big")
    assert big["status"]["phase"] == "Pending" and not big["spec"].get("nodeName")
    described = wait_for(lambda: (lambda o: o if "FailedScheduling" in o else None)(
        run_cli("describe", "pod", "big").stdout), what="the FailedScheduling event in describe")
    assert "default-scheduler" in described and "Insufficient cpu" in described
    events = run_cli("get", "events", "--field-selector", "involvedObject.name=small", "-o", "json")
    messages = [e["message"] for e in json.loads(events.stdout)["items"]]
    assert "Successfully assigned default/small to node-1" in messages
