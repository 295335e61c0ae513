"""`pods/{name}/exec` over WebSocket: what `kubectl exec` (1.32) speaks by default.

    GET /api/v1/namespaces/{ns}/pods/{name}/exec?command=..&command=..&container=c
        &stdin=true&stdout=true&stderr=true&tty=false
        Upgrade: websocket, Sec-WebSocket-Protocol: v5.channel.k8s.io, v4.channel.k8s.io, ...

After the 101, every binary message starts with its channel: 0 stdin (client to us),
1 stdout, 2 stderr, 3 the final Status (JSON: Success, or NonZeroExitCode with the exit
code as a cause, which kubectl turns into its own exit status), 4 terminal resize
(ignored: no terminal here), and in v5 255 = "close this channel" ([255, 0]: stdin ended).
The command runs through the runtime's exec, as `minikctl exec` runs it (cli/exec.py):
the container's environment, working directory and mount namespace. With tty=true the
command still gets pipes, and its stderr goes out on stdout, as a terminal would merge them.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import urllib.parse

from minikctl import errors
from minikctl.server import websocket
from minikctl.server.exchange import Exchange
from minikctl.server.routes import Target

log = logging.getLogger("minikctl.server")

PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")  # in our order of preference
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE_CHANNEL = 0, 1, 2, 3, 4, 255
_DRAIN = 5.0  # seconds to wait for the command's output after it exited


def serve(ex: Exchange, t: Target) -> None:
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(ex._h.path).query, keep_blank_values=True)
    command = params.get("command") or []
    flag = {k: (params.get(k) or ["false"])[-1].lower() in ("true", "1") for k in ("stdin", "stdout", "stderr", "tty")}
    pod = ex.api.get(t.kind, t.namespace or "", t.name or "")
    container = (params.get("container") or [""])[-1] or _only_container(pod)
    # The request's own errors first: kubectl retries a failed WebSocket upgrade over
    # SPDY, and must get the same answer there.
    target = _find(pod, container)
    if not command:
        raise errors.BadRequest("you must specify at least 1 command")
    if not any(flag[k] for k in ("stdin", "stdout", "stderr")):
        raise errors.BadRequest("you must specify at least one of stdin, stdout, stderr")
    protocol = upgrade(ex)
    ws = websocket.WebSocket(ex._h.rfile, ex._h.wfile)
    try:
        status = _run(ws, target, command, flag, v5=protocol.startswith("v5"))
        ws.send_binary(bytes([ERROR]) + json.dumps(status, separators=(",", ":")).encode())
    except OSError:
        return  # the client went away
    finally:
        ws.close()


def upgrade(ex: Exchange, protocols: tuple[str, ...] = PROTOCOLS) -> str:
    """Answer 101 with the best of `protocols` the client offers (BadRequest if the
    request is no WebSocket upgrade, or offers none); the connection is the caller's then."""
    if not websocket.is_upgrade(ex.headers):
        asked = ex.headers.get("Upgrade")
        raise errors.BadRequest(f"unable to upgrade connection: minikctl serves this over WebSocket "
                                f"({protocols[0]}), not {asked}" if asked else "Upgrade request required")
    offered = websocket.offered_protocols(ex.headers)
    protocol = next((p for p in protocols if p in offered), None)
    if protocol is None:
        raise errors.BadRequest(f"unable to upgrade connection: the client offers none of {', '.join(protocols)}")
    h = ex._h
    h.send_response(101, "Switching Protocols")
    h.send_header("Upgrade", "websocket")
    h.send_header("Connection", "Upgrade")
    h.send_header("Sec-WebSocket-Accept", websocket.accept_key(ex.headers.get("Sec-WebSocket-Key") or ""))
    h.send_header("Sec-WebSocket-Protocol", protocol)
    h.end_headers()
    h.wfile.flush()
    ex.responded = ex.streaming = True
    ex.hang_up()  # the connection is the websocket's now, and ends with it
    return protocol


def _only_container(pod: dict) -> str:
    containers = (pod.get("spec") or {}).get("containers") or []
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    return annotations.get("kubectl.kubernetes.io/default-container") or (containers[0]["name"] if containers else "")


def _find(pod: dict, container: str):  # type: ignore[no-untyped-def]
    """(sandbox, config) of the running container; errors as the API server words them."""
    from minikctl.cli import podfiles
    from minikctl.runtime import records

    name = pod["metadata"]["name"]
    if not any(c.get("name") == container for c in (pod.get("spec") or {}).get("containers") or []):
        raise errors.BadRequest(f"container {container} is not valid for pod {name}")
    sandbox = records.load_sandbox(podfiles.pod_dir(pod))
    config = records.load_config(podfiles.container_dir(pod, container))
    if sandbox is None or config is None or podfiles.process(pod, container) is None:
        raise errors.BadRequest(f'unable to upgrade connection: container not found ("{container}")')
    return sandbox, config


def _run(ws: websocket.WebSocket, target, command: list[str], flag: dict, *, v5: bool) -> dict:  # type: ignore[no-untyped-def]
    from minikctl import home
    from minikctl.runtime.interface import ExecError
    from minikctl.runtime.process import ProcessRuntime

    stdin_r, stdin_w = os.pipe() if flag["stdin"] else (None, None)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe() if not flag["tty"] else (None, None)
    pumps = [threading.Thread(target=_pump, args=(out_r, ws, STDOUT if flag["stdout"] or flag["tty"] else None),
                              daemon=True)]
    if err_r is not None:
        pumps.append(threading.Thread(target=_pump, args=(err_r, ws, STDERR if flag["stderr"] else None),
                                      daemon=True))
    for p in pumps:
        p.start()
    if stdin_w is not None:
        threading.Thread(target=_feed_stdin, args=(ws, stdin_w, v5), daemon=True).start()
    else:
        threading.Thread(target=_drain_client, args=(ws,), daemon=True).start()
    runtime = ProcessRuntime(home.home())
    try:
        code = runtime.exec(*target, command, stdin=stdin_r if stdin_r is not None else subprocess.DEVNULL,
                            stdout=out_w, stderr=err_w if err_w is not None else out_w)
    except ExecError as exc:
        code = None
        status = _failure("InternalError", f"Internal error occurred: error executing command in container: "
                                           f"{exc.message}", 500)
    finally:
        runtime.close()
        for fd in (stdin_r, out_w, err_w):
            if fd is not None:
                os.close(fd)
    for p in pumps:
        p.join(_DRAIN)
    if code is None:
        return status
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {**_failure("NonZeroExitCode", f"command terminated with non-zero exit code: error executing command "
                                          f"{_go_list(command)}, exit code {code}"),
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def _failure(reason: str, message: str, code: int | None = None) -> dict:
    out = {"metadata": {}, "status": "Failure", "message": message, "reason": reason}
    if code is not None:
        out["code"] = code
    return out


def _go_list(items: list[str]) -> str:
    return "[" + " ".join(items) + "]"


def _pump(fd: int, ws: websocket.WebSocket, channel: int | None) -> None:
    """The command's output, as it comes, to the client on `channel` (None: dropped)."""
    try:
        while True:
            data = os.read(fd, 1 << 15)
            if not data:
                return
            if channel is not None:
                ws.send_binary(bytes([channel]) + data)
    except OSError:
        return
    finally:
        os.close(fd)


def _feed_stdin(ws: websocket.WebSocket, fd: int, v5: bool) -> None:
    """The client's stdin messages into the command's stdin, until the client closes it."""
    try:
        while True:
            message = ws.receive()
            if message is None:
                return
            _, payload = message
            if not payload:
                continue
            channel, data = payload[0], payload[1:]
            if channel == STDIN and data:
                os.write(fd, data)
            elif v5 and channel == CLOSE_CHANNEL and data[:1] == bytes([STDIN]):
                return
    except (OSError, websocket.ProtocolError):
        return
    finally:
        os.close(fd)


def _drain_client(ws: websocket.WebSocket) -> None:
    """No stdin: still read (pings, the close) so the client is answered."""
    try:
        while ws.receive() is not None:
            pass
    except (OSError, websocket.ProtocolError):
        pass
