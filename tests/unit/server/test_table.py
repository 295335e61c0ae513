"""Table and PartialObjectMetadata views."""
from __future__ import annotations

from minikctl.api import kinds
from minikctl.server import table

TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;"
                "g=meta.k8s.io,application/json")
POD = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "web-1", "namespace": "default", "labels": {"app": "web"},
                    "creationTimestamp": "2020-01-01T00:00:00Z", "resourceVersion": "7"},
       "spec": {"containers": [{"name": "c", "image": "i"}]}, "status": {"phase": "Pending"}}


def test_wanted_view():
    assert table.wanted_view(TABLE_ACCEPT) == "Table"
    assert table.wanted_view("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io") \
        == "PartialObjectMetadataList"
    assert table.wanted_view("application/json") is None
    assert table.wanted_view("") is None


def test_pod_table():
    t = table.table(kinds.by_kind("Pod"), [POD], resource_version="9")
    names = [c["name"] for c in t["columnDefinitions"]]
    assert names == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"]
    assert t["columnDefinitions"][0]["format"] == "name"
    assert [c["priority"] for c in t["columnDefinitions"]] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    [row] = t["rows"]
    assert row["cells"][:3] == ["web-1", "0/1", "Pending"]
    assert row["object"] == {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": POD["metadata"]}
    assert t["metadata"] == {"resourceVersion": "9"}


def test_include_object():
    assert "object" not in table.table(kinds.by_kind("Pod"), [POD], resource_version="1", include="None")["rows"][0]
    full = table.table(kinds.by_kind("Pod"), [POD], resource_version="1", include="Object")
    assert full["rows"][0]["object"] is POD


def test_default_columns_for_kinds_without_a_printer():
    cols = table.column_definitions(kinds.by_kind("Lease"))
    assert [c["name"] for c in cols][0] == "Name"
