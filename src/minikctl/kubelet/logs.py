"""Container log files: `<pod dir>/<container>/<restartCount>.log`.

The runtime writes each run's stdout and stderr to the path the kubelet gives it; the
kubelet keeps the current run and the one before it (`logs --previous`) and removes
older ones, as Kubernetes keeps only the last terminated container.
"""
from __future__ import annotations

import os


def log_dir(pod_dir: str, container: str) -> str:
    return os.path.join(pod_dir, container)


def log_path(pod_dir: str, container: str, restart_count: int) -> str:
    return os.path.join(log_dir(pod_dir, container), f"{restart_count}.log")


def prune(pod_dir: str, container: str, restart_count: int) -> None:
    """Keep the logs of runs restart_count and restart_count - 1 only."""
    directory = log_dir(pod_dir, container)
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return
    for name in names:
        stem, dot, ext = name.partition(".")
        if ext == "log" and stem.isdigit() and int(stem) < restart_count - 1:
            try:
                os.unlink(os.path.join(directory, name))
            except FileNotFoundError:
                pass


def prepare(pod_dir: str, container: str, restart_count: int) -> str:
    os.makedirs(log_dir(pod_dir, container), exist_ok=True)
    prune(pod_dir, container, restart_count)
    return log_path(pod_dir, container, restart_count)
