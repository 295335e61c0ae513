"""`logs` through the real CLI, against real processes writing the kubelet's log layout.

Most tests run no daemon: a test creates the Pod, starts its container processes itself
(each in its own process group, as the runtime does), writes the runtime's records
(sandbox.json, config.json, state.json) and sets the pod's status. The helpers are
shared by the other verbs' tests. The last test runs the real daemon.
"""
from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import run_cli
from tests.e2e.conftest import daemon  # noqa: F401 - a fixture: a background daemon on the test's home

cli = run_cli  # the other verb tests import their helpers from here


def cli_background(*args: str) -> subprocess.Popen:
    """The CLI running on its own; its stdout lines are collected as they come (read_line)."""
    import queue
    import threading

    proc = subprocess.Popen([sys.executable, "-m", "minikctl", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    proc.lines, proc.reader = lines, reader  # type: ignore[attr-defined]
    return proc


def read_line(proc: subprocess.Popen, timeout: float = 20) -> str:
    """The CLI's next line of output (it flushes each line), waiting at most `timeout`."""
    import queue

    try:
        return proc.lines.get(timeout=timeout)  # type: ignore[attr-defined]
    except queue.Empty:
        raise AssertionError(f"no output from the CLI in {timeout}s") from None


def finish(proc: subprocess.Popen, timeout: float = 20) -> tuple[int, str, str]:
    """Wait for the CLI to exit: (exit code, the output not read yet, stderr)."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise AssertionError(f"the CLI did not finish in {timeout}s") from None
    proc.reader.join(timeout=10)  # type: ignore[attr-defined]
    out = []
    while not proc.lines.empty():  # type: ignore[attr-defined]
        out.append(proc.lines.get())  # type: ignore[attr-defined]
    err = proc.stderr.read() if proc.stderr is not None else ""
    return proc.returncode, "".join(out), err


def wait_until(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def client():
    from minikctl.client.local import LocalClient

    return LocalClient.open()


def kind(name: str):
    from minikctl.api import kinds

    return kinds.by_kind(name)


def now_rfc3339(offset: float = 0.0) -> str:
    import datetime as dt

    return (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


class PodProcesses:
    """A Pod whose containers are real local processes, laid out as the kubelet lays them out."""

    def __init__(self, home, name: str, scripts: dict[str, str], *, labels: dict | None = None,
                 annotations: dict | None = None, namespace: str = "default", env: dict | None = None,
                 working_dir: str | None = None, bind: bool = True) -> None:
        self.home, self.scripts, self.env, self.working_dir = home, dict(scripts), env or {}, working_dir
        self.c = client()
        md = {"name": name, "namespace": namespace, "labels": labels or {}}
        if annotations:
            md["annotations"] = annotations
        containers = [{"name": n, "image": "python", "command": [sys.executable, "-c", s]} for n, s in scripts.items()]
        self.pod = self.c.create({"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": {"containers": containers}})
        if bind:
            self.pod = self.c.bind(namespace, name, "node1")
        self.procs: dict[str, subprocess.Popen] = {}
        self.restarts: dict[str, int] = {n: 0 for n in scripts}

    @property
    def name(self) -> str:
        return self.pod["metadata"]["name"]

    def dir(self, container: str) -> str:
        md = self.pod["metadata"]
        return os.path.join(str(self.home), "pods", f"{md['namespace']}_{md['name']}_{md['uid']}", container)

    def log_path(self, container: str, run: int | None = None) -> str:
        return os.path.join(self.dir(container), f"{self.restarts[container] if run is None else run}.log")

    def start(self, container: str, script: str | None = None, *, argv: list[str] | None = None) -> subprocess.Popen:
        """Start the container's process: `python -c SCRIPT`, or `argv` as given."""
        from minikctl.runtime import procfs

        os.makedirs(self.dir(container), exist_ok=True)
        argv = argv or [sys.executable, "-c", script or self.scripts[container]]
        log = open(self.log_path(container), "ab")
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1", **self.env}
        cwd = self.working_dir or str(self.home)
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env,
                                start_new_session=True)
        log.close()
        self.procs[container] = proc
        ticks = wait_until(lambda: procfs.start_ticks(proc.pid), what="the process' start ticks")
        # No pod IP: the runtime would build its bind shim (a C compiler run) for every test's home.
        config = {"name": container, "argv": argv, "env": env, "working_dir": cwd,
                  "log_path": self.log_path(container), "mounts": [], "pod_ip": "", "limits": {},
                  "log_max_bytes": 10 * 1024 * 1024}
        md = self.pod["metadata"]
        with open(os.path.join(os.path.dirname(self.dir(container)), "sandbox.json"), "w") as fh:
            json.dump({"pod_uid": md["uid"], "namespace": md["namespace"], "name": md["name"],
                       "directory": os.path.dirname(self.dir(container)), "ip": "", "volumes": {}}, fh)
        with open(os.path.join(self.dir(container), "config.json"), "w") as fh:
            json.dump(config, fh)
        with open(os.path.join(self.dir(container), "state.json"), "w") as fh:
            json.dump({"pid": proc.pid, "start_ticks": ticks, "started_at": time.time()}, fh)
        return proc

    def run(self, *, ready: bool = True) -> "PodProcesses":
        for container in self.scripts:
            self.start(container)
        self.set_status("Running", ready=ready)
        return self

    def container_statuses(self, *, state: dict | None = None, last: dict | None = None) -> list[dict]:
        out = []
        for n in self.scripts:
            out.append({"name": n, "ready": state is None, "restartCount": self.restarts[n], "image": "python",
                        "imageID": "", "started": state is None,
                        "state": state or {"running": {"startedAt": now_rfc3339()}},
                        "lastState": last or {}})
        return out

    def set_status(self, phase: str, *, ready: bool = True, statuses: list[dict] | None = None) -> None:
        pod = copy.deepcopy(self.c.get(kind("Pod"), self.pod["metadata"]["namespace"], self.name))
        pod["status"] = {"phase": phase, "podIP": "127.16.0.5", "startTime": now_rfc3339(),
                         "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                         "lastTransitionTime": now_rfc3339()}],
                         "containerStatuses": statuses if statuses is not None else self.container_statuses()}
        self.pod = self.c.update_status(pod)

    def kill(self, container: str) -> None:
        proc = self.procs.pop(container, None)
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)

    def restart(self, container: str, script: str | None = None) -> None:
        """The container's process dies and a new run starts with the next log file."""
        self.kill(container)
        self.restarts[container] += 1
        self.start(container, script)
        last = {"terminated": {"exitCode": 137, "reason": "Error", "finishedAt": now_rfc3339()}}
        self.set_status("Running", statuses=self.container_statuses(last=last))

    def stop_all(self) -> None:
        for container in list(self.procs):
            self.kill(container)


@pytest.fixture
def pods(minikctl_home):
    made: list[PodProcesses] = []

    def make(name: str, scripts: dict[str, str], **kw) -> PodProcesses:
        pod = PodProcesses(minikctl_home, name, scripts, **kw)
        made.append(pod)
        return pod

    yield make
    for pod in made:
        pod.stop_all()


def printer(lines: list[str], *, then_sleep: float = 60) -> str:
    """A container script that prints lines, then stays up."""
    return f"import time\nfor line in {lines!r}: print(line, flush=True)\ntime.sleep({then_sleep})"


def wait_for_log(pod: PodProcesses, container: str, text: str) -> None:
    def has() -> bool:
        try:
            with open(pod.log_path(container), encoding="utf-8") as fh:
                return text in fh.read()
        except OSError:
            return False

    wait_until(has, what=f"{text!r} in the log")


# --- tests ---------------------------------------------------------------------------------


def test_logs_of_a_pod_and_its_tail(pods):
    pod = pods("web", {"web": printer(["one", "two", "three"])}).run()
    wait_for_log(pod, "web", "three")
    r = cli("logs", "web")
    assert (r.returncode, r.stdout, r.stderr) == (0, "one\ntwo\nthree\n", "")
    assert cli("logs", "web", "--tail=2").stdout == "two\nthree\n"
    assert cli("logs", "web", "--tail", "0").stdout == ""
    assert cli("logs", "pod/web", "--limit-bytes=5").stdout == "one\nt"


def test_several_containers_default_and_choice(pods):
    pod = pods("multi", {"a": printer(["from a"]), "b": printer(["from b"])}).run()
    wait_for_log(pod, "b", "from b")
    wait_for_log(pod, "a", "from a")
    r = cli("logs", "multi")
    assert r.stdout == "from a\n"
    assert r.stderr == 'Defaulted container "a" out of: a, b\n'
    assert cli("logs", "multi", "-c", "b").stdout == "from b\n"
    assert cli("logs", "multi", "b").stdout == "from b\n"
    both = cli("logs", "multi", "--all-containers", "--prefix")
    assert both.stdout == "[pod/multi/a] from a\n[pod/multi/b] from b\n"
    bad = cli("logs", "multi", "-c", "nope")
    assert (bad.returncode, bad.stderr) == (1, "error: container nope is not valid for pod multi out of: a, b\n")


def test_default_container_annotation(pods):
    pod = pods("annotated", {"a": printer(["A"]), "b": printer(["B"])},
               annotations={"kubectl.kubernetes.io/default-container": "b"}).run()
    wait_for_log(pod, "b", "B")
    r = cli("logs", "annotated")
    assert (r.stdout, r.stderr) == ("B\n", "")


def test_workload_uses_one_pod_and_selector_uses_all(pods):
    c = client()
    c.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "web", "image": "python"}]}}}})
    one = pods("web-1", {"web": printer(["first pod"])}, labels={"app": "web"}).run()
    two = pods("web-2", {"web": printer(["second pod"])}, labels={"app": "web"}).run(ready=False)
    wait_for_log(one, "web", "first pod")
    wait_for_log(two, "web", "second pod")
    r = cli("logs", "deploy/web")
    assert (r.stdout, r.stderr) == ("first pod\n", "Found 2 pods, using pod/web-1\n")
    everything = cli("logs", "-l", "app=web", "--prefix")
    assert everything.stdout == "[pod/web-1/web] first pod\n[pod/web-2/web] second pod\n"
    all_pods = cli("logs", "deployment/web", "--all-pods")
    assert sorted(all_pods.stdout.splitlines()) == ["[pod/web-1/web] first pod", "[pod/web-2/web] second pod"]
    none = cli("logs", "-l", "app=none")
    assert (none.returncode, none.stdout, none.stderr) == (0, "", "No resources found in default namespace.\n")


def test_selector_defaults_to_ten_lines(pods):
    pod = pods("many", {"web": printer([str(i) for i in range(15)])}, labels={"app": "many"}).run()
    wait_for_log(pod, "web", "14")
    assert cli("logs", "-l", "app=many").stdout.split() == [str(i) for i in range(5, 15)]
    assert len(cli("logs", "-l", "app=many", "--tail=-1").stdout.split()) == 15


def test_previous_and_errors_from_the_kubelet(pods):
    pod = pods("crashy", {"web": printer(["run zero"])}).run()
    wait_for_log(pod, "web", "run zero")
    r = cli("logs", "crashy", "--previous")
    assert (r.returncode, r.stderr) == (
        1, 'Error from server (BadRequest): previous terminated container "web" in pod "crashy" not found\n')
    pod.restart("web", printer(["run one"]))
    wait_for_log(pod, "web", "run one")
    assert cli("logs", "crashy").stdout == "run one\n"
    assert cli("logs", "crashy", "-p").stdout == "run zero\n"
    waiting = {"waiting": {"reason": "ContainerCreating"}}
    pod.set_status("Pending", ready=False, statuses=[{"name": "web", "ready": False, "restartCount": 0,
                                                      "image": "python", "imageID": "", "state": waiting}])
    r = cli("logs", "crashy")
    assert (r.returncode, r.stderr) == (
        1, 'Error from server (BadRequest): container "web" in pod "crashy" is waiting to start: ContainerCreating\n')


def test_missing_pod_and_usage_errors(pods):
    r = cli("logs", "nope")
    assert (r.returncode, r.stderr) == (1, 'Error from server (NotFound): pods "nope" not found\n')
    r = cli("logs")
    assert r.returncode == 1 and r.stderr.startswith(
        "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\n"
        "POD or TYPE/NAME is a required argument for the logs command\n")
    assert cli("logs", "x", "-l", "a=b").stderr.startswith("error: only a selector (-l) or a POD name is allowed\n")
    assert cli("logs", "x", "--since=1s", "--since-time=2024-01-01T00:00:00Z").stderr == \
        "error: at most one of `sinceTime` or `sinceSeconds` may be specified\n"
    assert cli("logs", "x", "--tail=-2").stderr == "error: --tail must be greater than or equal to -1\n"
    assert cli("logs", "x", "--since=5x").stderr.startswith(
        'error: invalid argument "5x" for "--since" flag: time: unknown unit "x" in duration "5x"\n')
    assert cli("logs", "cm/x").stderr == 'Error from server (NotFound): configmaps "x" not found\n'


def test_follow_switches_to_the_new_run_and_ends_with_the_pod(pods):
    pod = pods("follow", {"web": printer(["before"])}).run()
    wait_for_log(pod, "web", "before")
    proc = cli_background("logs", "-f", "follow")
    try:
        first = read_line(proc)
        pod.restart("web", printer(["after restart"]))
        second = read_line(proc)
        pod.c.delete(kind("Pod"), "default", "follow")  # graceful: the kubelet stops the processes
        pod.stop_all()
        code, out, err = finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert (code, first + second + out, err) == (0, "before\nafter restart\n", "")


def test_follow_survives_the_runtime_capping_the_log(pods):
    """The runtime cuts a log's head in place (same file, a marker line first): a follower
    neither repeats what it printed nor misses what comes next."""
    pod = pods("capped", {"web": printer([])}).run()
    pod.kill("web")
    path = pod.log_path("web")
    with open(path, "w") as fh:
        fh.writelines(f"line {i}\n" for i in range(100))
    proc = cli_background("logs", "-f", "capped", "--tail=1")
    try:
        assert read_line(proc) == "line 99\n"
        with open(path, "r+") as fh:  # keep the newest half, as FALLOC_FL_COLLAPSE_RANGE would
            kept = fh.read().splitlines(keepends=True)[50:]
            fh.seek(0)
            fh.write("[minikctl] earlier output was dropped\n" + "".join(kept))
            fh.truncate()
        with open(path, "a") as fh:
            fh.write("after the cut\n")
        assert read_line(proc) == "after the cut\n"
        with open(path, "w") as fh:  # cut while the reader was behind: it starts over
            fh.write("[minikctl] earlier output was dropped\nfresh\n")
        assert [read_line(proc), read_line(proc)] == ["[minikctl] earlier output was dropped\n", "fresh\n"]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        finish(proc)


def test_follow_ctrl_c_exits_zero(pods):
    pod = pods("loop", {"web": "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.05)"}).run()
    wait_for_log(pod, "web", "tick")
    proc = cli_background("logs", "-f", "loop", "--tail=1")
    try:
        assert read_line(proc) == "tick\n"
        proc.send_signal(signal.SIGINT)
        code, _, err = finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert (code, err) == (0, "")


def test_follow_several_pods_and_the_concurrency_limit(pods):
    made = [pods(f"p{i}", {"web": printer([f"hello {i}"])}, labels={"app": "p"}).run() for i in range(3)]
    r = cli("logs", "-f", "-l", "app=p", "--max-log-requests=2")
    assert (r.returncode, r.stderr) == (
        1, "error: you are attempting to follow 3 log streams, but maximum allowed concurrency is 2, "
           "use --max-log-requests to increase the limit\n")
    proc = cli_background("logs", "-f", "-l", "app=p", "--prefix")
    try:
        seen = [read_line(proc) for _ in range(3)]
        c = client()
        for i, pod in enumerate(made):
            c.delete(kind("Pod"), "default", f"p{i}")
            pod.stop_all()
            c.finish_delete(kind("Pod"), "default", f"p{i}")
        code, out, err = finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert code == 0, err
    assert sorted("".join(seen + [out]).splitlines()) == [f"[pod/p{i}/web] hello {i}" for i in range(3)]


def test_timestamps_and_since_with_cri_format(pods, minikctl_home):
    pod = pods("cri", {"web": printer([])}).run()
    pod.kill("web")
    lines = [b"2024-01-15T10:00:00.000000001Z stdout F old line\n",
             b"2024-01-15T10:00:05.5Z stderr P part one, \n",
             b"2024-01-15T10:00:05.6Z stderr F part two\n"]
    with open(pod.log_path("web"), "wb") as fh:
        fh.writelines(lines)
    assert cli("logs", "cri").stdout == "old line\npart one, part two\n"
    r = cli("logs", "cri", "--timestamps")
    assert r.stdout == ("2024-01-15T10:00:00.000000001Z old line\n"
                        "2024-01-15T10:00:05.600000000Z part one, part two\n")
    assert cli("logs", "cri", "--since-time=2024-01-15T10:00:01Z").stdout == "part one, part two\n"
    assert cli("logs", "cri", "--since=1h").stdout == ""


def test_raw_logs_timestamps_are_the_last_write(pods):
    pod = pods("raw", {"web": printer(["plain"])}).run()
    wait_for_log(pod, "web", "plain")
    stamp, text = cli("logs", "raw", "--timestamps").stdout.rstrip("\n").split(" ", 1)
    assert text == "plain"
    assert stamp.endswith("Z") and len(stamp) == len("2024-01-15T10:00:00.000000000Z")
    assert cli("logs", "raw", "--since=1h").stdout == "plain\n"


def test_unscheduled_pod_has_empty_logs(pods):
    pods("pending", {"web": printer(["x"])}, bind=False)
    r = cli("logs", "pending")
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


# --- with the real daemon ---------------------------------------------------------------------

WEB = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: python
        command: ["python3", "-u", "-c", "import os, time\\nprint('hello', os.environ['GREETING'])\\ntime.sleep(3600)"]
        env: [{name: GREETING, value: world}]
        volumeMounts: [{name: data, mountPath: /srv/minikctl-test-data}]
      volumes: [{name: data, emptyDir: {}}]
"""


@pytest.mark.slow
def test_logs_exec_top_and_rollout_with_the_daemon(daemon):
    assert cli("apply", "-f", "-", stdin=WEB).returncode == 0
    status = cli("rollout", "status", "deploy/web", "--timeout=60s", timeout=90)
    assert status.returncode == 0 and status.stdout.endswith('deployment "web" successfully rolled out\n'), status
    # Running and ready says the process started, not that python has printed yet (a busy machine
    # takes a while), as in Kubernetes: wait for the line, then check what kubectl prints with it.
    wait_until(lambda: cli("logs", "deploy/web").stdout, timeout=30, what="the first log line")
    logs = cli("logs", "deploy/web")
    assert (logs.stdout, logs.stderr.startswith("Found 2 pods, using pod/web-")) == ("hello world\n", True)
    inside = cli("exec", "deploy/web", "--", "sh", "-c", "echo $GREETING > /srv/minikctl-test-data/f && "
                                                         "cat /srv/minikctl-test-data/f")
    assert (inside.returncode, inside.stdout) == (0, "world\n")
    assert not os.path.exists("/srv/minikctl-test-data/f")  # the volume is mounted in the pod's namespace only
    top = cli("top", "pods", "--no-headers")
    assert len(top.stdout.splitlines()) == 2 and top.stdout.startswith("web-")
    assert cli("rollout", "restart", "deploy/web").stdout == "deployment.apps/web restarted\n"
    assert cli("rollout", "status", "deploy/web", "--timeout=60s", timeout=90).returncode == 0
    assert cli("rollout", "history", "deploy/web").stdout.splitlines()[1:4] == \
        ["REVISION  CHANGE-CAUSE", "1         <none>", "2         <none>"]
