"""The kubelet with real processes: readiness, self-healing, restart policies,
CrashLoopBackOff, graceful deletion, init containers, ConfigMaps, adoption."""
from __future__ import annotations

import os
import signal
import statistics
import time

import pytest

from minikctl import errors

from .conftest import delete, wait_for

pytestmark = pytest.mark.timeout(30)

SERVER = ("import http.server, socketserver\n"
          "class H(http.server.BaseHTTPRequestHandler):\n"
          "    def do_GET(self):\n"
          "        self.send_response(200); self.end_headers(); self.wfile.write(b'hello')\n"
          "    def log_message(self, *a): pass\n"
          "http.server.HTTPServer(('0.0.0.0', 8080), H).serve_forever()\n")


def web_container(**extra) -> dict:
    return {"name": "web", "image": "python", "command": ["python3", "-c", SERVER],
            "ports": [{"name": "http", "containerPort": 8080}],
            "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1}, **extra}


def ready(cluster, name: str) -> bool:
    conds = {c["type"]: c["status"] for c in cluster.status(name).get("conditions") or []}
    return conds.get("Ready") == "True"


def test_server_reaches_running_and_ready_and_heals_after_kill_9(cluster):
    cluster.kubelet()
    cluster.pod("web", [web_container()])
    wait_for(lambda: ready(cluster, "web"), timeout=10, what="Ready")
    st = cluster.status("web")
    assert st["phase"] == "Running" and st["podIP"].startswith("127.16.")
    cs = cluster.container("web")
    assert cs["ready"] and cs["started"] and cs["restartCount"] == 0
    pid = cluster.pid("web")
    os.kill(pid, signal.SIGKILL)
    start = time.monotonic()
    wait_for(lambda: cluster.container("web").get("restartCount") == 1
             and "running" in cluster.container("web")["state"], timeout=5, interval=0.005, what="restarted")
    assert time.monotonic() - start < 2
    cs = cluster.container("web")
    assert cluster.pid("web") != pid
    assert cs["lastState"]["terminated"]["exitCode"] == 137
    wait_for(lambda: ready(cluster, "web"), timeout=10, what="Ready again")


def test_replacement_is_fast(cluster):
    """kill -9 to the replacement running, over several pods (each killed once, so no
    back-off): the runtime's pidfd reports the exit and the pod is enqueued at once."""
    k = cluster.kubelet()
    names = [f"p{i}" for i in range(5)]
    for n in names:
        cluster.pod(n, [{"name": "c", "image": "busybox", "command": ["sleep", "600"]}])
    for n in names:
        wait_for(lambda n=n: cluster.pid(n), what=f"{n} running")
    latencies = []
    for n in names:
        rec = k.syncer.records[f"default/{n}"]
        c = rec.containers["c"]
        old = c.run
        t0 = time.monotonic()
        os.kill(old.proc.pid, signal.SIGKILL)
        wait_for(lambda: c.run is not old and c.running, timeout=5, interval=0.001, what="replacement")
        latencies.append(time.monotonic() - t0)
    print("kill -9 -> replacement running (s):", [round(x, 4) for x in latencies])
    assert statistics.median(latencies) < 0.25, latencies


def test_never_exit_0_is_succeeded_completed_with_logs(cluster):
    cluster.kubelet()
    cluster.pod("job", [{"name": "c", "image": "busybox", "command": ["sh", "-c", "echo done; exit 0"]}],
                restartPolicy="Never")
    wait_for(lambda: cluster.status("job").get("phase") == "Succeeded", what="Succeeded")
    term = cluster.container("job")["state"]["terminated"]
    assert term["exitCode"] == 0 and term["reason"] == "Completed"
    assert cluster.log("job", "c") == "done\n"
    conds = {c["type"]: c for c in cluster.status("job")["conditions"]}
    assert conds["Ready"]["reason"] == "PodCompleted"


def test_crash_loop_back_off_grows(cluster):
    cluster.kubelet(backoff_initial=0.5, backoff_max=2.0)
    cluster.pod("crash", [{"name": "c", "image": "busybox", "command": ["sh", "-c", "echo boom; exit 3"]}])
    messages = []

    def seen_backoffs():
        state = cluster.container("crash").get("state") or {}
        msg = (state.get("waiting") or {}).get("message", "")
        if (state.get("waiting") or {}).get("reason") == "CrashLoopBackOff" and msg not in messages:
            messages.append(msg)
        return len(messages) >= 3
    wait_for(seen_backoffs, timeout=20, what="three back-offs")
    delays = [m.split()[1] for m in messages]
    assert delays == ["500ms", "1s", "2s"]
    cs = cluster.container("crash")
    assert cs["lastState"]["terminated"]["exitCode"] == 3 and cs["lastState"]["terminated"]["reason"] == "Error"
    assert cluster.status("crash")["phase"] == "Running"
    uid = cluster.get("crash")["metadata"]["uid"]
    assert messages[0].endswith(f"restarting failed container=c pod=crash_default({uid})")
    restarts = cs["restartCount"]
    assert cluster.log("crash", "c", restarts) == "boom\n" or cluster.log("crash", "c", restarts - 1) == "boom\n"
    assert not os.path.exists(os.path.join(cluster.pod_dir("crash"), "c", "0.log"))  # only current + previous kept


def test_graceful_delete_of_a_process_ignoring_sigterm(cluster):
    cluster.kubelet()
    cluster.pod("stubborn", [{"name": "c", "image": "python", "command": [
        "python3", "-c", "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                         "print('ready', flush=True)\ntime.sleep(600)"]}],
        terminationGracePeriodSeconds=1)
    wait_for(lambda: "ready" in cluster.log("stubborn", "c"), what="the process up")
    pid = cluster.pid("stubborn")
    start = time.monotonic()
    delete(cluster.client, "stubborn")

    def gone():
        try:
            cluster.get("stubborn")
            return False
        except errors.NotFound:
            return True
    wait_for(gone, timeout=10, what="the pod object removed")
    elapsed = time.monotonic() - start
    assert 0.9 < elapsed < 6, elapsed
    wait_for(lambda: not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] == "Z",
             what="the process gone")


def test_init_containers_run_in_order(cluster):
    cluster.kubelet()
    cluster.pod("init", [{"name": "app", "image": "busybox", "command": ["sh", "-c", "cat /work/order"],
                          "volumeMounts": [{"name": "work", "mountPath": "/work"}]}],
                initContainers=[
                    {"name": "first", "image": "busybox", "command": ["sh", "-c", "echo first >> /work/order"],
                     "volumeMounts": [{"name": "work", "mountPath": "/work"}]},
                    {"name": "second", "image": "busybox", "command": ["sh", "-c", "sleep 0.2; echo second >> /work/order"],
                     "volumeMounts": [{"name": "work", "mountPath": "/work"}]}],
                volumes=[{"name": "work", "emptyDir": {}}], restartPolicy="Never")
    wait_for(lambda: cluster.status("init").get("phase") == "Succeeded", timeout=15, what="Succeeded")
    assert cluster.log("init", "app") == "first\nsecond\n"
    inits = cluster.status("init")["initContainerStatuses"]
    assert [i["state"]["terminated"]["reason"] for i in inits] == ["Completed", "Completed"]
    assert inits[0]["state"]["terminated"]["finishedAt"] <= inits[1]["state"]["terminated"]["startedAt"]


def test_configmap_volume_and_env_visible_inside(cluster):
    cluster.client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
                           "data": {"greeting": "hello from a configmap", "MODE": "fast"}})
    cluster.kubelet()
    cluster.pod("cfg", [{"name": "c", "image": "busybox",
                         "command": ["sh", "-c", "echo mode=$MODE pod=$POD_NAME; cat /etc/app/greeting.txt; echo; "
                                                 "stat -c %a /etc/app/..data/greeting.txt"],
                         "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                         "envFrom": [{"configMapRef": {"name": "settings"}}],
                         "volumeMounts": [{"name": "cfg", "mountPath": "/etc/app", "readOnly": True}]}],
                volumes=[{"name": "cfg", "configMap": {"name": "settings", "defaultMode": 0o640,
                                                       "items": [{"key": "greeting", "path": "greeting.txt"}]}}],
                restartPolicy="Never")
    wait_for(lambda: cluster.status("cfg").get("phase") in ("Succeeded", "Failed"), timeout=15, what="finished")
    out = cluster.log("cfg", "c")
    assert cluster.status("cfg")["phase"] == "Succeeded", out
    assert out.splitlines() == ["mode=fast pod=cfg", "hello from a configmap", "640"]


def test_adoption_keeps_the_same_process(cluster):
    first = cluster.kubelet()
    cluster.pod("web", [web_container()])
    wait_for(lambda: ready(cluster, "web"), timeout=10, what="Ready")
    pid = cluster.pid("web")
    cluster.stop(first)  # the daemon goes; the pod stays
    assert os.path.exists(f"/proc/{pid}")
    cluster.kubelet()
    time.sleep(1.0)
    cs = cluster.container("web")
    assert cluster.pid("web") == pid and cs["restartCount"] == 0 and "running" in cs["state"]
    assert ready(cluster, "web")  # no readiness flap on adoption
    os.kill(pid, signal.SIGKILL)  # the adopted process's exit is still noticed
    wait_for(lambda: cluster.container("web").get("restartCount") == 1, timeout=5, what="restarted")
    assert cluster.pid("web") != pid


def test_missing_command_is_start_error(cluster):
    cluster.kubelet()
    cluster.pod("bad", [{"name": "c", "image": "busybox", "command": ["no-such-command-xyz"]}], restartPolicy="Never")
    wait_for(lambda: cluster.status("bad").get("phase") == "Failed", what="Failed")
    term = cluster.container("bad")["state"]["terminated"]
    assert term["exitCode"] == 128 and term["reason"] == "StartError"
    assert 'exec: "no-such-command-xyz": executable file not found in $PATH' in term["message"]


def test_missing_image_err_image_pull(cluster):
    cluster.kubelet()
    cluster.pod("img", [{"name": "c", "image": "not-imported:v9", "command": ["x"]}])
    wait_for(lambda: (cluster.container("img").get("state", {}).get("waiting") or {}).get("reason")
             in ("ErrImagePull", "ImagePullBackOff"), what="image pull error")
    msg = cluster.container("img")["state"]["waiting"]["message"]
    assert "minikctl image import" in msg
    assert cluster.status("img")["phase"] == "Pending"


def test_hanging_liveness_probe_is_bounded_and_restarts(cluster):
    cluster.kubelet()
    cluster.pod("hang", [{"name": "c", "image": "busybox", "command": ["sleep", "600"],
                          "livenessProbe": {"exec": {"command": ["sleep", "100"]}, "timeoutSeconds": 1,
                                            "periodSeconds": 1, "failureThreshold": 1,
                                            "terminationGracePeriodSeconds": 1}}])
    wait_for(lambda: cluster.container("hang").get("restartCount", 0) >= 1, timeout=15, what="restarted by liveness")


