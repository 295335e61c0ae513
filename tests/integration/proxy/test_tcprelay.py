"""The TCP relay's own edges, on loopback: a backend that never answers the handshake
(connect timeout, then the next backend), and a relay process out of descriptors
(connections reset, not left hanging, and served again once descriptors are free)."""
from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time

import pytest

from minikctl.proxy.tcprelay import TcpRelay

pytestmark = pytest.mark.timeout(60)


def http_backend(ip: str) -> tuple[socket.socket, int]:
    """A listener answering each connection's first read with 'ok', from a thread."""
    import threading

    srv = socket.socket()
    srv.bind((ip, 0))
    srv.listen(128)

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                try:
                    if conn.recv(100):
                        conn.sendall(b"ok")
                except OSError:
                    pass

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def black_hole(ip: str) -> tuple[socket.socket, list[socket.socket], int]:
    """A listener that never accepts, its queue filled: further SYNs are dropped, so a
    connect to it neither succeeds nor fails."""
    srv = socket.socket()
    srv.bind((ip, 0))
    srv.listen(0)
    port = srv.getsockname()[1]
    fillers = []
    for _ in range(8):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((ip, port))
        fillers.append(s)
    probe = socket.socket()
    probe.settimeout(0.3)
    try:
        probe.connect((ip, port))
        pytest.skip("could not fill the accept queue")
    except (socket.timeout, BlockingIOError):
        pass
    finally:
        probe.close()
    return srv, fillers, port


def test_a_backend_that_never_answers_times_out_to_the_next():
    hole, fillers, hole_port = black_hole("127.16.13.1")
    good, good_port = http_backend("127.16.13.2")
    order = [("127.16.13.1", hole_port), ("127.16.13.2", good_port)]
    relay = TcpRelay(lambda key, ip: iter(order), max_connections=10, connect_timeout=0.5)
    relay.start()
    lst = socket.socket()
    lst.bind(("127.96.13.10", 0))
    lst.listen(16)
    lst.setblocking(False)
    relay.add_listener(lst, "key")
    try:
        t0 = time.monotonic()
        with socket.create_connection(lst.getsockname(), timeout=10) as c:
            c.sendall(b"hi")
            assert c.recv(10) == b"ok"
        assert 0.4 < time.monotonic() - t0 < 5  # waited for the timeout, then the next backend
    finally:
        relay.stop()
        for s in [hole, good, *fillers]:
            s.close()


RELAY_PROCESS = textwrap.dedent("""\
    import resource, socket, sys, time
    from minikctl.proxy.tcprelay import TcpRelay
    backend = (sys.argv[1], int(sys.argv[2]))
    relay = TcpRelay(lambda key, ip: iter([backend]), max_connections=10000)
    lst = socket.socket()
    lst.bind(("127.96.13.11", 0))
    lst.listen(512)
    lst.setblocking(False)
    relay.add_listener(lst, "key")
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    relay.start()
    print(lst.getsockname()[1], flush=True)
    time.sleep(120)
    """)


def test_out_of_descriptors_resets_and_recovers():
    good, good_port = http_backend("127.16.13.3")
    proc = subprocess.Popen([sys.executable, "-c", RELAY_PROCESS, "127.16.13.3", str(good_port)],
                            stdout=subprocess.PIPE, text=True)
    clients: list[socket.socket] = []
    try:
        port = int(proc.stdout.readline())
        outcomes = {"held": 0, "reset": 0}
        for _ in range(100):  # 64 descriptors: two per relayed connection, so ~25 fit
            try:
                clients.append(socket.create_connection(("127.96.13.11", port), timeout=5))
            except ConnectionResetError:
                outcomes["reset"] += 1  # reset before connect() even returned
        time.sleep(0.5)
        for c in clients:
            c.settimeout(2)
            try:
                c.sendall(b"hi")
                got = c.recv(10)
                outcomes["held" if got == b"ok" else "reset"] += 1
            except (ConnectionResetError, BrokenPipeError):
                outcomes["reset"] += 1
        assert outcomes["held"] >= 10 and outcomes["reset"] >= 50, outcomes  # refused, none hanging
        assert proc.poll() is None  # the relay is still up
        for c in clients:
            c.close()
        clients.clear()
        time.sleep(0.5)
        with socket.create_connection(("127.96.13.11", port), timeout=5) as c:  # and serves again
            c.sendall(b"hi")
            assert c.recv(10) == b"ok"
    finally:
        for c in clients:
            c.close()
        proc.kill()
        proc.wait(10)
        good.close()
