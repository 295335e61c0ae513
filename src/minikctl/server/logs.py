"""pods/log: a container's output, read from the kubelet's files.

Layout: $MINIKCTL_HOME/pods/<namespace>_<name>_<uid>/<container>/<restartCount>.log,
one file per start of the container. Parameters as Kubernetes: container (default: the
`kubectl.kubernetes.io/default-container` annotation, else the only container), previous
(the file of the last restart), tailLines, limitBytes, sinceSeconds/sinceTime, follow
(stream as the file grows, until the container stops or the client hangs up).

The files hold raw output without per-line times, so sinceSeconds/sinceTime select
whole files by their last write; `timestamps` is accepted and ignored.
"""
from __future__ import annotations

import os
import time

from minikctl import errors
from minikctl.api import meta
from minikctl.server.exchange import Exchange
from minikctl.server.routes import Target

TEXT = "text/plain"
_POLL = 0.2  # seconds between looks at a followed file
_POD_CHECK = 1.0  # seconds between looks at the pod while following
_CHUNK = 64 * 1024


def serve(ex: Exchange, t: Target) -> None:
    pod = ex.api.get(t.kind, t.namespace or "", t.name or "")
    container = choose_container(pod, ex.query.get("container") or "")
    path = log_file(ex.ctx.home, pod, container, previous=ex.flag("previous"))
    data = _read(path, tail=ex.int_param("tailLines"), since=_since(ex))
    limit = ex.int_param("limitBytes")
    if limit is not None and limit >= 0:
        data = data[:limit]
    if not ex.flag("follow") or ex.flag("previous"):
        return ex.send(200, data, TEXT)
    ex.start_stream(TEXT)
    try:
        ex.write_chunk(data)
        _follow(ex, t, pod, container, path, offset=_size(path), budget=None if limit is None else limit - len(data))
    except OSError:
        ex.hang_up()
        return
    ex.end_stream()


# -- which container, which file ------------------------------------------------------------


def choose_container(pod: dict, asked: str) -> str:
    spec = pod.get("spec") or {}
    names = [c.get("name", "") for c in spec.get("containers") or []]
    inits = [c.get("name", "") for c in spec.get("initContainers") or []]
    pod_name = meta.name_of(pod)
    if asked:
        if asked not in names + inits:
            raise errors.BadRequest(f"container {asked} is not valid for pod {pod_name}")
        return asked
    default = ((pod.get("metadata") or {}).get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    if default in names:
        return default  # type: ignore[return-value]
    if len(names) == 1:
        return names[0]
    hint = f" or one of the init containers: [{' '.join(inits)}]" if inits else ""
    raise errors.BadRequest(f"a container name must be specified for pod {pod_name}, choose one of: "
                            f"[{' '.join(names)}]{hint}")


def pod_dir(home: str, pod: dict) -> str:
    md = pod.get("metadata") or {}
    return os.path.join(home, "pods", f"{md.get('namespace', '')}_{md.get('name', '')}_{md.get('uid', '')}")


def _status_of(pod: dict, container: str) -> dict:
    st = pod.get("status") or {}
    for cs in (st.get("containerStatuses") or []) + (st.get("initContainerStatuses") or []):
        if cs.get("name") == container:
            return cs
    return {}


def log_file(home: str, pod: dict, container: str, *, previous: bool) -> str:
    directory = os.path.join(pod_dir(home, pod), container)
    status = _status_of(pod, container)
    restarts = _restarts_on_disk(directory)
    current = status.get("restartCount")
    if not isinstance(current, int):
        current = restarts[-1] if restarts else 0
    wanted = current - 1 if previous else current
    path = os.path.join(directory, f"{wanted}.log")
    if wanted >= 0 and os.path.exists(path):
        return path
    pod_name = meta.name_of(pod)
    if previous:
        raise errors.BadRequest(f'previous terminated container "{container}" in pod "{pod_name}" not found')
    waiting = (status.get("state") or {}).get("waiting") or {}
    reason = waiting.get("reason") or "ContainerCreating"
    raise errors.BadRequest(f'container "{container}" in pod "{pod_name}" is waiting to start: {reason}')


def _restarts_on_disk(directory: str) -> list[int]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return sorted(int(n[:-4]) for n in names if n.endswith(".log") and n[:-4].isdigit())


# -- reading ------------------------------------------------------------------------------------


def _since(ex: Exchange) -> float | None:
    seconds = ex.int_param("sinceSeconds")
    if seconds is not None:
        return time.time() - seconds
    when = ex.query.get("sinceTime")
    if when:
        try:
            return meta.parse_time(when).timestamp()
        except ValueError:
            raise errors.BadRequest(f'sinceTime: Invalid value: "{when}": must be RFC 3339') from None
    return None


def _read(path: str, *, tail: int | None, since: float | None) -> bytes:
    if since is not None and os.path.getmtime(path) < since:
        return b""
    with open(path, "rb") as f:
        data = f.read()
    if tail is not None and tail >= 0:
        data = _tail(data, tail)
    return data


def _tail(data: bytes, lines: int) -> bytes:
    if lines == 0:
        return b""
    parts = data.split(b"\n")
    trailing = data.endswith(b"\n")
    body = parts[:-1] if trailing else parts
    kept = body[-lines:]
    return b"\n".join(kept) + (b"\n" if trailing else b"")


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _follow(ex: Exchange, t: Target, pod: dict, container: str, path: str, *, offset: int,
            budget: int | None) -> None:
    """Stream what is appended to `path` until the container stops running."""
    started_with = _status_of(pod, container).get("restartCount")
    next_check = time.monotonic() + _POD_CHECK
    with open(path, "rb") as f:
        f.seek(offset)
        while not ex.ctx.stopping.is_set():
            data = f.read(_CHUNK)
            if data:
                if budget is not None:
                    data, budget = data[:budget], budget - len(data)
                ex.write_chunk(data)
                if budget is not None and budget <= 0:
                    return
                continue
            if ex.client_gone():
                return
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + _POD_CHECK
                if not _still_running(ex, t, container, started_with):
                    ex.write_chunk(f.read())  # whatever arrived before it stopped
                    return
            time.sleep(_POLL)


def _still_running(ex: Exchange, t: Target, container: str, restart_count: object) -> bool:
    try:
        pod = ex.api.get(t.kind, t.namespace or "", t.name or "")
    except errors.NotFound:
        return False
    status = _status_of(pod, container)
    if not status:
        return True  # no status yet: the kubelet has not reported; keep waiting
    if status.get("restartCount") != restart_count:
        return False  # a new file: kubectl logs -f ends, as with kubelet's log rotation per start
    return "running" in (status.get("state") or {})
