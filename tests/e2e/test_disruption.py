"""PodDisruptionBudgets end to end, on a 2-node daemon: the disruption controller's
status, `minikctl drain` through the eviction subresource (refused while the budget
allows nothing: kubectl's retry message, its timeout error, no pod lost; completing one
pod at a time once it allows one), and real kubectl's drain getting the same answer.
Real daemon, real pod processes; everything killed by pid at teardown."""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from tests.conftest import run_cli
from tests.e2e.conftest import start_daemon, stop_everything, wait_for

KUBECTL = "/usr/bin/kubectl"
pytestmark = pytest.mark.timeout(150)

DEPLOYMENT = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"terminationGracePeriodSeconds": 1,
                                   "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}]}}}}
RETRY = re.compile(r'^error when evicting pods/"(web-[a-z0-9-]+)" -n "default" \(will retry after 5s\): '
                   r"Cannot evict pod as it would violate the pod's disruption budget\.$", re.M)


def budget(min_available: int) -> dict:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
            "spec": {"minAvailable": min_available, "selector": {"matchLabels": {"app": "web"}}}}


@pytest.fixture
def two_nodes(minikctl_home):
    home = str(minikctl_home)
    start_daemon(home, "--nodes", "2")
    try:
        yield home
    finally:
        stop_everything(home)


def apply(obj: dict) -> None:
    out = run_cli("apply", "-f", "-", stdin=json.dumps(obj))
    assert out.returncode == 0, out.stderr


def get_json(*args: str) -> dict:
    out = run_cli("get", *args, "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def ready_web() -> list[dict]:
    def ready(p: dict) -> bool:
        conds = {c["type"]: c["status"] for c in (p.get("status") or {}).get("conditions") or []}
        return conds.get("Ready") == "True" and not p["metadata"].get("deletionTimestamp")
    return [p for p in get_json("pods", "-l", "app=web")["items"] if ready(p)]


def budget_status() -> dict:
    return get_json("pdb", "web").get("status") or {}


def test_drain_respects_the_budget_then_completes_one_pod_at_a_time(two_nodes):
    # Both pods on node-1: the second node is cordoned while they are scheduled.
    assert run_cli("cordon", "node-1-m02").returncode == 0
    apply(DEPLOYMENT)
    apply(budget(2))
    wait_for(lambda: len(ready_web()) == 2, timeout=40, what="2 ready web pods")
    first = sorted(p["metadata"]["name"] for p in ready_web())
    assert run_cli("uncordon", "node-1-m02").returncode == 0
    wait_for(lambda: (budget_status().get("currentHealthy"), budget_status().get("disruptionsAllowed")) == (2, 0),
             timeout=20, what="the budget's status")
    rows = run_cli("get", "pdb").stdout.splitlines()
    assert rows[0].split()[:6] == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED"]
    assert rows[1].split()[:4] == ["web", "2", "N/A", "0"]

    refused = run_cli("drain", "node-1", "--timeout", "8s", timeout=40)
    assert refused.returncode == 1
    assert set(RETRY.findall(refused.stderr)) == set(first), refused.stderr
    # As kubectl's aggregate error: one line per pod after the pending node.
    assert sorted(refused.stderr.splitlines()[-2:]) == sorted(
        f'error when evicting pods/"{n}" -n "default": global timeout reached: 8s' for n in first)
    assert 'error: unable to drain node "node-1" due to error: ' in refused.stderr
    assert "Traceback" not in refused.stderr
    assert sorted(p["metadata"]["name"] for p in ready_web()) == first  # no pod lost

    # Real kubectl finds pods/eviction in discovery and gets the same 429.
    if os.path.exists(KUBECTL):
        env = {**os.environ, "KUBECONFIG": os.path.join(two_nodes, "kubeconfig"),
               "HOME": os.path.join(two_nodes, "kubectl-home")}
        got = subprocess.run([KUBECTL, "get", "pdb"], capture_output=True, text=True, timeout=20, env=env)
        assert got.stdout.splitlines()[1].split()[:4] == ["web", "2", "N/A", "0"], got.stdout + got.stderr
        kc = subprocess.run([KUBECTL, "drain", "node-1", "--timeout", "3s"], capture_output=True, text=True,
                            timeout=40, env=env)
        assert kc.returncode != 0
        assert "evicting pod default/web-" in kc.stdout
        assert set(RETRY.findall(kc.stderr)) == set(first), kc.stderr
        assert sorted(kc.stderr.splitlines()[-2:]) == sorted(
            f'error when evicting pods/"{n}" -n "default": global timeout reached: 3s' for n in first)
        assert sorted(p["metadata"]["name"] for p in ready_web()) == first

    # One disruption allowed: drain takes one pod, waits for its replacement on the
    # other node to be ready, then the next.
    apply(budget(1))
    wait_for(lambda: budget_status().get("disruptionsAllowed") == 1, timeout=20, what="one disruption allowed")
    drained = run_cli("drain", "node-1", "--timeout", "90s", timeout=120)
    assert drained.returncode == 0, drained.stderr
    assert RETRY.findall(drained.stderr), drained.stderr  # the second pod had to wait its turn
    assert sorted(line for line in drained.stdout.splitlines() if line.endswith(" evicted")) == \
        sorted(f"pod/{n} evicted" for n in first)
    assert drained.stdout.splitlines()[-1] == "node/node-1 drained"
    moved = wait_for(lambda: (lambda ps: ps if len(ps) == 2 else None)(ready_web()), timeout=30,
                     what="2 ready pods again")
    assert {p["spec"]["nodeName"] for p in moved} == {"node-1-m02"}
