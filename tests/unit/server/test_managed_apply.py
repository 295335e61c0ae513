"""Field sets, FieldsV1, Update bookkeeping and server-side apply merges."""
from __future__ import annotations

import pytest

from minikctl.api import kinds
from minikctl.server import apply, managed

DEPLOY = kinds.by_kind("Deployment")


def deployment(replicas=2, image="nginx", env=True, labels=None):
    container = {"name": "c", "image": image}
    if env:
        container["env"] = [{"name": "MODE", "value": "a"}]
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "default", "labels": labels or {"app": "d"}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "d"}},
                     "template": {"metadata": {"labels": {"app": "d"}}, "spec": {"containers": [container]}}}}


def test_field_set_and_fields_v1():
    paths = managed.field_set(DEPLOY, deployment())
    v1 = managed.to_fields_v1(paths)
    assert v1["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}
    assert v1["f:spec"]["f:selector"] == {}  # an atomic map
    item = v1["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"c"}']
    assert item[".".strip()] == {} and item["f:image"] == {}
    assert item["f:env"] == {'k:{"name":"MODE"}': {".": {}, "f:name": {}, "f:value": {}}}
    assert managed.from_fields_v1(v1) == paths


def test_record_update_moves_ownership():
    old = deployment()
    old["metadata"]["managedFields"] = [managed.entry("creator", "Update", "apps/v1", managed.field_set(DEPLOY, old))]
    new = deployment(replicas=5)
    entries = managed.record_update(DEPLOY, old, new, "scaler", "scale")
    owners = {e["manager"]: managed.owned(e) for e in entries}
    assert ("f:spec", "f:replicas") in owners["scaler"]
    assert ("f:spec", "f:replicas") not in owners["creator"]
    assert entries[-1]["subresource"] == "scale"


def test_apply_conflict_and_force():
    live = deployment(replicas=5)
    live["metadata"]["managedFields"] = [
        managed.entry("kubectl", "Update", "apps/v1", {("f:spec", "f:replicas")}, "scale")]
    with pytest.raises(apply.ApplyConflict) as exc:
        apply.merge(DEPLOY, live, deployment(replicas=2), "applier", force=False)
    assert str(exc.value).startswith('Apply failed with 1 conflict: conflict with "kubectl" with subresource '
                                     '"scale" using apps/v1 at ')
    assert str(exc.value).endswith(": .spec.replicas")
    status = exc.value.to_status()
    assert status["code"] == 409 and status["details"]["causes"][0]["field"] == ".spec.replicas"
    merged = apply.merge(DEPLOY, live, deployment(replicas=2), "applier", force=True)
    assert merged["spec"]["replicas"] == 2
    assert [e["manager"] for e in merged["metadata"]["managedFields"]] == ["applier"]


def test_same_value_is_shared_not_a_conflict():
    live = deployment(replicas=2)
    live["metadata"]["managedFields"] = [managed.entry("other", "Update", "apps/v1", {("f:spec", "f:replicas")})]
    merged = apply.merge(DEPLOY, live, deployment(replicas=2), "applier", force=False)
    assert {e["manager"] for e in merged["metadata"]["managedFields"]} == {"other", "applier"}


def test_fields_no_longer_applied_are_removed():
    first = apply.merge(DEPLOY, deployment(), deployment(), "applier", force=False)
    second = apply.merge(DEPLOY, first, deployment(env=False), "applier", force=False)
    assert "env" not in second["spec"]["template"]["spec"]["containers"][0]


def test_fields_kept_by_others_stay():
    first = apply.merge(DEPLOY, deployment(labels={"app": "d", "tier": "x"}),
                        deployment(labels={"app": "d", "tier": "x"}), "applier", force=False)
    first["metadata"]["managedFields"].append(
        managed.entry("labeler", "Update", "apps/v1", {("f:metadata", "f:labels", "f:tier")}))
    second = apply.merge(DEPLOY, first, deployment(labels={"app": "d"}), "applier", force=False)
    assert second["metadata"]["labels"] == {"app": "d", "tier": "x"}


def test_path_string():
    assert apply.path_string(("f:spec", "f:template", "f:spec", "f:containers", 'k:{"name":"c"}', "f:image")) \
        == '.spec.template.spec.containers[name="c"].image'
    assert apply.path_string(("f:spec", "f:finalizers", 'v:"x"')) == '.spec.finalizers[="x"]'
