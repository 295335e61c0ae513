"""Cascading deletion end to end: a real daemon (garbage collector, namespace
controller, kubelet) and real pod processes, driven through the CLI."""
from __future__ import annotations

import glob
import json
import os

from minikctl.runtime import procfs
from tests.conftest import run_cli
from tests.e2e.conftest import wait_for

# Ignores SIGTERM, so a pod being deleted lives for its whole grace period (2 s): long
# enough to see its owner wait for it in a foreground deletion.
STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)"
TIMEOUT = 40.0


def deployment(name: str = "web", replicas: int = 2, namespace: str = "default") -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {
                     "terminationGracePeriodSeconds": 2,
                     "containers": [{"name": "app", "image": "python:3.11", "command": ["python3", "-c", STUBBORN]}]}}}})


def get_json(*args: str) -> dict | None:
    out = run_cli("get", *args, "-o", "json")
    return json.loads(out.stdout) if out.returncode == 0 else None


def items(kind: str, namespace: str = "default") -> list[dict]:
    found = get_json(kind, "-n", namespace)
    return found["items"] if found else []


def running_pods(n: int, namespace: str = "default") -> list[dict]:
    def ready() -> list[dict] | None:
        pods = [p for p in items("pods", namespace)
                if (p.get("status") or {}).get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]
        return pods if len(pods) == n else None
    return wait_for(ready, timeout=TIMEOUT, what=f"{n} running pods in {namespace}")


def processes(home: str, pods: list[dict]) -> list[tuple[int, int]]:
    """(pid, start ticks) of every container process of these pods."""
    found = []
    for pod in pods:
        md = pod["metadata"]
        for path in glob.glob(os.path.join(home, "pods", f"{md['namespace']}_{md['name']}_{md['uid']}", "*",
                                           "state.json")):
            with open(path) as f:
                pid = int(json.load(f)["pid"])
            ticks = procfs.start_ticks(pid)
            if ticks is not None:
                found.append((pid, ticks))
    assert len(found) >= len(pods), f"no process recorded for some of {[p['metadata']['name'] for p in pods]}"
    return found


def all_dead(procs: list[tuple[int, int]]) -> bool:
    return not any(procfs.is_running(pid, ticks) for pid, ticks in procs)


def apply(manifest: str) -> None:
    out = run_cli("apply", "-f", "-", stdin=manifest)
    assert out.returncode == 0, out.stderr


def test_background_delete_of_a_deployment_leaves_nothing_running(daemon) -> None:
    home, _ = daemon
    apply(deployment())
    procs = processes(home, running_pods(2))
    out = run_cli("delete", "deployment", "web")
    assert out.returncode == 0, out.stderr
    wait_for(lambda: not items("replicasets") and not items("pods"), timeout=TIMEOUT,
             what="no ReplicaSets and no pods left")
    wait_for(lambda: all_dead(procs), timeout=TIMEOUT, what="every pod process gone")


def test_orphan_delete_keeps_the_replicaset_and_its_pods(daemon) -> None:
    home, _ = daemon
    apply(deployment())
    pods = running_pods(2)
    procs = processes(home, pods)
    out = run_cli("delete", "deployment", "web", "--cascade=orphan")
    assert out.returncode == 0, out.stderr
    wait_for(lambda: get_json("deployment", "web") is None, timeout=TIMEOUT, what="the deployment gone")

    [rs] = items("replicasets")
    assert not rs["metadata"].get("ownerReferences")
    # Only the Deployment's own dependents were orphaned: the pods still belong to the
    # ReplicaSet, which lives on and keeps them running.
    now = items("pods")
    assert sorted(p["metadata"]["uid"] for p in now) == sorted(p["metadata"]["uid"] for p in pods)
    assert all(p["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"] for p in now)
    assert not any(p["metadata"].get("deletionTimestamp") for p in now)
    assert not all_dead(procs)


def test_foreground_delete_removes_dependents_before_the_owner(daemon) -> None:
    apply(deployment())
    running_pods(2)
    out = run_cli("delete", "deployment", "web", "--cascade=foreground")
    assert out.returncode == 0, out.stderr
    # The pods ignore SIGTERM for 2 s: meanwhile the Deployment waits, marked.
    d = get_json("deployment", "web")
    assert d is not None and d["metadata"].get("deletionTimestamp")
    assert "foregroundDeletion" in d["metadata"]["finalizers"]
    pods = items("pods")
    assert pods and all(p["metadata"].get("deletionTimestamp") for p in pods)  # dependents go first

    def owner_gone() -> bool:
        if get_json("deployment", "web") is not None:
            return False
        # Read after the owner was seen gone: its dependents went before it.
        assert not items("pods") and not items("replicasets")
        return True

    wait_for(owner_gone, timeout=TIMEOUT, what="the deployment gone")


def test_deleting_a_namespace_stops_its_processes_and_removes_it(daemon) -> None:
    home, _ = daemon
    assert run_cli("create", "namespace", "team").returncode == 0
    apply(deployment(namespace="team"))
    procs = processes(home, running_pods(2, "team"))
    out = run_cli("delete", "namespace", "team")
    assert out.returncode == 0, out.stderr
    ns = get_json("namespace", "team")
    if ns is not None:
        assert ns["status"]["phase"] == "Terminating"
    created = run_cli("create", "configmap", "late", "-n", "team")
    assert created.returncode != 0  # nothing new in a terminating namespace (or a gone one)
    wait_for(lambda: get_json("namespace", "team") is None, timeout=TIMEOUT, what="the namespace gone")
    assert all_dead(procs)
    assert not items("pods", "team")


def test_orphans_left_while_the_daemon_was_down_are_collected_on_start(daemon) -> None:
    home, cidr = daemon
    apply(deployment())
    procs = processes(home, running_pods(2))
    stopped = run_cli("daemon", "stop", timeout=60)
    assert stopped.returncode == 0, stopped.stderr
    # No daemon: the CLI works on the store in-process, and nobody collects anything.
    out = run_cli("delete", "deployment", "web")
    assert out.returncode == 0, out.stderr
    assert get_json("deployment", "web") is None
    assert len(items("replicasets")) == 1 and len(items("pods")) == 2
    assert not all_dead(procs)  # pods outlive the daemon
    started = run_cli("daemon", "start", "--node-name", "node-1", "--pod-cidr", cidr, timeout=60)
    assert started.returncode == 0, started.stderr
    wait_for(lambda: not items("replicasets") and not items("pods"), timeout=TIMEOUT,
             what="the orphaned ReplicaSet and pods collected")
    wait_for(lambda: all_dead(procs), timeout=TIMEOUT, what="every pod process gone")
