"""UDP through a Service with the real daemon: two echo pods behind a UDP service port
(named targetPort of protocol UDP), datagrams from the host to clusterIP:port come back
from the cluster IP with the answering pod's name; each client address is one session
(one pod), and new client addresses are spread over both pods."""
from __future__ import annotations

import json
import socket
import textwrap

import pytest

from tests.conftest import run_cli
from tests.e2e.conftest import wait_for
from tests.e2e.test_daemon import pods, ready

pytestmark = pytest.mark.timeout(120)

ECHO = textwrap.dedent("""\
    import os, socket
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 5353))
    name = os.environ["POD_NAME"].encode()
    while True:
        data, addr = s.recvfrom(65535)
        s.sendto(name + b":" + data, addr)
    """)

DEPLOYMENT = json.dumps({
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "echo"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "echo"}},
             "template": {"metadata": {"labels": {"app": "echo"}}, "spec": {
                 "terminationGracePeriodSeconds": 1,
                 "containers": [{
                     "name": "echo", "image": "python:3.11", "command": ["python3", "-c", ECHO],
                     "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                     "ports": [{"containerPort": 5353, "name": "echo", "protocol": "UDP"}]}]}}},
})

SERVICE = json.dumps({
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "echo"},
    "spec": {"selector": {"app": "echo"},
             "ports": [{"name": "echo", "port": 5353, "protocol": "UDP", "targetPort": "echo"}]},
})


def exchange(sock: socket.socket, target: tuple[str, int], payload: bytes, tries: int = 20) -> tuple[bytes, tuple]:
    """Send until an answer comes (a pod may not have bound its socket yet: UDP drops)."""
    for _ in range(tries):
        sock.sendto(payload, target)
        try:
            return sock.recvfrom(65535)
        except socket.timeout:
            continue
    raise AssertionError(f"no answer from {target} to {payload!r}")


def test_udp_echo_through_a_service(daemon):
    assert run_cli("apply", "-f", "-", stdin=DEPLOYMENT).returncode == 0
    assert run_cli("apply", "-f", "-", stdin=SERVICE).returncode == 0
    running = wait_for(lambda: (lambda ps: ps if len(ps) == 2 and all(ready(p) for p in ps) else None)(
        pods("app=echo")), what="2 running echo pods")
    names = {p["metadata"]["name"] for p in running}
    svc = json.loads(run_cli("get", "svc", "echo", "-o", "json").stdout)
    target = (svc["spec"]["clusterIP"], 5353)
    assert "5353/UDP" in run_cli("get", "svc", "echo").stdout
    wait_for(lambda: len((json.loads(run_cli("get", "ep", "echo", "-o", "json").stdout).get("subsets")
                          or [{}])[0].get("addresses") or []) == 2, what="2 UDP endpoints")

    reached = set()
    for i in range(6):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.5)
            first, source = exchange(s, target, b"ping %d" % i)
            assert source == target  # the answer comes from the Service's address, not the pod's
            pod, _, echoed = first.partition(b":")
            assert echoed == b"ping %d" % i and pod.decode() in names
            again, _ = exchange(s, target, b"again")
            assert again == pod + b":again"  # same client address: same session, same pod
            reached.add(pod.decode())
        if reached == names:
            break
    assert reached == names
