"""A client opening 5,000 connections to one Service: the proxy splices as many as its
budget allows, resets the rest at once (no hang, no half-open connection), stays up,
and serves normally once they are gone. Real sockets on loopback; the budget is set
low (2,000) so that the refusal path runs without exhausting the machine."""
from __future__ import annotations

import resource
import socket
import subprocess
import sys

import pytest

from minikctl.proxy import ServiceProxy
from minikctl.proxy.loop import raise_nofile_limit
from tests.integration.proxy.conftest import endpoints, service, wait_until

pytestmark = pytest.mark.timeout(180)

BACKEND_IP = "127.16.12.1"
CLUSTER_IP = "127.96.12.10"
CLIENTS = 5000
BUDGET = 2000

# An asyncio HTTP responder holding every connection open (keep-alive), in its own process.
BACKEND = r'''
import asyncio, sys
RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
class H(asyncio.Protocol):
    def connection_made(self, t): self.t = t; self.buf = b""
    def data_received(self, d):
        self.buf += d
        while b"\r\n\r\n" in self.buf:
            _, self.buf = self.buf.split(b"\r\n\r\n", 1)
            self.t.write(RESP)
async def main():
    srv = await asyncio.get_running_loop().create_server(H, sys.argv[1], 0, backlog=4096)
    print(srv.sockets[0].getsockname()[1], flush=True)
    await srv.serve_forever()
asyncio.run(main())
'''


@pytest.fixture
def backend():
    proc = subprocess.Popen([sys.executable, "-c", BACKEND, BACKEND_IP], stdout=subprocess.PIPE, text=True)
    try:
        yield int(proc.stdout.readline())
    finally:
        proc.kill()
        proc.wait(10)


def request(sock: socket.socket | None) -> str:
    """'served' (an HTTP answer), or 'refused' (reset or closed by the proxy)."""
    if sock is None:
        return "refused"  # reset before connect() even returned
    try:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = sock.recv(100)
    except (ConnectionResetError, BrokenPipeError):
        return "refused"
    if data.startswith(b"HTTP/1.1 200"):
        return "served"
    assert data == b"", data
    return "refused"


def test_five_thousand_connections_are_spliced_or_refused_at_once(api, backend):
    raise_nofile_limit()
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    needed = CLIENTS + 2 * BUDGET + 500  # this process holds the clients and the proxy's descriptors
    if soft != resource.RLIM_INFINITY and soft < needed:
        pytest.skip(f"RLIMIT_NOFILE hard limit {soft} < {needed}")
    proxy = ServiceProxy(api, node_ip="127.31.12.1", max_connections=BUDGET)
    proxy.start()
    clients: list[socket.socket | None] = []
    try:
        assert proxy.wait_synced(10)
        service(api, "many", CLUSTER_IP, [{"name": "http", "port": 80}])
        endpoints(api, "many", [BACKEND_IP], [{"name": "http", "port": backend, "protocol": "TCP"}])
        wait_until(lambda: proxy.backends("default", "many", "http")
                   and any(lst.ip == CLUSTER_IP for lst in proxy.listening()))

        for _ in range(CLIENTS):
            try:
                clients.append(socket.create_connection((CLUSTER_IP, 80), timeout=10))
            except ConnectionResetError:
                clients.append(None)
        outcomes = [request(c) for c in clients]
        assert outcomes.count("served") == BUDGET
        assert outcomes.count("refused") == CLIENTS - BUDGET
        assert outcomes[:BUDGET] == ["served"] * BUDGET  # first come, first served
        assert proxy.refused == CLIENTS - BUDGET
        assert proxy.connections == BUDGET

        for c in clients:
            if c is not None:
                c.close()
        clients.clear()
        wait_until(lambda: proxy.connections == 0, timeout=30, what="every spliced pair closed")
        # Still up, and serving.
        with socket.create_connection((CLUSTER_IP, 80), timeout=10) as c:
            assert request(c) == "served"
    finally:
        for c in clients:
            if c is not None:
                c.close()
        proxy.stop()
