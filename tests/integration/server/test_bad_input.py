"""Bad input gets the right Status, never a traceback, and the server keeps serving:
missing or wrong tokens, unknown paths, malformed bodies and patches, oversized bodies,
protobuf, watches from a compacted revision, clients that vanish mid-stream, and many
clients at once."""
from __future__ import annotations

import concurrent.futures
import json
import socket
import ssl
import threading
import time

import pytest

from minikctl.api import kinds

from .wire import request, status_of


def still_serving(served) -> None:
    code, _, data = request(served, "GET", "/api/v1/namespaces/default")
    assert code == 200, data


def test_no_token_is_401_except_health_and_version(served):
    code, _, data = request(served, "GET", "/api/v1/pods", token=None)
    assert code == 401
    assert status_of(data)["reason"] == "Unauthorized"
    assert request(served, "GET", "/healthz", token=None)[:3:2] == (200, b"ok")
    assert request(served, "GET", "/version", token=None)[0] == 200


def test_wrong_token_is_401_everywhere(served):
    for path in ("/api/v1/pods", "/version", "/apis"):
        code, _, data = request(served, "GET", path, token="wrong")
        assert code == 401, path
        assert status_of(data)["message"] == "Unauthorized"


def test_unknown_paths_and_resources_are_404(served):
    for path in ("/api/v1/frobnicators", "/apis/nosuch.io/v1/things", "/nothing/here", "/openapi/v2",
                 "/api/v1/namespaces/default/pods/x/nosub"):
        code, _, data = request(served, "GET", path)
        assert code == 404, path
        assert status_of(data)["message"] == "the server could not find the requested resource"
    code, _, data = request(served, "GET", "/api/v1/namespaces/default/pods/nosuch")
    assert code == 404 and status_of(data)["message"] == 'pods "nosuch" not found'


def test_malformed_bodies_and_patches_are_400(served):
    served.local.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "patched"}})
    cases = [
        ("POST", "/api/v1/namespaces/default/configmaps", b"{not json", "application/json"),
        ("POST", "/api/v1/namespaces/default/configmaps", b"[1, 2]", "application/json"),
        ("PATCH", "/api/v1/namespaces/default/configmaps/patched", b"{bad", "application/merge-patch+json"),
        ("PATCH", "/api/v1/namespaces/default/configmaps/patched", b'[{"op": "frob", "path": "/x"}]',
         "application/json-patch+json"),
        ("PATCH", "/api/v1/namespaces/default/configmaps/patched", b'"a string"',
         "application/strategic-merge-patch+json"),
        ("PATCH", "/api/v1/namespaces/default/configmaps/patched", b'{"op": "add"}', "application/json-patch+json"),
        ("PATCH", "/api/v1/namespaces/default/configmaps/patched", b'{"metadata": {"name": "other"}}',
         "application/merge-patch+json"),
    ]
    for method, path, body, ctype in cases:
        code, _, data = request(served, method, path, body=body, headers={"Content-Type": ctype})
        assert code == 400, (body, data)
        assert status_of(data)["reason"] == "BadRequest"
    code, _, _ = request(served, "PATCH", "/api/v1/namespaces/default/configmaps/patched", body=b"{}",
                         headers={"Content-Type": "text/plain"})
    assert code == 415
    still_serving(served)


def test_protobuf_body_is_415(served):
    code, _, data = request(served, "POST", "/api/v1/namespaces", body=b"k8s\x00\x0a\x0f",
                            headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
    assert code == 415
    assert status_of(data)["reason"] == "UnsupportedMediaType"


def test_ten_megabyte_body_is_413(served):
    big = b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"a":"' + b"x" * (10 << 20) + b'"}}'
    try:
        code, _, data = request(served, "POST", "/api/v1/namespaces/default/configmaps", body=big,
                                headers={"Content-Type": "application/json"})
    except (BrokenPipeError, ConnectionResetError):
        code, data = 413, b""  # the server answered and closed before the upload finished
    assert code == 413
    if data:
        assert status_of(data)["reason"] == "RequestEntityTooLarge"
    still_serving(served)


def test_watch_from_compacted_revision_is_410(served):
    cm = kinds.by_kind("ConfigMap")
    served.local.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "churn"}})
    for i in range(5):
        served.local.modify(cm, "default", "churn", lambda o, i=i: o.setdefault("data", {}).update(i=str(i)))
    served.local.store.compact(keep=1)
    code, _, data = request(served, "GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1")
    assert code == 200
    event = json.loads(data.splitlines()[0])
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")


def test_client_disconnecting_mid_watch(served):
    before = threading.active_count()
    ctx = ssl.create_default_context(cafile=served.server.ca_file)
    for _ in range(5):
        raw = socket.create_connection(("127.0.0.1", served.server.port), timeout=5)
        sock = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        sock.sendall(b"GET /api/v1/namespaces/default/configmaps?watch=true HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer " + served.server.token.encode() + b"\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
        sock.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and threading.active_count() > before + 1:
        time.sleep(0.1)
    assert threading.active_count() <= before + 1, "watch threads outlive their clients"
    still_serving(served)


def test_two_hundred_concurrent_clients(served):
    def one(i: int) -> int:
        path = "/api/v1/namespaces/default/configmaps" if i % 2 else "/apis/apps/v1/deployments"
        return request(served, "GET", path, timeout=60)[0]

    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
        codes = list(pool.map(one, range(200)))
    assert codes == [200] * 200
    still_serving(served)


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz", "/healthz/ping"])
def test_health(served, path):
    code, _, data = request(served, "GET", path)
    assert (code, data) == (200, b"ok")
