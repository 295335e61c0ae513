"""Which handler serves a request, by path: the whole URL space of the server.

    /version, /healthz /livez /readyz        version.py
    /api, /apis, /api/v1, /apis/{g}[/{v}]    discovery.py
    /openapi/v3[/...], /openapi/v2 (404)     here, from openapi.py's documents
    /apis/authentication.k8s.io/..., /apis/authorization.k8s.io/...   reviews.py (whoami, can-i)
    /apis/metrics.k8s.io/v1beta1/...         metrics.py (kubectl top)
    /api/v1/..., /apis/{g}/{v}/...           resources.py (collections, objects, subresources)
"""
from __future__ import annotations

from minikctl.server import discovery, metrics, openapi, resources, reviews, routes, version
from minikctl.server import status as statuses
from minikctl.server.exchange import Exchange


def handle(ex: Exchange) -> None:
    path = ex.path.rstrip("/") or "/"
    if path == "/version":
        return _read_only(ex, version.serve_version)
    if version.is_health(path):
        return _read_only(ex, version.serve_health)
    if path.startswith("/openapi/"):
        return _read_only(ex, _openapi)
    if path in ("/api", "/apis") or _is_group_path(path):
        return _read_only(ex, _discovery)
    if reviews.serves(path):
        return reviews.serve(ex)
    if metrics.serves(path):
        return metrics.serve(ex)
    target = routes.resolve(path)
    if target is None:
        return ex.send_not_found()
    return resources.serve(ex, target)


def _read_only(ex: Exchange, serve) -> None:  # type: ignore[no-untyped-def]
    if ex.method not in ("GET", "HEAD"):
        return ex.send_status(statuses.method_not_allowed(ex.method))
    return serve(ex)


def _is_group_path(path: str) -> bool:
    parts = path.strip("/").split("/")
    return (parts[0] == "api" and len(parts) == 2) or (parts[0] == "apis" and len(parts) in (2, 3))


def _discovery(ex: Exchange) -> None:
    path = ex.path.rstrip("/")
    aggregated = discovery.aggregated_version(ex.accept)
    if path in ("/api", "/apis"):
        if aggregated:
            ctype = discovery.AGGREGATED_V2 if aggregated == "v2" else discovery.AGGREGATED_V2BETA1
            return ex.send_json(200, discovery.aggregated(path == "/api", aggregated), ctype)
        body = discovery.api_versions(ex.ctx.address) if path == "/api" else discovery.api_group_list()
        return ex.send_json(200, body)
    parts = path.strip("/").split("/")
    if parts[0] == "apis" and len(parts) == 2:
        group = discovery.api_group(parts[1])
        return ex.send_json(200, group) if group else ex.send_not_found()
    api_version = parts[1] if parts[0] == "api" else f"{parts[1]}/{parts[2]}"
    found = discovery.resource_list(api_version)
    return ex.send_json(200, found) if found else ex.send_not_found()


def _openapi(ex: Exchange) -> None:
    rest = ex.path[len("/openapi/"):].strip("/")
    if rest == "v3":
        doc = openapi.root()
        # The root changes only with the server's code: revalidated by ETag, never hashed.
        return _send_document(ex, doc, "no-cache, private")
    if rest.startswith("v3/"):
        doc = openapi.documents().get(rest[3:])
        if doc is None:
            return ex.send_not_found()
        immutable = ex.query.get("hash") == doc.etag
        return _send_document(ex, doc, "public, immutable, max-age=31536000" if immutable else "no-cache, private")
    return ex.send_not_found()  # /openapi/v2: kubectl asks only for protobuf and falls back


def _send_document(ex: Exchange, doc: openapi.Document, cache_control: str) -> None:
    etag = f'"{doc.etag}"'
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if ex.headers.get("If-None-Match") == etag:
        return ex.send(304, b"", "", headers)
    ex.send(200, doc.body, "application/json", headers)
