"""Shared by the runtime tests: a ProcessRuntime on the test's MINIKCTL_HOME whose every
process is killed at teardown, by process group id (never by name)."""
from __future__ import annotations

import glob
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

from minikctl.runtime.interface import ContainerConfig, ContainerProcess, Exit, Mount, Sandbox
from minikctl.runtime.process import ProcessRuntime

PY = sys.executable


def kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def kill_recorded(home: str) -> None:
    """Every container recorded under home/pods: SIGKILL its process group."""
    from minikctl.runtime import procfs

    for path in glob.glob(os.path.join(home, "pods", "*", "*", "state.json")):
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        if procfs.start_ticks(int(data["pid"])) == int(data["start_ticks"]):
            kill_group(int(data["pid"]))


class Harness:
    """A runtime plus conveniences; remembers every pid so teardown can kill it."""

    def __init__(self, home: str) -> None:
        self.home = home
        self.runtime = ProcessRuntime(home)
        self.pids: list[int] = []
        self.sandboxes: list[Sandbox] = []
        self._n = 0

    def sandbox(self, name: str = "pod", ip: str = "", volumes: list[dict] | None = None) -> Sandbox:
        self._n += 1
        pod = {"metadata": {"name": name, "namespace": "default", "uid": f"uid-{self._n}"},
               "spec": {"volumes": volumes or []}}
        sandbox = self.runtime.create_sandbox(pod, ip)
        self.sandboxes.append(sandbox)
        return sandbox

    def config(self, sandbox: Sandbox, argv: list[str], *, name: str = "c", restart: int = 0,
               env: dict[str, str] | None = None, mounts: list[Mount] | None = None, **kw) -> ContainerConfig:
        return ContainerConfig(
            name=name, argv=argv, env={"PATH": os.environ.get("PATH", os.defpath)} if env is None else env,
            working_dir=kw.pop("working_dir", sandbox.directory),
            log_path=os.path.join(sandbox.directory, name, f"{restart}.log"), mounts=mounts or [],
            pod_ip=kw.pop("pod_ip", sandbox.ip), **kw,
        )

    def start(self, sandbox: Sandbox, config: ContainerConfig) -> ContainerProcess:
        proc = self.runtime.start(sandbox, config)
        self.pids.append(proc.pid)
        return proc

    def run(self, sandbox: Sandbox, config: ContainerConfig, timeout: float = 20) -> Exit:
        """Start and wait for the exit."""
        proc = self.start(sandbox, config)
        return self.wait(proc, timeout)

    def wait(self, proc: ContainerProcess, timeout: float = 20) -> Exit:
        done = threading.Event()
        box: list[Exit] = []
        self.runtime.on_exit(proc, lambda e: (box.append(e), done.set()))
        assert done.wait(timeout), f"process {proc.pid} did not exit within {timeout}s"
        return box[0]

    def close(self) -> None:
        for pid in self.pids:
            kill_group(pid)
        kill_recorded(self.home)
        # remove_sandbox also removes the pods' cgroups (limits tests)
        runtime = ProcessRuntime(self.home)
        try:
            for sandbox in self.sandboxes:
                runtime.remove_sandbox(sandbox)
        finally:
            runtime.close()
            self.runtime.close()


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def read(path: str) -> str:
    with open(path, errors="replace") as f:
        return f.read()


def harness_fixture(minikctl_home) -> Iterator[Harness]:
    home = str(minikctl_home)
    os.makedirs(home, exist_ok=True)
    h = Harness(home)
    try:
        yield h
    finally:
        h.close()
