"""The daemon end to end: real background daemon, real pod processes, real HTTP."""
from __future__ import annotations

import json
import os
import signal
import textwrap
import urllib.request

from tests.conftest import run_cli
from tests.e2e.conftest import wait_for

SERVER = textwrap.dedent("""\
    import http.server, os
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = (os.environ["POD_NAME"] + " " + os.environ.get("VERSION", "v1") + "\\n").encode()
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body)
        def log_message(self, *a): pass
    http.server.ThreadingHTTPServer(("", 8080), H).serve_forever()
    """)


def deployment(replicas: int = 3, version: str = "v1") -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {
            "replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                "terminationGracePeriodSeconds": 2,
                "containers": [{
                    "name": "web", "image": "python:3.11", "command": ["python3", "-c", SERVER],
                    "env": [{"name": "VERSION", "value": version},
                            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                    "ports": [{"containerPort": 8080, "name": "http"}],
                    "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1},
                }]}},
        }})


def pods(selector: str = "app=web") -> list[dict]:
    out = run_cli("get", "pods", "-l", selector, "-o", "json")
    return json.loads(out.stdout)["items"] if out.returncode == 0 else []


def ready(pod: dict) -> bool:
    conds = {c["type"]: c["status"] for c in (pod.get("status") or {}).get("conditions") or []}
    return conds.get("Ready") == "True" and not pod["metadata"].get("deletionTimestamp")


def get_text(ip: str, port: int = 8080) -> str:
    with urllib.request.urlopen(f"http://{ip}:{port}/", timeout=2) as r:
        return r.read().decode()


def test_deployment_runs_heals_scales_and_rolls_out(daemon):
    assert run_cli("apply", "-f", "-", stdin=deployment()).returncode == 0
    running = wait_for(lambda: [p for p in pods() if ready(p)] if len([p for p in pods() if ready(p)]) == 3 else None,
                       what="3 ready pods")
    # Each pod is a real process on its own loopback IP, all on port 8080.
    ips = {p["status"]["podIP"] for p in running}
    assert len(ips) == 3
    for p in running:
        assert get_text(p["status"]["podIP"]) == f"{p['metadata']['name']} v1\n"
    table = run_cli("get", "pods").stdout
    assert table.count("1/1") == 3 and table.count("Running") == 3

    # kill -9 one pod's process: the kubelet restarts it.
    victim = running[0]
    home, _ = daemon
    state_dir = os.path.join(home, "pods", f"default_{victim['metadata']['name']}_{victim['metadata']['uid']}", "web")
    with open(os.path.join(state_dir, "state.json")) as f:
        pid = json.load(f)["pid"]
    os.kill(pid, signal.SIGKILL)

    def restarted():
        for p in pods():
            if p["metadata"]["uid"] == victim["metadata"]["uid"]:
                st = p["status"]["containerStatuses"][0]
                return st["restartCount"] >= 1 and ready(p)
        return False
    wait_for(restarted, what="restart of the killed container")

    # Scale 3 -> 5 -> 2.
    assert run_cli("scale", "deploy/web", "--replicas=5").returncode == 0
    wait_for(lambda: len([p for p in pods() if ready(p)]) == 5, what="5 ready pods")
    assert run_cli("scale", "deploy/web", "--replicas=2").returncode == 0
    wait_for(lambda: len(pods()) == 2, what="2 pods")

    # Roll out v2: every pod ends up serving v2.
    assert run_cli("apply", "-f", "-", stdin=deployment(2, "v2")).stdout == "deployment.apps/web configured\n"
    status = run_cli("rollout", "status", "deploy/web", "--timeout=60s", timeout=90)
    assert status.returncode == 0, status.stdout + status.stderr
    wait_for(lambda: len(pods()) == 2 and all(ready(p) for p in pods()), what="2 ready v2 pods")
    for p in pods():
        assert get_text(p["status"]["podIP"]).endswith(" v2\n")


def test_pods_outlive_the_daemon_and_are_adopted(daemon):
    home, cidr = daemon
    assert run_cli("apply", "-f", "-", stdin=deployment(2)).returncode == 0
    before = wait_for(lambda: (lambda ps: ps if len(ps) == 2 and all(ready(p) for p in ps) else None)(pods()),
                      what="2 ready pods")
    pids = {}
    for p in before:
        d = os.path.join(home, "pods", f"default_{p['metadata']['name']}_{p['metadata']['uid']}", "web")
        with open(os.path.join(d, "state.json")) as f:
            pids[p["metadata"]["name"]] = json.load(f)["pid"]
    stop = run_cli("daemon", "stop")
    assert stop.returncode == 0, stop.stderr
    for pid in pids.values():
        os.kill(pid, 0)  # still alive
    assert run_cli("daemon", "start", "--node-name", "node-1", "--pod-cidr", cidr).returncode == 0
    after = wait_for(lambda: (lambda ps: ps if len(ps) == 2 and all(ready(p) for p in ps) else None)(pods()),
                     what="pods ready after restart")
    for p in after:
        assert p["status"]["containerStatuses"][0]["restartCount"] == 0
        d = os.path.join(home, "pods", f"default_{p['metadata']['name']}_{p['metadata']['uid']}", "web")
        with open(os.path.join(d, "state.json")) as f:
            assert json.load(f)["pid"] == pids[p["metadata"]["name"]]
    # `down` stops every pod gracefully, and the daemon.
    assert run_cli("down", timeout=60).returncode == 0
    for pid in pids.values():
        wait_for(lambda: not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(") ")[1][0] == "Z",
                 what=f"pid {pid} gone")


def test_kill_9_of_the_daemon_loses_nothing(daemon):
    """kill -9 the daemon while 10 pods run: on restart the same 10 processes are adopted,
    none started twice, restart counts unchanged."""
    home, cidr = daemon
    doc = json.loads(deployment(10))
    doc["spec"]["template"]["spec"]["containers"][0].pop("readinessProbe")
    doc["spec"]["template"]["spec"]["containers"][0]["command"] = ["sleep", "3600"]
    doc["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:1.36"
    assert run_cli("apply", "-f", "-", stdin=json.dumps(doc)).returncode == 0
    before = wait_for(lambda: (lambda ps: ps if len(ps) == 10 and all(ready(p) for p in ps) else None)(pods()),
                      what="10 ready pods")

    def pid_of(p: dict) -> int:
        d = os.path.join(home, "pods", f"default_{p['metadata']['name']}_{p['metadata']['uid']}", "web")
        with open(os.path.join(d, "state.json")) as f:
            return json.load(f)["pid"]

    pids = {p["metadata"]["name"]: pid_of(p) for p in before}
    with open(os.path.join(home, "daemon.json")) as f:
        daemon_pid = json.load(f)["pid"]
    os.kill(daemon_pid, signal.SIGKILL)
    wait_for(lambda: not os.path.exists(f"/proc/{daemon_pid}") or
             open(f"/proc/{daemon_pid}/stat").read().split(") ")[1][0] == "Z", what="daemon gone")
    for pid in pids.values():
        os.kill(pid, 0)  # every pod process survived
    assert run_cli("daemon", "status").stdout.startswith("minikctl daemon is not running")

    assert run_cli("daemon", "start", "--node-name", "node-1", "--pod-cidr", cidr).returncode == 0
    after = wait_for(lambda: (lambda ps: ps if len(ps) == 10 and all(ready(p) for p in ps) else None)(pods()),
                     what="10 ready pods after the restart")
    assert {p["metadata"]["name"] for p in after} == set(pids)  # no pod replaced
    for p in after:
        assert p["status"]["containerStatuses"][0]["restartCount"] == 0
        assert pid_of(p) == pids[p["metadata"]["name"]]  # the same process, adopted
