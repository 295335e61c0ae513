"""Probe handlers against real local servers, and the worker's thresholds."""
from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest

from minikctl.kubelet import handlers, probes


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path == "/hang":
            time.sleep(3)
        code = {"/ok": 200, "/redirect": 302, "/fail": 500}.get(self.path.split("?")[0], 404)
        if self.path == "/headers":
            code = 200 if self.headers.get("X-Probe") == "yes" and "kube-probe" in self.headers.get("User-Agent") else 400
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b"body")

    def log_message(self, *a):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.handle_error = lambda *a: None  # the /hang client leaves before the answer
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def target(port=0, run_exec=None):
    return handlers.Target(pod_ip="127.0.0.1", container={"name": "c", "ports": [{"name": "http", "containerPort": port}]},
                           run_exec=run_exec)


def test_http_get(server):
    t = target(server)
    assert handlers.run({"httpGet": {"path": "/ok", "port": server}}, t, 1).ok
    assert handlers.run({"httpGet": {"path": "/redirect", "port": "http"}}, t, 1).ok  # named port; 3xx is success
    r = handlers.run({"httpGet": {"path": "/fail", "port": server}}, t, 1)
    assert not r.ok and r.message == "HTTP probe failed with statuscode: 500"
    assert handlers.run({"httpGet": {"path": "/headers", "port": server,
                                     "httpHeaders": [{"name": "X-Probe", "value": "yes"}]}}, t, 1).ok


def test_http_get_that_hangs_is_bounded_by_the_timeout(server):
    start = time.monotonic()
    r = handlers.run({"httpGet": {"path": "/hang", "port": server}}, target(server), 0.3)
    assert not r.ok and "context deadline exceeded" in r.message
    assert time.monotonic() - start < 1.5


def test_http_refused():
    port = free_port()
    r = handlers.run({"httpGet": {"path": "/", "port": port}}, target(port), 1)
    assert not r.ok and r.message.endswith(f"dial tcp 127.0.0.1:{port}: connect: connection refused")


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_tcp_socket(server):
    assert handlers.run({"tcpSocket": {"port": server}}, target(server), 1).ok
    port = free_port()
    r = handlers.run({"tcpSocket": {"port": port}}, target(port), 1)
    assert not r.ok and "connection refused" in r.message


def test_unknown_named_port():
    r = handlers.run({"tcpSocket": {"port": "metrics"}}, target(), 1)
    assert not r.ok and "couldn't find port: metrics" in r.message


class FakeExecRuntime:
    """exec as ProcessRuntime has it: output to stdout, TimeoutError at the deadline."""

    def exec(self, sandbox, config, argv, *, stdin=None, stdout=None, stderr=None, timeout=None):
        if argv[0] == "sleep":
            time.sleep(min(float(argv[1]), timeout or 99))
            raise TimeoutError("timed out")
        stdout.write(b"it said no\n")
        return int(argv[1])


def test_exec_success_failure_and_timeout():
    rt = FakeExecRuntime()
    assert handlers.exec_in(rt, None, None, ["exit", "0"], 1).ok
    r = handlers.exec_in(rt, None, None, ["exit", "3"], 1)
    assert not r.ok and r.message == "it said no"
    r = handlers.exec_in(rt, None, None, ["sleep", "5"], 0.2)
    assert not r.ok and "timed out" in r.message


def test_exec_without_timeout_support_is_still_bounded():
    def hanging(argv):
        time.sleep(5)
        return 0
    start = time.monotonic()
    r = handlers.exec_with_timeout(hanging, ["x"], 0.2)
    assert not r.ok and "timed out" in r.message and time.monotonic() - start < 1


def test_worker_thresholds_and_change_reports(server):
    results = []
    probe = {"httpGet": {"path": "/fail", "port": server}, "periodSeconds": 0.05, "timeoutSeconds": 1,
             "successThreshold": 2, "failureThreshold": 3}
    w = probes.Worker("readinessProbe", probe, target(server), started_at=time.time(), gate=threading.Event(),
                      on_result=lambda worker, ok, msg: results.append(ok), now=time.time)
    w.gate.set()
    w.start()
    deadline = time.time() + 5
    while not results and time.time() < deadline:
        time.sleep(0.02)
    assert results == [False]  # reported once, after 3 failures
    probe["httpGet"]["path"] = "/ok"
    while len(results) < 2 and time.time() < deadline:
        time.sleep(0.02)
    w.stop()
    assert results == [False, True]


def test_liveness_worker_waits_for_startup_and_initial_delay(server):
    seen = []
    gate = threading.Event()
    probe = {"tcpSocket": {"port": server}, "periodSeconds": 0.05, "initialDelaySeconds": 0.3}
    start = time.time()
    w = probes.Worker("livenessProbe", probe, target(server), started_at=start, gate=gate,
                      on_result=lambda worker, ok, msg: seen.append(time.time() - start), now=time.time)
    w.start()
    time.sleep(0.4)
    assert seen == []  # gated on the startup probe
    gate.set()
    deadline = time.time() + 3
    while not seen and time.time() < deadline:
        time.sleep(0.02)
    w.stop()
    assert seen and seen[0] >= 0.3


def test_manager_start_stop(server):
    m = probes.Manager(now=time.time)
    spec = {"name": "c", "readinessProbe": {"tcpSocket": {"port": server}, "periodSeconds": 10}}
    gate = m.start("u1", spec, target(server), started_at=time.time(), on_result=lambda *a: None, token=None)
    assert gate.is_set()  # no startup probe
    assert m.count() == 1
    m.stop_pod("u1")
    assert m.count() == 0
