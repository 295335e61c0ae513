"""WebSocket (RFC 6455), server side, on a connection http.server already read the
request of: the opening handshake, and frames in and out. What `kubectl exec` needs
(the v5.channel.k8s.io subprotocol rides on binary messages): no extensions, messages
of up to `MAX_MESSAGE` bytes, pings answered, the closing handshake.
"""
from __future__ import annotations

import base64
import hashlib
import struct
import threading
from typing import Any

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_MESSAGE = 16 << 20


class ProtocolError(Exception):
    """The peer broke the protocol; the connection is to be dropped."""


def is_upgrade(headers: Any) -> bool:
    return ("websocket" in (headers.get("Upgrade") or "").lower()
            and "upgrade" in (headers.get("Connection") or "").lower())


def offered_protocols(headers: Any) -> list[str]:
    return [p.strip() for value in headers.get_all("Sec-WebSocket-Protocol") or [] for p in value.split(",")
            if p.strip()]


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1((key.strip() + GUID).encode()).digest()).decode()


class WebSocket:
    """One upgraded connection: `receive()` from one thread, `send*()` from any."""

    def __init__(self, rfile: Any, wfile: Any) -> None:
        self._r, self._w = rfile, wfile
        self._lock = threading.Lock()
        self.closed = False

    def _read(self, n: int) -> bytes:
        data = self._r.read(n)
        if len(data) != n:
            raise EOFError("the connection closed")
        return data

    def _frame(self) -> tuple[bool, int, bytes]:
        b0, b1 = self._read(2)
        if b0 & 0x70:
            raise ProtocolError("reserved bits set (no extension was agreed)")
        length = b1 & 0x7F
        if length == 126:
            length = struct.unpack(">H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self._read(8))[0]
        if length > MAX_MESSAGE:
            raise ProtocolError("frame too large")
        if not b1 & 0x80:
            raise ProtocolError("client frames must be masked")
        mask = self._read(4)
        payload = self._read(length)
        if length:
            repeated = (mask * (length // 4 + 1))[:length]
            payload = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(length, "big")
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def receive(self) -> tuple[int, bytes] | None:
        """The next data message (opcode, payload); None once the peer closed."""
        message: list[bytes] = []
        opcode = None
        while True:
            try:
                fin, op, payload = self._frame()
            except EOFError:
                self.closed = True
                return None
            if op == PING:
                self.send(PONG, payload)
                continue
            if op == PONG:
                continue
            if op == CLOSE:
                self.close(payload[:2] if len(payload) >= 2 else b"")
                return None
            if op == CONTINUATION:
                if opcode is None:
                    raise ProtocolError("continuation without a message")
            elif opcode is not None:
                raise ProtocolError("a new message inside a fragmented one")
            else:
                opcode = op
            message.append(payload)
            if sum(map(len, message)) > MAX_MESSAGE:
                raise ProtocolError("message too large")
            if fin:
                return opcode, b"".join(message)

    def send(self, opcode: int, payload: bytes = b"") -> None:
        n = len(payload)
        if n < 126:
            head = struct.pack(">BB", 0x80 | opcode, n)
        elif n < 1 << 16:
            head = struct.pack(">BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack(">BBQ", 0x80 | opcode, 127, n)
        with self._lock:
            if self.closed and opcode != CLOSE:
                raise BrokenPipeError("the websocket is closed")
            self._w.write(head + payload)
            self._w.flush()

    def send_binary(self, payload: bytes) -> None:
        self.send(BINARY, payload)

    def close(self, code: bytes = struct.pack(">H", 1000)) -> None:
        """Send our close frame (once)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
        try:
            self.send(CLOSE, code)
        except OSError:
            pass
