"""The policy/v1 Eviction kubectl drain's typed client may send as protobuf: metadata and
deleteOptions decoded, a zero grace period kept (a pointer), dryRun listed."""
from __future__ import annotations

from minikctl.server import protobuf
from tests.unit.server.test_protobuf import envelope, field, meta


def test_eviction_with_delete_options():
    options = field(1, 0) + field(5, "All") + field(4, "")
    raw = field(1, meta("web-1") + field(3, "default")) + field(2, options)
    assert protobuf.decode(envelope("policy/v1", "Eviction", raw)) == {
        "apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "web-1", "namespace": "default"},
        "deleteOptions": {"gracePeriodSeconds": 0, "dryRun": ["All"]}}


def test_eviction_without_options():
    raw = field(1, meta("web-1"))
    assert protobuf.decode(envelope("policy/v1", "Eviction", raw)) == {
        "apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "web-1"}}
