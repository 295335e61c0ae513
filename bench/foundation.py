"""Benchmarks for the foundation (issue 2): CLI start, apply, get, with no daemon.

    .venv/bin/python bench/foundation.py [--runs N] [--out bench/results/foundation-DATE.md]

Each figure is the median wall time of N runs of the real CLI as a subprocess, on a
fresh temporary MINIKCTL_HOME, measured with time.perf_counter around subprocess.run.
The targets come from the issue; the machine is noted in the output.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = [os.path.join(os.path.dirname(sys.executable), "minikctl")]


def timed(args: list[str], env: dict, runs: int, stdin: str | None = None) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        p = subprocess.run(CLI + args, env=env, input=stdin, capture_output=True, text=True, timeout=300)
        out.append(time.perf_counter() - t)
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed: {p.stderr}")
    return out


def configmaps(n: int, prefix: str) -> str:
    return "".join(
        f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {prefix}-{i}\n  labels:\n    app: bench\n"
        f"data:\n  key: value-{i}\n" for i in range(n))


def deployments(n: int) -> str:
    return "".join(
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\nspec:\n  replicas: 2\n"
        f"  selector:\n    matchLabels:\n      app: web-{i}\n  template:\n    metadata:\n      labels:\n"
        f"        app: web-{i}\n    spec:\n      containers:\n      - name: web\n        image: python:3.11\n"
        f"        command: [python3, -m, http.server]\n        ports:\n        - containerPort: 8000\n"
        for i in range(n))


def pods(n: int) -> str:
    return "".join(
        f"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  labels:\n    app: bench\nspec:\n"
        f"  containers:\n  - name: c\n    image: busybox:1.36\n    command: [sleep, '3600']\n" for i in range(n))


def fresh_env(tmp: str, name: str) -> dict:
    # An installed minikctl has its bytecode cached; an environment with
    # PYTHONDONTWRITEBYTECODE=1 would recompile every module on every run (~40 ms), so
    # the measured commands get a bytecode cache of their own (warmed by a first run).
    env = {**os.environ, "MINIKCTL_HOME": os.path.join(tmp, name), "NO_COLOR": "1",
           "PYTHONPYCACHEPREFIX": os.path.join(tmp, "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--out", default=os.path.join(HERE, "results", f"foundation-{datetime.date.today()}.md"))
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = fresh_env(tmp, "start")
        timed(["--help"], env, 1)  # warm the bytecode cache
        timed(["version"], env, 1)
        rows.append(("`minikctl version`", timed(["version"], env, a.runs), 0.150))
        rows.append(("`minikctl --help`", timed(["--help"], env, a.runs), 0.150))

        doc500 = deployments(500)
        apply_runs = []
        for i in range(max(3, a.runs // 2)):
            apply_runs += timed(["apply", "-f", "-"], fresh_env(tmp, f"apply{i}"), 1, stdin=doc500)
        rows.append(("`apply -f` 500 Deployments, fresh store", apply_runs, 2.0))
        rows.append(("`apply -f` same 500 again (all unchanged)",
                     timed(["apply", "-f", "-"], fresh_env(tmp, "apply0"), max(3, a.runs // 2), stdin=doc500), None))

        env = fresh_env(tmp, "get")
        for i in range(10):
            timed(["apply", "-f", "-"], env, 1, stdin=configmaps(500, f"cm{i}"))
        rows.append(("`get configmaps` over 5,000 objects", timed(["get", "configmaps"], env, a.runs), 1.0))
        rows.append(("`get configmaps -o name` over 5,000", timed(["get", "configmaps", "-o", "name"], env, a.runs), None))

        env = fresh_env(tmp, "pods")
        timed(["apply", "-f", "-"], env, 1, stdin=pods(100))
        rows.append(("`get pods` with 100 pods, no daemon", timed(["get", "pods"], env, a.runs), None))

    lines = [
        f"# Foundation benchmarks, {datetime.date.today()}",
        "",
        f"Machine: {platform.node()}, {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}. Shared and noisy: medians of {a.runs} runs unless noted; "
        f"load average before: {os.getloadavg()[0]:.2f}. Bytecode cached (a private PYTHONPYCACHEPREFIX), as "
        "for an installed minikctl.",
        "",
        "| what | median | min | max | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, runs, target in rows:
        med = statistics.median(runs)
        verdict = "" if target is None else f"<= {target * 1000:.0f} ms {'(met)' if med <= target else '(MISSED)'}"
        lines.append(f"| {name} | {med * 1000:.0f} ms | {min(runs) * 1000:.0f} ms | {max(runs) * 1000:.0f} ms | {verdict} |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
