"""The service proxy's TCP data plane: one thread, one epoll, non-blocking sockets.

Why not asyncio here: per new connection, asyncio (even on uvloop) builds two transports
(each asking the kernel for its socket and peer names), a future and a task for the
connect, and a timer for its timeout; measured with bench/proxy.py --experiments, a
plain epoll loop moves the same bytes for a quarter to a third less CPU per new
connection, and the same per request on a kept-alive one. The asyncio loop keeps the
control work (following the API, UDP); this thread only accepts, connects and relays.
Bytes move with recv_into and send: os.splice through a pipe was measured too, at the
same CPU (zero-copy does not pay for chunks this small) and four more descriptors per
connection.

Per connection: the client is accepted, a backend chosen (table.Balancer, thread-safe),
and a non-blocking connect started; the client is not read until the backend answers,
a refused backend is skipped for the next one (as the userspace proxier did), and with
none left, or past the connection budget, or without a ready endpoint, the client is
reset (SO_LINGER 0). Then bytes go both ways, recv_into then send:

- backpressure: what the receiver cannot take yet is kept and the sender is not read
  until it has gone (at most one read, 256 KiB, held per direction);
- half-close: EOF from one side becomes shutdown(SHUT_WR) on the other once what was
  read before it has been sent; when both directions have ended both are closed;
- a reset (or any error) on one side resets the other.

Out of descriptors (EMFILE) on accept: one descriptor is kept in reserve, closed to accept
the waiting connection and reset it, then taken again (libuv's trick), so the listener
neither spins nor leaves clients hanging.
"""
from __future__ import annotations

import collections
import errno
import logging
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger(__name__)

READ_SIZE = 256 * 1024
ACCEPTS_PER_EVENT = 128  # new connections taken per wake-up of one listener
_LINGER_RESET = struct.pack("ii", 1, 0)
_IN, _OUT, _ERRS = select.EPOLLIN, select.EPOLLOUT, select.EPOLLERR | select.EPOLLHUP

# Picks (first backend, then the others) for a listener's service port and a client IP;
# None: refuse.
Picker = Callable[[Any, str], "Iterator[tuple[str, int]] | None"]


def _reset_close(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    except OSError:
        pass
    sock.close()


class _Listener:
    __slots__ = ("sock", "fd", "key")

    def __init__(self, sock: socket.socket, key: Any) -> None:
        self.sock, self.fd, self.key = sock, sock.fileno(), key


class _Side:
    """One socket of a pair: what waits to be written to it, and whether it is read."""
    __slots__ = ("sock", "fd", "peer", "pair", "out", "reading", "eof_in", "shut_out", "mask")

    def __init__(self, sock: socket.socket, pair: "_Pair") -> None:
        self.sock, self.fd, self.pair = sock, sock.fileno(), pair
        self.peer: _Side | None = None
        self.out: memoryview | None = None  # read from the peer, not yet taken by this socket
        self.reading = False
        self.eof_in = False    # the peer of this socket sent EOF to us
        self.shut_out = False  # we sent EOF on this socket
        self.mask = -1         # -1: not registered


class _Pair:
    __slots__ = ("client", "backend", "candidates", "deadline", "closed")

    def __init__(self, client: socket.socket, candidates: Iterator[tuple[str, int]]) -> None:
        self.client = _Side(client, self)
        self.backend: _Side | None = None
        self.candidates = candidates
        self.deadline = 0.0  # connecting until then
        self.closed = False


class TcpRelay:
    def __init__(self, pick: Picker, *, max_connections: int, connect_timeout: float = 5.0,
                 name: str = "service-proxy-tcp") -> None:
        self.pick = pick
        self.max_connections = max_connections
        self.connect_timeout = connect_timeout
        self.name = name
        self.refused = 0  # connections reset because max_connections were open
        self._pairs: set[_Pair] = set()
        self._connecting: set[_Pair] = set()
        self._fds: dict[int, Any] = {}  # fd -> _Listener or _Side
        self._commands: collections.deque = collections.deque()
        self._ep = select.epoll()
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._ep.register(self._wake_r, _IN)
        self._reserve: int | None = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._closed = False  # the thread has closed everything, epoll and wake-up pipe too
        self._lock = threading.Lock()  # _closed, and the wake-up pipe's life
        self._refused_logged = 0.0
        self._dropped: set[int] = set()  # descriptors closed while handling the current batch
        # One read buffer for the thread: a read is sent on at once, and only what the
        # receiver could not take is copied out of it.
        self._buf = bytearray(READ_SIZE)
        self._view = memoryview(self._buf)

    # -- from other threads --------------------------------------------------------------------

    @property
    def connections(self) -> int:
        return len(self._pairs)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def add_listener(self, sock: socket.socket, key: Any) -> _Listener:
        """Serve a bound, listening socket; key is handed to pick() for its connections."""
        lst = _Listener(sock, key)
        self._command(self._add_listener, lst)
        return lst

    def set_key(self, lst: _Listener, key: Any) -> None:
        lst.key = key  # read by the relay thread at the next accept: a plain attribute swap

    def remove_listener(self, lst: _Listener, timeout: float = 2.0) -> None:
        """Stop listening; connections already relayed go on. Returns once the socket is
        closed (or after timeout), so a connection made afterwards is refused."""
        if threading.current_thread() is self._thread:
            self._remove_listener(lst)
            return
        closed = threading.Event()

        def remove(listener: _Listener) -> None:
            try:
                self._remove_listener(listener)
            finally:
                closed.set()

        if self._command(remove, lst):
            closed.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Close every listener and connection, end the thread."""
        if self._thread is None:
            return
        self._command(self._stop)
        self._thread.join(timeout)
        self._thread = None

    def _command(self, fn: Callable[..., None], *args: Any) -> bool:
        """Hand fn(*args) to the relay thread; False when it has stopped already."""
        with self._lock:
            if self._closed:
                if fn == self._add_listener:
                    args[0].sock.close()  # too late to serve it: not left open
                return False
            self._commands.append((fn, args))
            try:
                os.write(self._wake_w, b"x")
            except BlockingIOError:
                pass  # the pipe is full of wake-ups already
            return True

    # -- the relay thread ----------------------------------------------------------------------

    def _run(self) -> None:
        poll, fds = self._ep.poll, self._fds
        try:
            while not self._stopping:
                timeout = 1.0 if self._connecting else -1
                try:
                    events = poll(timeout)
                except InterruptedError:
                    continue
                self._dropped.clear()
                for fd, ev in events:
                    if fd in self._dropped:
                        continue  # closed (and maybe reused) earlier in this batch: stale event
                    obj = fds.get(fd)
                    if obj is None:
                        if fd == self._wake_r:
                            self._run_commands()
                        continue
                    if obj.__class__ is _Side:
                        if obj.pair.closed:
                            continue
                        if obj.pair.deadline and obj is obj.pair.backend:
                            self._connected(obj.pair)
                        else:
                            self._io(obj, ev)
                    else:
                        self._accept(obj)
                if self._connecting:
                    self._expire_connects()
        except Exception:  # noqa: BLE001 - a bug here must not take the daemon down silently
            log.exception("TCP relay stopped")
        finally:
            self._close_everything()

    def _run_commands(self) -> None:
        try:
            while os.read(self._wake_r, 4096):
                pass
        except BlockingIOError:
            pass
        while self._commands:
            fn, args = self._commands.popleft()
            fn(*args)

    def _add_listener(self, lst: _Listener) -> None:
        self._fds[lst.fd] = lst
        self._ep.register(lst.fd, _IN)

    def _remove_listener(self, lst: _Listener) -> None:
        self._dropped.add(lst.fd)
        if self._fds.get(lst.fd) is lst:
            del self._fds[lst.fd]
            self._ep.unregister(lst.fd)
        lst.sock.close()

    def _stop(self) -> None:
        self._stopping = True

    def _close_everything(self) -> None:
        with self._lock:
            self._closed = True
        for obj in list(self._fds.values()):
            if isinstance(obj, _Listener):
                obj.sock.close()
        for pair in list(self._pairs):
            self._close(pair)
        for fn, args in self._commands:  # listeners handed over too late
            if fn == self._add_listener:
                args[0].sock.close()
        self._commands.clear()
        self._fds.clear()
        self._ep.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
        if self._reserve is not None:
            os.close(self._reserve)
            self._reserve = None

    # -- accepting and connecting ------------------------------------------------------------------

    def _accept(self, lst: _Listener) -> None:
        for _ in range(ACCEPTS_PER_EVENT):
            try:
                sock, addr = lst.sock.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE):
                    self._shed(lst)
                elif exc.errno not in (errno.ECONNABORTED, errno.EPROTO, errno.EINTR):
                    log.warning("accept on %s: %s", lst.key, exc)
                return
            if len(self._pairs) >= self.max_connections:
                self._refuse()
                _reset_close(sock)
                continue
            candidates = self.pick(lst.key, addr[0])
            if candidates is None:
                _reset_close(sock)  # no ready endpoint: refused at once
                continue
            sock.setblocking(False)
            pair = _Pair(sock, candidates)
            self._pairs.add(pair)
            self._connect_next(pair)

    def _shed(self, lst: _Listener) -> None:
        """Out of descriptors: free the reserve, accept one connection and reset it."""
        self._refuse()
        if self._reserve is None:
            return
        os.close(self._reserve)
        self._reserve = None
        try:
            sock, _ = lst.sock.accept()
            _reset_close(sock)
        except OSError:
            pass
        try:
            self._reserve = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            pass

    def _refuse(self) -> None:
        self.refused += 1
        now = time.monotonic()
        if now - self._refused_logged > 10:  # one line per 10 s, not one per connection
            self._refused_logged = now
            log.warning("%d connections open (the most this proxy holds): new ones are reset; %d so far",
                        len(self._pairs), self.refused)

    def _connect_next(self, pair: _Pair) -> None:
        """Start a connect to the next candidate, or reset the client when none is left."""
        for host, port in pair.candidates:
            try:
                sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                                     socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
            except OSError as exc:
                log.debug("backend socket: %s", exc)
                break
            err = sock.connect_ex((host, port))
            if err not in (0, errno.EINPROGRESS):
                log.debug("backend %s:%d failed: %s", host, port, os.strerror(err))
                sock.close()
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            side = _Side(sock, pair)
            pair.backend = side
            pair.deadline = time.monotonic() + self.connect_timeout
            self._connecting.add(pair)
            self._fds[side.fd] = side
            self._set_mask(side, _OUT)
            return
        pair.backend = None
        self._reset(pair)

    def _connected(self, pair: _Pair) -> None:
        backend = pair.backend
        assert backend is not None
        err = backend.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        self._connecting.discard(pair)
        pair.deadline = 0.0
        if err:
            log.debug("backend %s failed: %s", pair.candidates, os.strerror(err))
            self._drop(backend)
            self._connect_next(pair)
            return
        client = pair.client
        client.peer, backend.peer = backend, client
        client.reading = backend.reading = True
        self._fds[client.fd] = client
        self._set_mask(client, _IN)
        self._set_mask(backend, _IN)

    def _expire_connects(self) -> None:
        now = time.monotonic()
        for pair in [p for p in self._connecting if p.deadline <= now]:
            self._connecting.discard(pair)
            pair.deadline = 0.0
            if pair.backend is not None:
                log.debug("backend connect timed out")
                self._drop(pair.backend)
            self._connect_next(pair)

    # -- relaying ------------------------------------------------------------------------------------

    def _io(self, side: _Side, ev: int) -> None:
        if ev & _OUT and side.out is not None:
            if not self._flush(side):
                return
        if ev & (_IN | _ERRS) and (side.reading or ev & _ERRS):
            self._read(side, ev)

    def _read(self, side: _Side, ev: int) -> None:
        peer = side.peer
        assert peer is not None
        try:
            n = side.sock.recv_into(self._buf)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._reset(side.pair)  # a reset (or worse) on one side resets the other
            return
        if not n:
            first = not side.eof_in
            side.eof_in = True
            side.reading = False
            if first and peer.out is None:
                self._eof_to(peer)
                if side.pair.closed:
                    return
            self._quiet(side)
            return
        data = self._view[:n]
        if peer.out is not None:  # only after a hang-up: keep what the remote sent last
            peer.out = memoryview(bytes(peer.out) + bytes(data))
            return
        try:
            sent = peer.sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self._reset(side.pair)
            return
        if sent < n:
            peer.out = memoryview(bytes(data[sent:]))
            side.reading = False  # backpressure: read no more until the peer has taken it
            self._update(side)
            self._update(peer)

    def _flush(self, side: _Side) -> bool:
        """Write what waits for this socket; False if the pair is gone."""
        out = side.out
        assert out is not None
        try:
            sent = side.sock.send(out)
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            self._reset(side.pair)
            return False
        if sent < len(out):
            side.out = out[sent:]
            return True
        side.out = None
        peer = side.peer
        assert peer is not None
        if peer.eof_in:
            self._eof_to(side)
        else:
            peer.reading = True
            self._update(peer)
        self._update(side)
        return not side.pair.closed

    def _eof_to(self, side: _Side) -> None:
        """The direction into this socket ended and is drained: pass the EOF on, or, when
        the other direction is over too, close the pair (close() sends the FIN itself)."""
        peer = side.peer
        if side.eof_in and peer is not None and peer.shut_out:
            self._close(side.pair)
            return
        side.shut_out = True
        try:
            side.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _quiet(self, side: _Side) -> None:
        """Nothing more to read from this socket: watch it only while something waits to be
        written to it (a socket hung up at both ends would report EPOLLHUP on every poll)."""
        if side.out is not None:
            self._update(side)
        elif side.mask != -1:
            self._ep.unregister(side.fd)
            side.mask = -1

    def _update(self, side: _Side) -> None:
        if side.pair.closed:
            return
        mask = (_IN if side.reading else 0) | (_OUT if side.out is not None else 0)
        if mask == 0 and side.mask == -1:
            return  # quiet (see _quiet): stays unwatched
        if mask != side.mask:
            self._set_mask(side, mask)

    def _set_mask(self, side: _Side, mask: int) -> None:
        if side.mask == -1:
            self._ep.register(side.fd, mask)
        else:
            self._ep.modify(side.fd, mask)
        side.mask = mask

    # -- ending ----------------------------------------------------------------------------------------

    def _drop(self, side: _Side) -> None:
        self._dropped.add(side.fd)
        if self._fds.get(side.fd) is side:
            del self._fds[side.fd]
        side.mask = -1
        side.sock.close()  # which takes it out of the epoll set too (no other copy of the descriptor)

    def _reset(self, pair: _Pair) -> None:
        """Both sides closed with an RST."""
        for side in (pair.client, pair.backend):
            if side is not None:
                try:
                    side.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
                except OSError:
                    pass
        self._close(pair)

    def _close(self, pair: _Pair) -> None:
        if pair.closed:
            return
        pair.closed = True
        self._connecting.discard(pair)
        for side in (pair.client, pair.backend):
            if side is not None:
                self._drop(side)
        self._pairs.discard(pair)
