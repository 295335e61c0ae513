"""The HTTPS server: stdlib http.server, one thread per connection, HTTP/1.1 keep-alive.

Each connection's TLS handshake happens in its own thread (never in the accept loop, so
one slow client cannot stall the rest). A request is read whole (up to 3 MiB; larger
bodies get 413 and the connection is closed), authenticated, then handed to dispatch as
an Exchange. Nothing a handler raises reaches the client as a traceback: it becomes a
Status (status.py) and the connection keeps serving.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from minikctl.server import auth, decoding, dispatch, tls
from minikctl.server import status as statuses
from minikctl.server.cacher import WatchCache
from minikctl.server.exchange import Exchange, ServerContext

if TYPE_CHECKING:
    from minikctl.api.handler import Api

log = logging.getLogger("minikctl.server")

_HANDSHAKE_TIMEOUT = 10.0
_IDLE_TIMEOUT = 300.0  # an idle keep-alive connection is closed after this
_DRAIN_LIMIT = 64 << 20  # an oversized body up to this is read and dropped, larger ones cut off


class ApiServer:
    """The Kubernetes REST API over `api`, on https://host:port (port 0: any free port).

    start() creates (once) the CA, the server certificate and the token under `home`,
    writes `home/kubeconfig`, and serves from background threads; stop() ends them."""

    def __init__(self, api: "Api", *, home: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api = api
        self.home = home
        self.host = host
        self.port = port
        self.token = ""
        self.ca_file = ""
        self.kubeconfig = os.path.join(home, "kubeconfig")
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = _client_host(self.host)
        return f"https://[{host}]:{self.port}" if ":" in host else f"https://{host}:{self.port}"

    def start(self) -> None:
        from minikctl.client import kubeconfig

        os.makedirs(self.home, mode=0o700, exist_ok=True)
        pki = tls.ensure(self.home, hosts=(self.host,))
        self.ca_file = pki.ca_cert
        self.token = auth.ensure_token(self.home)
        httpd = self._bind()
        self.port = httpd.server_address[1]
        httpd.ssl_context = tls.server_context(pki)
        httpd.authenticator = auth.Authenticator(self.token)
        httpd.ctx = ServerContext(self.api, self.home, self.url.split("//", 1)[1], watches=WatchCache(self.api))
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="minikctl-apiserver", daemon=True)
        self._thread.start()
        kubeconfig.write(self.kubeconfig, self.url, pki.ca_pem(), self.token)
        log.info("API server listening on %s", self.url)

    def _bind(self) -> "_HTTPServer":
        """Listen on the port asked for; with port 0, on the port of the kubeconfig a previous
        run wrote when it is free (so an exported KUBECONFIG survives a restart), else any."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        if self.port == 0:
            previous = self._previous_port()
            if previous:
                try:
                    return _HTTPServer((self.host, previous), _Handler, family=family)
                except OSError:
                    pass
        return _HTTPServer((self.host, self.port), _Handler, family=family)

    def _previous_port(self) -> int:
        import urllib.parse

        from minikctl.client import kubeconfig

        try:
            split = urllib.parse.urlsplit(kubeconfig.read(self.kubeconfig).server)
        except (OSError, ValueError):
            return 0
        return (split.port or 0) if split.hostname == _client_host(self.host) else 0

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.ctx.stopping.set()  # ends watches and log streams
        if httpd.ctx.watches is not None:
            httpd.ctx.watches.close()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "ApiServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _client_host(host: str) -> str:
    # A server bound to every interface is still reached on loopback by local clients.
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # bursts of clients (kubectl runs discovery in parallel)

    def __init__(self, address: tuple[str, int], handler: type, *, family: int) -> None:
        self.address_family = family
        super().__init__(address, handler)
        self.ssl_context = None
        self.authenticator: auth.Authenticator | None = None
        self.ctx: ServerContext
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def track(self, sock: socket.socket, open_: bool) -> None:
        with self._open_lock:
            (self._open.add if open_ else self._open.discard)(sock)

    def close_connections(self) -> None:
        with self._open_lock:
            socks = list(self._open)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address) -> None:  # type: ignore[no-untyped-def]
        # Handshake failures, resets, clients that vanish: routine, not worth a traceback.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "minikctl"
    sys_version = ""
    timeout = _IDLE_TIMEOUT
    disable_nagle_algorithm = True  # small responses on a kept-alive connection: no 40 ms stalls
    server: _HTTPServer

    def setup(self) -> None:
        self._raw = self.request
        self.server.track(self._raw, True)
        context = self.server.ssl_context
        if context is not None:
            self.request.settimeout(_HANDSHAKE_TIMEOUT)
            self.request = context.wrap_socket(self.request, server_side=True)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self._raw, False)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _serve(self) -> None:
        started = time.monotonic()
        body = self._read_body()
        if body is None:
            return
        ctx = self.server.ctx
        ex = Exchange(self, ctx, body)
        authenticator = self.server.authenticator
        if authenticator is not None and not authenticator.allows(ex.path, self.headers.get("Authorization")):
            ex.send_status(statuses.unauthorized())
            return
        try:
            dispatch.handle(ex)
        except Exception as exc:  # noqa: BLE001 - every error becomes a Status, never a traceback
            self._fail(ex, exc)
        finally:
            log.debug("%s %s %.1f ms", self.command, self.path, (time.monotonic() - started) * 1000)

    def _fail(self, ex: Exchange, exc: Exception) -> None:
        if isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            self.close_connection = True
            return
        if ex.streaming or ex.responded:
            log.debug("error after the response started", exc_info=True)
            self.close_connection = True
            return
        code, body = statuses.status_for(exc)
        ex.send_status(body)

    def _read_body(self) -> bytes | None:
        """The whole request body; None (after answering 413) when it is too large."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > decoding.MAX_BODY:
            if 0 < length <= _DRAIN_LIMIT:
                self._discard(length)  # so the client, still sending, gets to read our answer
                return self._too_large(close=False)
            return self._too_large()
        return self.rfile.read(length) if length else b""

    def _discard(self, length: int) -> None:
        while length > 0:
            got = self.rfile.read(min(length, 1 << 16))
            if not got:
                break
            length -= len(got)

    def _read_chunked(self) -> bytes | None:
        parts: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(64).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > decoding.MAX_BODY:
                return self._too_large()
            parts.append(self.rfile.read(size))
            self.rfile.readline(8)

    def _too_large(self, *, close: bool = True) -> None:
        ex = Exchange(self, self.server.ctx, b"")
        headers = {}
        if close:
            self.close_connection = True  # the unread body makes the connection unusable
            headers["Connection"] = "close"
        ex.send(413, _json_bytes(statuses.too_large(decoding.MAX_BODY)), "application/json", headers)
        return None

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        log.debug("%s - " + format, self.address_string(), *args)

    def log_request(self, code: object = "-", size: object = "-") -> None:
        pass  # _serve logs each request with its duration


def _json_bytes(obj: dict) -> bytes:
    from minikctl.server.exchange import dumps

    return dumps(obj)
