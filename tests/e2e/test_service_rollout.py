"""A rolling update behind a Service with a readiness probe, while a client sends
requests through the Service for the whole rollout: zero failed requests."""
from __future__ import annotations

import json
import threading
import urllib.request

from tests.conftest import run_cli
from tests.e2e.conftest import wait_for
from tests.e2e.test_daemon import deployment, pods, ready

SERVICE = json.dumps({
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
})


def draining(version: str) -> str:
    """The test Deployment, with a preStop pause so a pod leaves the endpoints before
    its process stops (what a real server's graceful drain does)."""
    doc = json.loads(deployment(3, version))
    c = doc["spec"]["template"]["spec"]["containers"][0]
    c["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", "2"]}}}
    doc["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 5
    return json.dumps(doc)


def test_rolling_update_through_a_service_fails_no_request(daemon):
    assert run_cli("apply", "-f", "-", stdin=draining("v1")).returncode == 0
    assert run_cli("apply", "-f", "-", stdin=SERVICE).returncode == 0
    wait_for(lambda: len([p for p in pods() if ready(p)]) == 3, what="3 ready pods")
    ip = json.loads(run_cli("get", "svc", "web", "-o", "json").stdout)["spec"]["clusterIP"]
    wait_for(lambda: len((json.loads(run_cli("get", "ep", "web", "-o", "json").stdout).get("subsets")
                          or [{}])[0].get("addresses") or []) == 3, what="3 endpoints")

    stop = threading.Event()
    answers: dict[str, int] = {}
    failures: list[str] = []

    def client() -> None:
        while not stop.is_set():
            try:
                with urllib.request.urlopen(f"http://{ip}/", timeout=5) as r:
                    version = r.read().decode().split()[-1]
                answers[version] = answers.get(version, 0) + 1
            except OSError as exc:
                failures.append(repr(exc))

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    try:
        assert run_cli("apply", "-f", "-", stdin=draining("v2")).returncode == 0
        status = run_cli("rollout", "status", "deploy/web", "--timeout=120s", timeout=150)
        assert status.returncode == 0, status.stdout + status.stderr
        wait_for(lambda: answers.get("v2", 0) > 20 and len(pods()) == 3, timeout=60, what="v2 answering")
    finally:
        stop.set()
        thread.join(10)
    assert failures == [], failures[:5]
    assert answers.get("v1", 0) > 0 and answers.get("v2", 0) > 0, answers
