"""`minikctl port-forward` and `minikctl service --url` through the real CLI, with no
daemon: the pod's IP comes from the store; the forward reaches a server on that IP."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from minikctl.api import kinds

POD_IP = "127.16.9.7"
# Until main.VERBS lists them, run the CLI with the two verbs added.
_SHIM = ("import sys; from minikctl.cli import main as m; "
         "m.VERBS = tuple(dict.fromkeys(m.VERBS + ('port_forward', 'service'))); m.main()")


def cli_argv(*args: str) -> list[str]:
    return [sys.executable, "-c", _SHIM, *args]


@pytest.fixture
def api(minikctl_home):
    from minikctl.client.local import LocalClient

    minikctl_home.mkdir(parents=True, exist_ok=True)
    client = LocalClient.open(path=str(minikctl_home))
    yield client
    client.close()


@pytest.fixture
def echo_server():
    srv = socket.socket()
    srv.bind((POD_IP, 0))
    srv.listen(16)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=_echo, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield srv.getsockname()[1]
    stop.set()
    srv.close()


def _echo(conn: socket.socket) -> None:
    with conn:
        while data := conn.recv(65536):
            conn.sendall(b"pod:" + data)


def make_pod(api, port: int, phase: str = "Running") -> None:  # noqa: ANN001
    api.create({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "web-0", "namespace": "default", "labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "python",
                                         "ports": [{"name": "http", "containerPort": port}]}]}})
    pod = api.get(kinds.by_kind("Pod"), "default", "web-0")
    pod["status"] = {"phase": phase, "podIP": POD_IP, "podIPs": [{"ip": POD_IP}],
                     "conditions": [{"type": "Ready", "status": "True"}]}
    api.update_status(pod)


def start_forward(*args: str) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(cli_argv("port-forward", *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ})
    lines = [proc.stdout.readline().rstrip("\n")]  # type: ignore[union-attr]
    return proc, lines


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_port_forward_pod_to_local_server(api, echo_server):
    make_pod(api, echo_server)
    proc, lines = start_forward("pod/web-0", f":{echo_server}", "--address", "127.0.0.1")
    try:
        m = re.fullmatch(rf"Forwarding from 127\.0\.0\.1:(\d+) -> {echo_server}", lines[0])
        assert m, (lines, proc.stderr.read() if proc.poll() is not None else "")  # type: ignore[union-attr]
        local = int(m.group(1))
        for _ in range(2):
            with socket.create_connection(("127.0.0.1", local), timeout=5) as c:
                c.sendall(b"hello")
                assert c.recv(100) == b"pod:hello"
        assert proc.stdout.readline().strip() == f"Handling connection for {local}"  # type: ignore[union-attr]
    finally:
        stop(proc)
    assert proc.returncode == 0


def test_port_forward_service_uses_target_port(api, echo_server):
    make_pod(api, echo_server)
    api.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
                "spec": {"clusterIP": "127.96.9.30", "selector": {"app": "web"},
                         "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}})
    proc, lines = start_forward("svc/web", ":80", "--address", "127.0.0.1")
    try:
        m = re.fullmatch(rf"Forwarding from 127\.0\.0\.1:(\d+) -> {echo_server}", lines[0])
        assert m, lines
        with socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=5) as c:
            c.sendall(b"x")
            assert c.recv(100) == b"pod:x"
    finally:
        stop(proc)


def test_port_forward_pod_not_running(api, echo_server):
    make_pod(api, echo_server, phase="Pending")
    out = subprocess.run(cli_argv("port-forward", "pod/web-0", "8080:80"), capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert "unable to forward port because pod is not running. Current status=Pending" in out.stderr


def test_service_url(api):
    api.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
                "spec": {"clusterIP": "127.96.9.31", "ports": [{"name": "http", "port": 80},
                                                                 {"name": "admin", "port": 9090}]}})
    api.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "np", "namespace": "default"},
                "spec": {"clusterIP": "127.96.9.32", "type": "NodePort",
                         "ports": [{"port": 80, "nodePort": 31234}]}})
    out = subprocess.run(cli_argv("service", "web", "--url"), capture_output=True, text=True, timeout=60)
    assert out.stdout.splitlines() == ["http://127.96.9.31:80", "http://127.96.9.31:9090"], out.stderr
    out = subprocess.run(cli_argv("service", "np", "-n", "default", "--url"), capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.splitlines() == ["http://127.0.0.1:31234"], out.stderr
    out = subprocess.run(cli_argv("service", "nope", "--url"), capture_output=True, text=True, timeout=60)
    assert out.returncode == 1 and 'services "nope" not found' in out.stderr
