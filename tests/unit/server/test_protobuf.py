"""Protobuf bodies: the envelope, scalars, maps, pointer zeros, unknown fields."""
from __future__ import annotations

from minikctl.server import protobuf


def varint(n: int) -> bytes:
    out = b""
    n &= (1 << 64) - 1
    while True:
        byte, n = n & 0x7F, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def field(number: int, value: bytes | int | str) -> bytes:
    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    return protobuf.MAGIC + field(1, field(1, api_version) + field(2, kind)) + field(2, raw) + field(3, "") + \
        field(4, "")


def meta(name: str, **labels: str) -> bytes:
    body = field(1, name) + field(2, "") + field(7, 0) + field(8, b"")
    for k, v in labels.items():
        body += field(11, field(1, k) + field(2, v))
    return body


def test_namespace():
    raw = field(1, meta("demo")) + field(2, b"") + field(3, field(1, ""))
    assert protobuf.decode(envelope("v1", "Namespace", raw)) == {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}}


def test_deployment_keeps_pointer_zero_and_drops_plain_zero():
    container = field(1, "c") + field(2, "nginx") + field(3, "sleep") + field(3, "1") + field(8, b"") + field(16, 0)
    template = field(1, meta("", app="w")) + field(2, field(2, container) + field(3, ""))
    spec = field(1, 0) + field(2, field(1, field(1, "app") + field(2, "w"))) + field(3, template) + field(5, 0)
    obj = protobuf.decode(envelope("apps/v1", "Deployment", field(1, meta("w", app="w")) + field(2, spec)))
    assert obj["spec"]["replicas"] == 0 and "minReadySeconds" not in obj["spec"]
    assert obj["spec"]["template"]["spec"]["containers"] == [{"name": "c", "image": "nginx", "command": ["sleep", "1"]}]
    assert obj["metadata"] == {"name": "w", "labels": {"app": "w"}}


def test_secret_bytes_are_base64_and_int_or_string():
    secret = protobuf.decode(envelope("v1", "Secret", field(1, meta("s")) + field(2, field(1, "k") + field(2, b"v"))))
    assert secret["data"] == {"k": "dg=="}
    port = field(1, "p") + field(3, 80) + field(4, field(1, 1) + field(3, "http"))
    svc = protobuf.decode(envelope("v1", "Service", field(1, meta("x")) + field(2, field(1, port))))
    assert svc["spec"]["ports"] == [{"name": "p", "port": 80, "targetPort": "http"}]


def test_unknown_nonzero_fields_and_other_kinds_are_undecodable():
    assert protobuf.decode(envelope("v1", "ConfigMap", field(1, meta("c")) + field(99, "surprise"))) is None
    assert protobuf.decode(envelope("v1", "ConfigMap", field(1, meta("c")) + field(99, ""))) is not None
    assert protobuf.decode(envelope("v1", "Pod", field(1, meta("p")))) is None
    assert protobuf.decode(b"k8s\x00\x0a\x0f") is None
    assert protobuf.decode(b"not protobuf") is None
