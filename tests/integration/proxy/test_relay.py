"""The relay's TCP semantics through the service proxy, with raw sockets on loopback:
half-close both ways, resets, backpressure on a large transfer, and a client that
leaves while its backend connection is being made."""
from __future__ import annotations

import socket
import struct
import threading
import time

import pytest

from minikctl.proxy import ServiceProxy
from tests.integration.proxy.conftest import endpoints, service, wait_until

BACKEND = "127.16.11.1"
NODE_IP = "127.31.11.1"


class RawBackend:
    """A listening socket whose accepted connections a test handles itself."""

    def __init__(self, ip: str) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ip, 0))
        self.sock.listen(64)
        self.sock.settimeout(10)
        self.port = self.sock.getsockname()[1]

    def accept(self) -> socket.socket:
        conn, _ = self.sock.accept()
        conn.settimeout(10)
        return conn

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def proxy(api):
    p = ServiceProxy(api, node_ip=NODE_IP)
    p.start()
    assert p.wait_synced(10)
    yield p
    p.stop()


@pytest.fixture
def raw(api, proxy):
    b = RawBackend(BACKEND)
    service(api, "raw", "127.96.11.10", [{"name": "tcp", "port": 7000}])
    endpoints(api, "raw", [BACKEND], [{"name": "tcp", "port": b.port, "protocol": "TCP"}])
    wait_until(lambda: proxy.backends("default", "raw", "tcp")
               and any(lst.ip == "127.96.11.10" for lst in proxy.listening()))
    yield b
    b.close()


def recv_all(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def test_half_close_from_the_client_keeps_the_answer_flowing(raw, proxy):
    client = socket.create_connection(("127.96.11.10", 7000), timeout=10)
    server = raw.accept()
    client.sendall(b"question")
    client.shutdown(socket.SHUT_WR)  # the client is done sending, still reading
    assert recv_all(server) == b"question"  # the backend sees the data, then EOF
    server.sendall(b"answer after EOF")
    server.close()
    assert recv_all(client) == b"answer after EOF"
    client.close()
    wait_until(lambda: proxy.connections == 0, what="the pair closed")


def test_half_close_from_the_backend(raw, proxy):
    client = socket.create_connection(("127.96.11.10", 7000), timeout=10)
    server = raw.accept()
    server.sendall(b"banner")
    server.shutdown(socket.SHUT_WR)
    assert recv_all(client) == b"banner"
    client.sendall(b"still talking")
    client.shutdown(socket.SHUT_WR)
    assert recv_all(server) == b"still talking"
    server.close()
    client.close()
    wait_until(lambda: proxy.connections == 0, what="the pair closed")


def test_a_backend_reset_resets_the_client(raw, proxy):
    client = socket.create_connection(("127.96.11.10", 7000), timeout=10)
    server = raw.accept()
    client.sendall(b"x")
    assert server.recv(1) == b"x"
    server.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    server.close()  # RST
    with pytest.raises(ConnectionResetError):
        for _ in range(50):
            if client.recv(100) == b"":
                break
            time.sleep(0.01)
    client.close()
    wait_until(lambda: proxy.connections == 0, what="the pair closed")


def test_a_large_transfer_to_a_slow_reader_is_complete(raw, proxy):
    """Backpressure: 32 MiB through the proxy to a reader that starts late; the proxy
    pauses the sender instead of buffering it all, and nothing is lost."""
    size = 32 * 1024 * 1024
    client = socket.create_connection(("127.96.11.10", 7000), timeout=20)
    server = raw.accept()
    payload = bytes(range(256)) * (size // 256)

    def send() -> None:
        server.sendall(payload)
        server.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    time.sleep(0.5)  # the reader is late: buffers fill, reading from the backend pauses
    assert sender.is_alive()  # sendall is blocked: the proxy did not swallow 32 MiB
    got = recv_all(client)
    sender.join(10)
    assert len(got) == size and got == payload
    client.close()
    server.close()


def test_a_client_that_leaves_during_the_backend_connect_leaves_no_backend_connection(api, proxy):
    """The backend accepts late (full backlog): the client gives up first; once the
    backend connection is made it is closed instead of being left open."""
    b = RawBackend(BACKEND)
    service(api, "slow", "127.96.11.11", [{"name": "tcp", "port": 7000}])
    endpoints(api, "slow", [BACKEND], [{"name": "tcp", "port": b.port, "protocol": "TCP"}])
    wait_until(lambda: proxy.backends("default", "slow", "tcp")
               and any(lst.ip == "127.96.11.11" for lst in proxy.listening()))
    try:
        client = socket.create_connection(("127.96.11.11", 7000), timeout=10)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # gone at once, before or while the proxy connects
        server = b.accept()
        try:
            assert server.recv(100) == b""  # the proxy closes its side (EOF or reset), not a hang
        except ConnectionResetError:
            pass
        server.close()
        wait_until(lambda: proxy.connections == 0, what="the pair closed")
    finally:
        b.close()
