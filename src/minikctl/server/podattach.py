"""`pods/{name}/attach` over WebSocket: `kubectl attach` to a running container's output.

The same channels as exec (podexec.py). A container here is a local process whose
stdout and stderr the kubelet writes to one log file, and whose stdin is /dev/null: so
attach streams what the container writes from now on, on stdout, until the container
stops or the client leaves; a container that declares `stdin: true` cannot be given the
input it expects, which is said (400) rather than silently dropped.
"""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse

from minikctl import errors
from minikctl.server import logs, podexec, websocket
from minikctl.server.exchange import Exchange
from minikctl.server.routes import Target

_POLL = 0.1


def serve(ex: Exchange, t: Target) -> None:
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(ex._h.path).query, keep_blank_values=True)
    pod = ex.api.get(t.kind, t.namespace or "", t.name or "")
    container = logs.choose_container(pod, (params.get("container") or [""])[-1])
    spec = next((c for c in (pod.get("spec") or {}).get("containers") or [] if c.get("name") == container), {})
    if spec.get("stdin") and (params.get("stdin") or ["false"])[-1].lower() in ("true", "1"):
        raise errors.BadRequest(f'container "{container}" asks for stdin, which minikctl does not keep open '
                                f"(its containers read /dev/null): attach without -i to see its output")
    if logs._status_of(pod, container).get("state", {}).get("running") is None:
        raise errors.BadRequest(f'container {container} is not running in pod {t.name}')
    path = logs.log_file(ex.ctx.home, pod, container, previous=False)
    podexec.upgrade(ex)
    ws = websocket.WebSocket(ex._h.rfile, ex._h.wfile)
    gone = threading.Event()

    def watch_client() -> None:  # pings, the client's close
        try:
            while ws.receive() is not None:
                pass
        except (OSError, websocket.ProtocolError):
            pass
        gone.set()

    threading.Thread(target=watch_client, daemon=True).start()
    try:
        _follow(ex, t, ws, container, path, gone, started_with=logs._status_of(pod, container).get("restartCount"))
        status = {"metadata": {}, "status": "Success"}
        ws.send_binary(bytes([podexec.ERROR]) + json.dumps(status, separators=(",", ":")).encode())
    except OSError:
        return
    finally:
        ws.close()


def _follow(ex: Exchange, t: Target, ws: websocket.WebSocket, container: str, path: str, gone: threading.Event, *,
            started_with: object) -> None:
    """What the container writes from now on, until it stops or the client leaves."""
    next_check = time.monotonic() + logs._POD_CHECK
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        while not ex.ctx.stopping.is_set() and not gone.is_set():
            data = f.read(logs._CHUNK)
            if data:
                ws.send_binary(bytes([podexec.STDOUT]) + data)
                continue
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + logs._POD_CHECK
                if not logs._still_running(ex, t, container, started_with):
                    rest = f.read()
                    if rest:
                        ws.send_binary(bytes([podexec.STDOUT]) + rest)
                    return
            gone.wait(_POLL)
