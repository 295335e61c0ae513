"""Cross-process wake-ups for watchers: a write anywhere reaches every watcher at once.

Each watcher binds a Linux abstract-namespace datagram socket and registers its name as
an empty file in the notify directory; a writer, after its commit, sends one byte to
every registered name. Abstract sockets vanish with their process, so a dead watcher
costs one refused send, after which its registration file is removed. A watcher also
re-reads the log once a second on its own, which covers a lost datagram and a store
shared by several machines (PostgreSQL), where no datagram can reach.
"""
from __future__ import annotations

import itertools
import os
import select
import socket
import threading

_counter = itertools.count()


class Subscription:
    """A watcher's end: wait() returns when a write was announced or the timeout passed."""

    def __init__(self, directory: str) -> None:
        os.makedirs(directory, exist_ok=True)
        self.name = f"minikctl-{os.getpid()}-{next(_counter)}-{os.urandom(4).hex()}"
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind("\0" + self.name)
        self._sock.setblocking(False)
        self._file = os.path.join(directory, self.name)
        open(self._file, "w").close()
        # A second socket pair lets close() wake a wait() in another thread.
        self._wake_r, self._wake_w = socket.socketpair()
        self.closed = False

    def wait(self, timeout: float) -> set[str]:
        """The resources written since the last wait ("*": unknown), waiting at most
        `timeout` seconds for the first; drains pending notifications."""
        if self.closed:
            return set()
        ready, _, _ = select.select([self._sock, self._wake_r], [], [], timeout)
        got: set[str] = set()
        for s in ready:
            try:
                while True:
                    data = s.recv(256)
                    if not data:
                        break
                    got.add(data.decode(errors="replace") if s is self._sock else "*")
                    if s is self._wake_r:
                        break
            except (BlockingIOError, OSError):
                pass
        return got

    def wake(self) -> None:
        """Make a wait() in another thread return now."""
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.wake()
        for path in (self._file,):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        self._sock.close()


class Notifier:
    """The writer's end."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._lock = threading.Lock()

    def subscribe(self) -> Subscription:
        return Subscription(self.directory)

    def notify(self, resource: str = "*") -> None:
        """Tell every watcher that `resource` was written (so others need not read)."""
        payload = resource.encode()[:256] or b"*"
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return
        with self._lock:
            for name in names:
                try:
                    self._sock.sendto(payload, "\0" + name)
                except BlockingIOError:
                    pass  # its queue is full: it has a wake-up pending already
                except (ConnectionRefusedError, FileNotFoundError):
                    try:
                        os.unlink(os.path.join(self.directory, name))
                    except FileNotFoundError:
                        pass
                except OSError:
                    pass
