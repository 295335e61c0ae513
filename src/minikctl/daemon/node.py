"""The Node object for this machine and its heartbeat (a Lease in kube-node-lease),
as the kubelet keeps them: capacity from the OS, conditions, node info, and a lease
renewed every 10 seconds."""
from __future__ import annotations

import logging
import os
import platform
import threading

from minikctl import KUBERNETES_VERSION, __version__, errors
from minikctl.api import kinds, meta

log = logging.getLogger(__name__)

LEASE_SECONDS = 40
RENEW_EVERY = 10.0
MAX_PODS = 110


def _memory_bytes() -> int:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def _os_image() -> str:
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()


def _arch() -> str:
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def node_object(name: str, pod_cidr: str) -> dict:
    memory = _memory_bytes()
    capacity = {"cpu": str(os.cpu_count() or 1), "memory": f"{memory // 1024}Ki", "pods": str(MAX_PODS),
                "ephemeral-storage": f"{_disk_bytes() // 1024}Ki"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": _arch(),
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": _arch(),
        }},
        "spec": {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]},
        "status": {
            "capacity": capacity,
            "allocatable": dict(capacity),
            "conditions": conditions(),
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 0}},
            "nodeInfo": {
                "machineID": _machine_id(), "systemUUID": "", "bootID": _boot_id(),
                "kernelVersion": platform.release(), "osImage": _os_image(),
                "containerRuntimeVersion": f"minikctl-process://{__version__}",
                "kubeletVersion": f"{KUBERNETES_VERSION}-minikctl", "kubeProxyVersion": "",
                "operatingSystem": "linux", "architecture": _arch(),
            },
        },
    }


def conditions(ready: bool = True) -> list[dict]:
    now = meta.now_rfc3339()

    def cond(ctype: str, status: str, reason: str, message: str) -> dict:
        return {"type": ctype, "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": now, "lastTransitionTime": now}

    return [
        cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        cond("Ready", "True" if ready else "False", "KubeletReady" if ready else "KubeletNotReady",
             "kubelet is posting ready status" if ready else "kubelet stopped posting node status"),
    ]


def _disk_bytes() -> int:
    st = os.statvfs(os.environ.get("MINIKCTL_HOME") or "/")
    return st.f_blocks * st.f_frsize


def _machine_id() -> str:
    try:
        with open("/etc/machine-id") as f:
            return f.read().strip()
    except OSError:
        return ""


def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


class NodeAgent:
    """Registers the Node (or refreshes it after a restart) and renews its Lease."""

    def __init__(self, client, name: str, pod_cidr: str) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.name = name
        self.pod_cidr = pod_cidr
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self) -> dict:
        kind = kinds.by_kind("Node")
        wanted = node_object(self.name, self.pod_cidr)
        try:
            node = self.client.create(wanted)
            log.info("registered node %s", self.name)
        except errors.AlreadyExists:
            def refresh(node: dict) -> None:
                node["metadata"].setdefault("labels", {}).update(wanted["metadata"]["labels"])
            node, _ = self.client.modify(kind, "", self.name, refresh)
            node = dict(node)
            status = dict(wanted["status"])
            # Keep transition times of conditions whose status did not change.
            old = {c["type"]: c for c in (node.get("status") or {}).get("conditions") or []}
            for c in status["conditions"]:
                if old.get(c["type"], {}).get("status") == c["status"]:
                    c["lastTransitionTime"] = old[c["type"]].get("lastTransitionTime", c["lastTransitionTime"])
            node["status"] = status
            node = self.client.update_status(node)
            log.info("node %s is back", self.name)
        self.renew()
        return node

    def renew(self) -> None:
        kind = kinds.by_kind("Lease")
        now = _micro_now()
        try:
            def touch(lease: dict) -> None:
                lease["spec"]["renewTime"] = now
                lease["spec"]["holderIdentity"] = self.name
            self.client.modify(kind, "kube-node-lease", self.name, touch)
        except errors.NotFound:
            self.client.create({
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": self.name, "namespace": "kube-node-lease", "ownerReferences": []},
                "spec": {"holderIdentity": self.name, "leaseDurationSeconds": LEASE_SECONDS, "renewTime": now},
            })

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="node-heartbeat", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(RENEW_EVERY):
            try:
                self.renew()
            except Exception:  # noqa: BLE001 - a missed heartbeat is retried on the next tick
                log.exception("renewing the node lease failed")

    def stop(self) -> None:
        self._stop.set()


def _micro_now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
