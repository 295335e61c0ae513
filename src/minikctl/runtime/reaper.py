"""Exit detection: ONE thread waits on a pidfd per container (epoll), so an exit is seen
the instant it happens — no polling tick, no SIGCHLD handler (which would race with every
other library that waits for its own children).

Our own children are reaped with waitid(P_PIDFD) and report their real exit status
(128+N when killed by signal N). A process adopted after a daemon restart is not our
child: its parent (init) collects its status, so we cannot know it. We say so:
exit code 255, reason ContainerStatusUnknown, unless we had just sent it SIGKILL, which
nothing survives (then 137/Error, as if we had seen it).
"""
from __future__ import annotations

import logging
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from minikctl.runtime import procfs
from minikctl.runtime.interface import Exit

log = logging.getLogger(__name__)

UNKNOWN_EXIT_CODE = 255
UNKNOWN_EXIT_MESSAGE = (
    "the container's exit code is unknown: it exited while it was adopted by a restarted "
    "minikctl daemon (only the process that started it can collect its exit status)"
)

Key = tuple[int, int]  # (pid, start_ticks)


@dataclass
class _Watch:
    pid: int
    ticks: int
    pidfd: int
    child: bool  # ours to wait for (real exit code) or adopted (exit code unknown)
    callbacks: list[Callable[[Exit], None]] = field(default_factory=list)
    on_reaped: list[Callable[[Exit], None]] = field(default_factory=list)  # runtime bookkeeping, runs first
    killed: bool = False  # SIGKILL was sent: an adopted process's code is then 137
    oom_check: Callable[[], bool] | None = None


def exit_from_status(status: int, *, oom: bool = False) -> Exit:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:  # killed by signal -code
        code = 128 - code
    if oom and code == 128 + signal.SIGKILL:
        reason = "OOMKilled"
    else:
        reason = "Completed" if code == 0 else "Error"
    return Exit(exit_code=code, reason=reason, finished_at=time.time())


class Reaper:
    """Watches container processes and calls back when they exit."""

    def __init__(self, *, kill_group_on_exit: bool = True) -> None:
        self._lock = threading.Lock()
        self._watches: dict[int, _Watch] = {}  # pidfd -> watch
        self._by_key: dict[Key, _Watch] = {}
        self._exits: dict[Key, Exit] = {}  # exited before anyone asked (on_exit comes later)
        self._pending: list[tuple[Callable[[Exit], None], Exit]] = []
        self._kill_group = kill_group_on_exit
        self._epoll = select.epoll()
        self._wake = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._epoll.register(self._wake, select.EPOLLIN)
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="minikctl-reaper", daemon=True)
        self._thread.start()

    # -- registration ------------------------------------------------------------------

    def watch(self, pid: int, ticks: int, *, child: bool, oom_check: Callable[[], bool] | None = None,
              on_reaped: Callable[[Exit], None] | None = None) -> bool:
        """Start watching a process. False when it is already gone (adopted processes only:
        a child stays a zombie until we reap it, so its pidfd is always obtainable)."""
        key = (pid, ticks)
        with self._lock:
            existing = self._by_key.get(key)
            if existing is not None:
                if on_reaped:
                    existing.on_reaped.append(on_reaped)
                return True
            if key in self._exits:
                return True
            try:
                pidfd = os.pidfd_open(pid)
            except ProcessLookupError:
                return False
            # The pid may have been reused between the caller's check and pidfd_open.
            if not child and procfs.start_ticks(pid) != ticks:
                os.close(pidfd)
                return False
            w = _Watch(pid, ticks, pidfd, child, oom_check=oom_check)
            if on_reaped:
                w.on_reaped.append(on_reaped)
            self._watches[pidfd] = w
            self._by_key[key] = w
            self._epoll.register(pidfd, select.EPOLLIN)
        return True

    def on_exit(self, pid: int, ticks: int, callback: Callable[[Exit], None]) -> None:
        key = (pid, ticks)
        with self._lock:
            w = self._by_key.get(key)
            if w is not None:
                w.callbacks.append(callback)
                return
            done = self._exits.get(key)
        if done is None:
            # Neither watched nor seen exiting: an adopted process; watch it now.
            if self.watch(pid, ticks, child=False):
                with self._lock:
                    w = self._by_key.get(key)
                    if w is not None:
                        w.callbacks.append(callback)
                        return
                    done = self._exits.get(key)
            if done is None:
                done = Exit(UNKNOWN_EXIT_CODE, "ContainerStatusUnknown", time.time(), UNKNOWN_EXIT_MESSAGE)
        # Already exited: still call back from the runtime thread, as promised.
        with self._lock:
            self._pending.append((callback, done))
        os.eventfd_write(self._wake, 1)

    def exited(self, pid: int, ticks: int) -> Exit | None:
        with self._lock:
            return self._exits.get((pid, ticks))

    def note_kill(self, pid: int, ticks: int) -> None:
        with self._lock:
            w = self._by_key.get((pid, ticks))
            if w is not None:
                w.killed = True

    def is_child(self, pid: int, ticks: int) -> bool:
        with self._lock:
            w = self._by_key.get((pid, ticks))
            return bool(w and w.child)

    def close(self) -> None:
        self._stopped = True
        os.eventfd_write(self._wake, 1)
        self._thread.join(timeout=5)

    # -- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopped:
            try:
                events = self._epoll.poll()
            except InterruptedError:
                continue
            for fd, _mask in events:
                if fd == self._wake:
                    try:
                        os.eventfd_read(self._wake)
                    except BlockingIOError:
                        pass
                    continue
                with self._lock:
                    w = self._watches.get(fd)
                if w is not None:
                    self._reap(w)
            with self._lock:
                pending, self._pending = self._pending, []
            for callback, result in pending:
                self._call(callback, result)
        self._epoll.close()

    def _reap(self, w: _Watch) -> None:
        if self._kill_group:
            self._kill_leftovers(w)
        if w.child:
            try:
                _, status = os.waitpid(w.pid, 0)  # a zombie: returns at once
                oom = bool(w.oom_check and _safe(w.oom_check))
                result = exit_from_status(status, oom=oom)
            except ChildProcessError:  # someone else reaped it (os.waitpid(-1) elsewhere)
                result = Exit(UNKNOWN_EXIT_CODE, "ContainerStatusUnknown", time.time(),
                              "the container's exit status was collected by another part of the process")
        elif w.killed:
            result = Exit(128 + signal.SIGKILL, "Error", time.time(),
                          "killed by minikctl (SIGKILL) after adoption; exit code inferred")
        else:
            oom = bool(w.oom_check and _safe(w.oom_check))
            if oom:
                result = Exit(128 + signal.SIGKILL, "OOMKilled", time.time(), "killed for exceeding its memory limit")
            else:
                result = Exit(UNKNOWN_EXIT_CODE, "ContainerStatusUnknown", time.time(), UNKNOWN_EXIT_MESSAGE)
        with self._lock:
            self._epoll.unregister(w.pidfd)
            os.close(w.pidfd)
            self._watches.pop(w.pidfd, None)
            self._by_key.pop((w.pid, w.ticks), None)
            self._exits[(w.pid, w.ticks)] = result
            if len(self._exits) > 10000:  # a bounded memory of past exits
                for key in list(self._exits)[:1000]:
                    del self._exits[key]
        for callback in w.on_reaped + w.callbacks:
            self._call(callback, result)

    def _kill_leftovers(self, w: _Watch) -> None:
        """The main process is gone: so is the container (as when a pid namespace's init
        exits). SIGKILL what is left of its process group."""
        if w.child:
            # Unreaped, the zombie still holds the pid: the group id cannot be reused yet.
            _killpg(w.pid)
        elif procfs.read_stat(w.pid) is None:
            # Not ours: only safe while no process holds that pid (a new holder would
            # mean our group is empty and the id free for another group).
            _killpg(w.pid)

    @staticmethod
    def _call(callback: Callable[[Exit], None], result: Exit) -> None:
        try:
            callback(result)
        except Exception:  # noqa: BLE001 - one bad callback must not stop exit detection
            log.exception("exit callback failed")


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except Exception:  # noqa: BLE001
        return False
