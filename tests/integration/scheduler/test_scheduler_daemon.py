"""The scheduler inside the real daemon, seen through the real CLI: a pod that fits is
placed on the daemon's node, one that cannot fit stays Pending and says why in
`get -o json` and `describe`; with `--nodes 3`, replicas share the three nodes by
their requests, and anti-affinity leaves a fourth replica Pending."""
from __future__ import annotations

import collections
import json

import pytest

from tests.conftest import pod_range_octet, run_cli
from tests.e2e.conftest import daemon, kill_everything, wait_for  # noqa: F401 - the fixture

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


def apply(doc: dict) -> None:
    out = run_cli("apply", "-f", "-", stdin=json.dumps(doc))
    assert out.returncode == 0, out.stderr


def deployment(name: str, replicas: int, *, cpu: str | None = None, affinity: dict | None = None) -> dict:
    labels = {"app": name}
    container = {"name": "app", "image": "busybox", "command": ["sleep", "3600"]}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    spec: dict = {"terminationGracePeriodSeconds": 1, "containers": [container]}
    if affinity:
        spec["affinity"] = affinity
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": spec}}}


def placement(app: str) -> dict[str, str | None]:
    out = run_cli("get", "pods", "-l", f"app={app}", "-o", "json")
    if out.returncode != 0:
        return {}
    return {p["metadata"]["name"]: p["spec"].get("nodeName") for p in json.loads(out.stdout)["items"]
            if not p["metadata"].get("deletionTimestamp")}


@pytest.fixture
def three_nodes(minikctl_home):
    """`minikctl daemon start --nodes 3`, each node 2 cpu: three nodes in one daemon."""
    home = str(minikctl_home)
    cidr = f"127.{pod_range_octet()}.0.0/16"
    started = run_cli("daemon", "start", "--nodes", "3", "--node-name", "k", "--node-capacity",
                      "cpu=2,memory=4Gi,pods=110", "--pod-cidr", cidr, timeout=60)
    assert started.returncode == 0, started.stderr
    try:
        yield home
    finally:
        run_cli("daemon", "stop", "--all", timeout=60)
        kill_everything(home)


def test_three_nodes_share_the_pods_by_resources_and_anti_affinity(three_nodes):
    apply(deployment("web", 6, cpu="900m"))
    placed = wait_for(lambda: (lambda p: p if len(p) == 6 and all(p.values()) else None)(placement("web")),
                      timeout=30, what="6 replicas bound")
    assert sorted(collections.Counter(placed.values()).values()) == [2, 2, 2]
    assert set(placed.values()) == {"k", "k-m02", "k-m03"}
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "solo"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    apply(deployment("solo", 4, affinity=anti))
    placed = wait_for(lambda: (lambda p: p if len(p) == 4 and sum(1 for n in p.values() if n) == 3 else None)(
        placement("solo")), timeout=30, what="3 of 4 bound")
    assert sorted(n for n in placed.values() if n) == ["k", "k-m02", "k-m03"]
    [pending] = [name for name, n in placed.items() if not n]
    message = ("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. "
               "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.")
    cond = wait_for(lambda: (lambda c: c if c and c.get("message") == message else None)(
        scheduled_condition(get(pending))), what="the Pending message")
    assert cond["reason"] == "Unschedulable"
