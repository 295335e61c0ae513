"""Strategic merge patch (apply, three-way, two-way), JSON merge patch and JSON patch."""
from __future__ import annotations

import copy

import pytest

from minikctl.api import kinds, schemas
from minikctl.api.strategicpatch import (
    apply_json_patch,
    apply_merge_patch,
    apply_patch,
    create_three_way_patch,
    create_two_way_patch,
)

DEPLOYMENT = schemas.load(kinds.resolve("deployment"))
POD = schemas.load(kinds.resolve("pod"))
SERVICE = schemas.load(kinds.resolve("service"))


def deployment(containers: list, *, labels: dict | None = None, **pod_spec) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": labels if labels is not None else {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": containers, **pod_spec},
            },
        },
    }


def pod(**spec) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def containers_of(obj: dict) -> list:
    return obj["spec"]["template"]["spec"]["containers"]


def pod_spec_patch(**fields) -> dict:
    return {"spec": {"template": {"spec": fields}}}


WEB = {"name": "web", "image": "nginx:1.25", "ports": [{"containerPort": 80}],
       "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}
SIDECAR = {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "inf"]}
# What the API server adds to a container (defaulting): must never show up in a patch.
DEFAULTS = {"imagePullPolicy": "IfNotPresent", "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File", "resources": {}}


def defaulted(container: dict) -> dict:
    out = {**container, **DEFAULTS}
    if "ports" in out:
        out["ports"] = [{**p, "protocol": "TCP"} for p in out["ports"]]
    return out


# --------------------------------------------------------------------------- apply_patch

APPLY_CASES = [
    pytest.param(
        deployment([WEB, SIDECAR]),
        pod_spec_patch(containers=[{"name": "sidecar", "image": "busybox:1.37"}]),
        deployment([WEB, {**SIDECAR, "image": "busybox:1.37"}]),
        id="container-image-by-name",
    ),
    pytest.param(
        deployment([WEB]),
        pod_spec_patch(containers=[{
            "name": "web",
            "$setElementOrder/env": [{"name": "A"}, {"name": "B"}, {"name": "C"}],
            "env": [{"name": "C", "value": "3"}],
        }]),
        deployment([{**WEB, "env": [*WEB["env"], {"name": "C", "value": "3"}]}]),
        id="add-env-var-by-name",
    ),
    pytest.param(
        deployment([WEB]),
        pod_spec_patch(containers=[{"name": "web", "env": [{"name": "A", "$patch": "delete"}]}]),
        deployment([{**WEB, "env": [{"name": "B", "value": "2"}]}]),
        id="delete-env-var-by-name",
    ),
    pytest.param(
        deployment([WEB]),
        pod_spec_patch(containers=[{
            "name": "web",
            "$setElementOrder/ports": [{"containerPort": 80}, {"containerPort": 443}],
            "ports": [{"containerPort": 443, "name": "https"}],
        }]),
        deployment([{**WEB, "ports": [{"containerPort": 80}, {"containerPort": 443, "name": "https"}]}]),
        id="ports-merge-by-containerPort",
    ),
    pytest.param(
        deployment([WEB], volumes=[{"name": "data", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]),
        pod_spec_patch(volumes=[{"name": "data", "configMap": {"name": "cfg"}, "$retainKeys": ["configMap", "name"]}]),
        deployment([WEB], volumes=[{"name": "data", "configMap": {"name": "cfg"}}, {"name": "tmp", "emptyDir": {}}]),
        id="volume-source-change-with-retainKeys",
    ),
    pytest.param(
        deployment([WEB], tolerations=[{"key": "a", "operator": "Exists"}, {"key": "b", "operator": "Exists"}]),
        pod_spec_patch(tolerations=[{"key": "c", "operator": "Exists"}]),
        deployment([WEB], tolerations=[{"key": "c", "operator": "Exists"}]),
        id="tolerations-have-no-merge-key-so-replace",
    ),
    pytest.param(
        deployment([WEB]),
        pod_spec_patch(containers=[{"name": "web", "command": ["nginx", "-g", "daemon off;"]}]),
        deployment([{**WEB, "command": ["nginx", "-g", "daemon off;"]}]),
        id="atomic-list-inside-merged-item",
    ),
    pytest.param(
        deployment([WEB], labels={"app": "web", "tier": "front"}),
        {"metadata": {"labels": {"tier": None, "team": "a"}}},
        deployment([WEB], labels={"app": "web", "team": "a"}),
        id="null-deletes-a-key",
    ),
    pytest.param(
        deployment([WEB, SIDECAR]),
        pod_spec_patch(containers=[{"$patch": "replace"}, {"name": "only", "image": "x"}]),
        deployment([{"name": "only", "image": "x"}]),
        id="patch-replace-in-a-list",
    ),
    pytest.param(
        deployment([WEB], labels={"app": "web", "tier": "front"}),
        {"metadata": {"labels": {"$patch": "replace", "app": "other"}}},
        deployment([WEB], labels={"app": "other"}),
        id="patch-replace-in-a-map",
    ),
    pytest.param(
        deployment([WEB], labels={"app": "web"}),
        {"metadata": {"labels": {"$patch": "delete"}}},
        deployment([WEB], labels={}),
        id="patch-delete-in-a-map",
    ),
    pytest.param(
        {"metadata": {"name": "x", "finalizers": ["a/one", "b/two"]}},
        {"metadata": {"finalizers": ["b/two", "c/three"]}},
        {"metadata": {"name": "x", "finalizers": ["a/one", "b/two", "c/three"]}},
        id="primitive-list-union-finalizers",
    ),
    pytest.param(
        {"metadata": {"name": "x", "finalizers": ["a/one", "b/two", "c/three"]}},
        {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b/two"]}},
        {"metadata": {"name": "x", "finalizers": ["a/one", "c/three"]}},
        id="deleteFromPrimitiveList",
    ),
    pytest.param(
        {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}}}},
        {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}},
        {"spec": {"strategy": {"type": "Recreate"}}},
        id="retainKeys-clears-unlisted-fields",
    ),
    pytest.param(
        deployment([WEB, SIDECAR]),
        pod_spec_patch(containers=[{"name": "new", "image": "x"}]),
        # Kubernetes puts patch items absent from the live list first unless the patch
        # carries $setElementOrder (which kubectl apply always sends).
        deployment([{"name": "new", "image": "x"}, WEB, SIDECAR]),
        id="new-items-without-setElementOrder-come-first",
    ),
    pytest.param(
        deployment([WEB, SIDECAR]),
        pod_spec_patch(containers=[{"name": "sidecar", "image": "b"}, {"name": "new", "image": "x"}]),
        deployment([WEB, {**SIDECAR, "image": "b"}, {"name": "new", "image": "x"}]),
        id="patch-order-kept-among-its-items",
    ),
    pytest.param(
        deployment([WEB, SIDECAR]),
        pod_spec_patch(**{"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}]}),
        deployment([SIDECAR, WEB]),
        id="setElementOrder-alone-reorders",
    ),
    pytest.param(
        deployment([WEB]),
        pod_spec_patch(volumes=[{"name": "v", "emptyDir": {"medium": None}, "secret": None},
                                {"name": "gone", "$patch": "delete"}]),
        deployment([WEB], volumes=[{"name": "v", "emptyDir": {}}]),
        id="new-values-carry-no-nulls-or-directives",
    ),
    pytest.param(
        deployment([WEB]),
        pod_spec_patch(volumes=[{"$patch": "replace"}, {"name": "v", "emptyDir": {}}],
                       affinity={"$patch": "replace", "nodeAffinity": {}}),
        deployment([WEB], volumes=[{"name": "v", "emptyDir": {}}], affinity={"nodeAffinity": {}}),
        id="new-values-drop-replace-markers",
    ),
    pytest.param(
        {"spec": {"replicas": 1, "strategy": {"type": "Recreate"}}},
        {"spec": {"strategy": "oops", "paused": True}},
        {"spec": {"replicas": 1, "strategy": "oops", "paused": True}},
        id="type-change-replaces",
    ),
]


@pytest.mark.parametrize(("original", "patch", "expected"), APPLY_CASES)
def test_apply_patch(original, patch, expected):
    assert apply_patch(original, patch, DEPLOYMENT) == expected


def test_apply_patch_service_ports_merge_by_port():
    live = {"spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10",
                     "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}]}}
    patch = {"spec": {"ports": [{"port": 80, "targetPort": "http"}, {"port": 443, "targetPort": 8443}],
                      "$setElementOrder/ports": [{"port": 80}, {"port": 443}]}}
    assert apply_patch(live, patch, SERVICE)["spec"]["ports"] == [
        {"port": 80, "targetPort": "http", "protocol": "TCP"},
        {"port": 443, "targetPort": 8443},
    ]


def test_apply_patch_pod_volume_mounts_merge_by_mount_path():
    live = pod(containers=[{"name": "c", "volumeMounts": [{"name": "a", "mountPath": "/a"}]}])
    mount = {"name": "b", "mountPath": "/a", "readOnly": True}
    patch = {"spec": {"containers": [{"name": "c", "volumeMounts": [mount]}]}}
    assert apply_patch(live, patch, POD)["spec"]["containers"][0]["volumeMounts"] == [mount]


def test_apply_patch_does_not_mutate_its_inputs():
    original = deployment([WEB, SIDECAR])
    patch = pod_spec_patch(**{"$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}]},
                           containers=[{"name": "web", "env": [{"name": "A", "$patch": "delete"}]}])
    before = copy.deepcopy((original, patch))
    result = apply_patch(original, patch, DEPLOYMENT)
    assert (original, patch) == before
    result["spec"]["template"]["spec"]["containers"][1]["image"] = "changed"
    assert original == before[0]


def test_apply_patch_without_a_schema_merges_maps_and_replaces_lists():
    original = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert apply_patch(original, {"a": {"c": [3]}, "d": None}, None) == {"a": {"b": 1, "c": [3]}}


@pytest.mark.parametrize(("patch", "message"), [
    pytest.param(pod_spec_patch(containers=[{"image": "x"}]), "does not contain declared merge key: name",
                 id="missing-merge-key"),
    pytest.param({"metadata": {"labels": {"$patch": "frobnicate"}}}, "unknown patch type", id="unknown-directive"),
    pytest.param(pod_spec_patch(**{"$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}]},
                                containers=[{"name": "sidecar", "image": "a"}, {"name": "web", "image": "b"}]),
                 "doesn't match", id="patch-order-contradicts-setElementOrder"),
])
def test_apply_patch_errors(patch, message):
    with pytest.raises(ValueError, match=message):
        apply_patch(deployment([WEB, SIDECAR]), patch, DEPLOYMENT)


def test_apply_patch_rejects_a_field_missing_from_retain_keys():
    live = {"spec": {"strategy": {"type": "RollingUpdate"}}}
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}}
    with pytest.raises(ValueError, match="missing from \\$retainKeys"):
        apply_patch(live, patch, DEPLOYMENT)


# --------------------------------------------------------------------------- three-way (kubectl apply)

THREE_WAY_CASES = [
    pytest.param(
        deployment([WEB]),
        deployment([WEB]),
        deployment([defaulted(WEB)]),
        {},
        id="unchanged-with-server-defaults-is-empty",
    ),
    pytest.param(
        deployment([WEB]),
        deployment([{**WEB, "image": "nginx:1.27"}]),
        deployment([defaulted(WEB)]),
        pod_spec_patch(**{"$setElementOrder/containers": [{"name": "web"}]},
                       containers=[{"name": "web", "image": "nginx:1.27"}]),
        id="container-image-change",
    ),
    pytest.param(
        deployment([WEB]),
        deployment([{**WEB, "env": [*WEB["env"], {"name": "C", "value": "3"}]}]),
        deployment([defaulted(WEB)]),
        pod_spec_patch(**{"$setElementOrder/containers": [{"name": "web"}]}, containers=[{
            "name": "web",
            "$setElementOrder/env": [{"name": "A"}, {"name": "B"}, {"name": "C"}],
            "env": [{"name": "C", "value": "3"}],
        }]),
        id="add-env-var",
    ),
    pytest.param(
        deployment([WEB]),
        deployment([{**WEB, "env": [{"name": "B", "value": "2"}]}]),
        deployment([defaulted(WEB)]),
        pod_spec_patch(**{"$setElementOrder/containers": [{"name": "web"}]}, containers=[{
            "name": "web",
            "$setElementOrder/env": [{"name": "B"}],
            "env": [{"name": "A", "$patch": "delete"}],
        }]),
        id="remove-env-var-present-in-original",
    ),
    pytest.param(
        deployment([WEB]),
        deployment([{**WEB, "ports": [{"containerPort": 80}, {"containerPort": 443}]}]),
        deployment([defaulted(WEB)]),
        pod_spec_patch(**{"$setElementOrder/containers": [{"name": "web"}]}, containers=[{
            "name": "web",
            "$setElementOrder/ports": [{"containerPort": 80}, {"containerPort": 443}],
            "ports": [{"containerPort": 443}],
        }]),
        id="add-port",
    ),
    pytest.param(
        deployment([WEB, SIDECAR]),
        deployment([WEB]),
        deployment([defaulted(WEB), defaulted(SIDECAR)]),
        pod_spec_patch(**{"$setElementOrder/containers": [{"name": "web"}]},
                       containers=[{"name": "sidecar", "$patch": "delete"}]),
        id="remove-container",
    ),
    pytest.param(
        deployment([WEB], labels={"app": "web", "tier": "front"}),
        deployment([WEB], labels={"app": "web"}),
        deployment([defaulted(WEB)], labels={"app": "web", "tier": "front", "owner": "someone-else"}),
        {"metadata": {"labels": {"tier": None}}},
        id="deletion-via-original-keeps-fields-others-added",
    ),
    pytest.param(
        deployment([WEB], tolerations=[{"key": "a", "operator": "Exists"}]),
        deployment([WEB], tolerations=[{"key": "b", "operator": "Exists"}]),
        deployment([defaulted(WEB)], tolerations=[{"key": "a", "operator": "Exists"}]),
        pod_spec_patch(tolerations=[{"key": "b", "operator": "Exists"}]),
        id="tolerations-replaced-whole",
    ),
    pytest.param(
        deployment([WEB], volumes=[{"name": "data", "emptyDir": {}}]),
        deployment([WEB], volumes=[{"name": "data", "configMap": {"name": "cfg"}}]),
        deployment([defaulted(WEB)], volumes=[{"name": "data", "emptyDir": {}}]),
        pod_spec_patch(**{"$setElementOrder/volumes": [{"name": "data"}]}, volumes=[{
            "name": "data", "$retainKeys": ["configMap", "name"], "configMap": {"name": "cfg"}, "emptyDir": None,
        }]),
        id="volume-source-change-retainKeys",
    ),
    pytest.param(
        None,
        deployment([WEB]),
        deployment([defaulted(WEB)], labels={"app": "web", "extra": "x"}),
        {},
        id="first-apply-deletes-nothing",
    ),
]


@pytest.mark.parametrize(("original", "modified", "current", "expected"), THREE_WAY_CASES)
def test_three_way_patch(original, modified, current, expected):
    patch = create_three_way_patch(original, modified, current, DEPLOYMENT)
    assert patch == expected


@pytest.mark.parametrize(("original", "modified", "current", "expected"), THREE_WAY_CASES)
def test_three_way_patch_applied_reaches_modified_and_keeps_server_fields(original, modified, current, expected):
    result = apply_patch(current, create_three_way_patch(original, modified, current, DEPLOYMENT), DEPLOYMENT)
    # Everything the manifest says holds in the result ...
    assert _subset(modified, result)
    # ... and the server defaults survive in every container the manifest keeps.
    for container in (result.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])):
        assert container["imagePullPolicy"] == "IfNotPresent"


def _subset(want, have) -> bool:
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and _subset(v, have[k]) for k, v in want.items())
    if isinstance(want, list):
        return isinstance(have, list) and len(want) == len(have) and all(map(_subset, want, have))
    return want == have


def test_three_way_primitive_list_deletion_keeps_items_others_added():
    original = {"metadata": {"name": "x", "finalizers": ["a", "b"]}}
    modified = {"metadata": {"name": "x", "finalizers": ["a"]}}
    current = {"metadata": {"name": "x", "finalizers": ["a", "b", "c"]}}
    patch = create_three_way_patch(original, modified, current, DEPLOYMENT)
    assert patch == {"metadata": {"$setElementOrder/finalizers": ["a"], "$deleteFromPrimitiveList/finalizers": ["b"]}}
    assert apply_patch(current, patch, DEPLOYMENT) == {"metadata": {"name": "x", "finalizers": ["a", "c"]}}


def test_three_way_unchanged_unsorted_primitive_list_is_unchanged():
    # apimachinery would send $setElementOrder/finalizers here (it sorts the live list in
    # place before comparing); `apply` must report "unchanged".
    manifest = {"metadata": {"name": "x", "finalizers": ["b/two", "a/one"]}}
    assert create_three_way_patch(manifest, manifest, copy.deepcopy(manifest), DEPLOYMENT) == {}


def test_explicit_patch_merge_directive_is_the_default():
    live = deployment([WEB], labels={"app": "web"})
    patch = {"metadata": {"labels": {"$patch": "merge", "tier": "a"}},
             **pod_spec_patch(containers=[{"name": "web", "$patch": "merge", "image": "b"}])}
    result = apply_patch(live, patch, DEPLOYMENT)
    assert result["metadata"]["labels"] == {"app": "web", "tier": "a"}
    assert containers_of(result) == [{**WEB, "image": "b"}]


def test_three_way_strategy_change_sends_retain_keys():
    original = {"spec": {"strategy": {"type": "RollingUpdate"}}}
    modified = {"spec": {"strategy": {"type": "Recreate"}}}
    rolling = {"maxSurge": "25%", "maxUnavailable": "25%"}
    current = {"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": rolling}}}
    patch = create_three_way_patch(original, modified, current, DEPLOYMENT)
    assert patch == {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    assert apply_patch(current, patch, DEPLOYMENT) == modified


def test_three_way_does_not_mutate_inputs_or_share_structure():
    original, modified, current = deployment([WEB]), deployment([{**WEB, "image": "b"}]), deployment([defaulted(WEB)])
    before = copy.deepcopy((original, modified, current))
    patch = create_three_way_patch(original, modified, current, DEPLOYMENT)
    patch["spec"]["template"]["spec"]["containers"][0]["image"] = "mutated"
    assert (original, modified, current) == before


def test_two_way_patch_round_trips():
    original = deployment([WEB, SIDECAR], labels={"app": "web", "x": "1"})
    modified = deployment([{**WEB, "env": [{"name": "B", "value": "3"}]}], labels={"app": "web"},
                          volumes=[{"name": "v", "emptyDir": {}}])
    patch = create_two_way_patch(original, modified, DEPLOYMENT)
    assert patch["metadata"] == {"labels": {"x": None}}
    assert apply_patch(original, patch, DEPLOYMENT) == modified
    assert create_two_way_patch(modified, modified, DEPLOYMENT) == {}


# Scenarios from apimachinery's own strategic patch tests, on a schema shaped like its
# MergeItem test type, to pin list ordering and directive semantics to Kubernetes'.

MERGE_ITEM = {
    "$ref": "#/$defs/MergeItem",
    "$defs": {
        "MergeItem": {"type": "object", "properties": {
            "name": {"type": "string"}, "value": {"type": "string"}, "other": {"type": "string"},
            "mergingList": {"type": "array", "items": {"$ref": "#/$defs/MergeItem"},
                            "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "name"},
            "nonMergingList": {"type": "array", "items": {"$ref": "#/$defs/MergeItem"}},
            "mergingIntList": {"type": "array", "items": {"type": "integer"}, "x-kubernetes-patch-strategy": "merge"},
            "nonMergingIntList": {"type": "array", "items": {"type": "integer"}},
            "simpleMap": {"type": "object", "additionalProperties": {"type": "string"}},
            "retainKeysMap": {"$ref": "#/$defs/MergeItem", "x-kubernetes-patch-strategy": "retainKeys"},
        }},
    },
}


def items(*names, **extra) -> list:
    return [{"name": n, **extra.get(str(n), {})} for n in names]


@pytest.mark.parametrize(("original", "patch", "expected"), [
    pytest.param({"mergingIntList": [1, 2]}, {"mergingIntList": [2, 3]}, {"mergingIntList": [1, 2, 3]},
                 id="unique-scalars"),
    pytest.param({"mergingIntList": [1, 2, 3]}, {"mergingIntList": [3, 1]}, {"mergingIntList": [2, 3, 1]},
                 id="patch-order-among-server-items"),
    pytest.param({"mergingList": items(1, 2, 3, **{"2": {"value": "b"}})},
                 {"mergingList": items(3, 1, **{"3": {"value": "c"}, "1": {"value": "a"}})},
                 {"mergingList": items(2, 3, 1, **{"2": {"value": "b"}, "3": {"value": "c"}, "1": {"value": "a"}})},
                 id="patch-order-in-merging-list"),
    pytest.param({"mergingList": items(1, 1, 2, 3, 3)},
                 {"mergingList": [{"name": 1, "$patch": "delete"}, {"name": 3, "$patch": "delete"}]},
                 {"mergingList": items(2)}, id="delete-removes-duplicates"),
    pytest.param({"mergingList": items(1, 2)}, {"mergingList": [{"$patch": "replace"}]}, {"mergingList": []},
                 id="replace-with-nothing"),
    pytest.param({"mergingList": items(1, 3)},
                 {"$setElementOrder/mergingList": items(3, 2, 1),
                  "mergingList": items(3, 1, **{"3": {"value": "3"}, "1": {"value": "1"}})},
                 {"mergingList": items(3, 1, **{"3": {"value": "3"}, "1": {"value": "1"}})},
                 id="setElementOrder-mentions-absent-item"),
    pytest.param({"mergingIntList": [1, 2, 3, 3, 4]},
                 {"$setElementOrder/mergingIntList": [1, 2], "$deleteFromPrimitiveList/mergingIntList": [3]},
                 {"mergingIntList": [1, 2, 4]}, id="delete-all-duplicate-scalars"),
    pytest.param({"retainKeysMap": {"name": "foo", "value": "a"}}, {"retainKeysMap": {"value": None}},
                 {"retainKeysMap": {"name": "foo"}}, id="retainKeys-map-without-directive"),
])
def test_apimachinery_apply_scenarios(original, patch, expected):
    assert apply_patch(original, patch, MERGE_ITEM) == expected


def test_apimachinery_three_way_merge_lists_of_maps():
    original = {"mergingList": items(1, 2, **{"2": {"value": "2"}})}
    modified = {"mergingList": items(4, 1, 2, 3, **{"4": {"value": "4"}, "2": {"value": "2"}, "3": {"value": "3"}})}
    current = {"mergingList": items(1, 2, **{"1": {"other": "a"}, "2": {"value": "2", "other": "b"}})}
    patch = create_three_way_patch(original, modified, current, MERGE_ITEM)
    assert patch == {"$setElementOrder/mergingList": items(4, 1, 2, 3),
                     "mergingList": items(4, 3, **{"4": {"value": "4"}, "3": {"value": "3"}})}
    assert apply_patch(current, patch, MERGE_ITEM) == {"mergingList": items(
        4, 1, 2, 3,
        **{"4": {"value": "4"}, "1": {"other": "a"}, "2": {"value": "2", "other": "b"}, "3": {"value": "3"}})}


def test_apimachinery_three_way_defined_null_propagates():
    patch = create_three_way_patch({"name": "2"}, {"name": "1", "value": "1", "other": None},
                                   {"name": "a", "other": "a"}, MERGE_ITEM)
    assert patch == {"name": "1", "value": "1", "other": None}


# --------------------------------------------------------------------------- JSON merge patch (RFC 7386)


@pytest.mark.parametrize(("original", "patch", "expected"), [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
])
def test_json_merge_patch_rfc7386_examples(original, patch, expected):
    before = copy.deepcopy(original)
    assert apply_merge_patch(original, patch) == expected
    assert original == before


# --------------------------------------------------------------------------- JSON patch (RFC 6902)


@pytest.mark.parametrize(("doc", "ops", "expected"), [
    pytest.param({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"foo": "bar", "baz": "qux"},
                 id="add-member"),
    pytest.param({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}],
                 {"foo": ["bar", "qux", "baz"]}, id="add-array-element"),
    pytest.param({"foo": [1]}, [{"op": "add", "path": "/foo/-", "value": 2}], {"foo": [1, 2]}, id="append"),
    pytest.param({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}, id="remove"),
    pytest.param({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]},
                 id="remove-element"),
    pytest.param({"baz": "qux"}, [{"op": "replace", "path": "/baz", "value": "boo"}], {"baz": "boo"}, id="replace"),
    pytest.param({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
                 [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
                 {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}, id="move"),
    pytest.param({"foo": ["all", "grass", "cows", "eat"]}, [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
                 {"foo": ["all", "cows", "eat", "grass"]}, id="move-element"),
    pytest.param({"a": {"b": [1]}}, [{"op": "copy", "from": "/a/b", "path": "/c"}], {"a": {"b": [1]}, "c": [1]},
                 id="copy"),
    pytest.param({"baz": "qux", "foo": ["a", 2, "c"]},
                 [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2.0}],
                 {"baz": "qux", "foo": ["a", 2, "c"]}, id="test"),
    pytest.param({"/": 9, "~1": 10, "a~b": 1}, [
        {"op": "replace", "path": "/~1", "value": 0}, {"op": "remove", "path": "/~01"},
        {"op": "add", "path": "/a~0b", "value": 2}],
        {"/": 0, "a~b": 2}, id="pointer-escapes"),
    pytest.param({"foo": 1}, [{"op": "replace", "path": "", "value": [1]}], [1], id="replace-root"),
    pytest.param({"metadata": {"annotations": {}}},
                 [{"op": "add", "path": "/metadata/annotations/kubernetes.io~1change-cause", "value": "x"}],
                 {"metadata": {"annotations": {"kubernetes.io/change-cause": "x"}}}, id="annotation-key-with-slash"),
])
def test_json_patch(doc, ops, expected):
    before = copy.deepcopy(doc)
    assert apply_json_patch(doc, ops) == expected
    assert doc == before


@pytest.mark.parametrize(("ops", "message"), [
    ([{"op": "test", "path": "/a", "value": 2}], r"test failed: value is 1, not 2"),
    ([{"op": "test", "path": "/a", "value": True}], "test failed"),
    ([{"op": "remove", "path": "/nope"}], "no such key 'nope'"),
    ([{"op": "replace", "path": "/nope", "value": 1}], "no such key 'nope'"),
    ([{"op": "add", "path": "/b/5", "value": 1}], "index 5 is out of range"),
    ([{"op": "add", "path": "/b/01", "value": 1}], "not a list index"),
    ([{"op": "add", "path": "a", "value": 1}], 'must be empty or start with "/"'),
    ([{"op": "add", "path": "/a~2", "value": 1}], "invalid escape"),
    ([{"op": "add", "path": "/x"}], 'missing "value"'),
    ([{"op": "move", "from": "/b", "path": "/b/0"}], "into its own child"),
    ([{"op": "copy", "path": "/x"}], 'missing "from"'),
    ([{"op": "frob", "path": "/a"}], "unknown op 'frob'"),
    ([{"op": "add", "path": "/a/b", "value": 1}], "cannot descend into number|cannot add a member to number"),
    ({"op": "add"}, "must be a list"),
])
def test_json_patch_errors(ops, message):
    doc = {"a": 1, "b": [1, 2]}
    with pytest.raises(ValueError, match=message):
        apply_json_patch(doc, ops)
    assert doc == {"a": 1, "b": [1, 2]}


def test_json_patch_is_atomic():
    doc = {"a": 1}
    with pytest.raises(ValueError, match="operation 1"):
        apply_json_patch(doc, [{"op": "add", "path": "/b", "value": 2}, {"op": "remove", "path": "/c"}])
    assert doc == {"a": 1}
