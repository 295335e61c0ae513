"""Services that get no traffic, and `describe svc` saying why: a selector that matches
nothing, a targetPort name no container has, pods that all crash. The proxy refuses
their connections at once, and describe shows the Endpoints line and a Warning event
with the reason (kubectl's Endpoints line: `<none>` without subsets, empty when they
hold only not-ready addresses)."""
from __future__ import annotations

import json
import re
import socket
import time

import pytest

from tests.conftest import run_cli
from tests.e2e.conftest import wait_for

pytestmark = pytest.mark.timeout(120)


def service(name: str, target) -> dict:  # noqa: ANN001
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": target}]}}


def deployment(name: str, command: list[str], port_name: str = "http") -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {
                         "terminationGracePeriodSeconds": 1,
                         "containers": [{"name": "c", "image": "python:3.11", "command": command,
                                         "ports": [{"containerPort": 8080, "name": port_name}]}]}}}}


SERVE = ["python3", "-m", "http.server", "8080"]
CRASH = ["python3", "-c", "import sys; sys.exit(3)"]


def apply(*docs: dict) -> None:
    out = run_cli("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(docs)}))
    assert out.returncode == 0, out.stderr


def refused_at_once(ip: str) -> bool:
    t0 = time.monotonic()
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((ip, 80))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        got = s.recv(100)
    except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError):
        got = b""
    finally:
        s.close()
    return got == b"" and time.monotonic() - t0 < 0.5


def test_describe_says_why_a_service_has_no_endpoints(daemon):
    apply(service("nomatch", 8080),
          service("noport", "web"), deployment("noport", SERVE, port_name="http"),
          service("crash", "http"), deployment("crash", CRASH))

    expected = {
        "nomatch": ("NoMatchingPods", "selector app=nomatch matches no pods in namespace default"),
        "noport": ("PortNotFound", "has a port named 'web' (TCP)"),
        "crash": ("NoReadyEndpoints", "2 pod(s) match selector app=crash, none is ready"),
    }
    for name, (reason, message) in expected.items():
        out = wait_for(lambda n=name, r=reason: (lambda d: d if r in d else None)(
            run_cli("describe", "svc", n).stdout), timeout=40, what=f"the {reason} event on {name}")
        # kubectl prints <none> without subsets and nothing when they hold only not-ready addresses.
        assert re.search(r"^Endpoints:\s+<none>$" if name != "crash" else r"^Endpoints:\s*$", out, re.M), out
        assert re.search(rf"^\s+Warning\s+{reason}\s+.*endpoint-controller\s+.*{re.escape(message)}", out, re.M), out
        ip = json.loads(run_cli("get", "svc", name, "-o", "json").stdout)["spec"]["clusterIP"]
        assert refused_at_once(ip), name

    # The Service with matching pods lists them as not ready (crash) or not at all (noport).
    ep = json.loads(run_cli("get", "ep", "crash", "-o", "json").stdout)
    assert all("addresses" not in s for s in ep.get("subsets") or [])
    assert "<none>" in run_cli("get", "ep", "noport").stdout
