"""HTTP/1.1 on one TLS connection: what the HTTP client needs of the protocol, and no more.

Why not http.client: it parses response headers with the email package, whose import
costs ~10 ms (more on a busy machine) of a `minikctl get pods` that must answer in about
the time kubectl takes; socket host names given as text also import the idna codec
(~2 ms). This module speaks to minikctl's own API server (and any HTTP/1.1 server that
answers with Content-Length, chunked transfer encoding, or a body up to the close), with
the same surface http.client offers for it: `Connection.request()`, `getresponse()`,
`Response.status/headers/read()/readline()/will_close`, `Connection.sock`.
"""
from __future__ import annotations

import socket
import ssl

_MAX_LINE = 65536
_MAX_HEADERS = 200


class BadResponse(OSError):
    """The server's answer is not HTTP/1.x we understand."""


class RemoteDisconnected(ConnectionResetError):
    """The server closed the connection without answering (a kept-alive connection it
    had already closed: the caller may retry on a new one)."""


class Headers:
    """Response headers: case-insensitive, repeated names kept in order."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def get(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        for key, value in self._items:
            if key.lower() == name:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self._items if key.lower() == name]

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None


class Response:
    """One response; its body is read whole (`read`) or line by line (`readline`)."""

    def __init__(self, fp, method: str) -> None:  # type: ignore[no-untyped-def]
        self._fp = fp
        line = fp.readline(_MAX_LINE + 1)
        if not line:
            raise RemoteDisconnected("the server closed the connection without a response")
        parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise BadResponse(f"not an HTTP/1.x status line: {line[:100]!r}")
        self.version, self.status, self.reason = parts[0], int(parts[1]), parts[2] if len(parts) > 2 else ""
        self.headers = Headers(_read_headers(fp))
        connection = (self.headers.get("Connection") or "").lower()
        self.will_close = connection == "close" or (self.version == "HTTP/1.0" and connection != "keep-alive")
        self._chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        length = self.headers.get("Content-Length")
        self._left: int | None = int(length) if length and length.strip().isdigit() else None
        if method == "HEAD" or self.status in (204, 304) or 100 <= self.status < 200:
            self._left, self._chunked = 0, False
        elif not self._chunked and self._left is None:
            self.will_close = True  # the body ends when the server closes
        self._chunk_left = 0  # of the current chunk
        self._buffer = b""  # decoded body read ahead by readline
        self._done = self._left == 0 and not self._chunked

    def read(self) -> bytes:
        """The rest of the body."""
        parts = [self._buffer]
        self._buffer = b""
        while not self._done:
            parts.append(self._next_piece(1 << 16))
        return b"".join(parts)

    def readline(self) -> bytes:
        """The next line of the body, with its newline; b"" at the end."""
        while b"\n" not in self._buffer and not self._done:
            self._buffer += self._next_piece(1 << 16)
        cut = self._buffer.find(b"\n") + 1 or len(self._buffer)
        line, self._buffer = self._buffer[:cut], self._buffer[cut:]
        return line

    def _next_piece(self, size: int) -> bytes:
        if self._chunked:
            return self._next_chunk_piece(size)
        if self._left is None:  # until the close
            data = self._fp.read1(size)
            if not data:
                self._done = True
            return data
        data = self._fp.read1(min(size, self._left))
        if not data:
            raise BadResponse("the connection closed in the middle of the body")
        self._left -= len(data)
        self._done = self._left == 0
        return data

    def _next_chunk_piece(self, size: int) -> bytes:
        if self._chunk_left == 0:
            line = self._fp.readline(_MAX_LINE + 1)
            if not line:
                raise BadResponse("the connection closed in the middle of a chunked body")
            try:
                self._chunk_left = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadResponse(f"bad chunk size line: {line[:100]!r}") from None
            if self._chunk_left == 0:
                _read_headers(self._fp)  # trailers, then the end
                self._done = True
                return b""
        data = self._fp.read1(min(size, self._chunk_left))
        if not data:
            raise BadResponse("the connection closed in the middle of a chunk")
        self._chunk_left -= len(data)
        if self._chunk_left == 0:
            self._fp.readline(_MAX_LINE + 1)  # the CRLF after the chunk
        return data


def _read_headers(fp) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    items: list[tuple[str, str]] = []
    while True:
        line = fp.readline(_MAX_LINE + 1)
        if not line or line in (b"\r\n", b"\n"):
            return items
        if len(items) >= _MAX_HEADERS or len(line) > _MAX_LINE:
            raise BadResponse("too many or too long response headers")
        text = line.decode("latin-1").rstrip("\r\n")
        if text[:1] in (" ", "\t") and items:  # an obsolete folded line continues the last
            items[-1] = (items[-1][0], items[-1][1] + " " + text.strip())
            continue
        name, sep, value = text.partition(":")
        if not sep:
            raise BadResponse(f"bad response header line: {line[:100]!r}")
        items.append((name.strip(), value.strip()))


class Connection:
    """One TLS connection to host:port, opened on the first request."""

    def __init__(self, host: str, port: int, *, context: ssl.SSLContext, timeout: float | None) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self._context = context
        self.sock: ssl.SSLSocket | None = None
        self._fp = None
        self._method = "GET"

    def connect(self) -> None:
        # Bytes, not text: a text host name goes through the idna codec (an import).
        raw = socket.create_connection((self.host.encode("ascii", "ignore") or self.host, self.port), self.timeout)
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = self._context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise
        self._fp = self.sock.makefile("rb")

    def request(self, method: str, url: str, body: bytes | None = None, headers: dict | None = None) -> None:
        if self.sock is None:
            self.connect()
        host = f"[{self.host}]" if ":" in self.host else self.host
        lines = [f"{method} {url} HTTP/1.1", f"Host: {host}:{self.port}", "Accept-Encoding: identity"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        assert self.sock is not None
        self.sock.sendall(head + body if body else head)
        self._method = method

    def getresponse(self) -> Response:
        if self._fp is None:
            raise BadResponse("no request was sent")
        return Response(self._fp, self._method)

    def close(self) -> None:
        fp, self._fp = self._fp, None
        sock, self.sock = self.sock, None
        if fp is not None:
            fp.close()
        if sock is not None:
            sock.close()
