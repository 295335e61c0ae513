"""A real store, the real ProcessRuntime and a Kubelet, in a temporary MINIKCTL_HOME.

Teardown kills every process group any test started, by the pids the runtime recorded
(never by name), so nothing outlives a test even when it fails half way."""
from __future__ import annotations

import os
import signal
import time

import pytest

from minikctl.api import kinds
from minikctl.client.local import LocalClient
from minikctl.kubelet import Kubelet
from minikctl.runtime import procfs, records
from minikctl.runtime.process import ProcessRuntime

POD = kinds.by_kind("Pod")
NODE = "laptop"


class Cluster:
    def __init__(self, home: str) -> None:
        self.home = home
        self.client = LocalClient.open(path=home)
        self.runtimes: list[ProcessRuntime] = []
        self.kubelets: list[Kubelet] = []

    def kubelet(self, **kw) -> Kubelet:
        runtime = ProcessRuntime(self.home)
        self.runtimes.append(runtime)
        kw.setdefault("backoff_initial", 0.5)
        kw.setdefault("backoff_max", 2.0)
        k = Kubelet(self.client, runtime, node_name=NODE, home=self.home, **kw)
        self.kubelets.append(k)
        k.start()
        return k

    def stop(self, k: Kubelet) -> None:
        k.stop()
        self.kubelets.remove(k)

    def pod(self, name: str, containers: list[dict], **spec) -> None:
        self.client.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                            "spec": {"containers": containers, **spec}})
        self.client.bind("default", name, NODE)

    def get(self, name: str) -> dict:
        return self.client.get(POD, "default", name)

    def status(self, name: str) -> dict:
        return self.get(name).get("status") or {}

    def container(self, name: str, container: str | None = None, init: bool = False) -> dict:
        key = "initContainerStatuses" if init else "containerStatuses"
        for cs in self.status(name).get(key) or []:
            if container is None or cs["name"] == container:
                return cs
        return {}

    def pid(self, name: str, container: str | None = None) -> int:
        cid = self.container(name, container).get("containerID", "")
        return int(cid.split("//")[1].split("-")[0]) if cid else 0

    def pod_dir(self, name: str) -> str:
        uid = self.get(name)["metadata"]["uid"]
        return os.path.join(self.home, "pods", records.pod_dir_name("default", name, uid))

    def log(self, name: str, container: str, restart: int = 0) -> str:
        try:
            with open(os.path.join(self.pod_dir(name), container, f"{restart}.log")) as fh:
                return fh.read()
        except FileNotFoundError:
            return ""

    def close(self) -> None:
        for k in list(self.kubelets):
            k.stop()
        kill_everything(self.home)
        for r in self.runtimes:
            r.close()
        self.client.close()


def kill_everything(home: str) -> None:
    """SIGKILL the process group of every container ever recorded under home."""
    pods = os.path.join(home, "pods")
    if not os.path.isdir(pods):
        return
    for pod in os.scandir(pods):
        if not pod.is_dir():
            continue
        for container in os.scandir(pod.path):
            state = records.load_state(container.path) if container.is_dir() else None
            if state is None:
                continue
            proc = state[0]
            if procfs.is_running(proc.pid, proc.start_ticks):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass


def delete(client, name: str, **kw) -> dict:
    """Delete, retrying on Conflict (Api.delete compares the resourceVersion it read with
    the store's; the kubelet may write the pod's status in between)."""
    from minikctl import errors

    for _ in range(50):
        try:
            return client.delete(POD, "default", name, **kw)
        except errors.Conflict:
            time.sleep(0.01)
    raise AssertionError("delete kept conflicting")


def wait_for(fn, timeout: float = 10.0, interval: float = 0.02, what: str = "condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} not met in {timeout}s (last: {last!r})")


@pytest.fixture
def cluster(minikctl_home):
    minikctl_home.mkdir(parents=True, exist_ok=True)
    c = Cluster(str(minikctl_home))
    try:
        yield c
    finally:
        c.close()
