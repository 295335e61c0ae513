"""DaemonSets end to end on the daemon's one real node: one pod there, pinned by node
affinity, a rolling update that replaces it, rollout status/history/undo, describe and
get through the CLI."""
from __future__ import annotations

import json

from tests.conftest import run_cli
from tests.e2e.conftest import wait_for

TIMEOUT = 60.0


def daemonset(version: str) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "agent"}},
                 "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {
                     "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "app", "image": "python:3.11",
                                     "command": ["python3", "-c", "import time; time.sleep(3600)"],
                                     "env": [{"name": "VERSION", "value": version}]}]}}}})


def cli(*args: str, stdin: str | None = None) -> str:
    out = run_cli(*args, stdin=stdin, timeout=90)
    assert out.returncode == 0, f"{args}: {out.stderr}"
    return out.stdout


def live_pods() -> list[dict]:
    items = json.loads(cli("get", "pods", "-o", "json"))["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def version_of(pod: dict) -> str:
    return pod["spec"]["containers"][0]["env"][0]["value"]


def test_daemonset_runs_one_pod_on_the_node_and_rolls_it(daemon) -> None:
    cli("apply", "-f", "-", stdin=daemonset("v1"))
    out = cli("rollout", "status", "daemonset/agent", "--timeout=60s")
    assert out.rstrip().endswith('daemon set "agent" successfully rolled out'), out
    [pod] = live_pods()
    assert pod["spec"]["nodeName"] == "node-1" and pod["status"]["phase"] == "Running"
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"] == [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                            "values": ["node-1"]}]}]
    table = cli("get", "ds")
    assert table.split("\n")[0].split() == ["NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE",
                                            "NODE", "SELECTOR", "AGE"]
    assert table.split("\n")[1].split()[:7] == ["agent", "1", "1", "1", "1", "1", "<none>"]
    described = cli("describe", "ds", "agent")
    assert "Desired Number of Nodes Scheduled: 1" in described
    assert "Created pod: " + pod["metadata"]["name"] in described

    # A new template: the pod is replaced, and rollout status follows it to the end.
    cli("apply", "-f", "-", stdin=daemonset("v2"))
    out = cli("rollout", "status", "ds/agent", "--timeout=60s")
    assert out.rstrip().endswith('daemon set "agent" successfully rolled out'), out
    wait_for(lambda: [version_of(p) for p in live_pods()] == ["v2"], timeout=TIMEOUT, what="the v2 pod")
    [new] = live_pods()
    assert new["metadata"]["name"] != pod["metadata"]["name"]
    history = cli("rollout", "history", "ds/agent")
    assert history.split("\n")[1:4] == ["REVISION  CHANGE-CAUSE", "1         <none>", "2         <none>"], history
    revisions = cli("get", "controllerrevisions")
    assert revisions.split("\n")[0].split() == ["NAME", "CONTROLLER", "REVISION", "AGE"]
    assert "daemonset.apps/agent" in revisions

    # Undo: back to v1, the v1 revision renumbered 3.
    assert cli("rollout", "undo", "ds/agent").strip() == "daemonset.apps/agent rolled back"
    cli("rollout", "status", "ds/agent", "--timeout=60s")
    wait_for(lambda: [version_of(p) for p in live_pods()] == ["v1"], timeout=TIMEOUT, what="the v1 pod back")
    assert "3         <none>" in cli("rollout", "history", "ds/agent")
    out = run_cli("rollout", "undo", "ds/agent", "--to-revision=7")
    assert out.returncode == 1 and out.stderr.strip() == "error: unable to find specified revision 7 in history"

    # Deleting the DaemonSet takes its pod and its revisions.
    cli("delete", "ds", "agent")
    wait_for(lambda: not live_pods() and not json.loads(cli("get", "controllerrevisions", "-o", "json"))["items"],
             timeout=TIMEOUT, what="no pods and no revisions left")
