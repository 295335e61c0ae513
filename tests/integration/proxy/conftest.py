"""Real sockets on loopback: backend servers on pod-range addresses, a store, a proxy."""
from __future__ import annotations

import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from minikctl.api import kinds


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        body = self.server.server_address[0].encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - clients that reset are fine
        pass


class Backends:
    """HTTP servers answering with their own IP; each on ip:port."""

    def __init__(self) -> None:
        self.servers: list[ThreadingHTTPServer] = []

    def http(self, ip: str, port: int = 0) -> int:
        srv = _Server((ip, port), _Hello)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.servers.append(srv)
        return srv.server_address[1]

    def udp_echo(self, ip: str, port: int = 0) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((ip, port))
        sock.settimeout(0.2)
        stop = threading.Event()

        def run() -> None:
            while not stop.is_set():
                try:
                    data, addr = sock.recvfrom(65535)
                except socket.timeout:
                    continue
                except OSError:
                    return
                sock.sendto(ip.encode() + b":" + data, addr)

        threading.Thread(target=run, daemon=True).start()
        self.servers.append((sock, stop))  # type: ignore[arg-type]
        return sock.getsockname()[1]

    def close(self) -> None:
        for s in self.servers:
            if isinstance(s, tuple):
                s[1].set()
                s[0].close()
            else:
                s.shutdown()
                s.server_close()


@pytest.fixture
def backends():
    b = Backends()
    yield b
    b.close()


@pytest.fixture
def api(minikctl_home):
    from minikctl.client.local import LocalClient

    minikctl_home.mkdir(parents=True, exist_ok=True)
    client = LocalClient.open(path=str(minikctl_home))
    yield client
    client.close()


def free_port(ip: str) -> int:
    s = socket.socket()
    s.bind((ip, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def service(client, name: str, ip: str, ports: list[dict], **spec) -> dict:  # noqa: ANN001
    return client.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
                          "spec": {"clusterIP": ip, "ports": ports, "selector": {"app": name}, **spec}})


def endpoints(client, name: str, addresses: list[str], ports: list[dict], *, not_ready=(), hostnames=None):  # noqa: ANN001
    subset = {"addresses": [{"ip": a, **({"hostname": hostnames[i]} if hostnames else {})}
                            for i, a in enumerate(addresses)],
              "ports": ports}
    if not_ready:
        subset["notReadyAddresses"] = [{"ip": a} for a in not_ready]
    obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": "default"},
           "subsets": [subset] if addresses or not_ready else []}
    ep_kind = kinds.by_kind("Endpoints")
    try:
        current = client.get(ep_kind, "default", name)
    except Exception:  # noqa: BLE001 - not there yet
        return client.create(obj)
    obj["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
    return client.update(obj)


def wait_until(cond, timeout: float = 5.0, what: str = "condition"):  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def get(ip: str, port: int, conn: http.client.HTTPConnection | None = None) -> str:
    """GET / from a test backend (its answer names it), on `conn` if given (keep-alive)."""
    c = conn or http.client.HTTPConnection(ip, port, timeout=5)
    c.request("GET", "/")
    body = c.getresponse().read().decode()
    if conn is None:
        c.close()
    return body


def serving(proxy, ip: str, port: int, proto: str = "TCP") -> bool:  # noqa: ANN001
    """The proxy serves ip:port/proto: a listener (userspace) or a rule (nftables)."""
    return any(lst.ip == ip and lst.port == port and lst.protocol == proto for lst in proxy.listening())
