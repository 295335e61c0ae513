"""Benchmarks for the API server (issue 7): the CLI and kubectl through it.

    .venv/bin/python bench/api.py [--runs N] [--pods 100] [--list-pods 1000] [--out FILE]
    .venv/bin/python bench/api.py --kubeconfig PATH [--home DIR]   # an already running server
    .venv/bin/python bench/api.py --url https://127.0.0.1:PORT --token T --ca CA.crt
    .venv/bin/python bench/api.py --daemon [--pods 100]   # a real daemon running N real pods

Self-contained by default: a temporary MINIKCTL_HOME seeded with N pods (bound to a node
no kubelet runs, so nothing starts), an ApiServer over it in this process, and the
daemon record pointing at this process, so a CLI wired to use HTTP when the daemon runs
does so. Figures are medians of N runs of the real commands as subprocesses:

- `minikctl get pods` in-process (no daemon record) and through HTTP (with it; `-v` tells
  which transport the CLI really used, reported in the table);
- `kubectl get pods` against the server (warm discovery cache, as a user has it);
- server-side: a list of `--list-pods` pods over one kept-alive connection, p50 and p99.

`--daemon`: the same figures against a real background daemon (`minikctl daemon start` on
a temporary MINIKCTL_HOME, its own pod range) running a Deployment of `--pods` real pods
(`sleep 100000` processes, all Running): `minikctl get pods` through the daemon, then
`daemon stop` (pods keep running) and `minikctl get pods` in-process on the very same
store, then `kubectl get pods` and a list over HTTP. Cleanup: `daemon start` again
(it adopts the pods) and `minikctl down`, then SIGKILL of any recorded process (the
daemon's pid, each pod's state.json pid) that is still the same process (start ticks) —
nothing is killed by name.
"""
from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import random
import signal
import shutil
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))
MINIKCTL = [os.path.join(os.path.dirname(sys.executable), "minikctl")]
KUBECTL = "/usr/bin/kubectl"


def timed(argv: list[str], env: dict, runs: int) -> tuple[list[float], str]:
    """Wall times of `runs` runs (after one untimed warm-up run), and the last run's stderr."""
    out: list[float] = []
    stderr = ""
    subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)  # warm-up, not timed
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        out.append(time.perf_counter() - t)
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {p.stderr}")
        stderr = p.stderr
    return out, stderr


def interleaved(commands: list[tuple[list[str], dict]], runs: int) -> list[list[float]]:
    """Wall times of each command, run in turn (A B A B ...) so that the machine's load
    at any moment weighs on all of them alike; one untimed warm-up round first."""
    out: list[list[float]] = [[] for _ in commands]
    for i in range(runs + 1):
        for k, (argv, env) in enumerate(commands):
            t = time.perf_counter()
            p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
            dt = time.perf_counter() - t
            if p.returncode != 0:
                raise SystemExit(f"{' '.join(argv)} failed: {p.stderr}")
            if i:
                out[k].append(dt)
    return out


def transport_of(env: dict) -> str:
    p = subprocess.run(MINIKCTL + ["-v", "get", "pods"], env=env, capture_output=True, text=True, timeout=120)
    for line in p.stderr.splitlines():
        if "transport" in line:
            return line.split("using the ", 1)[-1].split(" transport", 1)[0]
    return "unknown"


def seed_pods(client, count: int, prefix: str = "pod") -> None:  # type: ignore[no-untyped-def]
    for i in range(count):
        client.create({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": f"{prefix}-{i}", "labels": {"app": "bench"}},
                       "spec": {"nodeName": "bench-elsewhere",
                                "containers": [{"name": "c", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}})


def server_side_list(client, namespace: str, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    from minikctl.api import kinds

    pod = kinds.by_kind("Pod")
    client.list(pod, namespace)  # warm the connection
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        client.list(pod, namespace)
        out.append(time.perf_counter() - t)
    return out


def raw_list(client, namespace: str, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    """The server's side of a list: one GET of every pod (no limit, so one response),
    timed from the request to the last byte of the body, not decoded."""
    from minikctl.api import kinds
    from minikctl.client.http import collection_path

    path = collection_path(kinds.by_kind("Pod"), namespace)
    client.request("GET", path)  # warm the connection
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        status, _, data = client.request("GET", path)
        out.append(time.perf_counter() - t)
        assert status == 200 and data
    return out


def list_rows(client, namespace: str, count: int, runs: int, target: bool) -> list[str]:  # type: ignore[no-untyped-def]
    raw = raw_list(client, namespace, runs)
    decoded = server_side_list(client, namespace, runs)
    verdict = (f"p99 <= 100 ms {'(met)' if p99(raw) <= 0.1 else '(MISSED)'}" if target else "")
    return [f"| list of {count} pods over HTTP, server side (request to last byte, one response) | "
            f"{statistics.median(raw) * 1000:.1f} ms | p99 {p99(raw) * 1000:.1f} ms | {max(raw) * 1000:.1f} ms | "
            f"{verdict} | {len(raw)} requests, one kept-alive connection |",
            f"| list of {count} pods, client-observed (`HttpClient.list`: pages of 500, JSON decoded) | "
            f"{statistics.median(decoded) * 1000:.1f} ms | p99 {p99(decoded) * 1000:.1f} ms | "
            f"{max(decoded) * 1000:.1f} ms | | {len(decoded)} calls |"]


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def row(name: str, runs: list[float], target: float | None, note: str = "") -> str:
    med = statistics.median(runs)
    verdict = "" if target is None else f"<= {target * 1000:.0f} ms {'(met)' if med <= target else '(MISSED)'}"
    return (f"| {name} | {med * 1000:.0f} ms | {min(runs) * 1000:.0f} ms | {max(runs) * 1000:.0f} ms | "
            f"{verdict} | {note} |")


def self_contained(a: argparse.Namespace) -> list[str]:
    from minikctl.client.http import HttpClient
    from minikctl.client.local import LocalClient
    from minikctl.daemon import process
    from minikctl.server import ApiServer

    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        home = os.path.join(tmp, "home")
        os.makedirs(home)
        local = LocalClient.open(path=home)
        seed_pods(local, a.pods)
        env = {**os.environ, "MINIKCTL_HOME": home, "NO_COLOR": "1"}
        runs, _ = timed(MINIKCTL + ["get", "pods"], env, a.runs)
        rows.append(row(f"`minikctl get pods`, {a.pods} pods, in-process", runs, None, "no daemon record"))
        server = ApiServer(local, home=home)
        server.start()
        try:
            # The daemon record names this process, as the daemon's would: a CLI wired to
            # prefer HTTP when the daemon runs now talks to `server`.
            process.write_state(home, node="bench", api_url=server.url)
            used = transport_of(env)
            runs, _ = timed(MINIKCTL + ["get", "pods"], env, a.runs)
            rows.append(row(f"`minikctl get pods`, {a.pods} pods, daemon running", runs, 0.120,
                            f"transport used: {used}"))
            rows += kubectl_rows(server.kubeconfig, tmp, a)
            seed_pods(local, a.list_pods, prefix="many")
            http = HttpClient(server.url, server.token, server.ca_file)
            rows += list_rows(http, "default", a.list_pods + a.pods, max(a.runs, a.list_runs), True)
            http.close()
        finally:
            process.clear_state(home)
            server.stop()
            local.close()
    return rows


def kubectl_rows(kubeconfig: str, tmp: str, a: argparse.Namespace) -> list[str]:
    if not os.path.exists(KUBECTL):
        return ["| `kubectl get pods` | - | - | - | | kubectl not installed |"]
    cache = os.path.join(tmp, "kubecache")
    env = {**os.environ, "KUBECONFIG": kubeconfig, "KUBECACHEDIR": cache}
    timed([KUBECTL, "get", "pods"], env, 1)  # discovery once, as any user's first command
    runs, _ = timed([KUBECTL, "get", "pods"], env, a.runs)
    return [row("`kubectl get pods` against minikctl", runs, 0.150, "warm discovery cache")]


def kinds_pod():  # type: ignore[no-untyped-def]
    from minikctl.api import kinds

    return kinds.by_kind("Pod")


def existing_server(a: argparse.Namespace) -> list[str]:
    from minikctl.client import kubeconfig as kc
    from minikctl.client.http import HttpClient

    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = a.kubeconfig
        if not path:
            path = os.path.join(tmp, "kubeconfig")
            with open(a.ca, "rb") as f:
                kc.write(path, a.url, f.read(), a.token)
        if a.home:
            env = {**os.environ, "MINIKCTL_HOME": a.home, "NO_COLOR": "1"}
            used = transport_of(env)
            runs, _ = timed(MINIKCTL + ["get", "pods"], env, a.runs)
            rows.append(row("`minikctl get pods`", runs, 0.120, f"transport used: {used}"))
        rows += kubectl_rows(path, tmp, a)
        http = HttpClient.from_kubeconfig(path)
        items, _ = http.list(kinds_pod(), a.namespace)
        rows += list_rows(http, a.namespace, len(items), max(a.runs, a.list_runs), True)
    return rows


def _start_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2:].split()
    return None if fields[0] in (b"Z", b"X") else int(fields[19])


def _recorded(home: str) -> list[tuple[int, int | None, bool]]:
    """(pid, start ticks, is a pod's group leader) of every process the home records."""
    out: list[tuple[int, int | None, bool]] = []
    try:
        with open(os.path.join(home, "daemon.json")) as f:
            st = json.load(f)
        out.append((int(st["pid"]), st.get("start_ticks"), False))
    except (OSError, ValueError, KeyError):
        pass
    for path in glob.glob(os.path.join(home, "pods", "*", "*", "state.json")):
        try:
            with open(path) as f:
                st = json.load(f)
            out.append((int(st["pid"]), st.get("start_ticks"), True))
        except (OSError, ValueError, KeyError):
            pass
    return out


def _kill_recorded(home: str, seen: dict[int, int]) -> int:
    """SIGKILL every recorded process still alive as the same process; how many."""
    killed = 0
    for pid, ticks, pod in _recorded(home):
        now_ticks = _start_ticks(pid)
        expected = ticks if ticks is not None else seen.get(pid)
        if now_ticks is None or expected is None or int(expected) != now_ticks:
            continue
        try:
            if pod and os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
            killed += 1
        except (ProcessLookupError, PermissionError):
            pass
    return killed


def real_daemon(a: argparse.Namespace) -> list[str]:
    from minikctl.api import kinds
    from minikctl.client.http import HttpClient

    rows: list[str] = []
    home = tempfile.mkdtemp(prefix="minikctl-bench-api-")
    env = {**os.environ, "MINIKCTL_HOME": home, "NO_COLOR": "1"}
    seen: dict[int, int] = {}

    def cli(*args: str, stdin: str | None = None, timeout: float = 120) -> str:
        p = subprocess.run(MINIKCTL + list(args), env=env, input=stdin, capture_output=True, text=True,
                           timeout=timeout)
        if p.returncode != 0:
            raise SystemExit(f"minikctl {' '.join(args)} failed: {p.stderr}")
        return p.stdout

    def remember() -> None:
        for pid, _, _ in _recorded(home):
            ticks = _start_ticks(pid)
            if ticks is not None:
                seen.setdefault(pid, ticks)

    manifest = json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench"},
        "spec": {"replicas": a.pods, "selector": {"matchLabels": {"app": "bench"}},
                 "template": {"metadata": {"labels": {"app": "bench"}}, "spec": {
                     "terminationGracePeriodSeconds": 5,
                     "containers": [{"name": "c", "image": "busybox:1.36", "command": ["sleep", "100000"]}]}}}})
    try:
        cli("daemon", "start", "--node-name", "bench", "--pod-cidr", a.pod_cidr)
        remember()
        cli("apply", "-f", "-", stdin=manifest)
        kubeconfig = os.path.join(home, "kubeconfig")
        http = HttpClient.from_kubeconfig(kubeconfig)
        pod = kinds.by_kind("Pod")
        deadline = time.monotonic() + 300
        t0 = time.monotonic()
        while True:
            items, _ = http.list(pod, "default", label_selector="app=bench")
            running = [p for p in items if (p.get("status") or {}).get("phase") == "Running"]
            if len(running) >= a.pods:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(running)} of {a.pods} pods Running after 300 s")
            time.sleep(0.5)
        bringup = time.monotonic() - t0
        remember()
        time.sleep(a.settle)  # let the kubelet's and controllers' status writes settle
        load = os.getloadavg()[0]

        used = transport_of(env)
        kube_env = {**os.environ, "KUBECONFIG": kubeconfig, "KUBECACHEDIR": os.path.join(home, "kubecache")}
        if os.path.exists(KUBECTL):
            subprocess.run([KUBECTL, "get", "pods"], env=kube_env, capture_output=True, timeout=120)  # discovery
            mk, kc, floor = interleaved([(MINIKCTL + ["get", "pods"], env), ([KUBECTL, "get", "pods"], kube_env),
                                         (MINIKCTL + ["--help"], env)], a.runs)
            rows.append(row(f"`minikctl get pods`, {a.pods} Running pods, daemon running", mk, 0.120,
                            f"transport used: {used}; interleaved with the next two"))
            rows.append(row("`kubectl get pods` against minikctl", kc, 0.150,
                            "warm discovery cache; interleaved"))
            rows.append(row("`minikctl --help` (the whole typer app: every verb imported, no request)", floor, None,
                            "interleaved; a plain `get` skips typer (cli/lean.py)"))
            ratio = statistics.median(mk) / statistics.median(kc)
            rows.append(f"| `minikctl get pods` / `kubectl get pods`, medians | {ratio:.2f}x | | | | |")
        else:
            runs, _ = timed(MINIKCTL + ["get", "pods"], env, a.runs)
            rows.append(row(f"`minikctl get pods`, {a.pods} Running pods, daemon running", runs, 0.120,
                            f"transport used: {used}"))
            rows += kubectl_rows(kubeconfig, home, a)
        rows += list_rows(http, "default", a.pods, max(a.runs, a.list_runs), False)
        http.close()

        # The same store, the same Running pods, no daemon: the CLI goes in-process.
        cli("daemon", "stop")
        used = transport_of(env)
        runs, _ = timed(MINIKCTL + ["get", "pods"], env, a.runs)
        rows.append(row(f"`minikctl get pods`, {a.pods} Running pods, daemon stopped (pods still run)", runs,
                        None, f"transport used: {used}"))
        rows.append(f"| ({a.pods} pods Running after `apply`) | {bringup * 1000:.0f} ms | | | | "
                    f"load average before measuring: {load:.2f} |")
        cli("daemon", "start", "--node-name", "bench", "--pod-cidr", a.pod_cidr)
        remember()
    finally:
        try:
            if os.path.exists(os.path.join(home, "daemon.json")):
                subprocess.run(MINIKCTL + ["down"], env=env, capture_output=True, timeout=120)
        except subprocess.TimeoutExpired:
            pass
        left = _kill_recorded(home, seen)
        if left:
            print(f"killed {left} leftover recorded processes", file=sys.stderr)
        shutil.rmtree(home, ignore_errors=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--pods", type=int, default=100)
    ap.add_argument("--list-pods", type=int, default=900, help="extra pods for the server-side list figure")
    ap.add_argument("--list-runs", type=int, default=200, help="requests for each list figure")
    ap.add_argument("--kubeconfig", help="measure an already running server through this kubeconfig")
    ap.add_argument("--url", help="an already running server (with --token and --ca)")
    ap.add_argument("--token")
    ap.add_argument("--ca")
    ap.add_argument("--home", help="with --kubeconfig/--url: the MINIKCTL_HOME whose daemon serves it")
    ap.add_argument("--namespace", default="default")
    ap.add_argument("--daemon", action="store_true",
                    help="measure a real background daemon running --pods real pods (started and torn down here)")
    ap.add_argument("--pod-cidr", default=f"127.{random.randint(100, 250)}.0.0/16",
                    help="with --daemon: the daemon's pod range (default: a random 127.N.0.0/16)")
    ap.add_argument("--settle", type=float, default=3.0, help="with --daemon: seconds to wait once all pods run")
    ap.add_argument("--out", help="also write the table to this file")
    ap.add_argument("--as-is-bytecode", action="store_true",
                    help="run the CLI with this environment's bytecode settings (by default, if "
                         "PYTHONDONTWRITEBYTECODE is set, the commands get a temporary PYTHONPYCACHEPREFIX "
                         "instead, as an installed minikctl has its .pyc files)")
    a = ap.parse_args()
    bytecode = "as the environment has it (PYTHONDONTWRITEBYTECODE unset)"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        if a.as_is_bytecode:
            bytecode = ("not cached: PYTHONDONTWRITEBYTECODE=1 as in this environment, so every run "
                        "compiles minikctl's modules from source")
        else:
            # Set before any subprocess starts: every command (and a --daemon daemon)
            # inherits it; the warm-up run of each series writes the cache.
            os.environ.pop("PYTHONDONTWRITEBYTECODE")
            os.environ["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="minikctl-bench-pyc-")
            bytecode = ("cached in a temporary PYTHONPYCACHEPREFIX (this environment sets "
                        "PYTHONDONTWRITEBYTECODE=1; an installed minikctl has its .pyc files)")
    if a.daemon:
        rows = real_daemon(a)
    else:
        rows = existing_server(a) if (a.kubeconfig or a.url) else self_contained(a)
    lines = [
        f"# API server benchmarks, {datetime.date.today()}",
        "",
        f"Machine: {platform.node()}, {os.cpu_count()} cores, {platform.machine()}, Python "
        f"{platform.python_version()}. Medians of {a.runs} runs of the real commands as subprocesses.",
        "",
        "Mode: " + ("a real background daemon running a Deployment of real pods." if a.daemon else
                    "an already running server." if (a.kubeconfig or a.url) else
                    "self-contained (an ApiServer in the bench's process over a seeded store; no kubelet)."),
        f"Python bytecode of the measured commands: {bytecode}. Load average (1 min) at the end: "
        f"{os.getloadavg()[0]:.2f}.",
        "",
        "| what | median | min | max | target | note |",
        "| --- | --- | --- | --- | --- | --- |",
        *rows,
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
