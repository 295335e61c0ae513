"""One request and its response: what the route handlers see of HTTP.

Handlers read `method`, `path`, `query`, `headers` and `body`, call the api layer through
`api` (a per-request copy whose warnings become `Warning: 299 - "..."` headers), and answer
with `send_json` / `send_status`, or stream with `start_stream` / `write_chunk` /
`end_stream` (chunked transfer encoding, flushed per chunk: watches and `logs -f`).
"""
from __future__ import annotations

import copy
import json
import select
import ssl
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from minikctl.server import status as statuses

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

    from minikctl.api.handler import Api
    from minikctl.server.cacher import WatchCache

JSON = "application/json"


@dataclass
class ServerContext:
    """What every request shares: the api layer, the state directory, the public address."""

    api: "Api"
    home: str
    address: str  # host:port as clients reach it (discovery's serverAddressByClientCIDRs)
    stopping: threading.Event = field(default_factory=threading.Event)  # set by ApiServer.stop()
    watches: "WatchCache | None" = None  # the shared watches (cacher.py), set by ApiServer.start()


class Exchange:
    def __init__(self, handler: "BaseHTTPRequestHandler", ctx: ServerContext, body: bytes) -> None:
        self._h = handler
        self.ctx = ctx
        self.method = handler.command
        split = urllib.parse.urlsplit(handler.path)
        self.path = split.path
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query, keep_blank_values=True).items()}
        self.headers = handler.headers
        self.body = body
        self.warnings: list[str] = []
        self.responded = False
        self.streaming = False
        self._api: "Api | None" = None

    # -- request -----------------------------------------------------------------------

    @property
    def api(self) -> "Api":
        """The api layer for this request only: its warnings are this response's."""
        if self._api is None:
            api = copy.copy(self.ctx.api)
            api.warn = self.warn
            self._api = api
        return self._api

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    @property
    def accept(self) -> str:
        return self.headers.get("Accept") or ""

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("true", "1")

    def dry_run(self) -> bool:
        value = self.query.get("dryRun")
        if value is None:
            return False
        from minikctl import errors

        if value != "All":
            raise errors.BadRequest(f'dryRun: Unsupported value: "{value}": supported values: "All"')
        return True

    def int_param(self, name: str) -> int | None:
        value = self.query.get(name)
        if value in (None, ""):
            return None
        try:
            return int(value)  # type: ignore[arg-type]
        except ValueError:
            from minikctl import errors

            raise errors.BadRequest(f'{name}: Invalid value: "{value}": must be an integer') from None

    # -- response ----------------------------------------------------------------------

    def send(self, code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        h = self._h
        h.send_response(code)
        if code != 304:
            h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        extra = {"Cache-Control": "no-cache, private", **(headers or {})}
        self._send_warnings()
        for key, value in extra.items():
            h.send_header(key, value)
        h.end_headers()
        if self.method != "HEAD" and body:
            h.wfile.write(body)
        self.responded = True

    def send_json(self, code: int, obj: Any, content_type: str = JSON, headers: dict[str, str] | None = None) -> None:
        self.send(code, dumps(obj), content_type, headers)

    def send_status(self, body: dict) -> None:
        self.send_json(int(body.get("code") or 500), body)

    def send_not_found(self) -> None:
        self.send_status(statuses.not_found_path())

    def start_stream(self, content_type: str) -> None:
        h = self._h
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Transfer-Encoding", "chunked")
        h.send_header("Cache-Control", "no-cache, private")
        self._send_warnings()
        h.end_headers()
        h.wfile.flush()
        self.responded = self.streaming = True

    def write_chunk(self, data: bytes) -> None:
        """One chunk, flushed. Raises OSError when the client has gone."""
        if not data:
            return
        w = self._h.wfile
        w.write(b"%x\r\n%s\r\n" % (len(data), data))
        w.flush()

    def write_chunks(self, parts: list[bytes]) -> None:
        """Several chunks (one event each), sent and flushed together."""
        if not parts:
            return
        w = self._h.wfile
        w.write(b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts if p))
        w.flush()

    def hang_up(self) -> None:
        """Close the connection after this exchange (a client gone mid-stream, a broken body)."""
        self._h.close_connection = True

    def end_stream(self) -> None:
        try:
            self._h.wfile.write(b"0\r\n\r\n")
            self._h.wfile.flush()
        except OSError:
            self.hang_up()

    def client_gone(self) -> bool:
        """Whether the client closed its end: it sends nothing while it waits for a
        streamed response, so a readable socket means EOF (or a stray byte)."""
        sock = self._h.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
        except (OSError, ValueError):
            return True
        if not readable:
            return False
        timeout = sock.gettimeout()
        try:
            sock.setblocking(False)
            try:
                data = sock.recv(1)
            finally:
                sock.settimeout(timeout)
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except OSError:
            return True
        return not data

    def _send_warnings(self) -> None:
        for message in self.warnings:
            self._h.send_header("Warning", warning_header(message))


def warning_header(message: str) -> str:
    """RFC 7234 warn-code 299: `299 - "text"`, text quoted and kept on one latin-1 line."""
    text = " ".join(message.split())
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = text.encode("latin-1", "replace").decode("latin-1")
    return f'299 - "{text}"'


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
