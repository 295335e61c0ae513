"""Unknown fields and the fieldValidation modes."""
from __future__ import annotations

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.server import fields

DEPLOY = kinds.by_kind("Deployment")


def obj(**spec_extra):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "labels": {"any": "thing"}},
            "spec": {"replicas": 1, **spec_extra,
                     "template": {"spec": {"containers": [{"name": "c", "image": "i", "bogus": 1}]}}}}


def test_strip_unknown_finds_paths():
    clean, found = fields.strip_unknown(DEPLOY, obj(replica=2))
    assert found == ["spec.replica", "spec.template.spec.containers[0].bogus"]
    assert "replica" not in clean["spec"]
    assert clean["metadata"]["labels"] == {"any": "thing"}  # map values are not fields


def test_strict_fails_with_kubernetes_message():
    with pytest.raises(errors.BadRequest) as exc:
        fields.enforce(DEPLOY, obj(replica=2), fields.STRICT, print)
    assert str(exc.value) == ('Deployment in version "v1" cannot be handled as a Deployment: strict decoding '
                              'error: unknown field "spec.replica", unknown field '
                              '"spec.template.spec.containers[0].bogus"')


def test_warn_and_ignore_drop_the_fields():
    warned: list[str] = []
    out = fields.enforce(DEPLOY, obj(replica=2), fields.WARN, warned.append)
    assert warned == ['unknown field "spec.replica"', 'unknown field "spec.template.spec.containers[0].bogus"']
    assert "replica" not in out["spec"]
    assert "replica" not in fields.enforce(DEPLOY, obj(replica=2), fields.IGNORE, warned.append)["spec"]


def test_api_mode_leaves_the_body_to_the_api_layer():
    body = obj(replica=2)
    assert fields.enforce(DEPLOY, body, fields.API, print) is body


def test_duplicates_are_reported():
    with pytest.raises(errors.BadRequest, match='duplicate field "replicas"'):
        fields.enforce(DEPLOY, obj(), fields.STRICT, print, duplicates=["replicas"])


def test_mode_parsing():
    assert fields.mode(None) == fields.WARN
    assert fields.mode("Strict") == fields.STRICT
    with pytest.raises(errors.BadRequest):
        fields.mode("Loose")
