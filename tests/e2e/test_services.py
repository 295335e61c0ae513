"""Services end to end: a stable virtual IP and name in front of a Deployment's pods,
through the daemon's proxy, DNS and service environment variables."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import run_cli
from tests.e2e.conftest import wait_for
from tests.e2e.test_daemon import SERVER, deployment, pods, ready

SERVICE = json.dumps({
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
    "spec": {"type": "NodePort", "selector": {"app": "web"},
             "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
})

CLIENT_POD = json.dumps({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "client"},
    "spec": {"restartPolicy": "Never", "volumes": [{"name": "scratch", "emptyDir": {}}],
             "containers": [{
                 "name": "c", "image": "python:3.11", "command": ["python3", "-c",
                 "import os, socket, urllib.request;"
                 "print('ENV', os.environ['WEB_SERVICE_HOST'], os.environ['WEB_SERVICE_PORT']);"
                 "print('DNS', socket.gethostbyname('web.default.svc.cluster.local'));"
                 "print('BODY', urllib.request.urlopen('http://web/', timeout=5).read().decode().strip())"],
                 "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}]},
})


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=3) as r:
        return r.read().decode()


def test_service_balances_follows_pods_and_is_discoverable(daemon):
    assert run_cli("apply", "-f", "-", stdin=deployment(3)).returncode == 0
    assert run_cli("apply", "-f", "-", stdin=SERVICE).returncode == 0
    wait_for(lambda: len([p for p in pods() if ready(p)]) == 3, what="3 ready pods")
    svc = json.loads(run_cli("get", "svc", "web", "-o", "json").stdout)
    ip, node_port = svc["spec"]["clusterIP"], svc["spec"]["ports"][0]["nodePort"]
    assert ip.startswith("127.96.")
    table = run_cli("get", "svc", "web").stdout
    assert f"80:{node_port}/TCP" in table and ip in table

    # All three replicas answer through the cluster IP.
    names = set()
    wait_for(lambda: names.update(fetch(f"http://{ip}:80/").split()[:1]) or len(names) == 3,
             what="all three pods reached through the Service")
    # And through the NodePort on the host.
    assert fetch(f"http://127.0.0.1:{node_port}/").endswith(" v1\n")
    url = run_cli("service", "web", "--url").stdout.strip()
    assert url and fetch(url).endswith(" v1\n")

    # Endpoints and describe show the ready addresses.
    ep = json.loads(run_cli("get", "endpoints", "web", "-o", "json").stdout)
    assert len(ep["subsets"][0]["addresses"]) == 3
    assert "Endpoints:" in run_cli("describe", "svc", "web").stdout

    # Pods started after the Service get its env vars and resolve its name.
    assert run_cli("apply", "-f", "-", stdin=CLIENT_POD).returncode == 0
    wait_for(lambda: "Succeeded" in run_cli("get", "pod", "client", "-o", "jsonpath={.status.phase}").stdout
             or "Failed" in run_cli("get", "pod", "client", "-o", "jsonpath={.status.phase}").stdout,
             timeout=30, what="client pod to finish")
    out = run_cli("logs", "client").stdout
    assert f"ENV {ip} 80" in out, out
    assert f"DNS {ip}" in out, out
    assert "BODY " in out and out.strip().endswith(" v1"), out

    # Scale to zero: the Service refuses connections at once instead of hanging.
    assert run_cli("scale", "deploy/web", "--replicas=0").returncode == 0
    wait_for(lambda: pods() == [], what="no pods")
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect((ip, 80))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert s.recv(100) == b""
    except (ConnectionRefusedError, ConnectionResetError):
        pass
    finally:
        s.close()


def test_port_forward_to_a_deployment(daemon):
    assert run_cli("apply", "-f", "-", stdin=deployment(1)).returncode == 0
    wait_for(lambda: len([p for p in pods() if ready(p)]) == 1, what="1 ready pod")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ}
    pf = subprocess.Popen([*__import__("sys").executable.split(), "-m", "minikctl", "port-forward", "deploy/web",
                           f"{port}:8080"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                          start_new_session=True)
    try:
        line = pf.stdout.readline()
        assert line.startswith(f"Forwarding from 127.0.0.1:{port} -> 8080"), line
        assert fetch(f"http://127.0.0.1:{port}/").endswith(" v1\n")
    finally:
        os.killpg(pf.pid, signal.SIGINT)
        try:
            pf.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(pf.pid, signal.SIGKILL)
            pf.wait(5)


def test_proxy_mode_flag_errors(minikctl_home):
    """A mode that does not exist is a usage error; nftables where this process may not
    program it is an error at start, before anything runs (here: without CAP_NET_ADMIN)."""
    bad = run_cli("daemon", "start", "--proxy-mode", "iptables")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith('error: invalid argument "iptables" for "--proxy-mode" flag: '
                                 "must be one of auto, nftables, userspace\n"), bad.stderr
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the daemon without CAP_NET_ADMIN")
    out = subprocess.run(["setpriv", "--bounding-set", "-net_admin", "--inh-caps", "-net_admin", "--",
                          sys.executable, "-m", "minikctl", "daemon", "--proxy-mode", "nftables",
                          "--node-name", "n1", "--pod-cidr", "127.31.0.0/16", "--cluster-dns", "127.31.255.254"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert "error: --proxy-mode nftables: cannot program nftables: " in out.stderr, out.stderr
    for left in ("state.db", "daemon.json"):  # neither a store nor a daemon's state was made
        assert not os.path.exists(os.path.join(minikctl_home, left)), left


def test_a_daemon_with_a_service_range_of_its_own(minikctl_home):
    """--service-cluster-ip-range (a second daemon on this machine needs one): Services get
    IPs from it, the cluster DNS server takes its last address and answers there, and the
    store keeps the range when the daemon starts again without the flag."""
    import dns.message
    import dns.query

    from tests.conftest import pod_range_octet
    from tests.e2e.conftest import stop_everything

    home, octet = str(minikctl_home), pod_range_octet()
    flags = ["--node-name", "node-1", "--pod-cidr", f"127.{octet}.0.0/16"]
    try:
        started = run_cli("daemon", "start", *flags, "--service-cluster-ip-range", "127.97.3.0/24", timeout=60)
        assert started.returncode == 0, started.stderr
        assert run_cli("create", "service", "clusterip", "web", "--tcp=80:8080").returncode == 0
        ip = run_cli("get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}").stdout
        assert ip.startswith("127.97.3.") and ip != "127.97.3.254", ip
        reply = dns.query.udp(dns.message.make_query("web.default.svc.cluster.local", "A"), "127.97.3.254", timeout=5)
        assert [r.address for rrset in reply.answer for r in rrset] == [ip]

        assert run_cli("daemon", "stop", timeout=60).returncode == 0
        started = run_cli("daemon", "start", *flags, timeout=60)  # no flag: the store's range stays
        assert started.returncode == 0, started.stderr
        assert run_cli("create", "service", "clusterip", "api", "--tcp=80:8080").returncode == 0
        assert run_cli("get", "svc", "api", "-o", "jsonpath={.spec.clusterIP}").stdout.startswith("127.97.3.")
    finally:
        stop_everything(home)
