"""Log files with a size cap.

Why the container writes straight into its log file (O_APPEND) and is not read through a
pipe: pods outlive the daemon. A pipe's reader would die with the daemon and the next
line the container prints would kill it (SIGPIPE) or fail; a file needs nobody on the
other end, costs nothing per line, and a restarted daemon simply picks it up again.

The cap is then kept by a watchdog: one thread, woken by inotify when a watched log is
written (never on an idle tick), that at most every CHECK_INTERVAL looks at the sizes of
the files that changed. A file over its cap loses its head, keeping the newest half,
by FALLOC_FL_COLLAPSE_RANGE: the kernel removes the first blocks in place and the
container's O_APPEND writes carry on at the new end, with no copy and no lost line. The
cut falls on a block boundary, so the partial first line left over is overwritten with a
marker line saying output was dropped. Where the filesystem cannot collapse (tmpfs,
btrfs...), the tail is copied and the file truncated: a line written in that instant may
be lost, which is the price of a cap there.

While no daemon runs, nothing trims: the next daemon trims what it adopts at once.
Between two checks a container can overshoot its cap by what it writes in
CHECK_INTERVAL (at 1 GB/s, 50 MB), then the file is brought back under the cap.
"""
from __future__ import annotations

import ctypes
import errno
import logging
import os
import select
import struct
import threading
import time

log = logging.getLogger(__name__)

CHECK_INTERVAL = 0.05
MARKER = b"[minikctl] earlier output was dropped: this log is capped at %d bytes"

_FALLOC_FL_COLLAPSE_RANGE = 0x08
_IN_MODIFY = 0x002
_IN_ATTRIB = 0x004
_IN_MOVE_SELF = 0x800
_IN_DELETE_SELF = 0x400
_IN_IGNORED = 0x8000
_IN_Q_OVERFLOW = 0x4000
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC
_EVENT = struct.Struct("iIII")

_libc = None


def _lib() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.fallocate64.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
        libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        _libc = libc
    return _libc


def open_log(path: str) -> int:
    """The fd a container writes its stdout and stderr to (append, created 0640)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o640)


def trim(fd: int, max_bytes: int) -> bool:
    """Bring the file under max_bytes, keeping its newest half. True when it trimmed."""
    size = os.fstat(fd).st_size
    if size <= max_bytes:
        return False
    keep = max(max_bytes // 2, 1)
    block = os.fstatvfs(fd).f_bsize or 4096
    drop = (size - keep) // block * block
    if drop > 0 and _collapse(fd, drop):
        _mark_cut(fd, max_bytes)
        return True
    _copy_truncate(fd, keep, max_bytes)
    return True


def _collapse(fd: int, length: int) -> bool:
    libc = _lib()
    if libc.fallocate64(fd, _FALLOC_FL_COLLAPSE_RANGE, 0, length) == 0:
        return True
    err = ctypes.get_errno()
    if err not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS, errno.EPERM):
        log.debug("collapse range failed: %s", os.strerror(err))
    return False


def _mark_cut(fd: int, max_bytes: int) -> None:
    """Overwrite the partial first line (what the block-aligned cut left) with a marker."""
    head = os.pread(fd, 64 * 1024, 0)
    end = head.find(b"\n")
    if end < 0:
        return  # one enormous line: leave it
    marker = MARKER % max_bytes
    if end >= len(marker):
        os.pwrite(fd, marker + b" " * (end - len(marker)), 0)
    else:
        os.pwrite(fd, b" " * end, 0)


def _copy_truncate(fd: int, keep: int, max_bytes: int) -> None:
    size = os.fstat(fd).st_size
    tail = os.pread(fd, keep, max(size - keep, 0))
    nl = tail.find(b"\n")
    if 0 <= nl < len(tail) - 1:
        tail = tail[nl + 1:]
    os.ftruncate(fd, 0)
    # pwrite at 0 then let the container append after us (its fd is O_APPEND).
    os.pwrite(fd, (MARKER % max_bytes) + b"\n" + tail, 0)


class LogWatchdog:
    """Keeps every watched log file under its cap (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[str, tuple[int, int, int]] = {}  # path -> (fd, max_bytes, wd)
        self._by_wd: dict[int, str] = {}
        self._dirty: set[str] = set()
        self._stopped = False
        self._inotify = -1
        try:
            fd = _lib().inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
            if fd >= 0:
                self._inotify = fd
        except (OSError, AttributeError):
            pass
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._thread = threading.Thread(target=self._run, name="minikctl-logcap", daemon=True)
        self._thread.start()

    def watch(self, path: str, max_bytes: int) -> None:
        if max_bytes <= 0:
            return
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            return
        wd = -1
        if self._inotify >= 0:
            wd = _lib().inotify_add_watch(self._inotify, os.fsencode(path), _IN_MODIFY | _IN_DELETE_SELF | _IN_MOVE_SELF)
        with self._lock:
            old = self._files.pop(path, None)
            if old is not None:
                os.close(old[0])
            self._files[path] = (fd, max_bytes, wd)
            if wd >= 0:
                self._by_wd[wd] = path
            self._dirty.add(path)  # an adopted log may already be over its cap
        self._poke()

    def unwatch(self, path: str) -> None:
        """Stop watching (the container exited): one last trim first."""
        with self._lock:
            entry = self._files.pop(path, None)
            self._dirty.discard(path)
            if entry is None:
                return
            fd, max_bytes, wd = entry
            if wd >= 0:
                self._by_wd.pop(wd, None)
                _lib().inotify_rm_watch(self._inotify, wd)
            try:
                trim(fd, max_bytes)
            except OSError:
                pass
            finally:
                os.close(fd)

    def close(self) -> None:
        self._stopped = True
        self._poke()
        self._thread.join(timeout=5)

    def _poke(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except BlockingIOError:
            pass

    def _run(self) -> None:
        poller = select.epoll()
        poller.register(self._wake_r, select.EPOLLIN)
        if self._inotify >= 0:
            poller.register(self._inotify, select.EPOLLIN)
        # Without inotify (a limit reached): look every second.
        timeout = -1 if self._inotify >= 0 else 1.0
        while not self._stopped:
            with self._lock:
                idle = not self._dirty
            events = poller.poll(timeout if idle else 0)
            for fd, _ in events:
                if fd == self._wake_r:
                    _drain(self._wake_r)
                elif fd == self._inotify:
                    self._read_events()
            if self._inotify < 0:
                with self._lock:
                    self._dirty.update(self._files)
            self._check_dirty()
            # Let writes pile up into one inotify event: a chatty container costs at most
            # one wake-up per CHECK_INTERVAL, not one per line.
            time.sleep(CHECK_INTERVAL)
        poller.close()

    def _read_events(self) -> None:
        while True:
            try:
                data = os.read(self._inotify, 64 * 1024)
            except (BlockingIOError, InterruptedError):
                return
            if not data:
                return
            offset = 0
            with self._lock:
                while offset + _EVENT.size <= len(data):
                    wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                    offset += _EVENT.size + length
                    if mask & _IN_Q_OVERFLOW:
                        self._dirty.update(self._files)
                        continue
                    path = self._by_wd.get(wd)
                    if path is None:
                        continue
                    if mask & (_IN_IGNORED | _IN_DELETE_SELF | _IN_MOVE_SELF):
                        continue  # the kubelet removed or moved it: nothing to cap any more
                    self._dirty.add(path)

    def _check_dirty(self) -> None:
        # Under the lock: unwatch() must not close an fd (which the OS could then hand to
        # another file) while it is being trimmed. A trim is a few syscalls.
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            for path in dirty:
                entry = self._files.get(path)
                if entry is None:
                    continue
                try:
                    if trim(entry[0], entry[1]):
                        log.debug("trimmed %s to under %d bytes", path, entry[1])
                except OSError as exc:
                    log.warning("cannot cap log %s: %s", path, exc)


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except (BlockingIOError, InterruptedError):
        pass
