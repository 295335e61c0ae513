"""/openapi/v3 documents generated from schemas/."""
from __future__ import annotations

import json

from minikctl.api import kinds
from minikctl.server import openapi


def test_schema_names():
    assert openapi.schema_name(kinds.by_kind("Deployment")) == "io.k8s.api.apps.v1.Deployment"
    assert openapi.schema_name(kinds.by_kind("Pod")) == "io.k8s.api.core.v1.Pod"
    assert openapi.schema_name(kinds.by_kind("Lease")) == "io.k8s.api.coordination.v1.Lease"


def test_root_links_every_group_version_by_hash():
    root = json.loads(openapi.root().body)
    docs = openapi.documents()
    assert set(root["paths"]) == set(docs) >= {"api/v1", "apis/apps/v1", "apis/batch/v1"}
    for name, entry in root["paths"].items():
        assert entry["serverRelativeURL"] == f"/openapi/v3/{name}?hash={docs[name].etag}"


def test_gv_document_has_kinds_and_patch_operations():
    doc = json.loads(openapi.documents()["apis/apps/v1"].body)
    schema = doc["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"]
    assert schema["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment", "version": "v1"}]
    assert schema["properties"]["spec"] == {
        "allOf": [{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}],
        "description": schema["properties"]["spec"]["description"]}
    patch = doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "apps", "version": "v1", "kind": "Deployment"}
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
    # The trap: advertising strategic merge patch makes kubectl diff with these schemas.
    assert "application/strategic-merge-patch+json" not in patch["requestBody"]["content"]


def test_convert():
    assert openapi.convert({"type": ["string", "null"], "description": "d"}) == {"type": "string", "description": "d"}
    assert openapi.convert({"oneOf": [{"type": ["string", "null"]}, {"type": ["integer", "null"]}]}) == {
        "type": "string", "format": "int-or-string", "x-kubernetes-int-or-string": True}
    assert openapi.convert({"$ref": "#/$defs/X"}) == {"$ref": "#/components/schemas/X"}
    assert openapi.convert({"type": "object", "additionalProperties": False,
                            "properties": {"type": {"type": "string"}}}) == {
        "type": "object", "properties": {"type": {"type": "string"}}}


def test_no_json_schema_leftovers():
    text = b"".join(d.body for d in openapi.documents().values())
    assert b"$defs" not in text and b'"null"' not in text
