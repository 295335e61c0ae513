"""The resource metrics API (metrics.k8s.io/v1beta1), behind `kubectl top pod|node`.

    GET /apis/metrics.k8s.io/v1beta1/pods                          every namespace
    GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods[/{name}]  (labelSelector, fieldSelector)
    GET /apis/metrics.k8s.io/v1beta1/nodes[/{name}]                (labelSelector)

There is no metrics-server: usage is measured when asked, exactly as `minikctl top`
measures it (cli/top.py, cli/top_node.py: each container's process tree over a quarter
of a second; a node's usage is that of its pods), so both commands agree. Pods that
are not running have no metrics and are left out; a missing one is 404, as
metrics-server answers.
"""
from __future__ import annotations

import datetime as _dt

from minikctl import errors
from minikctl.api import kinds
from minikctl.api.kinds import Kind
from minikctl.server.exchange import Exchange

GROUP, VERSION = "metrics.k8s.io", "v1beta1"
API_VERSION = f"{GROUP}/{VERSION}"
_PREFIX = f"/apis/{API_VERSION}/"
_READ = ("get", "list")
# For discovery (server/discovery.py): kubectl top looks for this group first.
KINDS = (Kind(GROUP, VERSION, "PodMetrics", "pods", verbs=_READ),
         Kind(GROUP, VERSION, "NodeMetrics", "nodes", namespaced=False, verbs=_READ))


def _parse(path: str) -> tuple[str, str | None, str | None] | None:
    """(resource, namespace, name) of a metrics path, or None."""
    if not path.startswith(_PREFIX):
        return None
    parts = [p for p in path[len(_PREFIX):].split("/") if p]
    namespace = None
    if len(parts) >= 3 and parts[0] == "namespaces" and parts[2] == "pods":
        namespace, parts = parts[1], parts[2:]
    if not parts or parts[0] not in ("pods", "nodes") or len(parts) > 2:
        return None
    return parts[0], namespace, parts[1] if len(parts) == 2 else None


def serves(path: str) -> bool:
    return _parse(path) is not None


def serve(ex: Exchange) -> None:
    from minikctl.server import status as statuses

    if ex.method not in ("GET", "HEAD"):
        return ex.send_status(statuses.method_not_allowed(ex.method))
    parsed = _parse(ex.path)
    assert parsed is not None
    resource, namespace, name = parsed
    if resource == "pods":
        return _pods(ex, namespace, name)
    return _nodes(ex, name)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _window() -> str:
    from minikctl.runtime import procstat

    return f"{int(procstat.SAMPLE_SECONDS * 1000)}ms"


def _usage(millicores: int, memory: int) -> dict:
    # As metrics-server writes them: nanocores and KiB.
    return {"cpu": f"{millicores * 1_000_000}n" if millicores else "0", "memory": f"{memory // 1024}Ki"}


def _meta(obj: dict, now: str) -> dict:
    md = obj.get("metadata") or {}
    out = {"name": md.get("name", ""), "creationTimestamp": now}
    if md.get("namespace"):
        out["namespace"] = md["namespace"]
    if md.get("labels"):
        out["labels"] = md["labels"]
    return out


def _pods(ex: Exchange, namespace: str | None, name: str | None) -> None:
    from minikctl.cli import top

    pod_kind = kinds.by_kind("Pod")
    if name is not None:
        try:
            pods = [ex.api.get(pod_kind, namespace or "", name)]
        except errors.NotFound:
            pods = []
    else:
        pods, _ = ex.api.list(pod_kind, namespace, label_selector=ex.query.get("labelSelector") or None,
                              field_selector=ex.query.get("fieldSelector") or None)
    now, window = _now(), _window()
    items = [{"metadata": _meta(u.pod, now), "timestamp": now, "window": window,
              "containers": [{"name": c, "usage": _usage(*cm)} for c, cm in sorted(u.containers.items())]}
             for u in top.measure(pods)]
    if name is not None:
        if not items:
            raise errors.NotFound("podmetrics.metrics.k8s.io", f"{namespace}/{name}")
        return ex.send_json(200, {"kind": "PodMetrics", "apiVersion": API_VERSION, **items[0]})
    ex.send_json(200, {"kind": "PodMetricsList", "apiVersion": API_VERSION, "metadata": {}, "items": items})


def _nodes(ex: Exchange, name: str | None) -> None:
    from minikctl.cli import top_node

    node_kind = kinds.by_kind("Node")
    if name is not None:
        try:
            nodes = [ex.api.get(node_kind, "", name)]
        except errors.NotFound:
            nodes = []
    else:
        nodes, _ = ex.api.list(node_kind, None, label_selector=ex.query.get("labelSelector") or None)
    pods, _ = ex.api.list(kinds.by_kind("Pod"), None)
    now, window = _now(), _window()
    items = [{"metadata": _meta(u.node, now), "timestamp": now, "window": window, "usage": _usage(u.cpu, u.memory)}
             for u in top_node.measure_nodes(nodes, pods) if u.cpu is not None and u.memory is not None]
    if name is not None:
        if not items:
            raise errors.NotFound("nodemetrics.metrics.k8s.io", name)
        return ex.send_json(200, {"kind": "NodeMetrics", "apiVersion": API_VERSION, **items[0]})
    ex.send_json(200, {"kind": "NodeMetricsList", "apiVersion": API_VERSION, "metadata": {}, "items": items})
