"""The real /usr/bin/kubectl against a running daemon with real pods (issue 7).

A background daemon (the `daemon` fixture: temporary MINIKCTL_HOME, its own pod CIDR,
torn down by pid), `KUBECONFIG=<home>/kubeconfig` as the daemon wrote it, and a fresh
KUBECACHEDIR per test (kubectl caches discovery per host:port for 6 h). The workload is
`python3 -m http.server` with an HTTP readiness probe, so pods really start, really get
ready on their own 127.x address, and log one line per probe. Every kubectl run is a
subprocess with a timeout; each test is bounded.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import subprocess
import threading
import time

import pytest

from tests.conftest import run_cli
from tests.e2e.conftest import wait_for

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"

pytestmark = [
    pytest.mark.skipif(not os.path.exists(KUBECTL), reason="kubectl is not installed"),
    pytest.mark.timeout(60),
]

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {{app: web}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web}}
  strategy:
    rollingUpdate: {{maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: web
        image: {image}
        command: ["python3", "-u", "-m", "http.server", "8080"]
        ports:
        - {{containerPort: 8080, name: http}}
        readinessProbe:
          httpGet: {{path: /, port: http}}
          periodSeconds: 1
{extra}"""

# A preStop hook makes deletion take a moment, so `delete --wait` has something to wait for.
PRESTOP = """\
        lifecycle:
          preStop:
            exec: {command: ["sleep", "1"]}
"""


def deployment(replicas: int = 1, image: str = "python:3.11", prestop: bool = False) -> str:
    return DEPLOYMENT.format(replicas=replicas, image=image, extra=PRESTOP if prestop else "")


class Kubectl:
    def __init__(self, home: str, base: str) -> None:
        self.kubeconfig = os.path.join(home, "kubeconfig")
        self.env = {**os.environ, "KUBECONFIG": self.kubeconfig,
                    "KUBECACHEDIR": os.path.join(base, "kubecache"), "HOME": base}

    def __call__(self, *args: str, stdin: str | None = None, timeout: float = 30,
                 check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([KUBECTL, *args], input=stdin, capture_output=True, text=True,
                                timeout=timeout, env=self.env)
        if check:
            assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stdout}{result.stderr}"
        return result

    def json(self, *args: str) -> dict:
        return json.loads(self(*args, "-o", "json").stdout)

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([KUBECTL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=self.env)

    def rollout_status(self) -> str:
        out = self("rollout", "status", "deploy/web", "--timeout=60s", timeout=70).stdout
        assert out.endswith('deployment "web" successfully rolled out\n'), out
        return out

    def pods(self) -> list[dict]:
        return self.json("get", "pods", "-l", "app=web")["items"]

    def replicasets(self) -> dict[str, dict]:
        return {rs["metadata"]["name"]: rs for rs in self.json("get", "rs", "-l", "app=web")["items"]}

    def history(self) -> list[int]:
        out = self("rollout", "history", "deploy/web").stdout.splitlines()
        assert out[0] == "deployment.apps/web ", out
        assert out[1].split() == ["REVISION", "CHANGE-CAUSE"], out
        return [int(line.split()[0]) for line in out[2:] if line.strip()]


@pytest.fixture
def kubectl(daemon, tmp_path):
    home, _ = daemon
    base = tmp_path / "kubectl"
    base.mkdir()
    return Kubectl(home, str(base))


def ready(pod: dict) -> bool:
    conds = {c["type"]: c["status"] for c in (pod.get("status") or {}).get("conditions") or []}
    return conds.get("Ready") == "True" and not pod["metadata"].get("deletionTimestamp")


def apply(kubectl: Kubectl, tmp_path, text: str) -> str:
    path = tmp_path / "web.yaml"
    path.write_text(text)
    return kubectl("apply", "-f", str(path)).stdout


def read_lines(proc: subprocess.Popen, count: int, timeout: float) -> list[str]:
    """Up to `count` lines of proc's stdout within `timeout` seconds (a reader thread, so a
    silent stream cannot hang the test)."""
    lines: list[str] = []
    done = threading.Event()

    def reader() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if len(lines) >= count:
                break
        done.set()

    threading.Thread(target=reader, daemon=True).start()
    done.wait(timeout)
    return list(lines)


def test_apply_rollout_status_get_wide_and_logs(daemon, kubectl, tmp_path):
    _, cidr = daemon
    assert apply(kubectl, tmp_path, deployment()) == "deployment.apps/web created\n"
    kubectl.rollout_status()

    # -o wide: kubectl's own columns, a ready pod on a 127.x address of this node's range.
    out = kubectl("get", "pods", "-o", "wide").stdout.splitlines()
    assert re.split(r"\s{2,}", out[0].strip()) == [
        "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    assert len(out) == 2, out
    name, ready_col, status, restarts, _age, ip, node, nominated, gates = out[1].split()
    assert re.fullmatch(r"web-[0-9a-f]{6,10}-[a-z0-9]{5}", name), name
    assert (ready_col, status, restarts, node, nominated, gates) == ("1/1", "Running", "0", "node-1", "<none>", "<none>")
    assert ipaddress.ip_address(ip) in ipaddress.ip_network(cidr), (ip, cidr)
    assert ip.startswith("127.")

    # logs of the Deployment's pod: http.server's banner, then one line per readiness probe.
    logs = kubectl("logs", "deploy/web").stdout
    assert f"Serving HTTP on {ip} port 8080" in logs, logs
    wait_for(lambda: '"GET / HTTP/1.1" 200' in kubectl("logs", "deploy/web").stdout, what="a probe in the log")
    assert kubectl("logs", name, "-c", "web", "--tail=1").stdout.count("\n") == 1

    # logs -f: --tail=1 gives one line at once; the others can only come from following.
    proc = kubectl.popen("logs", "-f", "deploy/web", "--tail=1")
    try:
        lines = read_lines(proc, 3, timeout=15)
        assert proc.poll() is None, "logs -f ended on its own"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    assert len(lines) == 3, lines
    assert all('"GET / HTTP/1.1" 200' in line for line in lines[1:]), lines
    # The daemon still serves after the client hung up mid-stream.
    assert kubectl("get", "deploy", "web", "-o", "jsonpath={.status.readyReplicas}").stdout == "1"


def test_scale_set_image_history_undo_restart(daemon, kubectl, tmp_path):
    apply(kubectl, tmp_path, deployment())
    kubectl.rollout_status()
    (original,) = kubectl.replicasets()

    assert kubectl("scale", "deploy/web", "--replicas=4").stdout == "deployment.apps/web scaled\n"
    kubectl.rollout_status()
    pods = kubectl.pods()
    assert len(pods) == 4 and all(ready(p) for p in pods), [p["metadata"]["name"] for p in pods]
    rows = [line.split() for line in kubectl("get", "pods", "-o", "wide").stdout.splitlines()[1:]]
    assert [r[1:3] for r in rows] == [["1/1", "Running"]] * 4, rows
    assert len({r[5] for r in rows}) == 4 and all(r[5].startswith("127.") for r in rows), rows
    table = kubectl("get", "deploy", "web").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[:4] == ["web", "4/4", "4", "4"]
    assert kubectl.history() == [1]

    # A new template: revision 2, a second ReplicaSet that takes over all four replicas.
    assert kubectl("set", "image", "deployment/web", "web=python:3.12").stdout == \
        "deployment.apps/web image updated\n"
    kubectl.rollout_status()
    assert kubectl.history() == [1, 2]
    rss = kubectl.replicasets()
    assert len(rss) == 2
    (second_rs,) = set(rss) - {original}
    assert rss[second_rs]["spec"]["replicas"] == 4
    assert rss[second_rs]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert rss[original]["spec"]["replicas"] == 0
    assert "Image:\tpython:3.12" in kubectl("rollout", "history", "deploy/web", "--revision=2").stdout

    # undo: back to the first template (its ReplicaSet again, now revision 3).
    assert kubectl("rollout", "undo", "deploy/web").stdout == "deployment.apps/web rolled back\n"
    kubectl.rollout_status()
    assert kubectl("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}").stdout \
        == "python:3.11"
    assert kubectl.history() == [2, 3]
    rss = kubectl.replicasets()
    assert rss[original]["spec"]["replicas"] == 4
    assert rss[original]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert rss[second_rs]["spec"]["replicas"] == 0
    wait_for(lambda: (lambda ps: len(ps) == 4 and all(ready(p) and p["metadata"]["name"].startswith(original + "-")
                                                      for p in ps))(kubectl.pods()),
             what="4 ready pods of the original ReplicaSet")

    # restart: a restartedAt annotation on the template, so a third ReplicaSet, every pod new.
    before = {p["metadata"]["name"] for p in kubectl.pods()}
    assert kubectl("rollout", "restart", "deploy/web").stdout == "deployment.apps/web restarted\n"
    kubectl.rollout_status()
    template = kubectl.json("get", "deploy", "web")["spec"]["template"]
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]
    assert kubectl.history() == [2, 3, 4]
    rss = kubectl.replicasets()
    assert len(rss) == 3
    (third_rs,) = set(rss) - {original, second_rs}
    assert rss[third_rs]["spec"]["replicas"] == 4
    pods = wait_for(lambda: (lambda ps: ps if len(ps) == 4 and all(ready(p) for p in ps) else None)(kubectl.pods()),
                    what="4 ready pods after the restart")
    assert not before & {p["metadata"]["name"] for p in pods}
    assert all(p["metadata"]["name"].startswith(third_rs + "-") for p in pods)


def test_delete_wait_describe_events_wait_and_delete(daemon, kubectl, tmp_path):
    apply(kubectl, tmp_path, deployment(replicas=2, prestop=True))
    kubectl.rollout_status()
    pods = kubectl.pods()
    assert len(pods) == 2
    victim = pods[0]["metadata"]["name"]

    # delete --wait returns once the pod is really gone (its preStop takes a second).
    started = time.monotonic()
    out = kubectl("delete", "pod", victim, "--wait", "--timeout=30s", timeout=40).stdout
    took = time.monotonic() - started
    assert out == f'pod "{victim}" deleted\n'
    assert took >= 0.9, f"delete --wait returned after {took:.2f}s, before the preStop hook ran"
    gone = kubectl("get", "pod", victim, check=False)
    assert gone.returncode == 1
    assert f'Error from server (NotFound): pods "{victim}" not found' in gone.stderr
    # ...and the ReplicaSet replaces it.
    replaced = wait_for(lambda: (lambda ps: ps if len(ps) == 2 and all(ready(p) for p in ps) else None)(kubectl.pods()),
                        timeout=30, what="a replacement pod")
    assert victim not in {p["metadata"]["name"] for p in replaced}

    # describe: kubectl's summary lines and the controller's events.
    (rs_name,) = kubectl.replicasets()
    described = kubectl("describe", "deploy", "web").stdout
    assert re.search(r"^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$",
                     described, re.M), described
    assert re.search(rf"^NewReplicaSet:\s+{rs_name} \(2/2 replicas created\)$", described, re.M), described
    assert re.search(r"^\s+Available\s+True\s+MinimumReplicasAvailable$", described, re.M), described
    events = described.split("\nEvents:\n", 1)[1].splitlines()
    assert events[0].split() == ["Type", "Reason", "Age", "From", "Message"]
    assert any(re.fullmatch(rf"\s*Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+"
                            rf"Scaled up replica set {rs_name} from 0 to 2", line) for line in events), events

    # get events: the Deployment's, the ReplicaSet's and the deleted pod's.
    # (Events are written in batches, up to a second after the fact: wait for them.)
    expected = {("ScalingReplicaSet", "deployment/web"), ("SuccessfulCreate", f"replicaset/{rs_name}"),
                ("Started", f"pod/{victim}"), ("Killing", f"pod/{victim}")}

    def event_rows() -> set | None:
        table = kubectl("get", "events").stdout.splitlines()
        assert table[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
        rows = {(r[2], r[3]) for r in (line.split(None, 4) for line in table[1:])}
        return rows if expected <= rows else None
    wait_for(event_rows, timeout=10, what=f"events {sorted(expected)}")
    mine = kubectl.json("get", "events", "--field-selector", f"involvedObject.name={victim}")["items"]
    assert mine and all(e["involvedObject"]["name"] == victim for e in mine)

    # wait: Available is already true.
    assert kubectl("wait", "--for=condition=Available", "deploy/web", "--timeout=30s", timeout=40).stdout == \
        "deployment.apps/web condition met\n"

    assert kubectl("delete", "deploy", "web", timeout=40).stdout == 'deployment.apps "web" deleted\n'
    missing = kubectl("get", "deploy", "web", check=False)
    assert missing.returncode == 1
    assert 'Error from server (NotFound): deployments.apps "web" not found' in missing.stderr
    # Garbage collection of the ReplicaSet and its pods is a later issue: not asserted here.


def test_kubeconfig_command_names_the_file_kubectl_uses(daemon, kubectl):
    out = run_cli("kubeconfig")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == kubectl.kubeconfig
    info = kubectl("cluster-info").stdout
    assert "Kubernetes control plane is running at https://127.0.0.1:" in info
    assert "Server Version: v1.32.0-minikctl" in kubectl("version").stdout


def test_top_pod_and_node_through_the_metrics_api(daemon, kubectl, tmp_path):
    """kubectl top finds metrics.k8s.io in discovery and prints what `minikctl top` measures."""
    home, _ = daemon
    apply(kubectl, tmp_path, deployment(replicas=2))
    kubectl.rollout_status()
    names = sorted(p["metadata"]["name"] for p in kubectl.pods())

    out = kubectl("top", "pod").stdout.splitlines()
    assert out[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    rows = {line.split()[0]: line.split() for line in out[1:]}
    assert sorted(rows) == names
    for _, cpu, memory in rows.values():
        assert re.fullmatch(r"\d+m", cpu) and re.fullmatch(r"\d+Mi", memory) and int(memory[:-2]) > 1

    out = kubectl("top", "pod", names[0], "--containers").stdout.splitlines()
    assert out[0].split() == ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"]
    assert out[1].split()[:2] == [names[0], "web"]
    nothing = kubectl("top", "pod", "-l", "app=nothing", check=False)
    assert (nothing.stdout, nothing.stderr) == ("", "No resources found in default namespace.\n")
    missing = kubectl("top", "pod", "nosuch", check=False)
    assert missing.returncode == 1
    assert 'podmetrics.metrics.k8s.io "default/nosuch" not found' in missing.stderr

    out = kubectl("top", "node").stdout.splitlines()
    assert out[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    node = out[1].split()
    assert re.fullmatch(r"\d+m", node[1]) and re.fullmatch(r"\d+%", node[2]) and re.fullmatch(r"\d+Mi", node[3])

    # The same pods, measured by minikctl itself: the same set, the same columns.
    mine = run_cli("top", "pod", env={"MINIKCTL_HOME": home})
    assert mine.returncode == 0, mine.stderr
    assert sorted(line.split()[0] for line in mine.stdout.splitlines()[1:]) == names


def test_exec_over_websocket(daemon, kubectl, tmp_path):
    """kubectl exec (WebSocket, v5.channel.k8s.io): output, stderr, stdin, exit codes."""
    apply(kubectl, tmp_path, deployment())
    kubectl.rollout_status()
    pod = kubectl.pods()[0]["metadata"]["name"]

    out = kubectl("exec", pod, "--", "sh", "-c", "echo out; echo err >&2; echo $POD_IP_UNSET$HOSTNAME_X done")
    assert (out.stdout, out.stderr) == ("out\ndone\n", "err\n")
    cwd = kubectl("exec", pod, "-c", "web", "--", "python3", "-c", "import os; print(os.getcwd())").stdout.strip()
    assert cwd  # the container's working directory, as minikctl exec sees it
    mine = run_cli("exec", pod, "--", "python3", "-c", "import os; print(os.getcwd())",
                   env={"MINIKCTL_HOME": daemon[0]})
    assert mine.stdout.strip() == cwd

    failed = kubectl("exec", pod, "--", "sh", "-c", "echo partial; exit 3", check=False)
    assert (failed.returncode, failed.stdout) == (3, "partial\n")
    assert failed.stderr == "command terminated with exit code 3\n"

    piped = kubectl("exec", "-i", pod, "--", "sh", "-c", "tr a-z A-Z; echo end", stdin="hello\nworld\n")
    assert piped.stdout == "HELLO\nWORLD\nend\n"
    big = "x" * 200_000 + "\n"
    assert kubectl("exec", "-i", pod, "--", "wc", "-c", stdin=big).stdout.strip() == str(len(big))

    missing = kubectl("exec", pod, "--", "no-such-command", check=False)
    assert missing.returncode != 0 and "no-such-command" in missing.stderr
    wrong = kubectl("exec", pod, "-c", "nope", "--", "true", check=False)
    assert wrong.returncode == 1 and "container nope is not valid for pod" in wrong.stderr


def test_attach_streams_the_containers_output_from_now_on(daemon, kubectl, tmp_path):
    """kubectl attach (WebSocket): the http.server's probe log lines as they are written."""
    apply(kubectl, tmp_path, deployment())
    kubectl.rollout_status()
    pod = kubectl.pods()[0]["metadata"]["name"]
    before = kubectl("logs", pod).stdout.count("\n")
    proc = kubectl.popen("attach", pod)
    try:
        lines = read_lines(proc, 2, timeout=15)
    finally:
        proc.kill()
        proc.wait(10)
    assert len(lines) == 2, lines
    assert all('"GET / HTTP/1.1" 200' in line for line in lines), lines
    assert kubectl("logs", pod).stdout.count("\n") >= before + 2  # new lines, not the old ones replayed
    wrong = kubectl("attach", pod, "-c", "nope", check=False)  # (kubectl's own check, from the pod it read)
    assert (wrong.returncode, wrong.stderr) == (1, f"error: cannot attach to the container: container nope not "
                                                   f"found in pod {pod}\n")


def test_port_forward_over_spdy_in_a_websocket(daemon, kubectl, tmp_path):
    """kubectl port-forward (SPDY/3.1 tunnelled in a WebSocket) to the pod's http.server."""
    import urllib.request

    apply(kubectl, tmp_path, deployment())
    kubectl.rollout_status()
    pod = kubectl.pods()[0]["metadata"]["name"]
    big = 300_000
    kubectl("exec", pod, "--", "python3", "-c", f"open('big.bin', 'wb').write(b'z' * {big})")
    proc = kubectl.popen("port-forward", f"pod/{pod}", ":8080")
    try:
        first = read_lines(proc, 1, timeout=15)
        m = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) -> 8080$", first[0].strip()) if first else None
        assert m, first
        url = f"http://127.0.0.1:{m.group(1)}"
        for _ in range(3):  # one connection after another, each its own pair of streams
            with urllib.request.urlopen(url + "/", timeout=10) as resp:
                assert resp.status == 200 and b"Directory listing" in resp.read()
        with urllib.request.urlopen(url + "/big.bin", timeout=20) as resp:
            assert resp.read() == b"z" * big
    finally:
        proc.kill()
        proc.wait(10)
    refused = kubectl.popen("port-forward", f"pod/{pod}", ":9")  # nothing listens there
    try:
        line = read_lines(refused, 1, timeout=15)
        port = re.match(r"Forwarding from 127\.0\.0\.1:(\d+) -> 9", line[0].strip()).group(1)
        with pytest.raises(Exception):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read()
    finally:
        refused.kill()
        _, err = refused.communicate(timeout=10)
    assert f"error forwarding port 9 to pod {pod}" in err and "connection refused" in err.lower(), err
