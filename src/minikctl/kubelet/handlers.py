"""The actions probes and lifecycle hooks share: exec, httpGet, tcpSocket (and sleep).

Each returns a Result with the message Kubernetes would show in the Unhealthy or
FailedPreStopHook event. Every action is bounded by its timeout: a probe that hangs
fails at timeoutSeconds and never blocks the kubelet.
"""
from __future__ import annotations

import http.client
import inspect
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

USER_AGENT = "kube-probe/1.32"


@dataclass(frozen=True)
class Result:
    ok: bool
    message: str = ""


@dataclass
class Target:
    """Where an action runs: the container's runtime context and its pod IP."""

    pod_ip: str
    container: dict  # the container spec (named ports)
    run_exec: Callable[[list[str], float], Result] | None = None


def run(action: dict, target: Target, timeout: float) -> Result:
    """Run a probe or hook handler; whichever of exec/httpGet/tcpSocket/sleep it has."""
    if action.get("exec") is not None:
        argv = list(action["exec"].get("command") or [])
        if target.run_exec is None:
            return Result(False, "exec is not available for this container")
        return target.run_exec(argv, timeout)
    if action.get("httpGet") is not None:
        return http_get(action["httpGet"], target, timeout)
    if action.get("tcpSocket") is not None:
        return tcp_socket(action["tcpSocket"], target, timeout)
    if action.get("sleep") is not None:
        time.sleep(min(float(action["sleep"].get("seconds", 0)), timeout))
        return Result(True)
    if action.get("grpc") is not None:
        return Result(False, "grpc probes are not supported by minikctl yet: use httpGet, tcpSocket or exec")
    return Result(False, "missing probe handler")


def resolve_port(port: object, container: dict) -> int:
    """A port by number or by the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    text = str(port)
    if text.isdigit():
        return int(text)
    for p in container.get("ports") or []:
        if p.get("name") == text:
            return int(p["containerPort"])
    raise ValueError(f"couldn't find port: {text} in container {container.get('name', '')}")


def http_get(action: dict, target: Target, timeout: float) -> Result:
    scheme = (action.get("scheme") or "HTTP").upper()
    host = action.get("host") or target.pod_ip
    try:
        port = resolve_port(action.get("port"), target.container)
    except ValueError as exc:
        return Result(False, str(exc))
    path = action.get("path") or "/"
    if not path.startswith("/"):
        path = "/" + path
    url = f"{scheme.lower()}://{host}:{port}{path}"
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    for h in action.get("httpHeaders") or []:
        headers[h.get("name", "")] = h.get("value", "")
    try:
        if scheme == "HTTPS":
            ctx = ssl._create_unverified_context()  # Kubernetes skips verification too
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            body = resp.read(10 * 1024)
        finally:
            conn.close()
    except socket.timeout:
        return Result(False, f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)')
    except OSError as exc:
        return Result(False, f'Get "{url}": {_dial_error(host, port, exc)}')
    except http.client.HTTPException as exc:
        return Result(False, f'Get "{url}": {exc}')
    if 200 <= resp.status < 400:
        return Result(True, body.decode(errors="replace"))
    return Result(False, f"HTTP probe failed with statuscode: {resp.status}")


def tcp_socket(action: dict, target: Target, timeout: float) -> Result:
    host = action.get("host") or target.pod_ip
    try:
        port = resolve_port(action.get("port"), target.container)
    except ValueError as exc:
        return Result(False, str(exc))
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return Result(True)
    except socket.timeout:
        return Result(False, f"dial tcp {host}:{port}: i/o timeout")
    except OSError as exc:
        return Result(False, _dial_error(host, port, exc))


def _dial_error(host: str, port: int, exc: OSError) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return f"dial tcp {host}:{port}: connect: connection refused"
    return f"dial tcp {host}:{port}: {exc.strerror or exc}"


def exec_in(runtime: Any, sandbox: Any, config: Any, argv: list[str], timeout: float) -> Result:
    """An exec probe or hook: the command's output is the message, as in Kubernetes."""
    try:
        params = inspect.signature(runtime.exec).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    if not {"stdout", "timeout"} <= set(params):
        return exec_with_timeout(lambda a: runtime.exec(sandbox, config, a), argv, timeout)
    with tempfile.TemporaryFile() as out:
        try:
            code = runtime.exec(sandbox, config, argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                timeout=timeout)
        except TimeoutError:
            return Result(False, f'command "{" ".join(argv)}" timed out')
        except Exception as exc:  # noqa: BLE001 - ExecError, or the container is gone
            return Result(False, getattr(exc, "message", None) or str(exc))
        out.seek(0)
        output = out.read(10 * 1024).decode(errors="replace")
    if code == 0:
        return Result(True, output)
    return Result(False, output.strip() or f"command exited with exit code {code}")


def exec_with_timeout(exec_fn: Callable[..., int], argv: list[str], timeout: float) -> Result:
    """Run the runtime's exec bounded by timeout: passed through when the runtime takes
    one, else the call waits in a helper thread that is abandoned at the deadline."""
    shown = " ".join(argv)
    if _accepts_timeout(exec_fn):
        try:
            code = exec_fn(argv, timeout=timeout)
        except TimeoutError:
            return Result(False, f'command "{shown}" timed out')
        except Exception as exc:  # noqa: BLE001 - any runtime error is a failed probe
            return Result(False, str(exc))
        return _exit_result(code)
    box: list = []
    thread = threading.Thread(target=lambda: box.append(_call(exec_fn, argv)), daemon=True)
    thread.start()
    thread.join(timeout)
    if not box:
        return Result(False, f'command "{shown}" timed out')
    value = box[0]
    return value if isinstance(value, Result) else _exit_result(value)


def _call(exec_fn: Callable[..., int], argv: list[str]) -> object:
    try:
        return exec_fn(argv)
    except Exception as exc:  # noqa: BLE001
        return Result(False, str(exc))


def _exit_result(code: int | None) -> Result:
    if code is None:
        return Result(False, "command timed out")
    if code == 0:
        return Result(True)
    return Result(False, f"command exited with exit code {code}")


def _accepts_timeout(fn: Callable[..., object]) -> bool:
    try:
        return "timeout" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
