"""Memory limits without cgroups: a watchdog that kills a container whose processes'
resident memory goes over its limit, so it ends OOMKilled with exit code 137 as under
the kernel's OOM killer.

Where the daemon may not create cgroups (runtime/limits.py's "rlimit" mode), the limit
is kept by this thread: every CHECK_EVERY seconds it reads /proc once (procstat.scan),
sums each watched container's process tree and SIGKILLs the group of one over its
limit. RLIMIT_DATA stays as a backstop (a single allocation far above the limit fails
at once, as MemoryError in Python) because the watchdog only sees memory once touched.
"""
from __future__ import annotations

import logging
import os
import signal
import threading

from minikctl.runtime import procfs, procstat

log = logging.getLogger(__name__)

CHECK_EVERY = 0.1  # seconds


def backstop(limit: int) -> int:
    """RLIMIT_DATA for a container with this memory limit: room above it for the
    watchdog to act, but not unbounded."""
    return max(2 * limit, limit + (256 << 20))


class MemoryWatchdog:
    def __init__(self, interval: float = CHECK_EVERY) -> None:
        self.interval = interval
        self._watched: dict[tuple[int, int], tuple[int, threading.Event]] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, pid: int, ticks: int, limit: int) -> threading.Event:
        """Watch the container whose main process is (pid, ticks); the event is set if
        the watchdog killed it for its memory."""
        killed = threading.Event()
        with self._lock:
            self._watched[(pid, ticks)] = (limit, killed)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="memory-watchdog", daemon=True)
                self._thread.start()
        self._wake.set()
        return killed

    def close(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                watched = dict(self._watched)
            if not watched:
                self._wake.wait()
                self._wake.clear()
                continue
            try:
                self.check(watched)
            except Exception:  # noqa: BLE001 - the watchdog must live on
                log.exception("memory watchdog check failed")
            self._stop.wait(self.interval)

    def check(self, watched: dict[tuple[int, int], tuple[int, threading.Event]]) -> None:
        procs = procstat.scan()
        for (pid, ticks), (limit, killed) in watched.items():
            if not procfs.is_running(pid, ticks):
                with self._lock:
                    self._watched.pop((pid, ticks), None)
                continue
            rss = sum(p.rss_bytes for p in procstat.members(procs, pid))
            if rss <= limit:
                continue
            log.info("container process %d uses %d bytes, over its limit of %d: killed (OOMKilled)", pid, rss, limit)
            killed.set()
            with self._lock:
                self._watched.pop((pid, ticks), None)
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
