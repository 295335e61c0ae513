"""Benchmark: 50 concurrent watchers through a 100-pod rollout (issue 7, item 6: "50
concurrent watchers each see every event of a 100-pod rollout, in order").

    .venv/bin/python bench/watchers.py [--replicas 100] [--watchers 50] [--no-baseline]
                                       [--pod-cidr 127.74.0.0/16] [--out bench/results/watchers-DATE.md]

1. A real background daemon (`minikctl daemon start --pod-cidr 127.74.0.0/16`) on a fresh
   temporary MINIKCTL_HOME; a Deployment of N replicas (busybox:1.36, `sleep 3600`,
   maxSurge 25%, maxUnavailable 25%, terminationGracePeriodSeconds 1), created through
   HttpClient; wait until all N are ready.
2. The store revision R (a list of the namespace's pods -> its resourceVersion).
3. 50 watcher threads, each with its own `HttpClient.from_kubeconfig(...)` (its own TLS
   context and connection), each a raw HTTP watch stream: `GET /api/v1/namespaces/default/
   pods?watch=true&resourceVersion=R&allowWatchBookmarks=true`, read line by line, each
   line time-stamped on arrival (perf_counter) and parsed only after the run; plus one
   extra stream started the same way: the reference. All streams have their response
   headers before the rollout starts. A stream the server ends early would be resumed from
   its last resourceVersion and counted (a "resume"); ERROR events fail the run.
4. The rollout: an env var of the pod template changed with `client.modify` (a PUT). Done
   when the Deployment's status has observedGeneration >= generation and replicas ==
   updatedReplicas == availableReplicas == readyReplicas == N, every old ReplicaSet is at 0
   (spec and status), and the namespace holds exactly N pods. Rollout time is from just
   before the PUT to that moment (status polled every 0.25 s); the daemon's CPU
   (utime+stime of its process, all threads, not the pods) over the same span, and until
   the watchers drained.
5. Drain: until no stream got a line for 2 s (at most 60 s). Then the store's change log
   (`LocalClient.open(path=home).store.changes_since(R, resource="pods",
   namespace="default")`, paged until caught up) is read, and every stream must reach the
   log's last revision (10 s at most) before the streams are closed.
6. Checks, for every watcher: its (type, name, resourceVersion) sequence equals the
   reference's exactly, and the reference's equals the change log's; resourceVersions
   strictly increase, no (name, resourceVersion) twice, and none missing (against the
   log). Delivery latency per (watcher, event): time the watcher read it minus the first
   time any stream read it; p50/p99/max overall and the spread of per-watcher p99s.
7. Baseline (unless --no-baseline): a second rollout on the same daemon with no HTTP
   watcher open, for its time and the daemon's CPU without the 51 streams.

Cleanup, always (try/finally): `minikctl down` with MINIKCTL_HOME set, then SIGKILL of
each recorded process (the daemon's pid from daemon.json, each pod's state.json pid) that
is still the same process (start ticks compared). Nothing is killed by name. Loopback
only (the daemon's API binds 127.0.0.1).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "src"))
MINIKCTL = [os.path.join(os.path.dirname(sys.executable), "minikctl")]
NS = "default"
NAME = "wb"
now = time.perf_counter

from minikctl.runtime.procfs import read_stat, start_ticks  # noqa: E402  (the daemon's own /proc reading)
TCK = os.sysconf("SC_CLK_TCK")

# --------------------------------------------------------------------------- processes


def _stat(pid: int) -> list[bytes] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(b")") + 2:].split()


def alive(pid: int, ticks: int | None = None) -> bool:
    stat = read_stat(pid)
    return stat is not None and stat[0] not in ("Z", "X", "x") and (ticks is None or stat[1] == ticks)


def cpu_s(pid: int) -> float:
    """utime+stime of a process (all its threads), seconds."""
    f = _stat(pid)
    return (int(f[11]) + int(f[12])) / TCK if f else float("nan")


class Registry:
    """Processes this bench started or saw managed, with their start ticks."""

    def __init__(self) -> None:
        self.pids: dict[int, tuple[int, str]] = {}

    def add(self, pid: int, label: str) -> None:
        st = start_ticks(pid)
        if st is not None:
            self.pids.setdefault(pid, (st, label))

    def kill_leftovers(self) -> list[tuple[int, str]]:
        left = []
        for pid, (st, label) in list(self.pids.items()):
            if alive(pid, st):
                left.append((pid, label))
                try:
                    if label == "pod" and os.getpgid(pid) == pid:
                        os.killpg(pid, signal.SIGKILL)
                    else:
                        os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        return left


class Daemon:
    def __init__(self, pod_cidr: str, keep: bool) -> None:
        self.home = tempfile.mkdtemp(prefix="minikctl-watchbench-")
        self.env = {**os.environ, "MINIKCTL_HOME": self.home, "NO_COLOR": "1"}
        self.pod_cidr, self.keep = pod_cidr, keep
        self.pid: int | None = None
        self.reg = Registry()

    def cli(self, *args: str, timeout: float = 120) -> str:
        p = subprocess.run(MINIKCTL + list(args), env=self.env, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            raise RuntimeError(f"minikctl {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
        return p.stdout

    def state(self) -> dict | None:
        try:
            with open(os.path.join(self.home, "daemon.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def start(self) -> None:
        self.cli("daemon", "start", "--pod-cidr", self.pod_cidr)
        st = self.state()
        if not st:
            raise RuntimeError("daemon start returned but there is no daemon.json")
        self.pid = int(st["pid"])
        self.reg.add(self.pid, "daemon")
        if not str(st.get("api_url", "")).startswith("https://127.0.0.1:"):
            raise RuntimeError(f"the API server is not on loopback: {st.get('api_url')}")

    def record_pods(self) -> None:
        pods = os.path.join(self.home, "pods")
        for d in os.listdir(pods) if os.path.isdir(pods) else []:
            try:
                conts = os.listdir(os.path.join(pods, d))
            except OSError:
                continue
            for c in conts:
                try:
                    with open(os.path.join(pods, d, c, "state.json")) as f:
                        s = json.load(f)
                    pid, st = int(s["pid"]), int(s["start_ticks"])
                    if alive(pid, st):
                        self.reg.pids.setdefault(pid, (st, "pod"))
                except (OSError, ValueError, KeyError, TypeError):
                    pass

    def cleanup(self) -> list[tuple[int, str]]:
        self.record_pods()
        try:
            p = subprocess.run(MINIKCTL + ["down"], env=self.env, capture_output=True, text=True, timeout=120,
                               stdin=subprocess.DEVNULL)
            if p.returncode != 0:
                print(f"minikctl down: {p.returncode} {p.stderr.strip()[-500:]}", flush=True)
        except subprocess.TimeoutExpired:
            print("minikctl down timed out", flush=True)
        time.sleep(0.5)
        left = self.reg.kill_leftovers()
        if not self.keep:
            shutil.rmtree(self.home, ignore_errors=True)
        return left


# --------------------------------------------------------------------------- workload


def deployment(replicas: int, version: str) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": NAME}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": NAME}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [{"name": "c", "image": "busybox:1.36", "command": ["sleep", "3600"],
                                    "env": [{"name": "VERSION", "value": version}]}],
                },
            },
        },
    }


def kinds():  # type: ignore[no-untyped-def]
    from minikctl.api import kinds as k

    return k.by_kind("Pod"), k.by_kind("Deployment"), k.by_kind("ReplicaSet")


def wait_ready(client, n: int, timeout: float) -> float:  # type: ignore[no-untyped-def]
    _, dep, _ = kinds()
    t0 = now()
    while now() - t0 < timeout:
        st = client.get(dep, NS, NAME).get("status") or {}
        if st.get("readyReplicas", 0) == n and st.get("availableReplicas", 0) == n:
            return now() - t0
        time.sleep(0.25)
    raise RuntimeError(f"{n} replicas not ready after {timeout:.0f} s: {st}")


def rollout_done(client, n: int) -> tuple[bool, str]:  # type: ignore[no-untyped-def]
    pod, dep, rs = kinds()
    d = client.get(dep, NS, NAME)
    st = d.get("status") or {}
    gen = int(d["metadata"].get("generation") or 0)
    if not (st.get("observedGeneration", 0) >= gen and st.get("replicas") == n and st.get("updatedReplicas") == n
            and st.get("availableReplicas") == n and st.get("readyReplicas") == n):
        return False, f"status {st}"
    rss, _ = client.list(rs, NS, label_selector=f"app={NAME}")
    newest = max(rss, key=lambda r: int((r["metadata"].get("annotations") or {})
                                        .get("deployment.kubernetes.io/revision", 0)))
    for r in rss:
        if r is newest:
            continue
        if (r.get("spec") or {}).get("replicas", 0) or (r.get("status") or {}).get("replicas", 0):
            return False, f"old RS {r['metadata']['name']} not at 0"
    pods, _ = client.list(pod, NS)
    if len(pods) != n:
        return False, f"{len(pods)} pods"
    return True, ""


def rollout(client, n: int, version: str, timeout: float, pid: int) -> dict:  # type: ignore[no-untyped-def]
    _, dep, _ = kinds()

    def change(d: dict) -> None:
        d["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "VERSION", "value": version}]

    cpu0, wall0, t0 = cpu_s(pid), os.times(), now()
    client.modify(dep, NS, NAME, change)
    t_put = now() - t0
    why = ""
    while now() - t0 < timeout:
        ok, why = rollout_done(client, n)
        if ok:
            t = now() - t0
            return {"t0": t0, "cpu0": cpu0, "rollout_s": t, "put_s": t_put, "daemon_cpu_s": cpu_s(pid) - cpu0,
                    "bench_cpu_s": sum(os.times()[:2]) - sum(wall0[:2])}
        time.sleep(0.25)
    raise RuntimeError(f"rollout not done after {timeout:.0f} s: {why}")


# --------------------------------------------------------------------------- watchers


class Stream(threading.Thread):
    """One raw HTTP watch stream (its own HttpClient): arrival time and bytes per line."""

    def __init__(self, kubeconfig: str, index: int, since: int, ready: threading.Barrier) -> None:
        super().__init__(name=f"watcher-{index}", daemon=True)
        from minikctl.client.http import HttpClient, collection_path

        self.client = HttpClient.from_kubeconfig(kubeconfig)
        self.path = collection_path(kinds()[0], NS)
        self.index, self.since, self.ready = index, since, ready
        self.lines: list[tuple[float, bytes]] = []
        self.stopping = False
        self.resumes = 0
        self.error: str | None = None
        self.conn = None
        self.last_rv = since
        self.parsed: list[tuple[float, str, str, int]] = []  # (t, type, name, rv), after the run

    def _open(self, since: int):  # type: ignore[no-untyped-def]
        q = urllib.parse.urlencode({"watch": "true", "resourceVersion": str(since),
                                    "allowWatchBookmarks": "true", "timeoutSeconds": "3600"})
        conn = self.client.new_connection(None)
        conn.request("GET", f"{self.path}?{q}", headers={"Accept": "application/json", "User-Agent": "watchbench",
                                                          "Authorization": f"Bearer {self.client.token}"})
        resp = conn.getresponse()
        if resp.status != 200:
            raise RuntimeError(f"watch answered {resp.status}: {resp.read()[:500]!r}")
        self.conn = conn
        return resp

    def run(self) -> None:
        first = True
        try:
            while not self.stopping:
                resp = self._open(self.last_rv)
                if first:
                    self.ready.wait(timeout=120)
                    first = False
                else:
                    self.resumes += 1
                readline, lines = resp.readline, self.lines
                while True:
                    line = readline()
                    if not line:
                        break
                    lines.append((now(), line))
                    # cheap: the resourceVersion for a resume, without parsing the object
                    k = line.rfind(b'"resourceVersion":"')
                    if k >= 0:
                        e = line.index(b'"', k + 19)
                        self.last_rv = max(self.last_rv, int(line[k + 19:e]))
        except Exception as exc:  # noqa: BLE001
            if not self.stopping:
                self.error = f"{type(exc).__name__}: {exc}"
                if first:
                    try:
                        self.ready.abort()
                    except threading.BrokenBarrierError:
                        pass

    def stop(self) -> None:
        self.stopping = True
        conn = self.conn
        sock = getattr(conn, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def parse(self) -> tuple[int, int]:
        """Events (type, name, rv) from the recorded lines; (bookmarks, errors) counts."""
        bookmarks = errs = 0
        for t, line in self.lines:
            if not line.strip():
                continue
            ev = json.loads(line)
            typ, obj = ev.get("type"), ev.get("object") or {}
            if typ == "BOOKMARK":
                bookmarks += 1
                continue
            if typ == "ERROR":
                errs += 1
                self.error = self.error or f"ERROR event: {obj.get('message')}"
                continue
            md = obj.get("metadata") or {}
            self.parsed.append((t, typ, md.get("name", ""), int(md.get("resourceVersion") or 0)))
        return bookmarks, errs


def change_log(home: str, since: int) -> list[tuple[str, str, int]]:
    from minikctl.client.local import LocalClient

    lc = LocalClient.open(path=home)
    out: list[tuple[str, str, int]] = []
    try:
        rev = since
        while True:
            events, upto = lc.store.changes_since(rev, resource="pods", namespace=NS, limit=1000)
            out.extend((e.type, (e.object.get("metadata") or {}).get("name", ""), e.revision) for e in events)
            if len(events) < 1000 or upto <= rev:
                break
            rev = upto
    finally:
        lc.close()
    return out


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-q * len(s) // 100)) - 1))
    return s[k]


def check(seq: list[tuple[str, str, int]], ref: list[tuple[str, str, int]]) -> list[str]:
    """Problems of one sequence against the reference: order, gaps, duplicates."""
    problems = []
    rvs = [e[2] for e in seq]
    if any(b <= a for a, b in zip(rvs, rvs[1:])):
        problems.append("resourceVersions not strictly increasing")
    if len(set((e[1], e[2]) for e in seq)) != len(seq):
        problems.append("duplicate (name, resourceVersion)")
    if seq != ref:
        have = set(seq)
        missing = [e for e in ref if e not in have]
        extra = [e for e in seq if e not in set(ref)]
        first = next((i for i, (a, b) in enumerate(zip(seq, ref)) if a != b), min(len(seq), len(ref)))
        problems.append(f"differs from the reference: {len(seq)} vs {len(ref)} events, {len(missing)} missing "
                        f"(first {missing[:3]}), {len(extra)} extra (first {extra[:3]}), first divergence at #{first}")
    return problems


# --------------------------------------------------------------------------- report


def machine() -> dict:
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "?")
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) / 2**20
    except (OSError, ValueError, IndexError):
        mem = 0.0
    return {"host": platform.node(), "cores": os.cpu_count(), "cpu": model, "memory_gib": round(mem, 1),
            "python": platform.python_version(), "kernel": f"{platform.system()} {platform.release()}"}


def ms(v: float) -> str:
    return f"{v * 1000:.1f} ms"


def render(r: dict) -> str:
    m = r["machine"]
    verdict = "**PASS**" if r["pass"] else "**FAIL**"
    out = [f"# 50 concurrent watchers through a 100-pod rollout (issue 7, item 6), {r['date']}", "",
           f"Machine: {m['host']}, {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, {m['kernel']}, "
           f"Python {m['python']}. Shared machine: 1-minute load average {r['load_before'][0]} before the run, "
           f"{r['load_after'][0]} after. minikctl at {r['git']}.", "",
           f"Run: `{r['argv']}` (took {r['elapsed_s']:.0f} s). A real background daemon "
           f"(`minikctl daemon start --pod-cidr {r['pod_cidr']}`, temporary MINIKCTL_HOME, API on 127.0.0.1), "
           f"a Deployment of {r['replicas']} `busybox:1.36` `sleep 3600` pods (maxSurge 25%, maxUnavailable 25%, "
           f"terminationGracePeriodSeconds 1); {r['watchers']} watchers + 1 reference stream, each its own "
           "`HttpClient` and TLS connection, raw `?watch=true&resourceVersion=R` streams on the namespace's pods "
           "from the revision R of a list taken once all pods were ready; the rollout is a PUT changing an env "
           "var of the template (see the docstring of `bench/watchers.py` for every step).", "",
           "## Result", "",
           f"{verdict}: " + ("every watcher saw exactly the reference sequence of (type, name, resourceVersion), "
                             "in order, no gaps, no duplicates, resourceVersions strictly increasing, and the "
                             "reference equals the store's change log for the namespace's pods."
                             if r["pass"] else "see the problems below."), "",
           "| what | value |", "| --- | --- |",
           f"| events in the rollout (pods, from revision {r['since']}) | {r['events']} "
           f"({', '.join(f'{k} {v}' for k, v in r['by_type'].items())}) |",
           f"| change log (store) events after R | {r['log_events']} (last revision {r['log_last']}) |",
           f"| watchers equal to the reference | {r['equal']} / {r['watchers']} |",
           f"| reference equal to the change log | {'yes' if r['ref_eq_log'] else 'NO'} |",
           f"| stream resumes (server ended a stream early) | {r['resumes']} |",
           f"| BOOKMARK events (all streams) | {r['bookmarks']} |",
           f"| bytes received per stream (reference) | {r['ref_bytes'] / 1e6:.2f} MB |",
           f"| rollout time (PUT -> Deployment complete, old RS at 0, {r['replicas']} pods) | "
           f"{r['rollout']['rollout_s']:.1f} s |",
           f"| daemon CPU during the rollout (utime+stime, all threads) | {r['rollout']['daemon_cpu_s']:.1f} s "
           f"({r['rollout']['daemon_cpu_s'] / r['rollout']['rollout_s'] * 100:.0f}% of one core) |",
           f"| daemon CPU, PUT -> watchers drained (last event + 2 s quiet) | {r['daemon_cpu_drained_s']:.1f} s "
           f"over {r['drained_s']:.1f} s |",
           f"| bench process CPU during the rollout ({r['watchers'] + 1} TLS readers + status polls) | "
           f"{r['rollout']['bench_cpu_s']:.1f} s |",
           f"| PUT -> last event read by every stream | {r['last_event_s']:.1f} s |",
           ]
    if r.get("baseline"):
        b = r["baseline"]
        out += [f"| baseline: same rollout, no HTTP watcher: time | {b['rollout_s']:.1f} s |",
                f"| baseline: daemon CPU | {b['daemon_cpu_s']:.1f} s "
                f"({b['daemon_cpu_s'] / b['rollout_s'] * 100:.0f}% of one core) |"]
    lat = r["latency"]
    out += ["", "Delivery latency: for each (watcher, event), the time the watcher read the event's line minus "
            f"the first time any of the {r['watchers'] + 1} streams read it (the streams' spread, not the write -> watcher "
            "latency, which needs the server's commit time; all readers are threads of the one bench process, "
            "so the GIL and the machine's cores are in these figures):", "",
            "| | p50 | p90 | p99 | max |", "| --- | --- | --- | --- | --- |",
            f"| all (watcher, event) pairs ({lat['n']}) | {ms(lat['p50'])} | {ms(lat['p90'])} | {ms(lat['p99'])} | "
            f"{ms(lat['max'])} |",
            f"| per-watcher p99, over the {r['watchers']} watchers | {ms(lat['w_p99_p50'])} | | "
            f"{ms(lat['w_p99_p99'])} | {ms(lat['w_p99_max'])} |",
            f"| per-watcher median | {ms(lat['w_p50_p50'])} | | | {ms(lat['w_p50_max'])} |", ""]
    if r["problems"]:
        out += ["## Problems", ""] + [f"- {p}" for p in r["problems"]] + [""]
    out += ["## Rerun", "", "    .venv/bin/python bench/watchers.py                      # as above, about 2 minutes",
            "    .venv/bin/python bench/watchers.py --replicas 20 --watchers 10 --no-baseline   # quick smoke run",
            "", "Cleanup is `minikctl down` on the temporary home, then SIGKILL of each recorded pid (daemon, "
            "pods' state.json) still the same process; nothing by name. Leftovers this run: "
            f"{r['leftovers'] or 'none'}.", ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def run(opts, r: dict) -> None:  # type: ignore[no-untyped-def]
    from minikctl.client.http import HttpClient

    d = Daemon(opts.pod_cidr, opts.keep)
    streams: list[Stream] = []
    try:
        d.start()
        print(f"daemon pid {d.pid}, home {d.home}", flush=True)
        kubeconfig = os.path.join(d.home, "kubeconfig")
        client = HttpClient.from_kubeconfig(kubeconfig)
        pod, dep, _ = kinds()
        client.create(deployment(opts.replicas, "1"))
        t_ready = wait_ready(client, opts.replicas, opts.timeout)
        d.record_pods()
        print(f"{opts.replicas} ready in {t_ready:.1f} s", flush=True)
        r["initial_ready_s"] = t_ready
        time.sleep(1.0)  # let trailing status writes settle (they would be before R anyway)
        _, since = client.list(pod, NS)
        r["since"] = since

        ready = threading.Barrier(opts.watchers + 2)
        streams = [Stream(kubeconfig, i, since, ready) for i in range(opts.watchers + 1)]  # last: reference
        for s in streams:
            s.start()
        ready.wait(timeout=120)
        print(f"{len(streams)} streams open from revision {since}", flush=True)

        ro = rollout(client, opts.replicas, "2", opts.timeout, d.pid)  # type: ignore[arg-type]
        r["rollout"] = {k: v for k, v in ro.items() if k not in ("t0", "cpu0")}
        d.record_pods()
        print(f"rollout done in {ro['rollout_s']:.1f} s, daemon CPU {ro['daemon_cpu_s']:.1f} s", flush=True)

        # drain: no new line on any stream for 2 s
        t_drain = now()
        counts = [len(s.lines) for s in streams]
        quiet_since = now()
        while now() - quiet_since < 2.0 and now() - t_drain < 60:
            time.sleep(0.1)
            c = [len(s.lines) for s in streams]
            if c != counts:
                counts, quiet_since = c, now()
        r["drained_s"] = now() - ro["t0"]
        r["daemon_cpu_drained_s"] = cpu_s(d.pid) - ro["cpu0"]  # type: ignore[arg-type]
        log = change_log(d.home, since)
        last = log[-1][2] if log else since
        t_wait = now()
        while any(s.last_rv < last for s in streams) and now() - t_wait < 10:
            time.sleep(0.05)
        for s in streams:
            s.stop()
        for s in streams:
            s.join(timeout=10)
        r["log"] = log
        r["streams"] = streams
        r["t0"] = ro["t0"]
        r["daemon_pid"] = d.pid

        if not opts.no_baseline:
            print("baseline rollout, no watchers", flush=True)
            time.sleep(2.0)
            b = rollout(client, opts.replicas, "3", opts.timeout, d.pid)  # type: ignore[arg-type]
            r["baseline"] = {k: v for k, v in b.items() if k not in ("t0", "cpu0")}
            d.record_pods()
            print(f"baseline rollout {b['rollout_s']:.1f} s, daemon CPU {b['daemon_cpu_s']:.1f} s", flush=True)
    finally:
        for s in streams:
            s.stop()
        left = d.cleanup()
        r["leftovers"] = left
        if left:
            print(f"leftover pids SIGKILLed: {left}", flush=True)


def analyse(r: dict) -> None:
    streams: list[Stream] = r.pop("streams")
    log: list[tuple[str, str, int]] = r.pop("log")
    problems: list[str] = []
    bookmarks = 0
    for s in streams:
        b, _ = s.parse()
        bookmarks += b
        if s.error:
            problems.append(f"watcher {s.index}: {s.error}")
    r["bookmarks"] = bookmarks
    r["resumes"] = sum(s.resumes for s in streams)
    ref_s = streams[-1]
    watchers = streams[:-1]
    ref = [e[1:] for e in ref_s.parsed]
    r["events"] = len(ref)
    by_type: dict[str, int] = {}
    for e in ref:
        by_type[e[0]] = by_type.get(e[0], 0) + 1
    r["by_type"] = by_type
    r["log_events"] = len(log)
    r["log_last"] = log[-1][2] if log else r["since"]
    r["ref_bytes"] = sum(len(x[1]) for x in ref_s.lines)
    # Events the streams may have read after the log was taken are compared among the
    # streams, but the log comparison is over the log's span.
    ref_in_log = [e for e in ref if e[2] <= r["log_last"]]
    r["ref_eq_log"] = ref_in_log == log
    if not r["ref_eq_log"]:
        problems += [f"reference vs change log: {p}" for p in check(ref_in_log, log)]
    for p in check(ref, ref):
        problems.append(f"reference: {p}")
    equal = 0
    for s in watchers:
        seq = [e[1:] for e in s.parsed]
        ps = check(seq, ref)
        if ps:
            problems += [f"watcher {s.index}: {p}" for p in ps]
        else:
            equal += 1
    r["equal"] = equal
    r["pass"] = not problems and equal == len(watchers) and r["ref_eq_log"] and len(ref) > 0
    r["problems"] = problems
    # latency: time read minus the first time any stream read that event
    first: dict[int, float] = {}
    for s in streams:
        for t, _, _, rv in s.parsed:
            if rv not in first or t < first[rv]:
                first[rv] = t
    r["last_event_s"] = max((t for s in streams for t, *_ in s.parsed), default=r["t0"]) - r["t0"]
    all_d: list[float] = []
    w_p99, w_p50 = [], []
    for s in watchers:
        ds = [t - first[rv] for t, _, _, rv in s.parsed]
        if ds:
            all_d += ds
            w_p99.append(pct(ds, 99))
            w_p50.append(statistics.median(ds))
    if all_d:
        r["latency"] = {"n": len(all_d), "p50": pct(all_d, 50), "p90": pct(all_d, 90), "p99": pct(all_d, 99),
                        "max": max(all_d), "w_p99_p50": pct(w_p99, 50), "w_p99_p99": pct(w_p99, 99),
                        "w_p99_max": max(w_p99), "w_p50_p50": pct(w_p50, 50), "w_p50_max": max(w_p50)}
    else:
        r["latency"] = {k: float("nan") for k in ("n", "p50", "p90", "p99", "max", "w_p99_p50", "w_p99_p99",
                                                   "w_p99_max", "w_p50_p50", "w_p50_max")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicas", type=int, default=100)
    ap.add_argument("--watchers", type=int, default=50)
    ap.add_argument("--pod-cidr", default="127.74.0.0/16")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds for bring-up and for the rollout")
    ap.add_argument("--no-baseline", action="store_true", help="skip the second rollout without watchers")
    ap.add_argument("--keep", action="store_true", help="keep the temporary MINIKCTL_HOME")
    ap.add_argument("--out", default=os.path.join(HERE, "results", f"watchers-{datetime.date.today()}.md"))
    opts = ap.parse_args()

    def on_term(signum, frame):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    try:
        head = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h"], capture_output=True, text=True,
                              timeout=30).stdout.strip()
        dirty = [ln for ln in subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src"],
                                             capture_output=True, text=True, timeout=30).stdout.split("\n")
                 if ln.strip()]
        git = head + (f" + {len(dirty)} uncommitted change(s) under src/" if dirty else " (src/ clean)")
    except (OSError, subprocess.SubprocessError) as exc:
        git = repr(exc)
    r: dict = {"date": str(datetime.date.today()), "argv": " ".join(["bench/watchers.py"] + sys.argv[1:]),
               "machine": machine(), "git": git, "pod_cidr": opts.pod_cidr, "replicas": opts.replicas,
               "watchers": opts.watchers, "load_before": tuple(round(x, 2) for x in os.getloadavg())}
    t_start = now()
    try:
        run(opts, r)
    except BaseException:
        traceback.print_exc()
        print(f"run failed; leftovers: {r.get('leftovers')}", flush=True)
        sys.exit(1)
    r["load_after"] = tuple(round(x, 2) for x in os.getloadavg())
    r["elapsed_s"] = now() - t_start
    analyse(r)
    text = render(r)
    print(text)
    os.makedirs(os.path.dirname(os.path.abspath(opts.out)), exist_ok=True)
    with open(opts.out, "w") as f:
        f.write(text)
    print(f"results: {opts.out}")
    sys.exit(0 if r["pass"] else 2)


if __name__ == "__main__":
    main()
