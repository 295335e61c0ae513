"""Kill one of three replicas behind a Service: the daemon's proxy stops sending to it
within one readiness period (readinessProbe periodSeconds 1), and once the kubelet has
restarted it the pod is back in rotation. A client sending through the Service all along
sees, with the userspace relay, at most the one request that was in flight on the killed
process fail (a backend that refuses is skipped for the next); with nftables, as on a
kube-proxy node, new connections DNAT'd to the dead pod are refused until the endpoint
leaves, and none after.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import signal
import threading
import time
import urllib.request

import pytest

from tests.conftest import run_cli
from tests.e2e.conftest import wait_for
from tests.e2e.test_daemon import deployment, pods, ready

pytestmark = pytest.mark.timeout(180)

SERVICE = json.dumps({
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
})
READINESS_PERIOD = 1.0  # the test Deployment's readinessProbe.periodSeconds

# I1125 10:54:03.123 minikctl.proxy.proxy] service port default/web:http/TCP: endpoints 127.1.0.2:8080, ...
PROXY_LINE = re.compile(r"^I(\d{4} \d\d:\d\d:\d\d\.\d{3}) minikctl\.proxy\.proxy\] "
                        r"service port default/web:http/TCP: endpoints (.*)$")


def proxy_updates(home: str) -> list[tuple[float, set[str]]]:
    """(wall-clock time, backend IPs) of every endpoints change the proxy logged."""
    out = []
    year = datetime.date.today().year
    with open(os.path.join(home, "daemon.log")) as f:
        for line in f:
            m = PROXY_LINE.match(line.rstrip("\n"))
            if m:
                when = datetime.datetime.strptime(f"{year}{m.group(1)}", "%Y%m%d %H:%M:%S.%f").timestamp()
                ips = {e.rsplit(":", 1)[0] for e in m.group(2).split(", ") if e != "(none)"}
                out.append((when, ips))
    return out


def test_killed_replica_leaves_the_service_within_one_readiness_period(proxied_daemon):
    home, _, mode = proxied_daemon
    assert run_cli("apply", "-f", "-", stdin=deployment(3)).returncode == 0
    assert run_cli("apply", "-f", "-", stdin=SERVICE).returncode == 0
    running = wait_for(lambda: (lambda ps: ps if len(ps) == 3 and all(ready(p) for p in ps) else None)(pods()),
                       what="3 ready pods")
    ips = {p["status"]["podIP"] for p in running}
    wait_for(lambda: any(u[1] == ips for u in proxy_updates(home)), what="the proxy balancing over 3 pods")
    cluster_ip = json.loads(run_cli("get", "svc", "web", "-o", "json").stdout)["spec"]["clusterIP"]

    stop = threading.Event()
    answers: list[tuple[float, str]] = []
    failures: list[tuple[float, str]] = []

    def client() -> None:
        while not stop.is_set():
            try:
                with urllib.request.urlopen(f"http://{cluster_ip}/", timeout=5) as r:
                    answers.append((time.time(), r.read().decode().split()[0]))
            except Exception as exc:  # noqa: BLE001 - any failed request counts (a cut-off body too), and the client goes on
                failures.append((time.time(), repr(exc)))

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    try:
        wait_for(lambda: {a[1] for a in answers} == {p["metadata"]["name"] for p in running},
                 what="all three pods answering through the Service")
        victim = running[0]
        name, ip = victim["metadata"]["name"], victim["status"]["podIP"]
        state = os.path.join(home, "pods", f"default_{name}_{victim['metadata']['uid']}", "web", "state.json")
        with open(state) as f:
            pid = json.load(f)["pid"]
        killed_at = time.time()
        os.kill(pid, signal.SIGKILL)

        left = wait_for(lambda: next((u for u in proxy_updates(home) if u[0] >= killed_at - 0.001
                                      and ip not in u[1]), None), what="the proxy dropping the killed pod")
        print(f"proxy dropped the killed pod {left[0] - killed_at:.3f}s after the kill")
        assert left[1] == ips - {ip}
        assert left[0] - killed_at <= READINESS_PERIOD, f"proxy dropped it {left[0] - killed_at:.3f}s after the kill"

        # The kubelet restarts the container; once ready again it is back behind the Service.
        wait_for(lambda: any(u[0] > left[0] and u[1] == ips for u in proxy_updates(home)), timeout=60,
                 what="the restarted pod back in the proxy")
        back = time.time()
        wait_for(lambda: any(a[1] == name and a[0] > back for a in answers), what="the restarted pod answering")
    finally:
        stop.set()
        thread.join(10)
    if mode == "userspace":  # at most the request in flight on the killed process fails
        assert len(failures) <= 1, failures[:5]
    else:  # the kernel does not retry: new connections to it are refused while it is in the rules
        assert all("Connection refused" in f or "reset" in f for _, f in failures), failures[:5]
    assert all(t < left[0] + 0.05 for t, _ in failures), failures  # none once it is out
    assert not [a for a in answers if a[1] == name and left[0] + 0.05 < a[0] < left[0] + 0.3], \
        "the killed pod answered after the proxy dropped it"
