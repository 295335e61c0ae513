"""What the CLI reads of a running pod straight from the node's files, as the kubelet
lays them out (logs, exec and top need no daemon to work):

    $MINIKCTL_HOME/pods/<namespace>_<name>_<uid>/<container>/
        <restartCount>.log   stdout and stderr of that run (the run before is kept)
        config.json          the ContainerConfig the runtime started it with
        state.json           {pid, start_ticks, started_at} of the running process

A pid is trusted only while /proc/<pid>/stat still shows the recorded start ticks, so a
pid the kernel has handed to another process is never taken for the container.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ContainerProcess:
    pid: int
    start_ticks: int
    started_at: float


def pod_dir(pod: dict) -> str:
    from minikctl import home

    md = pod.get("metadata") or {}
    return os.path.join(home.home(), "pods", f"{md.get('namespace', '')}_{md.get('name', '')}_{md.get('uid', '')}")


def container_dir(pod: dict, container: str) -> str:
    return os.path.join(pod_dir(pod), container)


def log_files(pod: dict, container: str) -> list[tuple[int, str]]:
    """The container's run logs, oldest first: [(run number, path)]."""
    directory = container_dir(pod, container)
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    found = []
    for name in names:
        stem, _, ext = name.partition(".")
        if ext == "log" and stem.isdigit():
            found.append((int(stem), os.path.join(directory, name)))
    return sorted(found)


def _read_json(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def config(pod: dict, container: str) -> dict | None:
    """The container's ContainerConfig (argv, env, working_dir, mounts, pod_ip...)."""
    return _read_json(os.path.join(container_dir(pod, container), "config.json"))


def start_ticks(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat: when the process started, in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[19]) if len(fields) > 19 else None


def process(pod: dict, container: str) -> ContainerProcess | None:
    """The container's live process, or None when it is not running (or the pid was reused)."""
    state = _read_json(os.path.join(container_dir(pod, container), "state.json"))
    if not state:
        return None
    try:
        pid, ticks = int(state["pid"]), int(state["start_ticks"])
    except (KeyError, TypeError, ValueError):
        return None
    if pid <= 0 or start_ticks(pid) != ticks:
        return None
    return ContainerProcess(pid, ticks, float(state.get("started_at") or 0.0))
