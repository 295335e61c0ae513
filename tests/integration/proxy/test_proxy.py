"""The service proxy with real traffic on loopback: backends on pod-range addresses,
Services on cluster IPs in 127.96.0.0/16, Endpoints written by the test."""
from __future__ import annotations

import http.client
import socket
import time

import pytest

from minikctl.api import kinds
from minikctl.proxy import ServiceProxy
from tests.integration.proxy.conftest import endpoints, free_port, get, service, serving, wait_until

BACKENDS = ["127.16.9.1", "127.16.9.2", "127.16.9.3"]
NODE_IP = "127.31.9.1"  # the node address NodePorts open on here: not 127.0.0.1, where a real daemon may be
HTTP = [{"name": "http", "port": 8080, "protocol": "TCP"}]


@pytest.fixture
def proxy(api):
    p = ServiceProxy(api, node_ip=NODE_IP)
    p.start()
    assert p.wait_synced(10)
    yield p
    p.stop()


def free_node_port(ip: str) -> int:
    import random

    for port in random.sample(range(30000, 32768), 50):
        s = socket.socket()
        try:
            s.bind((ip, port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise AssertionError("no free node port")


def test_round_robin_over_three_backends_and_endpoint_changes(api, backends, proxy):
    port = free_port(BACKENDS[0])
    for ip in BACKENDS:
        backends.http(ip, port)
    service(api, "web", "127.96.9.10", [{"name": "http", "port": 80, "targetPort": port}])
    endpoints(api, "web", BACKENDS, [{"name": "http", "port": port, "protocol": "TCP"}])
    wait_until(lambda: len(proxy.backends("default", "web", "http")) == 3 and serving(proxy, "127.96.9.10", 80))

    seen = [get("127.96.9.10", 80) for _ in range(9)]
    assert sorted(set(seen)) == BACKENDS
    assert all(seen.count(ip) == 3 for ip in BACKENDS), seen  # round robin, not random

    # An established keep-alive connection to the backend that is about to leave.
    kept = None
    for _ in range(3):
        c = http.client.HTTPConnection("127.96.9.10", 80, timeout=5)
        if get("", 0, c) == BACKENDS[2]:
            kept = c
            break
        c.close()
    assert kept is not None

    endpoints(api, "web", BACKENDS[:2], [{"name": "http", "port": port, "protocol": "TCP"}])
    wait_until(lambda: len(proxy.backends("default", "web", "http")) == 2)
    seen = {get("127.96.9.10", 80) for _ in range(10)}
    assert seen == set(BACKENDS[:2])
    assert get("", 0, kept) == BACKENDS[2]  # not dropped: it keeps its backend
    kept.close()


def test_no_ready_endpoints_is_refused_at_once(api, backends, proxy):
    service(api, "empty", "127.96.9.11", [{"name": "http", "port": 80}])
    endpoints(api, "empty", [], HTTP, not_ready=["127.16.9.1"])  # not ready: no traffic
    wait_until(lambda: serving(proxy, "127.96.9.11", 80))
    t0 = time.monotonic()
    with pytest.raises((ConnectionResetError, ConnectionRefusedError, http.client.RemoteDisconnected)):
        get("127.96.9.11", 80)
    assert time.monotonic() - t0 < 0.1


def test_many_concurrent_connections(api, backends, proxy):
    port = backends.http(BACKENDS[0])
    service(api, "many", "127.96.9.12", [{"name": "http", "port": 80}])
    endpoints(api, "many", BACKENDS[:1], [{"name": "http", "port": port, "protocol": "TCP"}])
    wait_until(lambda: proxy.backends("default", "many", "http") and serving(proxy, "127.96.9.12", 80))
    conns = [socket.create_connection(("127.96.9.12", 80), timeout=10) for _ in range(300)]
    try:
        for c in conns:
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        for c in conns:
            assert c.recv(4096).startswith(b"HTTP/1.")
    finally:
        for c in conns:
            c.close()
    wait_until(lambda: proxy.connections == 0, what="every spliced pair closed")


def test_service_deleted_stops_listening(api, backends, proxy):
    port = backends.http(BACKENDS[0])
    service(api, "gone", "127.96.9.13", [{"name": "http", "port": 80}])
    endpoints(api, "gone", BACKENDS[:1], [{"name": "http", "port": port, "protocol": "TCP"}])
    wait_until(lambda: proxy.backends("default", "gone", "http") and serving(proxy, "127.96.9.13", 80))
    assert get("127.96.9.13", 80) == BACKENDS[0]
    api.delete(kinds.by_kind("Service"), "default", "gone")
    wait_until(lambda: not serving(proxy, "127.96.9.13", 80))
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.96.9.13", 80), timeout=2)


def test_session_affinity_client_ip(api, backends, proxy):
    port = free_port(BACKENDS[0])
    for ip in BACKENDS:
        backends.http(ip, port)
    service(api, "sticky", "127.96.9.14", [{"name": "http", "port": 80}], sessionAffinity="ClientIP",
            sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}})
    endpoints(api, "sticky", BACKENDS, [{"name": "http", "port": port, "protocol": "TCP"}])
    wait_until(lambda: len(proxy.backends("default", "sticky", "http")) == 3
               and serving(proxy, "127.96.9.14", 80))
    assert len({get("127.96.9.14", 80) for _ in range(6)}) == 1
    # Another client IP (a pod's address) is balanced on its own.
    firsts = set()
    for src in ("127.16.10.1", "127.16.10.2", "127.16.10.3"):
        c = http.client.HTTPConnection("127.96.9.14", 80, timeout=5, source_address=(src, 0))
        firsts.add(get("", 0, c))
        c.close()
    assert len(firsts) >= 2


def test_node_port(api, backends, proxy):
    port = backends.http(BACKENDS[1])
    node_port = free_node_port(NODE_IP)
    service(api, "np", "127.96.9.15", [{"name": "http", "port": 80, "nodePort": node_port}], type="NodePort")
    endpoints(api, "np", BACKENDS[1:2], [{"name": "http", "port": port, "protocol": "TCP"}])
    wait_until(lambda: proxy.backends("default", "np", "http") and serving(proxy, NODE_IP, node_port))
    assert get(NODE_IP, node_port) == BACKENDS[1]
    assert get("127.96.9.15", 80) == BACKENDS[1]


def test_udp_echo(api, backends, proxy):
    port = free_port(BACKENDS[0])
    for ip in BACKENDS[:2]:
        backends.udp_echo(ip, port)
    service(api, "echo", "127.96.9.16", [{"name": "dns", "port": 5353, "protocol": "UDP"}])
    endpoints(api, "echo", BACKENDS[:2], [{"name": "dns", "port": port, "protocol": "UDP"}])
    wait_until(lambda: len(proxy.backends("default", "echo", "dns", "UDP")) == 2
               and serving(proxy, "127.96.9.16", 5353, "UDP"))
    answers = []
    for _ in range(2):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        s.sendto(b"one", ("127.96.9.16", 5353))
        first = s.recvfrom(100)[0]
        s.sendto(b"two", ("127.96.9.16", 5353))
        second = s.recvfrom(100)[0]
        ip = first.split(b":")[0]
        assert first == ip + b":one" and second == ip + b":two"  # one session, one backend
        answers.append(ip.decode())
        s.close()
    assert sorted(answers) == BACKENDS[:2]  # a new client address is a new session


def test_a_change_arriving_during_shutdown_opens_nothing(api, backends):
    """An informer event delivered while the proxy closes (its handler runs after the
    listeners are gone) must not reopen a listener nor leave a task unawaited."""
    import gc
    import warnings

    p = ServiceProxy(api, node_ip=NODE_IP)
    p.start()
    assert p.wait_synced(10)
    service(api, "late", "127.96.9.17", [{"name": "http", "port": 80}])
    wait_until(lambda: serving(p, "127.96.9.17", 80))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        p.services.stop()
        p.endpoints.stop()
        p._loop.run(p._close_all())
        p._on_change("MODIFIED", {}, None)  # late: schedules a sync on the closing loop
        p._on_change("MODIFIED", {}, None)
        p._loop.stop()
        gc.collect()
    assert not [w for w in caught if "never awaited" in str(w.message)], [str(w.message) for w in caught]
    assert p._loop.loop.is_closed()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.96.9.17", 80), timeout=2)
