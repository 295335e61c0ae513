"""Splicing bytes between two TCP connections with asyncio protocols.

Protocols, not streams: data_received hands each chunk straight to the other side's
transport.write, which sends at once when the socket can take it (one Python call per
chunk, no task, no await). Flow control is the transports' own: when one side's write
buffer passes its high-water mark it pauses reading on the other side, and resumes below
the low-water mark. Half-close is forwarded (EOF becomes write_eof on the peer); once
both directions have ended the pair is closed (close() sends the last FIN, so the second
direction costs no shutdown call), and a reset on either side aborts the other.

Used by `minikctl port-forward` (forward.py), where a connection at a time is the load.
The service proxy relays TCP with tcprelay.py instead: measured with bench/proxy.py
--experiments, an epoll loop of its own costs a quarter to a third less CPU per new
connection than these transports (two per connection, each asking the kernel for its socket and
peer names, plus a task, a future and a timer for the connect), and the same per request
on a kept-alive one.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

HIGH_WATER = 1024 * 1024
_LINGER_RESET = struct.pack("ii", 1, 0)


def reset(transport: asyncio.BaseTransport) -> None:
    """Close a connection with an RST (SO_LINGER 0), as a refused service port does."""
    sock = transport.get_extra_info("socket")
    try:
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    except OSError:
        pass
    transport.abort()


class Half(asyncio.Protocol):
    """One side of a spliced pair."""

    def __init__(self, pair: "Pair") -> None:
        self.pair = pair
        self.transport: asyncio.Transport | None = None
        self.peer: Half | None = None
        self.eof = False
        self.closed = False
        self.pending: list[bytes] = []  # read before the peer is attached

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.set_write_buffer_limits(high=HIGH_WATER)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is not None and self.pair.attached:
            peer.transport.write(data)  # type: ignore[union-attr]
        else:
            self.pending.append(data)

    def eof_received(self) -> bool:
        self.eof = True
        peer = self.peer
        if peer is None or not self.pair.attached or peer.closed:
            return True  # attach_backend forwards it; a closed peer needs nothing
        if peer.eof:
            self.pair.close()  # both directions done: close() sends the peer its FIN
        else:
            try:
                peer.transport.write_eof()  # type: ignore[union-attr]
            except (OSError, RuntimeError):
                pass
        return True  # keep the other direction open (half-close)

    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None and not self.peer.closed:
            self.peer.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None and not self.peer.closed:
            self.peer.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.closed:
            if exc is not None:
                reset(peer.transport)
            else:
                peer.transport.close()  # flushes what is buffered, then closes
        self.pair.lost()


class Pair:
    """A client connection and its backend connection."""

    def __init__(self, on_close: Callable[["Pair"], None] | None = None) -> None:
        self.client = Half(self)
        self.backend = Half(self)
        self.client.peer, self.backend.peer = self.backend, self.client
        self._on_close = on_close
        self._done = False
        self.attached = False  # both connected and relaying

    def close(self) -> None:
        for half in (self.client, self.backend):
            if half.transport is not None and not half.closed:
                half.transport.close()

    def lost(self) -> None:
        if not self._done and self.client.closed and (self.backend.closed or self.backend.transport is None):
            self._done = True
            if self._on_close:
                self._on_close(self)

    def attach_backend(self) -> None:
        """The backend is connected: flush what either side sent meanwhile, relay on.
        A client that went away during the connect takes the backend connection with it."""
        client, backend = self.client, self.backend
        assert client.transport is not None and backend.transport is not None
        if client.closed:
            if not backend.closed:
                backend.transport.close()
            return
        if backend.closed:
            return  # its connection_lost has closed the client
        self.attached = True
        for half in (client, backend):
            peer = half.peer
            assert peer is not None and peer.transport is not None
            for chunk in half.pending:
                peer.transport.write(chunk)
            half.pending.clear()
        for half in (client, backend):
            if half.eof:
                half.eof_received()
        if not client.closed and not client.eof:
            client.transport.resume_reading()  # type: ignore[attr-defined]


async def connect_backend(loop: asyncio.AbstractEventLoop, pair: Pair, candidates: Iterable[tuple[str, int]],
                          timeout: float = 5.0) -> tuple[str, int] | None:
    """Connect pair.backend to the first candidate that answers; the one used, or None."""
    for host, port in candidates:
        if pair.client.closed:
            return None
        try:
            if hasattr(asyncio, "timeout"):  # 3.11+: no extra task per connection
                async with asyncio.timeout(timeout):
                    await loop.create_connection(lambda: pair.backend, host, port)
            else:
                await asyncio.wait_for(loop.create_connection(lambda: pair.backend, host, port), timeout)
            return host, port
        except (OSError, asyncio.TimeoutError) as exc:
            log.debug("backend %s:%d failed: %s", host, port, exc)
            pair.backend.transport = None
    return None
