"""Node pressure: the kubelet's eviction signals, measured on this machine and compared
with its hard eviction thresholds (`--eviction-hard`, kubelet's flag, syntax and
defaults), decide the node's MemoryPressure, DiskPressure and PIDPressure conditions.

    memory.available    free memory (psutil's `available`: what can be had without swapping)
    nodefs.available    free bytes of the filesystem holding the state directory
    nodefs.inodesFree   free inodes there
    imagefs.available   free bytes of the image store's filesystem
    imagefs.inodesFree  free inodes there
    pid.available       kernel.pid_max less the processes running

A threshold is `signal<quantity` or `signal<percent%` (of the signal's capacity). The
node lifecycle controller turns a True pressure condition into its
node.kubernetes.io/*-pressure:NoSchedule taint (TaintNodesByCondition), so the
scheduler stops placing pods on the node. minikctl's kubelet reports pressure; it does
not evict running pods to relieve it (the README says so).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

# kubelet's DefaultEvictionHard (pkg/kubelet/apis/config/v1beta1/defaults_linux.go).
DEFAULT_EVICTION_HARD = "memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%"

CONDITION = {
    "memory.available": "MemoryPressure",
    "nodefs.available": "DiskPressure",
    "nodefs.inodesFree": "DiskPressure",
    "imagefs.available": "DiskPressure",
    "imagefs.inodesFree": "DiskPressure",
    "pid.available": "PIDPressure",
}

# The kubelet's words for each condition: (status True, status False).
WORDS = {
    "MemoryPressure": (("KubeletHasInsufficientMemory", "kubelet has insufficient memory available"),
                       ("KubeletHasSufficientMemory", "kubelet has sufficient memory available")),
    "DiskPressure": (("KubeletHasDiskPressure", "kubelet has disk pressure"),
                     ("KubeletHasNoDiskPressure", "kubelet has no disk pressure")),
    "PIDPressure": (("KubeletHasInsufficientPID", "kubelet has insufficient PID available"),
                    ("KubeletHasSufficientPID", "kubelet has sufficient PID available")),
}
# The Node events the kubelet records when a condition turns (recordNodeStatusEvent).
EVENTS = {
    "MemoryPressure": ("NodeHasInsufficientMemory", "NodeHasSufficientMemory"),
    "DiskPressure": ("NodeHasDiskPressure", "NodeHasNoDiskPressure"),
    "PIDPressure": ("NodeHasInsufficientPID", "NodeHasSufficientPID"),
}


@dataclass(frozen=True)
class Threshold:
    signal: str
    quantity: int | None = None  # bytes, inodes or PIDs
    percent: float | None = None  # of the signal's capacity

    def crossed(self, available: int, capacity: int) -> bool:
        limit = self.quantity if self.quantity is not None else capacity * (self.percent or 0) / 100
        return available < limit


def parse(text: str) -> tuple[Threshold, ...]:
    """`--eviction-hard`'s value; ValueError says what is wrong, as the kubelet does."""
    from minikctl.api.quantity import parse_quantity

    out: dict[str, Threshold] = {}
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        signal, op, value = item.partition("<")
        signal, value = signal.strip(), value.strip()
        if not op:
            raise ValueError(f"invalid eviction threshold syntax {item}, expected <signal><operator><value>")
        if signal not in CONDITION:
            raise ValueError(f"unsupported eviction signal {signal}")
        if signal in out:
            raise ValueError(f"found duplicate eviction threshold for signal {signal}")
        if value.endswith("%"):
            try:
                percent = float(value[:-1])
            except ValueError:
                raise ValueError(f"invalid percentage {value} for eviction signal {signal}") from None
            if not 0 <= percent <= 100:
                raise ValueError(f"eviction percentage threshold {signal} must be >= 0% and <= 100%: {value}")
            out[signal] = Threshold(signal, percent=percent)
            continue
        try:
            quantity = parse_quantity(value)
        except ValueError:
            raise ValueError(f"invalid quantity {value} for eviction signal {signal}") from None
        if quantity.value < 0:
            raise ValueError(f"eviction threshold {signal} cannot be negative: {value}")
        out[signal] = Threshold(signal, quantity=int(quantity.value))
    return tuple(out.values())


def measure(home: str) -> dict[str, tuple[int, int]]:
    """signal -> (available, capacity), for every signal this machine can report."""
    import psutil

    out: dict[str, tuple[int, int]] = {}
    mem = psutil.virtual_memory()
    out["memory.available"] = (int(mem.available), int(mem.total))
    for prefix, path in (("nodefs", home), ("imagefs", os.path.join(home, "images"))):
        st = _statvfs(path)
        if st is not None:
            out[f"{prefix}.available"] = (st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize)
            if st.f_files:
                out[f"{prefix}.inodesFree"] = (st.f_favail, st.f_files)
    try:
        with open("/proc/sys/kernel/pid_max") as f:
            pid_max = int(f.read())
        out["pid.available"] = (pid_max - len(psutil.pids()), pid_max)
    except (OSError, ValueError):
        pass
    return out


def _statvfs(path: str):  # type: ignore[no-untyped-def]
    """The filesystem of `path`, or of its nearest existing parent."""
    while True:
        try:
            return os.statvfs(path)
        except OSError:
            parent = os.path.dirname(path)
            if parent == path:
                return None
            path = parent


def under_pressure(thresholds: tuple[Threshold, ...], measured: dict[str, tuple[int, int]]) -> set[str]:
    """The condition types whose thresholds are crossed."""
    return {CONDITION[t.signal] for t in thresholds
            if t.signal in measured and t.crossed(*measured[t.signal])}
