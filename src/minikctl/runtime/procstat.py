"""CPU and memory of process trees, measured the way a metrics pipeline would: CPU as
the rate of CPU time over a short interval (millicores), memory as resident set size.

A container is its process, every process in its process group and every descendant
(a child that calls setsid() leaves the group, not the tree). Processes are read from
/proc: one pass over /proc/<pid>/stat for the tree, then each member's CPU time from
/proc/<pid>/schedstat (nanoseconds) when the kernel keeps it, else from utime+stime
(clock ticks). Where /proc is missing, psutil is used if it is installed.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

SAMPLE_SECONDS = 0.25
_TICK_NS = 1e9 / (os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    pgid: int
    start: int  # start time (ticks), with pid the process' identity
    cpu_ticks: int  # utime + stime
    rss_bytes: int


@dataclass(frozen=True)
class Usage:
    cpu_millicores: int
    memory_bytes: int


def _read_proc() -> dict[int, Proc]:
    procs: dict[int, Proc] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue  # gone since listdir
        fields = stat.rsplit(b")", 1)[-1].split()
        if len(fields) < 22:
            continue
        pid = int(name)
        procs[pid] = Proc(pid, int(fields[1]), int(fields[2]), int(fields[19]),
                          int(fields[11]) + int(fields[12]), int(fields[21]) * _PAGE)
    return procs


def _read_psutil() -> dict[int, Proc]:
    import psutil  # type: ignore[import-not-found]

    procs: dict[int, Proc] = {}
    for p in psutil.process_iter(["pid", "ppid", "create_time", "cpu_times", "memory_info"]):
        info = p.info
        try:
            pgid = os.getpgid(info["pid"])
        except OSError:
            continue
        times, mem = info.get("cpu_times"), info.get("memory_info")
        cpu = int(((times.user + times.system) if times else 0.0) * 1e9 / _TICK_NS)
        procs[info["pid"]] = Proc(info["pid"], info.get("ppid") or 0, pgid, int((info.get("create_time") or 0) * 100),
                                  cpu, mem.rss if mem else 0)
    return procs


def scan() -> dict[int, Proc]:
    return _read_proc() if os.path.exists("/proc/self/stat") else _read_psutil()


def members(procs: dict[int, Proc], root: int) -> list[Proc]:
    """The root, its process group and all its descendants."""
    if root not in procs:
        return []
    children: dict[int, list[int]] = {}
    for p in procs.values():
        children.setdefault(p.ppid, []).append(p.pid)
    found = {root} | {p.pid for p in procs.values() if p.pgid == root}
    todo = list(found)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return [procs[pid] for pid in sorted(found)]


def cpu_ns(p: Proc) -> int:
    try:
        with open(f"/proc/{p.pid}/schedstat", "rb") as fh:
            return int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return int(p.cpu_ticks * _TICK_NS)


def sample(roots: dict[str, int], seconds: float = SAMPLE_SECONDS) -> dict[str, Usage]:
    """Usage of each tree (by key) over `seconds`; a tree whose root has exited is left out."""
    first = scan()
    before = {(p.pid, p.start): cpu_ns(p) for root in roots.values() for p in members(first, root)}
    started = time.monotonic()
    time.sleep(seconds)
    second = scan()
    after = {key: [(p, cpu_ns(p)) for p in members(second, root)] for key, root in roots.items()}
    elapsed_ns = (time.monotonic() - started) * 1e9
    out: dict[str, Usage] = {}
    for key, procs in after.items():
        if not procs:
            continue
        used = sum(max(0, ns - before.get((p.pid, p.start), 0)) for p, ns in procs)
        # A metrics quantity in nanocores reads back in millicores rounded up.
        out[key] = Usage(math.ceil(used / elapsed_ns * 1000), sum(p.rss_bytes for p, _ in procs))
    return out
