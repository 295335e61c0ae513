"""A Node object and its heartbeat (a Lease in kube-node-lease), as the kubelet keeps
them: capacity from the OS (or overridden, to simulate another machine), labels, taints,
conditions, node info, and a lease renewed every quarter of its duration (10 seconds)."""
from __future__ import annotations

import copy
import logging
import os
import platform
import threading
import time

from minikctl import KUBERNETES_VERSION, __version__, errors
from minikctl.api import kinds, meta
from minikctl.daemon import nodeconfig, pressure
from minikctl.daemon.nodeconfig import NodeConfig

log = logging.getLogger(__name__)

LEASE_SECONDS = 40
RENEW_EVERY = 10.0
STATUS_REPORT_EVERY = 300.0  # kubelet's nodeStatusReportFrequency when nothing changed
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


def node_object(config: NodeConfig, pressures: frozenset = frozenset()) -> dict:
    """The Node as the kubelet registers it: capacity from the OS unless overridden
    (simulation), allocatable = capacity - --kube-reserved, user labels and taints."""
    name = config.name
    memory = _memory_bytes()
    capacity = {"cpu": str(os.cpu_count() or 1), "memory": f"{memory // 1024}Ki", "pods": str(MAX_PODS),
                "ephemeral-storage": f"{_disk_bytes() // 1024}Ki"}
    capacity.update(config.capacity)
    labels = {
        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": _arch(),
        "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": _arch(),
    }
    spec: dict = {"podCIDR": config.pod_cidr, "podCIDRs": [config.pod_cidr]}
    if config.taints:
        spec["taints"] = [dict(t) for t in config.taints]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {**config.labels, **labels}},
        "spec": spec,
        "status": {
            "capacity": capacity,
            "allocatable": allocatable(capacity, config.reserved),
            "conditions": conditions(pressures=pressures),
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


def allocatable(capacity: dict[str, str], reserved: dict[str, str]) -> dict[str, str]:
    """What pods may use: capacity minus what is reserved, never below zero."""
    from minikctl.api.quantity import parse_quantity

    out = dict(capacity)
    for name, value in reserved.items():
        if name not in capacity:
            continue
        have, keep = parse_quantity(capacity[name]), parse_quantity(value)
        left = max(have.value - keep.value, 0)
        out[name] = _quantity_text(name, left)
    return out


def _quantity_text(name: str, value) -> str:  # type: ignore[no-untyped-def]
    from minikctl.api.quantity import BINARY_SI, DECIMAL_SI, canonical

    return canonical(value, BINARY_SI if name in ("memory", "ephemeral-storage") or name.startswith("hugepages-")
                     else DECIMAL_SI)


def conditions(ready: bool = True, pressures: frozenset | set = frozenset()) -> list[dict]:
    """The kubelet's four conditions; `pressures` names those whose thresholds are crossed."""
    now = meta.now_rfc3339()

    def cond(ctype: str, status: str, reason: str, message: str) -> dict:
        return {"type": ctype, "status": status, "reason": reason, "message": message,
                "lastHeartbeatTime": now, "lastTransitionTime": now}

    out = []
    for ctype in ("MemoryPressure", "DiskPressure", "PIDPressure"):
        crossed = ctype in pressures
        out.append(cond(ctype, "True" if crossed else "False", *pressure.WORDS[ctype][0 if crossed else 1]))
    out.append(cond("Ready", "True" if ready else "False", "KubeletReady" if ready else "KubeletNotReady",
                    "kubelet is posting ready status" if ready else "kubelet stopped posting node status"))
    return out


def _disk_bytes() -> int:
    try:
        st = os.statvfs(os.environ.get("MINIKCTL_HOME") or "/")
    except OSError:  # the state directory is not there yet
        st = os.statvfs("/")
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
    """Registers the Node (or refreshes it after a restart), renews its Lease, and posts
    its status again whenever the node lifecycle controller marked it not Ready (or the
    last report is older than STATUS_REPORT_EVERY), as the kubelet does."""

    def __init__(self, client, config: NodeConfig, *, lease_seconds: int = LEASE_SECONDS,  # type: ignore[no-untyped-def]
                 cluster_cidr: str | None = None, nodes_in_range: int = 1, home: str | None = None) -> None:
        self.client = client
        self.config = config
        self.home = home or os.environ.get("MINIKCTL_HOME") or "/"  # whose filesystem nodefs measures
        self.pressures: frozenset = frozenset()  # the conditions last reported True
        self.name = config.name
        self.lease_seconds = lease_seconds
        # The kubelet renews its lease every quarter of its duration.
        self.renew_every = min(RENEW_EVERY, lease_seconds / 4)
        self.cluster_cidr = cluster_cidr
        self.nodes_in_range = nodes_in_range  # sizes the slices of the cluster range
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported = 0.0

    @property
    def pod_cidr(self) -> str:
        return self.config.pod_cidr

    def choose_pod_cidr(self) -> str:
        """With a cluster range (several nodes, or a join without --pod-cidr), this node's
        slice of it: the one it had, if still its own, else the first free one."""
        import ipaddress

        if self.cluster_cidr is None:
            self._refuse_overlap(ipaddress.ip_network(self.config.pod_cidr, strict=False))
            return self.config.pod_cidr
        cluster = ipaddress.ip_network(self.cluster_cidr, strict=False)
        mask = nodeconfig.node_mask(cluster, self.nodes_in_range)  # type: ignore[arg-type]
        nodes, _ = self.client.list(kinds.by_kind("Node"))
        mine = next((n for n in nodes if n["metadata"]["name"] == self.name), None)
        others = [(n.get("spec") or {}).get("podCIDR") or "" for n in nodes if n["metadata"]["name"] != self.name]
        # Registering again (the Node was deleted): keep the range the kubelet hands out.
        had = ((mine or {}).get("spec") or {}).get("podCIDR") or (self.config.pod_cidr if self._reported else "")
        if had:
            try:
                net = ipaddress.ip_network(had, strict=False)
                if net.prefixlen == mask and net.subnet_of(cluster) and \
                        not any(net.overlaps(ipaddress.ip_network(o, strict=False)) for o in others if o):
                    return str(net)
            except (ValueError, TypeError):
                pass
        return nodeconfig.free_slice(cluster, others, mask)  # type: ignore[arg-type]

    def _refuse_overlap(self, mine) -> None:  # type: ignore[no-untyped-def]
        """An explicit range must not overlap another node's: two nodes would hand out
        the same pod IPs."""
        import ipaddress

        nodes, _ = self.client.list(kinds.by_kind("Node"))
        for node in nodes:
            other = (node.get("spec") or {}).get("podCIDR") or ""
            if node["metadata"]["name"] == self.name or not other:
                continue
            try:
                overlaps = mine.overlaps(ipaddress.ip_network(other, strict=False))
            except ValueError:
                continue
            if overlaps:
                raise errors.MinikctlError(f'the pod CIDR {mine} overlaps node "{node["metadata"]["name"]}"\'s '
                                           f"{other}: give this node a range of its own with --pod-cidr")

    def measure_pressure(self) -> frozenset:
        """The pressure conditions crossed now (a failed measurement reports none)."""
        try:
            return frozenset(pressure.under_pressure(self.config.eviction_hard, pressure.measure(self.home)))
        except Exception:  # noqa: BLE001 - a node never stops over a measurement
            log.debug("measuring node pressure failed", exc_info=True)
            return frozenset()

    def register(self) -> dict:
        kind = kinds.by_kind("Node")
        self.config.pod_cidr = self.choose_pod_cidr()
        self.pressures = self.measure_pressure()
        wanted = node_object(self.config, self.pressures)
        try:
            node = self.client.create(wanted)
            log.info("registered node %s (pod CIDR %s)", self.name, self.pod_cidr)
        except errors.AlreadyExists:
            def refresh(node: dict) -> None:
                node["metadata"].setdefault("labels", {}).update(wanted["metadata"]["labels"])
                spec = node.setdefault("spec", {})
                spec["podCIDR"], spec["podCIDRs"] = self.pod_cidr, [self.pod_cidr]
                # Taints asked for on the command line are (re)added; others (cordon,
                # the node controller's) stay as they are.
                taints = list(spec.get("taints") or [])
                for t in wanted["spec"].get("taints") or []:
                    if not any(o.get("key") == t["key"] and o.get("effect") == t["effect"] for o in taints):
                        taints.append(dict(t))
                if taints:
                    spec["taints"] = taints
            node, _ = self.client.modify(kind, "", self.name, refresh)
            node = self._post_status(dict(node), wanted["status"])
            log.info("node %s is back (pod CIDR %s)", self.name, self.pod_cidr)
        self._reported = time.monotonic()
        self.renew()
        self.event("Starting", "Starting kubelet.")
        for ctype in sorted(self.pressures):
            self.event(pressure.EVENTS[ctype][0], f"Node {self.name} status is now: {pressure.EVENTS[ctype][0]}")
        self.event("NodeReady", f"Node {self.name} status is now: NodeReady")
        return node

    def event(self, reason: str, message: str) -> None:
        """A Normal event on the Node from the kubelet, as `describe node` lists them
        (best effort: an event never stops a node)."""
        now = meta.now_rfc3339()
        try:
            self.client.create({
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": f"{self.name}.{time.time_ns():x}", "namespace": "default"},
                # The kubelet names its node by name, uid included (kubectl looks for both).
                "involvedObject": {"kind": "Node", "name": self.name, "uid": self.name, "apiVersion": "v1"},
                "reason": reason, "message": message, "type": "Normal", "count": 1,
                "firstTimestamp": now, "lastTimestamp": now,
                "source": {"component": "kubelet", "host": self.name}, "reportingComponent": "kubelet",
                "reportingInstance": self.name,
            })
        except Exception as exc:  # noqa: BLE001
            log.debug("could not record node event %s: %s", reason, exc)

    def _post_status(self, node: dict, status: dict) -> dict:
        status = copy.deepcopy(status)
        # Keep transition times of conditions whose status did not change.
        old = {c["type"]: c for c in (node.get("status") or {}).get("conditions") or []}
        for c in status["conditions"]:
            if old.get(c["type"], {}).get("status") == c["status"]:
                c["lastTransitionTime"] = old[c["type"]].get("lastTransitionTime", c["lastTransitionTime"])
        node["status"] = status
        return self.client.update_status(node)

    def report_status(self) -> None:
        """Post the status again if someone (the node controller) says the node is not
        Ready, if a pressure condition turned, or if the last report is getting old."""
        node = self.client.get(kinds.by_kind("Node"), "", self.name)
        ready = next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), {})
        pressures = self.measure_pressure()
        turned = pressures ^ self.pressures
        if ready.get("status") == "True" and not turned and time.monotonic() - self._reported < STATUS_REPORT_EVERY:
            return
        fresh = node_object(self.config, pressures)["status"]
        self._post_status(node, fresh)
        self._reported = time.monotonic()
        self.pressures = pressures
        for ctype in sorted(turned):
            reason = pressure.EVENTS[ctype][0 if ctype in pressures else 1]
            log.info("node %s: %s", self.name, reason)
            self.event(reason, f"Node {self.name} status is now: {reason}")
        if ready.get("status") != "True":
            log.info("node %s: posted Ready status again", self.name)
            self.event("NodeReady", f"Node {self.name} status is now: NodeReady")

    def renew(self) -> None:
        kind = kinds.by_kind("Lease")
        now = _micro_now()
        try:
            def touch(lease: dict) -> None:
                lease["spec"]["renewTime"] = now
                lease["spec"]["holderIdentity"] = self.name
                lease["spec"]["leaseDurationSeconds"] = self.lease_seconds
            self.client.modify(kind, "kube-node-lease", self.name, touch)
        except errors.NotFound:
            self.client.create({
                "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": self.name, "namespace": "kube-node-lease", "ownerReferences": []},
                "spec": {"holderIdentity": self.name, "leaseDurationSeconds": self.lease_seconds, "renewTime": now},
            })

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"node-heartbeat-{self.name}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.renew_every):
            try:
                self.renew()
                self.report_status()
            except errors.NotFound:
                # Someone deleted the Node: register it again, as the kubelet does.
                try:
                    self.register()
                except Exception:  # noqa: BLE001
                    log.exception("registering node %s again failed", self.name)
            except Exception:  # noqa: BLE001 - a missed heartbeat is retried on the next tick
                log.exception("renewing the node lease failed")

    def stop(self) -> None:
        self._stop.set()


def _micro_now() -> str:
    import datetime as dt

    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
