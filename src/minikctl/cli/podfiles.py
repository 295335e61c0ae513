"""What the CLI reads of a running pod straight from the node's files, as the kubelet
lays them out (logs, exec and top need no daemon to work):

    $MINIKCTL_HOME/pods/<namespace>_<name>_<uid>/
        sandbox.json         the pod's Sandbox (exec)
        <container>/<restartCount>.log   stdout and stderr of that run (the run before is kept)
        <container>/config.json          the ContainerConfig the runtime started it with (exec)
        <container>/state.json           {pid, start_ticks, started_at} of its process

A pid is trusted only while /proc/<pid>/stat still shows the recorded start ticks, so a
pid the kernel has handed to another process is never taken for the container. The
records are read with the runtime's own readers (minikctl/runtime/records.py, procfs.py).
"""
from __future__ import annotations

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


def process(pod: dict, container: str) -> ContainerProcess | None:
    """The container's live process, or None when it is not running (exited, a zombie, or
    the pid now belongs to another process)."""
    from minikctl.runtime import procfs, records

    state = records.load_state(container_dir(pod, container))
    if state is None:
        return None
    proc = state[0]
    if proc.pid <= 0 or not procfs.is_running(proc.pid, proc.start_ticks):
        return None
    return ContainerProcess(proc.pid, proc.start_ticks, proc.started_at)
