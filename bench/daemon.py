"""Benchmarks for the daemon (issue 3, item 9): pod startup, self-heal, idle cost, and the
peers (supervisord, pm2, circus) on the same workload in the same run.

    .venv/bin/python bench/daemon.py [--replicas 100] [--kills 20] [--rounds 3]
                                     [--peers supervisord,pm2,circus] [--no-http]
                                     [--out bench/results/daemon-DATE.md]

Peers need `bash ../shared/peers-bench/setup.sh` once (venv in /tmp/peers-venv, pm2 in
/tmp/peers-npm); without them the recorded figures of RESULTS-2026-11-24.md are quoted,
marked as from another run.

Every minikctl session is a real background daemon (`minikctl daemon start --pod-cidr
127.77.0.0/16`) on a fresh temporary MINIKCTL_HOME, driven through the CLI and watched
through `minikctl.client.connect()` (HTTP to the daemon's API server, as the CLI does):

1. Pod startup as the Kubernetes SLO measures it: for each pod of a N-replica Deployment
   (`sleep 100000`, the peers' workload), from the moment the watch sees it ADDED
   (creationTimestamp has 1 s precision) to the moment the watch sees it Running with
   every container running. p50/p90/p99 over the pods of all rounds; `apply` -> all N
   Running; and `apply` -> all N processes exec'd (children of the daemon whose comm is
   `sleep`, /proc polled every 5 ms: the peers' bring-up measure).
   Variant (`--http-rounds`, default 1): `python3 -m http.server` with an httpGet
   readiness probe (periodSeconds 1): created -> Running and created -> Ready.
2. Self-heal: kill -9 of a container's process (pid from state.json), one pod each,
   after a pause of 0.3 s + uniform(0, 0.5 s) (as the peers harness does); then /proc
   is polled every 1 ms for (a) a new exec'd `sleep` child of the daemon (the peers'
   measure), (b) a new pid in the pod's state.json that is alive; and the watch gives
   (c) the pod status showing restartCount+1 and the container running.
3. Idle: the bench's watch closed, 5 s settle, then the daemon process' utime+stime over
   --idle-s (psutil cpu_times, all threads, not the pods), RSS and PSS at the end.
4. Teardown and cold bring-up: `minikctl down` -> every pod process exited (pidfds);
   then `minikctl daemon start` on the same store -> all N processes running again (the
   peers' "cold bring-up": manager launch with N entries -> all alive); `down` again.

The peers are run by the peers harness itself (../shared/peers-bench/bench.py, imported:
its run_session does cold bring-up, status CLI, self-heal, idle, teardown, warm
bring-up), interleaved with minikctl in each round, with --kills kills each and its
self-heal poll lowered from 5 ms to the same 1 ms as ours.

Cleanup: every pid seen (daemon, pods, peers) is recorded with its start time; at the end
of every session, even on failure, `minikctl down`, then SIGKILL of whatever recorded pid
is still the same process. Never by name.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import random
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "src"))
MINIKCTL = [os.path.join(os.path.dirname(sys.executable), "minikctl")]
PEERS_DIR = os.environ.get("PEERS_BENCH", os.path.join(os.path.dirname(ROOT), "shared", "peers-bench"))
POD_CIDR = "127.77.0.0/16"
NS = "default"
CONTAINER = "c"
WORKLOAD = ["sleep", "100000"]  # the peers' workload (/bin/sleep 100000)
WORKLOAD_COMM = "sleep"
BRINGUP_POLL = 0.005  # as the peers harness
now = time.perf_counter

from minikctl.runtime.procfs import read_stat, start_ticks  # noqa: E402  (the daemon's own /proc reading)

import psutil  # noqa: E402  (installed in the venv)

# --------------------------------------------------------------------------- /proc


def alive(pid: int, ticks: int | None = None) -> bool:
    stat = read_stat(pid)
    return stat is not None and stat[0] not in ("Z", "X", "x") and (ticks is None or stat[1] == ticks)


def comm(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/comm", "rb") as f:
            return f.read().strip().decode(errors="replace")
    except OSError:
        return None


def children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                out.extend(map(int, f.read().split()))
        except OSError:
            pass
    return out


def thread_ticks(pid: int) -> dict[int, int]:
    """utime+stime (clock ticks) of every thread of pid."""
    out: dict[int, int] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2:].split()
        out[int(tid)] = int(fields[11]) + int(fields[12])
    return out


def thread_names(pid: int) -> dict[int, str]:
    """Python thread names by tid, from `py-spy dump` when it is installed (Python does not
    name its OS threads); {} otherwise."""
    exe = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    if not os.path.exists(exe):
        return {}
    try:
        out = subprocess.run([exe, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return {int(m.group(1)): m.group(2) for m in re.finditer(r'^Thread (\d+) \(\w+\): "(.*)"', out, re.M)}


def per_thread(pid: int, before: dict[int, int], after: dict[int, int], names: dict[int, str]) -> dict[str, float]:
    """CPU seconds per thread name (threads of one name added up) between two snapshots."""
    tck = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for tid, t in after.items():
        d = (t - before.get(tid, 0)) / tck
        if d > 0:
            name = names.get(tid, f"tid {tid}")
            out[name] = out.get(name, 0.0) + d
    return out


class Registry:
    """Every process this bench started or saw managed, with its start ticks."""

    def __init__(self) -> None:
        self.pids: dict[int, tuple[int, str]] = {}
        self.lock = threading.Lock()

    def add(self, pid: int, label: str) -> None:
        st = start_ticks(pid)
        if st is not None:
            with self.lock:
                self.pids.setdefault(pid, (st, label))

    def kill_leftovers(self) -> list[tuple[int, str]]:
        with self.lock:
            items = list(self.pids.items())
        left = []
        for pid, (st, label) in items:
            if alive(pid, st):
                left.append((pid, label))
                try:
                    if label == "pod" and os.getpgid(pid) == pid:
                        os.killpg(pid, signal.SIGKILL)
                    else:
                        os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        with self.lock:
            self.pids = {p: v for p, v in self.pids.items() if alive(p, v[0])}
        return left


REG = Registry()


class Sleepers:
    """The exec'd workload processes that are children of a manager (first-seen times)."""

    def __init__(self, mgr: int) -> None:
        self.mgr = mgr
        self.seen: dict[int, float] = {}

    def scan(self) -> set[int]:
        cur = set()
        for c in children(self.mgr):
            if c in self.seen:
                if alive(c):
                    cur.add(c)
            elif comm(c) == WORKLOAD_COMM and alive(c):
                self.seen[c] = now()
                REG.add(c, "pod")
                cur.add(c)
        return cur


# --------------------------------------------------------------------------- minikctl


def deployment(name: str, replicas: int, http: bool) -> str:
    if http:
        container = (
            f"      - name: {CONTAINER}\n        image: python:3.11\n"
            f"        command: [python3, -m, http.server, '8000']\n"
            f"        ports:\n        - containerPort: 8000\n"
            f"        readinessProbe:\n          httpGet: {{path: /, port: 8000}}\n"
            f"          periodSeconds: 1\n")
    else:
        container = (f"      - name: {CONTAINER}\n        image: busybox:1.36\n"
                     f"        command: [{', '.join(repr(w) for w in WORKLOAD)}]\n")
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
            f"  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n"
            f"  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n"
            f"      terminationGracePeriodSeconds: 5\n      containers:\n{container}")


def pod_running(pod: dict) -> bool:
    st = pod.get("status") or {}
    cs = st.get("containerStatuses") or []
    n = len((pod.get("spec") or {}).get("containers") or [])
    return st.get("phase") == "Running" and len(cs) == n and all("running" in (c.get("state") or {}) for c in cs)


def pod_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def restarts(pod: dict) -> int:
    return sum(int(c.get("restartCount") or 0) for c in (pod.get("status") or {}).get("containerStatuses") or [])


class PodWatch(threading.Thread):
    """client.watch on the namespace's pods; the perf_counter time each thing is first seen."""

    def __init__(self, client, since: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(name="bench-watch", daemon=True)
        self.client, self.since = client, since
        self.stopped = threading.Event()
        self.cond = threading.Condition()
        self.added: dict[str, float] = {}
        self.running: dict[str, float] = {}
        self.ready: dict[str, float] = {}
        self.restart_seen: dict[str, list[tuple[float, int]]] = {}  # (t, restartCount) when running again
        self.last: dict[str, dict] = {}
        self.events = 0
        self.error: str | None = None

    def run(self) -> None:
        from minikctl.api import kinds

        try:
            for etype, pod in self.client.watch(kinds.by_kind("Pod"), NS, self.since, stop=self.stopped):
                t = now()
                name = (pod.get("metadata") or {}).get("name", "")
                with self.cond:
                    self.events += 1
                    if etype == "ADDED":
                        self.added.setdefault(name, t)
                    if etype != "DELETED":
                        self.last[name] = pod
                        if pod_running(pod):
                            self.running.setdefault(name, t)
                            rc = restarts(pod)
                            seen = self.restart_seen.setdefault(name, [])
                            if rc and (not seen or seen[-1][1] < rc):
                                seen.append((t, rc))
                        if pod_ready(pod):
                            self.ready.setdefault(name, t)
                    self.cond.notify_all()
        except Exception as exc:  # noqa: BLE001 - reported, the session fails on its wait
            if not self.stopped.is_set():
                self.error = repr(exc)
                with self.cond:
                    self.cond.notify_all()

    def wait_for(self, pred, timeout: float) -> bool:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = deadline - time.monotonic()
                if left <= 0 or self.error:
                    return False
                self.cond.wait(min(left, 0.5))
        return True

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)


class Minikctl:
    """One daemon on a temporary MINIKCTL_HOME."""

    def __init__(self, keep: bool) -> None:
        self.home = tempfile.mkdtemp(prefix="minikctl-daemonbench-")
        self.env = {**os.environ, "MINIKCTL_HOME": self.home, "NO_COLOR": "1"}
        self.keep = keep
        self.daemon_pid: int | None = None

    def cli(self, *args: str, stdin: str | None = None, timeout: float = 120) -> tuple[float, str]:
        t = now()
        p = subprocess.run(MINIKCTL + list(args), env=self.env, input=stdin, capture_output=True, text=True,
                           timeout=timeout)
        dt = now() - t
        if p.returncode != 0:
            raise RuntimeError(f"minikctl {' '.join(args)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
        return dt, p.stdout

    def state(self) -> dict | None:
        try:
            with open(os.path.join(self.home, "daemon.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def start(self) -> float:
        dt, _ = self.cli("daemon", "start", "--pod-cidr", POD_CIDR)
        self.daemon_pid = int(self.state()["pid"])  # type: ignore[index]
        REG.add(self.daemon_pid, "minikctl-daemon")
        return dt

    def client(self):  # type: ignore[no-untyped-def]
        os.environ["MINIKCTL_HOME"] = self.home
        from minikctl.client import connect

        c = connect()
        if c.transport == "in-process":
            raise RuntimeError("connect() gave the in-process client: the daemon is not serving")
        return c

    def state_json(self, pod_name: str) -> tuple[str, dict | None]:
        pods = os.path.join(self.home, "pods")
        for d in os.listdir(pods):
            if d.startswith(f"{NS}_{pod_name}_"):
                path = os.path.join(pods, d, CONTAINER, "state.json")
                try:
                    with open(path) as f:
                        return path, json.load(f)
                except (OSError, ValueError):
                    return path, None
        raise RuntimeError(f"no pod directory for {pod_name}")

    def down(self) -> tuple[float | None, float | None, int]:
        """`minikctl down` -> (every pod process exited, CLI returned, pods it had)."""
        pids = Sleepers(self.daemon_pid).scan() if self.daemon_pid and alive(self.daemon_pid) else set()
        fds = []
        for p in pids:
            try:
                fds.append(os.pidfd_open(p))
            except ProcessLookupError:
                pass
        t0 = now()
        proc = subprocess.Popen(MINIKCTL + ["down"], env=self.env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        t_none = None
        try:
            remaining = set(fds)
            while remaining and now() - t0 < 90:
                r, _, _ = select.select(list(remaining), [], [], 0.5)
                remaining -= set(r)
            if not remaining:
                t_none = now() - t0
        finally:
            for fd in fds:
                os.close(fd)
        try:
            proc.wait(timeout=90)
            t_cli = now() - t0
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            t_cli = None
        return t_none, t_cli, len(pids)

    def cleanup(self) -> list[tuple[int, str]]:
        if self.state() is not None:
            try:
                subprocess.run(MINIKCTL + ["down"], env=self.env, capture_output=True, timeout=90)
            except subprocess.TimeoutExpired:
                pass
        # pods recorded on disk that are still running (state.json pid + ticks)
        pods = os.path.join(self.home, "pods")
        for d in os.listdir(pods) if os.path.isdir(pods) else []:
            for c in os.listdir(os.path.join(pods, d)):
                try:
                    with open(os.path.join(pods, d, c, "state.json")) as f:
                        s = json.load(f)
                    if alive(int(s["pid"]), int(s["start_ticks"])):
                        REG.add(int(s["pid"]), "pod")
                except (OSError, ValueError, KeyError, NotADirectoryError):
                    pass
        left = REG.kill_leftovers()
        if not self.keep:
            shutil.rmtree(self.home, ignore_errors=True)
        return left


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-q * len(s) // 100)) - 1))
    return s[k]


def bringup(mk: Minikctl, client, n: int, http: bool, put) -> PodWatch:  # type: ignore[no-untyped-def]
    from minikctl.api import kinds

    _, rev = client.list(kinds.by_kind("Pod"), NS)
    watch = PodWatch(client, rev)
    watch.start()
    sleepers = Sleepers(mk.daemon_pid)  # type: ignore[arg-type]
    t_procs: list[float | None] = [None]
    stop_poll = threading.Event()

    def poll_procs() -> None:
        while not stop_poll.is_set():
            if len(sleepers.scan()) >= n:
                t_procs[0] = now()
                return
            time.sleep(BRINGUP_POLL)

    poller = threading.Thread(target=poll_procs, daemon=True)
    if not http:
        poller.start()
    time.sleep(0.2)  # the watch connection is open
    ticks0, cpu0 = thread_ticks(mk.daemon_pid), psutil.Process(mk.daemon_pid).cpu_times()  # type: ignore[arg-type]
    t_apply = now()
    t_cli, _ = mk.cli("apply", "-f", "-", stdin=deployment("bench", n, http))
    want = watch.ready if http else watch.running
    ok = watch.wait_for(lambda: len(want) >= n and len(watch.running) >= n, 180)
    ticks1, cpu1, t_end = thread_ticks(mk.daemon_pid), psutil.Process(mk.daemon_pid).cpu_times(), now()  # type: ignore[arg-type]
    stop_poll.set()
    if poller.is_alive():
        poller.join(timeout=5)
    if not ok:
        raise RuntimeError(f"only {len(watch.running)} running / {len(watch.ready)} ready of {n} after 180 s "
                           f"(watch error: {watch.error})")
    with watch.cond:
        names = list(watch.running)
        lat = [watch.running[k] - watch.added[k] for k in names if k in watch.added]
        first_added = min(watch.added.values())
        last_running = max(watch.running.values())
        put("startup_pod", lat, http=http)
        put("apply_cli", t_cli, http=http)
        put("apply_to_all_running", last_running - t_apply, http=http)
        put("added_to_all_running", last_running - first_added, http=http)
        put("apply_to_first_added", first_added - t_apply, http=http)
        if http:
            put("startup_pod_ready", [watch.ready[k] - watch.added[k] for k in names if k in watch.ready], http=http)
            put("apply_to_all_ready", max(watch.ready.values()) - t_apply, http=http)
    if t_procs[0] is not None:
        put("apply_to_all_procs", t_procs[0] - t_apply, http=http)
    put("bringup_daemon_cpu_pct", 100.0 * (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (t_end - t_apply),
        http=http)
    put("bringup_threads", None, http=http,
        threads=per_thread(mk.daemon_pid, ticks0, ticks1, thread_names(mk.daemon_pid)))  # type: ignore[arg-type]
    for pid in list(sleepers.seen):
        REG.add(pid, "pod")
    return watch


def heal(mk: Minikctl, watch: PodWatch, kills: int, rng: random.Random, poll: float, put) -> None:  # type: ignore[no-untyped-def]
    names = sorted(watch.running)
    victims = rng.sample(names, min(kills, len(names)))
    while len(victims) < kills:
        victims += rng.sample(names, min(kills - len(victims), len(names)))
    sleepers = Sleepers(mk.daemon_pid)  # type: ignore[arg-type]
    sleepers.scan()
    for name in victims:
        time.sleep(0.3 + rng.uniform(0.0, 0.5))
        path, st = mk.state_json(name)
        if not st or not alive(int(st["pid"]), int(st["start_ticks"])):
            raise RuntimeError(f"{name}: state.json has no live process: {st}")
        old = int(st["pid"])
        with watch.cond:
            rc0 = restarts(watch.last[name])
        known = sleepers.scan() | {old}
        t0 = now()
        os.kill(old, signal.SIGKILL)
        t_child = t_state = None
        while now() - t0 < 30 and (t_child is None or t_state is None):
            time.sleep(poll)
            if t_child is None:
                for c in children(mk.daemon_pid):  # type: ignore[arg-type]
                    if c not in known and comm(c) == WORKLOAD_COMM and alive(c):
                        t_child = now() - t0
                        REG.add(c, "pod")
                        break
            if t_state is None:
                try:
                    with open(path) as f:
                        s = json.load(f)
                    if int(s["pid"]) != old and alive(int(s["pid"]), int(s["start_ticks"])):
                        t_state = now() - t0
                except (OSError, ValueError, KeyError):
                    pass
        ok = watch.wait_for(lambda: any(rc > rc0 for _, rc in watch.restart_seen.get(name, [])), 30)
        t_status = None
        if ok:
            with watch.cond:
                t_status = min(t for t, rc in watch.restart_seen[name] if rc > rc0) - t0
        put("heal_child", t_child)
        put("heal_state", t_state)
        put("heal_status", t_status)
        sleepers.scan()


def idle(pid: int, secs: float, settle: float, put, prefix: str = "") -> None:  # type: ignore[no-untyped-def]
    time.sleep(settle)
    p = psutil.Process(pid)
    names = thread_names(pid)
    k0, c0, t0 = thread_ticks(pid), p.cpu_times(), now()
    time.sleep(secs)
    k1, c1, t1 = thread_ticks(pid), p.cpu_times(), now()
    put(prefix + "idle_threads", None, secs=t1 - t0, threads=per_thread(pid, k0, k1, names),
        informers=sum(1 for n in names.values() if n.startswith("informer-")))
    cpu = 100.0 * ((c1.user + c1.system) - (c0.user + c0.system)) / (t1 - t0)
    mem = p.memory_full_info()
    put(prefix + "idle_cpu_pct", cpu)
    put(prefix + "rss_mb", mem.rss / 2**20)
    put(prefix + "pss_mb", mem.pss / 2**20)
    put(prefix + "threads", p.num_threads())
    put(prefix + "fds", p.num_fds())


def cold_bringup(mk: Minikctl, n: int, put) -> None:  # type: ignore[no-untyped-def]
    """`minikctl daemon start` on a store with N pods and none running -> all N alive."""
    t0 = now()
    proc = subprocess.Popen(MINIKCTL + ["daemon", "start", "--pod-cidr", POD_CIDR], env=mk.env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    REG.add(proc.pid, "cli")
    daemon = None
    sleepers = None
    t_all = t_cli = None
    while now() - t0 < 120:
        if t_cli is None and proc.poll() is not None:
            t_cli = now() - t0
            if proc.returncode != 0:
                raise RuntimeError(f"daemon start failed: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        if daemon is None:
            kids = children(proc.pid) if t_cli is None else []
            st = mk.state()
            daemon = kids[0] if kids else (int(st["pid"]) if st else None)
            if daemon is not None:
                REG.add(daemon, "minikctl-daemon")
                sleepers = Sleepers(daemon)
        if sleepers is not None and len(sleepers.scan()) >= n:
            t_all = now() - t0
            break
        time.sleep(BRINGUP_POLL)
    if t_cli is None:
        proc.wait(timeout=60)
        t_cli = now() - t0
    mk.daemon_pid = int(mk.state()["pid"])  # type: ignore[index]
    REG.add(mk.daemon_pid, "minikctl-daemon")
    put("cold_bringup", t_all)
    put("cold_start_cli", t_cli)


def minikctl_session(opts, rnd: int, rng: random.Random, rec: list, http: bool) -> None:  # type: ignore[no-untyped-def]
    variant = "http" if http else "sleep"
    base = {"round": rnd, "peer": "minikctl", "variant": variant}

    def put(metric: str, value, **kw) -> None:  # type: ignore[no-untyped-def]
        rec.append({**base, "metric": metric, "value": value, **kw})

    mk = Minikctl(opts.keep)
    watch = None
    try:
        put("daemon_start_cli", mk.start())
        client = mk.client()
        watch = bringup(mk, client, opts.replicas, http, put)
        time.sleep(1.5)
        if http:
            watch.stop()
            watch = None
            idle(mk.daemon_pid, opts.http_idle_s, 5.0, put, prefix="probing_")  # type: ignore[arg-type]
            return
        for _ in range(opts.status_reps):
            dt, out = mk.cli("get", "pods")
            put("status_cli", dt, running=sum(1 for ln in out.splitlines() if " Running " in ln))
        if opts.kills:
            heal(mk, watch, opts.kills, rng, opts.poll_ms / 1000, put)
        watch.stop()
        watch = None
        if opts.idle_s:
            idle(mk.daemon_pid, opts.idle_s, 5.0, put)  # type: ignore[arg-type]
        t_none, t_cli, npods = mk.down()
        put("teardown", t_none, npods=npods)
        put("teardown_cli", t_cli)
        time.sleep(0.5)
        cold_bringup(mk, opts.replicas, put)
        time.sleep(0.5)
        t_none, t_cli, npods = mk.down()
        put("teardown", t_none, npods=npods, phase="after-cold")
    except Exception as exc:  # noqa: BLE001 - recorded; the run goes on
        put("error", None, error=repr(exc), tb=traceback.format_exc())
        print(f"  ! minikctl/{variant}: {exc!r}", flush=True)
    finally:
        if watch is not None:
            watch.stop()
        try:
            with open(os.path.join(mk.home, "daemon.log")) as f:
                errors = [ln.rstrip() for ln in f if ln[:1] in ("E", "W") or "Traceback" in ln]
            if errors:
                put("daemon_log_warnings", len(errors), sample=errors[:5])
        except OSError:
            pass
        left = mk.cleanup()
        put("leftover_pids", len(left), pids=left)
        if left:
            print(f"  ! leftover pids SIGKILLed: {left}", flush=True)


def watch_probe(secs: float) -> dict:
    """What one idle store watch costs, in this process on a fresh store: how often it
    reads the change log and the CPU of each read (the informers' idle loop)."""
    from minikctl.api import kinds
    from minikctl.client.local import LocalClient

    home = tempfile.mkdtemp(prefix="minikctl-daemonbench-probe-")
    try:
        client = LocalClient.open(path=home)
        calls: list[tuple[float, float]] = []
        orig = client.store.changes_since

        def counted(*a, **kw):  # type: ignore[no-untyped-def]
            t = time.thread_time()
            r = orig(*a, **kw)
            calls.append((time.monotonic(), time.thread_time() - t))
            return r
        client.store.changes_since = counted  # type: ignore[method-assign]
        _, rev = client.list(kinds.by_kind("Pod"), None)
        stop = threading.Event()
        cpu: list[float] = []

        def run() -> None:
            t = time.thread_time()
            for _ in client.watch(kinds.by_kind("Pod"), None, rev, stop=stop):
                pass
            cpu.append(time.thread_time() - t)
        th = threading.Thread(target=run, daemon=True)
        t0 = time.monotonic()
        th.start()
        time.sleep(secs)
        stop.set()
        th.join(timeout=5)
        dt = time.monotonic() - t0
        reads = [c for c in calls if c[0] > t0 + 0.5]
        gaps = sorted(round(b[0] - a[0], 3) for a, b in zip(calls, calls[1:]))
        client.close()
        return {"secs": dt, "reads_per_s": len(reads) / (dt - 0.5), "cpu_ms_per_read":
                1000 * statistics.mean(c[1] for c in reads) if reads else None,
                "watch_cpu_pct": 100 * cpu[0] / dt if cpu else None,
                "gaps_s": [round(gaps[0], 3), round(statistics.median(gaps), 3), round(gaps[-1], 3)] if gaps else None}
    finally:
        shutil.rmtree(home, ignore_errors=True)


# --------------------------------------------------------------------------- peers


def load_peers():  # type: ignore[no-untyped-def]
    """The peers harness as a module, or (None, why)."""
    path = os.path.join(PEERS_DIR, "bench.py")
    if not os.path.exists(path):
        return None, f"{path} not found"
    spec = importlib.util.spec_from_file_location("peers_bench", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    missing = []
    if not os.path.exists(os.path.join(mod.VENV, "bin", "supervisord")):
        missing.append(f"{mod.VENV}/bin/supervisord")
    if not os.path.exists(os.path.join(mod.NPM, "node_modules", ".bin", "pm2")):
        missing.append(f"{mod.NPM}/node_modules/.bin/pm2")
    if missing:
        return None, f"not installed: {', '.join(missing)} (run `bash {PEERS_DIR}/setup.sh`)"
    return mod, None


def peer_session(peers, name: str, cfg: str, opts, rnd: int, rng: random.Random, rec: list, run_dir) -> None:  # type: ignore[no-untyped-def]
    sub: list[dict] = []
    o = argparse.Namespace(status_reps=opts.status_reps, big=opts.replicas, kills=opts.kills,
                           idle=bool(opts.idle_s), idle_s=opts.idle_s, keep_work=opts.keep)
    peers.run_session(peers.PEERS[name], cfg, opts.replicas, rnd, rng, o, sub, run_dir)
    for r in sub:
        rec.append({**r, "variant": cfg})


def peer_heal_with_poll(peers, poll: float):  # type: ignore[no-untyped-def]
    orig = peers.heal

    def heal(*a, **kw):  # type: ignore[no-untyped-def]
        old = peers.POLL_S
        peers.POLL_S = poll
        try:
            return orig(*a, **kw)
        finally:
            peers.POLL_S = old
    return heal


# Figures of the peers' own run (RESULTS-2026-11-24.md, config fast, N=100, medians), used
# only when the peers cannot run here.
RECORDED = {
    "supervisord": {"heal": 1.010, "idle_cpu_pct": 0.10, "rss_mb": 26.8, "pss_mb": 22.6, "bringup_cold": 1.396,
                    "bringup_warm": 0.362, "status_cli": 0.136, "teardown": 0.126},
    "circus": {"heal": 0.053, "idle_cpu_pct": 6.33, "rss_mb": 35.0, "pss_mb": 30.7, "bringup_cold": 0.709,
               "bringup_warm": 0.568, "status_cli": 0.219, "teardown": 0.181},
    "pm2": {"heal": 0.011, "idle_cpu_pct": 0.23, "rss_mb": 59.0, "pss_mb": 56.1, "bringup_cold": 0.989,
            "bringup_warm": 0.591, "status_cli": 0.146, "teardown": 1.496},
}


# --------------------------------------------------------------------------- report


def machine() -> dict:
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    model = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    return {"host": platform.node(), "cores": os.cpu_count(), "cpu": model, "memory_gib": round(mem, 1),
            "python": platform.python_version(), "kernel": f"{platform.system()} {platform.release()}"}


def values(rec: list, peer: str, metric: str, variant: str | None = None) -> list[float]:
    out: list[float] = []
    for r in rec:
        if r["peer"] == peer and r["metric"] == metric and (variant is None or r.get("variant") == variant) \
                and r.get("phase") is None:
            v = r["value"]
            if isinstance(v, list):
                out.extend(v)
            elif v is not None:
                out.append(v)
    return out


def nfail(rec: list, peer: str, metric: str, variant: str | None = None) -> int:
    return sum(1 for r in rec if r["peer"] == peer and r["metric"] == metric and r["value"] is None
               and (variant is None or r.get("variant") == variant))


def ms(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 1000:.0f} ms" if v >= 0.0995 else f"{v * 1000:.1f} ms"


def render(rec: list, opts, meta: dict, peers_note: str | None, peer_names: list[str]) -> str:  # type: ignore[no-untyped-def]
    m = meta["machine"]
    L = [f"# Daemon benchmarks, {meta['date']}", "",
         f"Machine: {m['host']}, {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, Python {m['python']}, "
         f"{m['kernel']}. Shared and noisy: medians unless noted; load average before/after: "
         f"{meta['load_before']} / {meta['load_after']} (per round: "
         f"{', '.join(str(x[1][0]) for x in meta.get('load_per_round', []))}).", "",
         f"Run: `{meta['argv']}` — {opts.rounds} round(s), each a fresh daemon (`daemon start --pod-cidr {POD_CIDR}`) "
         f"with a {opts.replicas}-replica Deployment of `{' '.join(WORKLOAD)}` (image busybox:1.36), "
         f"{opts.kills} kills per round; peers interleaved in the same rounds. {meta['elapsed_s']:.0f} s in all.", "",
         f"Code: {meta.get('git')}.", "",
         "Rerun: `.venv/bin/python bench/daemon.py` (peers: `bash ../shared/peers-bench/setup.sh` once; "
         "`--help` for options).", ""]

    # ---- targets
    st = values(rec, "minikctl", "startup_pod", "sleep")
    heal = values(rec, "minikctl", "heal_child")
    heal_state = values(rec, "minikctl", "heal_state")
    heal_status = values(rec, "minikctl", "heal_status")
    cpu = values(rec, "minikctl", "idle_cpu_pct")
    rss = values(rec, "minikctl", "rss_mb")

    def verdict(ok: bool) -> str:
        return "met" if ok else "**MISSED**"

    L += ["## Targets (issue 3, item 9)", "", "| what | figure | target | |", "| --- | --- | --- | --- |"]
    if st:
        L.append(f"| pod startup p99, created -> Running seen by watch ({len(st)} pods) | {ms(pct(st, 99))} "
                 f"| <= 1 s | {verdict(pct(st, 99) <= 1.0)} |")
    if heal:
        L.append(f"| self-heal median, kill -9 -> replacement process exec'd ({len(heal)} kills) "
                 f"| {ms(statistics.median(heal))} | <= 50 ms | {verdict(statistics.median(heal) <= 0.050)} |")
    if cpu:
        L.append(f"| idle daemon CPU, {opts.replicas} pods ({len(cpu)} x {opts.idle_s:.0f} s) "
                 f"| {statistics.median(cpu):.2f} % of a core | <= 0.5 % | {verdict(statistics.median(cpu) <= 0.5)} |")
    if rss:
        L.append(f"| idle daemon RSS, {opts.replicas} pods | {statistics.median(rss):.1f} MB | <= 100 MB "
                 f"| {verdict(statistics.median(rss) <= 100)} |")
    L.append("")

    # ---- startup
    L += ["## 1. Pod startup (Kubernetes SLO: creation -> all containers started, observed via watch)", "",
          "Per pod: the watch's ADDED event -> the first event showing phase Running with every container "
          "running (both times taken by the bench as the events arrive). Percentiles over the pods of all rounds "
          "(nearest rank).", "",
          "| variant | pods | p50 | p90 | p99 | max | apply -> all Running | ADDED(first) -> all Running "
          "| apply -> all processes exec'd | `apply` CLI returned |",
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for variant in ("sleep", "http"):
        s = values(rec, "minikctl", "startup_pod", variant)
        if not s:
            continue

        def med(metric: str) -> str:
            v = values(rec, "minikctl", metric, variant)
            return ms(statistics.median(v)) if v else "n/a"
        label = f"`{' '.join(WORKLOAD)}`" if variant == "sleep" else "`python3 -m http.server` + readiness probe"
        L.append(f"| {label} -> Running | {len(s)} | {ms(pct(s, 50))} | {ms(pct(s, 90))} | {ms(pct(s, 99))} "
                 f"| {ms(max(s))} | {med('apply_to_all_running')} | {med('added_to_all_running')} "
                 f"| {med('apply_to_all_procs')} | {med('apply_cli')} |")
        r = values(rec, "minikctl", "startup_pod_ready", variant)
        if r:
            L.append(f"| same, -> Ready (probe periodSeconds 1) | {len(r)} | {ms(pct(r, 50))} | {ms(pct(r, 90))} "
                     f"| {ms(pct(r, 99))} | {ms(max(r))} | {med('apply_to_all_ready')} (all Ready) | | | |")
    per_round = [(r["round"], r["value"]) for r in rec if r["peer"] == "minikctl" and r["metric"] == "startup_pod"
                 and r.get("variant") == "sleep" and r["value"]]
    if per_round:
        L += ["", "Per round (sleep): " + "; ".join(
            f"round {k}: p50 {ms(pct(v, 50))}, p99 {ms(pct(v, 99))}, all Running "
            f"{ms(next((x['value'] for x in rec if x['round'] == k and x['peer'] == 'minikctl' and x['metric'] == 'apply_to_all_running' and x.get('variant') == 'sleep'), None))}"
            for k, v in per_round) + "."]
    L.append("")

    # ---- heal
    L += ["## 2. Self-heal (kill -9 of the container's process, one pod per kill)", "",
          f"/proc polled every {opts.poll_ms:g} ms by the bench (the peers' harness too, in this run).", "",
          "| kill -9 -> | n | median | p90 | max |", "| --- | --- | --- | --- | --- |"]
    for label, v, metric in (("new `sleep` child of the daemon exec'd (the peers' measure)", heal, "heal_child"),
                             ("new pid in state.json, alive", heal_state, "heal_state"),
                             ("pod status shows the restart (restartCount+1, running; via watch)", heal_status,
                              "heal_status")):
        if v:
            f = nfail(rec, "minikctl", metric)
            L.append(f"| {label} | {len(v)}{f' (+{f} timed out)' if f else ''} | {ms(statistics.median(v))} "
                     f"| {ms(pct(v, 90))} | {ms(max(v))} |")
    L.append("")

    # ---- idle
    L += ["## 3. Idle daemon with the pods running", "",
          f"The daemon process only (utime+stime of all its threads, psutil), over {opts.idle_s:.0f} s after a 5 s "
          "settle, the bench's watch closed; RSS/PSS at the end of the window.", "",
          "| what | rounds | CPU % of one core | RSS MB | PSS MB | threads | fds |",
          "| --- | --- | --- | --- | --- | --- | --- |"]
    for label, prefix in ((f"{opts.replicas} `sleep` pods", ""),
                          (f"{opts.replicas} http.server pods, readiness probe every 1 s ({opts.http_idle_s:.0f} s)",
                           "probing_")):
        c = values(rec, "minikctl", prefix + "idle_cpu_pct")
        if c:
            def med(metric: str, fmt: str = "{:.1f}") -> str:
                v = values(rec, "minikctl", prefix + metric)
                return fmt.format(statistics.median(v)) if v else "n/a"
            L.append(f"| {label} | {len(c)} | {statistics.median(c):.2f} (max {max(c):.2f}) | {med('rss_mb')} "
                     f"| {med('pss_mb')} | {med('threads', '{:.0f}')} | {med('fds', '{:.0f}')} |")
    L.append("")

    # ---- per thread
    def thread_table(metric: str, variant: str | None, per_second: bool) -> list[str]:
        recs = [r for r in rec if r["peer"] == "minikctl" and r["metric"] == metric
                and (variant is None or r.get("variant") == variant) and r.get("threads")]
        if not recs:
            return []
        names: dict[str, float] = {}
        for r in recs:
            for k, v in r["threads"].items():
                names[k] = names.get(k, 0.0) + (v / r["secs"] * 100 if per_second else v) / len(recs)
        total = sum(names.values())
        unit = "% of one core" if per_second else "CPU s"
        out = [f"| thread | {unit} | share |", "| --- | --- | --- |"]
        for k, v in sorted(names.items(), key=lambda kv: -kv[1])[:12]:
            out.append(f"| {k} | {v:.3f} | {100 * v / total:.0f} % |" if per_second else
                       f"| {k} | {v:.2f} | {100 * v / total:.0f} % |")
        out.append(f"| (all, mean of {len(recs)}) | {total:.3f} | |" if per_second else
                   f"| (all, mean of {len(recs)}) | {total:.2f} | |")
        return out + [""]
    idle_t = thread_table("idle_threads", "sleep", True)
    bring_t = thread_table("bringup_threads", "sleep", False)
    if idle_t or bring_t:
        cpu_b = values(rec, "minikctl", "bringup_daemon_cpu_pct", "sleep")
        L += ["## Where the daemon's CPU goes (per thread; names from `py-spy dump`, tids when it is absent)", ""]
        if idle_t:
            n_inf = max((r.get("informers") or 0 for r in rec
                         if r["metric"] == "idle_threads" and r.get("variant") == "sleep"), default=0)
            L += [f"Idle, {opts.replicas} `sleep` pods (the windows of section 3; the daemon has {n_inf} informer "
                  "threads; clock-tick resolution, so the rows add up to a little less than section 3):", ""] + idle_t
        wp = meta.get("watch_probe")
        if wp and wp.get("cpu_ms_per_read") is not None:
            L += [f"One idle store watch (`Api.watch` on a fresh store in the bench's process, {wp['secs']:.0f} s): "
                  f"{wp['reads_per_s']:.2f} reads of the change log per second (gaps between reads min/median/max "
                  f"{wp['gaps_s'][0]}/{wp['gaps_s'][1]}/{wp['gaps_s'][2]} s), {wp['cpu_ms_per_read']:.2f} ms CPU per "
                  f"read; the watching thread used {wp['watch_cpu_pct']:.3f} % of one core.", ""]
        if bring_t:
            L += [f"Bring-up, `apply` -> all {opts.replicas} Running (daemon at "
                  f"{statistics.median(cpu_b):.0f} % of one core, median):" if cpu_b else "Bring-up:", ""] + bring_t

    # ---- peers
    mk = {
        "bringup_cold": values(rec, "minikctl", "cold_bringup"),
        "bringup_warm": values(rec, "minikctl", "apply_to_all_procs", "sleep"),
        "heal": heal, "idle_cpu_pct": cpu, "rss_mb": rss, "pss_mb": values(rec, "minikctl", "pss_mb"),
        "status_cli": values(rec, "minikctl", "status_cli"), "teardown": values(rec, "minikctl", "teardown"),
    }
    rows = [
        ("cold bring-up N (manager launch with N entries -> all alive)", "bringup_cold", "ms",
         "`daemon start` on a store holding the N pods, after `down`"),
        ("warm bring-up N (`start all` -> all alive)", "bringup_warm", "ms", "`apply -f` the Deployment"),
        ("self-heal kill -9 -> replacement exec'd", "heal", "ms", ""),
        ("idle CPU % of the manager process, N procs", "idle_cpu_pct", "%", ""),
        ("manager RSS MB, N procs", "rss_mb", "MB", ""),
        ("manager PSS MB, N procs", "pss_mb", "MB", ""),
        ("status CLI wall, N procs", "status_cli", "ms", "`minikctl get pods` (HTTP)"),
        ("teardown N (`stop all` -> none alive)", "teardown", "ms", "`minikctl down` (also stops the daemon)"),
    ]
    run_peers = [p for p in peer_names if values(rec, p, "heal") or values(rec, p, "bringup_cold")]
    L += [f"## 4. Peers, N={opts.replicas}, `{' '.join(WORKLOAD)}`", ""]
    if peers_note:
        L += [f"**The peers could not run here: {peers_note}. Their figures below are from another run "
              "(../shared/peers-bench/RESULTS-2026-11-24.md, config fast, medians), not this one.**", ""]
    else:
        L += [f"Same run, same machine, interleaved rounds; peers config `{opts.peer_config}` (the peers harness's "
              "tuned knobs: supervisord startsecs=0, circus check_delay=0.1, pm2 PM2_CONCURRENT_ACTIONS=10). "
              "Cells: median (ratio minikctl / peer; < 1 = minikctl better).", ""]
    shown = list(RECORDED) if peers_note else run_peers
    L += ["| metric | minikctl | " + " | ".join(shown) + " | minikctl measured as |",
          "| --- | --- | " + " | ".join("---" for _ in shown) + " | --- |"]

    def fmt(v: float | None, unit: str) -> str:
        if v is None:
            return "n/a"
        return ms(v) if unit == "ms" else f"{v:.2f} %" if unit == "%" else f"{v:.1f}"
    for label, metric, unit, how in rows:
        mv = statistics.median(mk[metric]) if mk[metric] else None
        cells = []
        for p in shown:
            if peers_note:
                pv = RECORDED[p].get(metric)
            else:
                pvs = values(rec, p, metric)
                pv = statistics.median(pvs) if pvs else None
            ratio = f" ({mv / pv:.3g}x)" if mv is not None and pv else ""
            cells.append(fmt(pv, unit) + ratio)
        L.append(f"| {label} | {fmt(mv, unit)} | " + " | ".join(cells) + f" | {how} |")
    L.append("")
    if not peers_note:
        L.append("Peer sample counts: " + "; ".join(
            f"{p}: {len(values(rec, p, 'heal'))} kills, {len(values(rec, p, 'idle_cpu_pct'))} idle windows, "
            f"{len(values(rec, p, 'bringup_cold'))} cold bring-ups" for p in run_peers) + ".")
        L.append("")

    # ---- errors
    errs = [r for r in rec if r["metric"] in ("error", "daemon_log_warnings") or
            (r["metric"] == "leftover_pids" and r["value"])]
    L += ["## Errors, daemon log warnings, leftovers", ""]
    L += [f"- round {r['round']} {r['peer']}/{r.get('variant')}: {r['metric']} "
          f"{r.get('error') or r.get('sample') or r.get('pids') or r['value']}" for r in errs] or ["none"]
    L += ["", "## Versions", "", "```", json.dumps(meta.get("versions", {}), indent=1), "```", ""]
    return "\n".join(L)


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicas", type=int, default=100)
    ap.add_argument("--kills", type=int, default=20, help="kill -9 per round (minikctl and each peer)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--http-rounds", type=int, default=1, help="rounds that also run the http.server variant")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--idle-s", type=float, default=30.0)
    ap.add_argument("--http-idle-s", type=float, default=10.0)
    ap.add_argument("--status-reps", type=int, default=2)
    ap.add_argument("--poll-ms", type=float, default=1.0, help="/proc poll period during self-heal")
    ap.add_argument("--peers", default="supervisord,pm2,circus", help="'' for none")
    ap.add_argument("--peer-config", default="fast", choices=["fast", "default"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--watch-probe-s", type=float, default=10.0,
                    help="seconds of one idle store watch measured in-process (0: skip)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary homes and peers' work dirs")
    ap.add_argument("--out", default=os.path.join(HERE, "results", f"daemon-{datetime.date.today()}.md"))
    opts = ap.parse_args()
    if opts.no_http:
        opts.http_rounds = 0

    def on_term(signum, frame):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    peer_names = [p for p in opts.peers.split(",") if p]
    peers, peers_note = (None, "not requested (--peers '')") if not peer_names else load_peers()
    run_dir = None
    if peers is not None:
        peers.heal = peer_heal_with_poll(peers, opts.poll_ms / 1000)
        run_dir = peers.WORKROOT / ("minikctl-" + time.strftime("%Y%m%dT%H%M%S"))
        run_dir.mkdir(parents=True, exist_ok=True)

    meta: dict = {"date": str(datetime.date.today()), "argv": " ".join(["bench/daemon.py"] + sys.argv[1:]),
                  "machine": machine(), "load_before": tuple(round(x, 2) for x in os.getloadavg())}
    try:
        v = subprocess.run(MINIKCTL + ["version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception as exc:  # noqa: BLE001
        v = repr(exc)
    meta["versions"] = {"minikctl": v}
    try:
        head = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %s"], capture_output=True, text=True,
                              timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src"], capture_output=True,
                               text=True, timeout=30).stdout.split("\n")
        dirty = [ln for ln in dirty if ln.strip()]
        meta["git"] = f"{head}" + (f" + {len(dirty)} uncommitted change(s) under src/" if dirty else " (src/ clean)")
    except (OSError, subprocess.SubprocessError) as exc:
        meta["git"] = repr(exc)
    if peers is not None:
        try:
            meta["versions"].update(peers.versions())
        except Exception as exc:  # noqa: BLE001
            meta["versions"]["peers"] = repr(exc)
    print(json.dumps(meta, indent=1), flush=True)

    if opts.watch_probe_s:
        meta["watch_probe"] = watch_probe(opts.watch_probe_s)
    rng = random.Random(opts.seed)
    rec: list[dict] = []
    t_start = now()
    try:
        for rnd in range(opts.rounds):
            sessions: list = [("minikctl", False)]
            if rnd < opts.http_rounds:
                sessions.append(("minikctl", True))
            if peers is not None:
                sessions += [(p, None) for p in peer_names]
            k = rnd % len(sessions)
            meta.setdefault("load_per_round", []).append((rnd, tuple(round(x, 2) for x in os.getloadavg())))
            for name, http in sessions[k:] + sessions[:k]:
                ts = now()
                if name == "minikctl":
                    minikctl_session(opts, rnd, rng, rec, http)
                    label = f"minikctl/{'http' if http else 'sleep'}"
                else:
                    peer_session(peers, name, opts.peer_config, opts, rnd, rng, rec, run_dir)
                    label = f"{name}/{opts.peer_config}"
                print(f"[{now() - t_start:6.0f}s] round {rnd} {label:22s} done in {now() - ts:5.1f}s", flush=True)
    except KeyboardInterrupt:
        print("interrupted; cleaning up", flush=True)
    finally:
        left = REG.kill_leftovers()
        if peers is not None:
            left += peers.REG.kill_leftovers()
            if not opts.keep:
                shutil.rmtree(run_dir, ignore_errors=True)
        if left:
            print(f"final leftover pids SIGKILLed: {left}", flush=True)
            rec.append({"round": -1, "peer": "all", "metric": "leftover_pids", "value": len(left), "pids": left})
        meta["load_after"] = tuple(round(x, 2) for x in os.getloadavg())
        meta["elapsed_s"] = now() - t_start
        text = render(rec, opts, meta, peers_note, peer_names)
        print(text)
        os.makedirs(os.path.dirname(os.path.abspath(opts.out)), exist_ok=True)
        with open(opts.out, "w") as f:
            f.write(text)
        raw = re.sub(r"\.md$", "", opts.out) + ".json"
        with open(raw, "w") as f:
            json.dump({"meta": meta, "opts": vars(opts), "records": rec}, f, indent=0, default=str)
        print(f"results: {opts.out} (raw: {raw})")


if __name__ == "__main__":
    main()
