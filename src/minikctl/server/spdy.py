"""SPDY/3.1 framing, server side: what `kubectl port-forward` speaks inside its WebSocket.

kubectl 1.32 tunnels SPDY through a WebSocket (subprotocol SPDY/3.1+portforward.k8s.io):
the binary messages carry a byte stream of SPDY frames. The client opens streams
(SYN_STREAM, with zlib-compressed name/value headers), the server answers each with a
SYN_REPLY, and data flows in DATA frames, a FIN flag half-closing a stream. PINGs are
echoed; SETTINGS and WINDOW_UPDATE are read and ignored (kubectl's SPDY library does not
enforce flow-control windows). Header blocks of each direction share one zlib stream,
primed with the dictionary of the SPDY/3 specification.
"""
from __future__ import annotations

import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
# RST_STREAM status codes
PROTOCOL_ERROR, INVALID_STREAM, REFUSED_STREAM, CANCEL, INTERNAL_ERROR = 1, 2, 3, 5, 6
MAX_FRAME = (1 << 24) - 1

# The SPDY/3 header compression dictionary (draft 3, section 2.6.10.1): length-prefixed
# header names and values, then status lines, dates and media types.
_WORDS = (
    "options head post put delete trace accept accept-charset accept-encoding accept-language accept-ranges age "
    "allow authorization cache-control connection content-base content-encoding content-language content-length "
    "content-location content-md5 content-range content-type date etag expect expires from host if-match "
    "if-modified-since if-none-match if-range if-unmodified-since last-modified location max-forwards pragma "
    "proxy-authenticate proxy-authorization range referer retry-after server te trailer transfer-encoding upgrade "
    "user-agent vary via warning www-authenticate method get status 200|OK version HTTP/1.1 url public set-cookie "
    "keep-alive origin"
).split()
_TAIL = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
    "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
    "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
    "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)
DICTIONARY = b"".join(struct.pack(">I", len(w)) + w.replace("|", " ").encode() for w in _WORDS) + _TAIL.encode()


class SpdyError(Exception):
    """The peer's bytes are not SPDY/3 we can follow: the session ends."""


@dataclass
class Frame:
    type: int  # a control frame type, or 0 for DATA
    stream_id: int = 0
    flags: int = 0
    data: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0  # RST_STREAM, GOAWAY
    ping_id: int = 0

    @property
    def fin(self) -> bool:
        return bool(self.flags & FLAG_FIN)


class Session:
    """One SPDY session: `feed()` the peer's bytes to get its frames; the writers send
    whole frames through `send` (serialised here, as the header compressor must be)."""

    def __init__(self, send: Callable[[bytes], None]) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._buffer = b""
        self._inflate = zlib.decompressobj(zdict=DICTIONARY)
        self._deflate = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)

    # -- reading ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames = []
        while len(self._buffer) >= 8:
            length = int.from_bytes(self._buffer[5:8], "big")
            if len(self._buffer) < 8 + length:
                break
            head, body = self._buffer[:8], self._buffer[8:8 + length]
            self._buffer = self._buffer[8 + length:]
            frame = self._parse(head, body)
            if frame is not None:
                frames.append(frame)
        return frames

    def _parse(self, head: bytes, body: bytes) -> Frame | None:
        flags = head[4]
        if not head[0] & 0x80:
            return Frame(0, int.from_bytes(head[:4], "big") & 0x7FFFFFFF, flags, body)
        version, type_ = struct.unpack(">HH", head[:4])
        if version & 0x7FFF != VERSION:
            raise SpdyError(f"SPDY version {version & 0x7FFF} is not 3")
        if type_ in (SYN_STREAM, SYN_REPLY, HEADERS):
            offset = 10 if type_ == SYN_STREAM else 4
            if len(body) < offset:
                raise SpdyError("short control frame")
            stream_id = int.from_bytes(body[:4], "big") & 0x7FFFFFFF
            return Frame(type_, stream_id, flags, headers=self._headers(body[offset:]))
        if type_ == RST_STREAM and len(body) >= 8:
            return Frame(type_, int.from_bytes(body[:4], "big") & 0x7FFFFFFF, flags, status=int.from_bytes(body[4:8], "big"))
        if type_ == PING and len(body) >= 4:
            return Frame(type_, ping_id=int.from_bytes(body[:4], "big"))
        if type_ == GOAWAY and len(body) >= 4:
            return Frame(type_, int.from_bytes(body[:4], "big") & 0x7FFFFFFF, status=int.from_bytes(body[4:8] or b"\0" * 4, "big"))
        return None  # SETTINGS, WINDOW_UPDATE, and what SPDY/3 may add: nothing to do

    def _headers(self, block: bytes) -> dict[str, str]:
        try:
            raw = self._inflate.decompress(block)
        except zlib.error as exc:
            raise SpdyError(f"bad header block: {exc}") from None
        try:
            count, i = int.from_bytes(raw[:4], "big"), 4
            out: dict[str, str] = {}
            for _ in range(count):
                n = int.from_bytes(raw[i:i + 4], "big")
                name, i = raw[i + 4:i + 4 + n].decode(), i + 4 + n
                n = int.from_bytes(raw[i:i + 4], "big")
                value, i = raw[i + 4:i + 4 + n].decode(), i + 4 + n
                out[name] = value
        except (UnicodeDecodeError, IndexError) as exc:
            raise SpdyError(f"bad header block: {exc}") from None
        return out

    # -- writing ---------------------------------------------------------------------------

    def _control(self, type_: int, flags: int, body: bytes) -> bytes:
        return struct.pack(">HHB", 0x8000 | VERSION, type_, flags) + len(body).to_bytes(3, "big") + body

    def syn_reply(self, stream_id: int, headers: dict[str, str] | None = None, *, fin: bool = False) -> None:
        pairs = list((headers or {}).items())
        block = struct.pack(">I", len(pairs)) + b"".join(
            struct.pack(">I", len(k)) + k.encode() + struct.pack(">I", len(v)) + v.encode() for k, v in pairs)
        with self._lock:
            compressed = self._deflate.compress(block) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
            self._send(self._control(SYN_REPLY, FLAG_FIN if fin else 0, struct.pack(">I", stream_id) + compressed))

    def data(self, stream_id: int, payload: bytes = b"", *, fin: bool = False) -> None:
        for start in range(0, max(len(payload), 1), MAX_FRAME):
            piece = payload[start:start + MAX_FRAME]
            last = start + MAX_FRAME >= len(payload)
            frame = (struct.pack(">IB", stream_id, FLAG_FIN if fin and last else 0) + len(piece).to_bytes(3, "big")
                     + piece)
            with self._lock:
                self._send(frame)

    def rst(self, stream_id: int, status: int) -> None:
        with self._lock:
            self._send(self._control(RST_STREAM, 0, struct.pack(">II", stream_id, status)))

    def ping(self, ping_id: int) -> None:
        with self._lock:
            self._send(self._control(PING, 0, struct.pack(">I", ping_id)))

    def goaway(self, last_stream: int = 0) -> None:
        with self._lock:
            self._send(self._control(GOAWAY, 0, struct.pack(">II", last_stream, 0)))
