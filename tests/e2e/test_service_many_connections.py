"""A client holding 5,000 connections through a Service of the real daemon, in each proxy
mode. Userspace: every one is spliced to the pod (the daemon's budget, from its
RLIMIT_NOFILE, is larger), the API answers meanwhile, and once they close the daemon has
released their descriptors and the Service still serves. (The refusal past the budget is
tests/integration/proxy/test_many_connections.py.) nftables: the kernel DNATs them, and
the daemon holds no descriptor for any."""
from __future__ import annotations

import json
import os
import resource
import socket
import textwrap

import pytest

from minikctl.daemon import process
from minikctl.proxy.loop import raise_nofile_limit
from tests.conftest import run_cli
from tests.e2e.conftest import wait_for
from tests.e2e.test_daemon import pods, ready

pytestmark = pytest.mark.timeout(180)
CLIENTS = 5000

# An asyncio HTTP responder: thousands of open connections cost it no thread each.
SERVER = textwrap.dedent("""\
    import asyncio
    RESP = b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok"
    class H(asyncio.Protocol):
        def connection_made(self, t): self.t = t; self.buf = b""
        def data_received(self, d):
            self.buf += d
            while b"\\r\\n\\r\\n" in self.buf:
                _, self.buf = self.buf.split(b"\\r\\n\\r\\n", 1)
                self.t.write(RESP)
    async def main():
        srv = await asyncio.get_running_loop().create_server(H, "", 8080, backlog=4096)
        await srv.serve_forever()
    asyncio.run(main())
    """)

DOCS = json.dumps({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "many"},
     "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "many"}},
              "template": {"metadata": {"labels": {"app": "many"}}, "spec": {
                  "terminationGracePeriodSeconds": 1,
                  "containers": [{"name": "web", "image": "python:3.11", "command": ["python3", "-c", SERVER],
                                  "ports": [{"containerPort": 8080, "name": "http"}],
                                  "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 1}}]}}}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "many"},
     "spec": {"selector": {"app": "many"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}},
]})


def request(sock: socket.socket) -> bytes:
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    return sock.recv(100)


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_five_thousand_connections_through_the_daemon(proxied_daemon):
    home, _, mode = proxied_daemon
    daemon_pid = process.read_state(home)["pid"]
    raise_nofile_limit()
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft != resource.RLIM_INFINITY and soft < CLIENTS + 500:
        pytest.skip(f"RLIMIT_NOFILE hard limit {soft} < {CLIENTS + 500}")
    assert run_cli("apply", "-f", "-", stdin=DOCS).returncode == 0
    wait_for(lambda: len([p for p in pods("app=many") if ready(p)]) == 1, what="a ready pod")
    ip = json.loads(run_cli("get", "svc", "many", "-o", "json").stdout)["spec"]["clusterIP"]
    wait_for(lambda: (json.loads(run_cli("get", "ep", "many", "-o", "json").stdout).get("subsets")
                      or [{}])[0].get("addresses"), what="the pod in the endpoints")

    with socket.create_connection((ip, 80), timeout=10) as c:
        assert request(c).startswith(b"HTTP/1.1 200")
    before = open_fds(daemon_pid)
    clients: list[socket.socket] = []
    try:
        for _ in range(CLIENTS):
            clients.append(socket.create_connection((ip, 80), timeout=10))
        answers = [request(c) for c in clients]
        assert sum(a.startswith(b"HTTP/1.1 200") for a in answers) == CLIENTS
        if mode == "userspace":
            assert open_fds(daemon_pid) >= before + 2 * CLIENTS - 50  # each spliced: client and backend sides
        else:
            assert open_fds(daemon_pid) <= before + 50  # the kernel's: no descriptor of the daemon's
        # The daemon (API server, controllers) answers while the proxy holds them all.
        assert run_cli("get", "svc", "many", timeout=30).returncode == 0
        # An old connection still works after the others were used.
        assert request(clients[0]).startswith(b"HTTP/1.1 200")
    finally:
        for c in clients:
            c.close()
    wait_for(lambda: open_fds(daemon_pid) <= before + 50, timeout=30, what="the daemon's descriptors released")
    with socket.create_connection((ip, 80), timeout=10) as c:
        assert request(c).startswith(b"HTTP/1.1 200")
