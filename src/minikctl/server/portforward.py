"""`pods/{name}/portforward`: what `kubectl port-forward` (1.32) speaks by default.

    GET /api/v1/namespaces/{ns}/pods/{name}/portforward
        Upgrade: websocket, Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io

After the 101 the WebSocket carries a SPDY/3.1 session (spdy.py). For each local
connection kubectl opens two streams sharing a `requestid` header: an error stream
(`streamtype: error`) and a data stream (`streamtype: data`, `port: N`). The data
stream is spliced to the pod's own address, podIP:N (every pod has its own loopback IP;
what `minikctl port-forward` connects to as well); when the pod's side ends, the data
stream and then the error stream are closed, which tells kubectl the connection is over.
A port nothing listens on gets kubectl's message on the error stream.
"""
from __future__ import annotations

import logging
import socket
import threading

from minikctl import errors
from minikctl.server import podexec, spdy, websocket
from minikctl.server.exchange import Exchange
from minikctl.server.routes import Target

log = logging.getLogger("minikctl.server")

PROTOCOLS = ("SPDY/3.1+portforward.k8s.io",)
_CONNECT_TIMEOUT = 10.0


def serve(ex: Exchange, t: Target) -> None:
    pod = ex.api.get(t.kind, t.namespace or "", t.name or "")
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or not status.get("podIP"):
        raise errors.BadRequest(f"unable to forward port because pod is not running. Current status="
                                f"{status.get('phase') or 'Pending'}")
    podexec.upgrade(ex, PROTOCOLS)
    ws = websocket.WebSocket(ex._h.rfile, ex._h.wfile)
    _Forwarder(ws, pod).run()


class _Forwarder:
    def __init__(self, ws: websocket.WebSocket, pod: dict) -> None:
        self.ws = ws
        self.pod = pod
        self.ip = pod["status"]["podIP"]
        self.session = spdy.Session(ws.send_binary)
        self.error_streams: dict[str, int] = {}  # requestid -> error stream id
        self.sockets: dict[int, socket.socket] = {}  # data stream id -> connection to the pod
        self.pending: dict[int, list[tuple[bytes, bool]]] = {}  # data arriving while connecting
        self.lock = threading.Lock()

    def run(self) -> None:
        try:
            while True:
                message = self.ws.receive()
                if message is None:
                    return
                for frame in self.session.feed(message[1]):
                    if not self._handle(frame):
                        return
        except (OSError, websocket.ProtocolError, spdy.SpdyError) as exc:
            log.debug("port-forward session ended: %s", exc)
        finally:
            with self.lock:
                socks, self.sockets = list(self.sockets.values()), {}
            for s in socks:
                s.close()
            self.ws.close()

    def _handle(self, frame: spdy.Frame) -> bool:
        if frame.type == spdy.SYN_STREAM:
            self.session.syn_reply(frame.stream_id)
            kind = frame.headers.get("streamtype")
            request = frame.headers.get("requestid", "")
            if kind == "error":
                self.error_streams[request] = frame.stream_id
            elif kind == "data":
                self.pending[frame.stream_id] = []
                threading.Thread(target=self._connect, args=(frame.stream_id, request, frame.headers.get("port", "")),
                                 daemon=True).start()
            else:
                self.session.rst(frame.stream_id, spdy.PROTOCOL_ERROR)
        elif frame.type == 0:
            self._to_pod(frame.stream_id, frame.data, frame.fin)
        elif frame.type == spdy.RST_STREAM:
            with self.lock:
                sock = self.sockets.pop(frame.stream_id, None)
            if sock is not None:
                sock.close()
        elif frame.type == spdy.PING:
            self.session.ping(frame.ping_id)
        elif frame.type == spdy.GOAWAY:
            return False
        return True

    def _to_pod(self, stream_id: int, data: bytes, fin: bool) -> None:
        with self.lock:
            waiting = self.pending.get(stream_id)
            if waiting is not None:
                waiting.append((data, fin))  # still connecting: delivered once connected
                return
            sock = self.sockets.get(stream_id)
        if sock is None:
            return  # an error stream's (empty) close, or a stream already over
        try:
            if data:
                sock.sendall(data)
            if fin:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _connect(self, stream_id: int, request: str, port_text: str) -> None:
        name = self.pod["metadata"]["name"]
        uid = self.pod["metadata"].get("uid", "")
        try:
            port = int(port_text)
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            return self._fail(stream_id, request, f'invalid port "{port_text}"')
        try:
            sock = socket.create_connection((self.ip, port), timeout=_CONNECT_TIMEOUT)
            sock.settimeout(None)
        except OSError as exc:
            return self._fail(stream_id, request, f"error forwarding port {port} to pod {name}, uid {uid}: "
                                                  f"failed to connect to {self.ip}:{port}: {exc.strerror or exc}")
        with self.lock:
            waiting = self.pending.pop(stream_id, [])
            self.sockets[stream_id] = sock
        for data, fin in waiting:
            self._to_pod(stream_id, data, fin)
        threading.Thread(target=self._from_pod, args=(stream_id, request, sock), daemon=True).start()

    def _from_pod(self, stream_id: int, request: str, sock: socket.socket) -> None:
        try:
            while True:
                data = sock.recv(1 << 16)
                if not data:
                    break
                self.session.data(stream_id, data)
        except OSError:
            pass
        finally:
            with self.lock:
                self.sockets.pop(stream_id, None)
            sock.close()
            self._close(stream_id, request)

    def _fail(self, stream_id: int, request: str, message: str) -> None:
        with self.lock:
            self.pending.pop(stream_id, None)
        error_stream = self.error_streams.get(request)
        try:
            if error_stream is not None:
                self.session.data(error_stream, message.encode())
            self._close(stream_id, request)
        except OSError:
            pass

    def _close(self, stream_id: int, request: str) -> None:
        """The pod's side is over: FIN on the data stream, then on its error stream."""
        try:
            self.session.data(stream_id, fin=True)
            error_stream = self.error_streams.pop(request, None)
            if error_stream is not None:
                self.session.data(error_stream, fin=True)
        except OSError:
            pass
