"""Benchmark (issue 6, item 7): from a node agent's death to its pods running elsewhere.

    .venv/bin/python bench/nodes.py [--rounds 5] [--replicas 10] [--grace 2s] [--toleration 2]
                                    [--out bench/results/nodes-DATE.md]

Each round, on a fresh temporary MINIKCTL_HOME with its own pod range:
1. a real background daemon (`daemon start --node-monitor-grace-period G
   --default-unreachable-toleration-seconds T`, one node, node-1) and a node agent joined
   to it (`daemon start --join --node-name worker --node-lease-duration-seconds G`, so the
   lease is renewed every G/4);
2. node-1 cordoned, a ReplicaSet of R `sleep` pods created: all land on worker and run;
   node-1 uncordoned;
3. the agent is killed (SIGKILL, by its recorded pid): t0. A watch on the store (this
   process, read-only, in-process client) timestamps what follows:
     detection   the worker Node's Ready condition turns Unknown (node lifecycle controller)
     eviction    the last of the R old pods gets its deletionTimestamp (taint eviction)
     recreation  the R-th replacement pod is created (ReplicaSet controller)
     scheduled   ... bound to node-1 (scheduler)
     running     ... Running on node-1 (kubelet): the end-to-end figure
4. cleanup: the daemon and the agent stopped, every recorded process SIGKILLed by pid
   (start ticks checked), never by name.

Expected floor: detection >= G (plus up to the monitor period, G/4), eviction >= T after
the taint. Figures are medians over the rounds; the machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "src"))

from minikctl.runtime.procfs import is_running  # noqa: E402

PHASES = ("detection", "eviction", "recreation", "scheduled", "running")


def cli(home: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "minikctl", *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, "MINIKCTL_HOME": home, "NO_COLOR": "1"}, timeout=120, check=False)


def must(out: subprocess.CompletedProcess) -> str:
    if out.returncode != 0:
        raise SystemExit(f"command failed: {out.args}\n{out.stderr}")
    return out.stdout


def replicaset(replicas: int) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                     "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "100000"]}]}}}})


class Timeline:
    """Watches pods and nodes in the store and notes when each phase completes."""

    def __init__(self, home: str, replicas: int, old: set[str]) -> None:
        from minikctl.client.local import LocalClient

        self.client = LocalClient.open(path=home)
        self.replicas, self.old = replicas, old
        self.marks: dict[str, float] = {}
        self.deleted: set[str] = set()
        self.new: dict[str, dict] = {}
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._watch, args=(kind,), daemon=True) for kind in ("Node", "Pod")]

    def start(self, since: int) -> None:
        self.since = since
        for t in self.threads:
            t.start()

    def _watch(self, kind_name: str) -> None:
        from minikctl.api import kinds

        kind = kinds.by_kind(kind_name)
        for _etype, obj in self.client.watch(kind, None, self.since, stop=self.stop):
            now = time.monotonic()
            if kind_name == "Node":
                self._node(obj, now)
            else:
                self._pod(obj, now)
            if "running" in self.marks and "detection" in self.marks:
                self.stop.set()

    def _node(self, node: dict, now: float) -> None:
        if node["metadata"]["name"] != "worker" or "detection" in self.marks:
            return
        ready = next((c for c in node["status"].get("conditions") or [] if c["type"] == "Ready"), {})
        if ready.get("status") == "Unknown":
            self.marks["detection"] = now

    def _pod(self, pod: dict, now: float) -> None:
        uid = pod["metadata"]["uid"]
        if uid in self.old:
            if pod["metadata"].get("deletionTimestamp"):
                self.deleted.add(uid)
                if len(self.deleted) == self.replicas:
                    self.marks.setdefault("eviction", now)
            return
        if (pod["metadata"].get("labels") or {}).get("app") != "web":
            return
        self.new[uid] = pod
        pods = list(self.new.values())
        if len(pods) >= self.replicas:
            self.marks.setdefault("recreation", now)
        if sum(1 for p in pods if (p["spec"].get("nodeName") == "node-1")) >= self.replicas:
            self.marks.setdefault("scheduled", now)
        if sum(1 for p in pods if p["spec"].get("nodeName") == "node-1"
               and (p.get("status") or {}).get("phase") == "Running") >= self.replicas:
            self.marks.setdefault("running", now)


def one_round(replicas: int, grace: str, toleration: int, timeout: float) -> dict[str, float]:
    home = tempfile.mkdtemp(prefix="minikctl-bench-nodes-")
    cidr = f"127.{random.randint(100, 250)}.0.0/16"
    try:
        must(cli(home, "daemon", "start", "--node-name", "node-1", "--pod-cidr", cidr,
                 "--node-monitor-grace-period", grace, "--default-unreachable-toleration-seconds", str(toleration)))
        lease = max(1, int(float(grace.rstrip("s"))))
        must(cli(home, "daemon", "start", "--join", "--node-name", "worker", "--node-lease-duration-seconds", str(lease)))
        must(cli(home, "cordon", "node-1"))
        must(cli(home, "apply", "-f", "-", stdin=replicaset(replicas)))
        deadline = time.monotonic() + 60
        while True:
            pods = json.loads(must(cli(home, "get", "pods", "-l", "app=web", "-o", "json")))["items"]
            if len([p for p in pods if (p.get("status") or {}).get("phase") == "Running"]) == replicas:
                break
            if time.monotonic() > deadline:
                raise SystemExit("the ReplicaSet's pods did not start on the worker")
            time.sleep(0.2)
        assert {p["spec"]["nodeName"] for p in pods} == {"worker"}
        must(cli(home, "uncordon", "node-1"))
        with open(os.path.join(home, "agents", "worker.json")) as f:
            agent = json.load(f)
        timeline = Timeline(home, replicas, {p["metadata"]["uid"] for p in pods})
        timeline.start(timeline.client.store.current_revision())
        time.sleep(0.3)  # let the watches open
        t0 = time.monotonic()
        os.kill(agent["pid"], signal.SIGKILL)
        if not timeline.stop.wait(timeout):
            raise SystemExit(f"not every phase completed within {timeout}s: {timeline.marks}")
        return {phase: timeline.marks[phase] - t0 for phase in PHASES}
    finally:
        cleanup(home)


def cleanup(home: str) -> None:
    cli(home, "daemon", "stop", "--all")
    pids = []
    for path in glob.glob(os.path.join(home, "agents", "*.json")) + glob.glob(os.path.join(home, "pods", "*", "*", "state.json")):
        try:
            with open(path) as f:
                data = json.load(f)
            pids.append((int(data["pid"]), int(data["start_ticks"])))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    for pid, ticks in pids:
        if is_running(pid, ticks):
            for kill in (os.killpg, os.kill):
                try:
                    kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
    subprocess.run(["rm", "-rf", home], check=False)


def machine() -> str:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}, Python {platform.python_version()}"


def report(results: list[dict[str, float]], opts: argparse.Namespace) -> str:
    git = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"# Node death to pods running elsewhere — {datetime.date.today().isoformat()}",
        "",
        f"`{' '.join(['bench/nodes.py'] + sys.argv[1:])}` at {git}; machine: {machine()}; shared with other",
        "helpers' builds and tests while it ran (noisy: read the medians).",
        "",
        f"Setup per round: a fresh daemon (node-1) with `--node-monitor-grace-period {opts.grace}",
        f"--default-unreachable-toleration-seconds {opts.toleration}`, a joined node agent `worker` with its lease",
        f"renewed every {max(1, int(float(opts.grace.rstrip('s')))) / 4:g} s, a ReplicaSet of {opts.replicas} pods all on",
        "worker; then the agent is SIGKILLed (t = 0). Seconds from t = 0 until:",
        "",
        "| phase | what | median | min | max |",
        "|---|---|---|---|---|",
    ]
    what = {"detection": "worker Ready=Unknown (node lifecycle controller)",
            "eviction": f"all {opts.replicas} old pods marked for deletion (taint eviction)",
            "recreation": f"{opts.replicas} replacement pods created (ReplicaSet controller)",
            "scheduled": "... all bound to node-1 (scheduler)",
            "running": "... all Running on node-1 (kubelet): end to end"}
    for phase in PHASES:
        values = [r[phase] for r in results]
        lines.append(f"| {phase} | {what[phase]} | {statistics.median(values):.2f} | {min(values):.2f} | "
                     f"{max(values):.2f} |")
    steps = {p: statistics.median([r[p] - (r[PHASES[i - 1]] if i else 0.0) for r in results])
             for i, p in enumerate(PHASES)}
    lines += ["", "Breakdown (median of each step's own duration):", ""]
    lines += [f"- {p}: {steps[p]:.2f} s" for p in PHASES]
    lines += ["", f"Rounds: {len(results)}. Raw (s): " +
              "; ".join(", ".join(f"{r[p]:.2f}" for p in PHASES) for r in results), ""]
    lines += ["Reading: the grace period runs from the last heartbeat the controller saw (up to one renewal",
              "interval before the kill), and the check runs every monitor period (a quarter of the grace period):",
              "detection lands within about G +/- G/4 of the kill. Eviction adds the toleration seconds, counted",
              "from when the taint eviction controller saw the unreachable:NoExecute taint, then the deletes;",
              "what follows (create, bind, start) is minikctl's own reaction time.", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--replicas", type=int, default=10)
    ap.add_argument("--grace", default="2s")
    ap.add_argument("--toleration", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "results", f"nodes-{datetime.date.today().isoformat()}.md"))
    opts = ap.parse_args()
    results = []
    for i in range(opts.rounds):
        r = one_round(opts.replicas, opts.grace, opts.toleration, opts.timeout)
        print(f"round {i + 1}: " + ", ".join(f"{p} {r[p]:.2f}s" for p in PHASES), flush=True)
        results.append(r)
    text = report(results, opts)
    with open(opts.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
