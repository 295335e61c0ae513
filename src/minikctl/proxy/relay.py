"""Splicing bytes between two TCP connections with asyncio protocols.

Protocols, not streams: data_received hands each chunk (up to the transport's read size,
256 KiB here) straight to the other side's transport.write, which sends at once when the
socket can take it. Flow control is the transports' own: when one side's write buffer
passes its high-water mark it pauses reading on the other side, and resumes below the
low-water mark. Half-close is forwarded (EOF becomes write_eof on the peer); the pair is
closed once both directions are done, and a reset on either side aborts the other.
"""
from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)

READ_SIZE = 256 * 1024
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


def _tune(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
    if hasattr(transport, "max_size"):
        transport.max_size = READ_SIZE  # type: ignore[attr-defined]
    if isinstance(transport, asyncio.WriteTransport):
        transport.set_write_buffer_limits(high=HIGH_WATER)


class Half(asyncio.Protocol):
    """One side of a spliced pair."""

    def __init__(self, pair: "Pair") -> None:
        self.pair = pair
        self.transport: asyncio.Transport | None = None
        self.peer: Half | None = None
        self.eof = False
        self.closed = False
        self.pending: list[bytes] = []  # read before the peer exists (the server side)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        _tune(transport)

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is None or peer.transport is None:
            self.pending.append(data)
            return
        peer.transport.write(data)

    def eof_received(self) -> bool:
        self.eof = True
        peer = self.peer
        if peer is not None and peer.transport is not None and not peer.closed:
            try:
                peer.transport.write_eof()
            except (OSError, RuntimeError):
                pass
            if peer.eof:
                self.pair.close()
        return True  # keep the other direction open (half-close)

    def pause_writing(self) -> None:
        if self.peer is not None and self.peer.transport is not None:
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
        """The backend is connected: flush what the client sent meanwhile, read on."""
        assert self.client.transport is not None and self.backend.transport is not None
        for chunk in self.client.pending:
            self.backend.transport.write(chunk)
        self.client.pending.clear()
        if self.client.eof:
            self.backend.transport.write_eof()
        if not self.client.closed:
            self.client.transport.resume_reading()


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
