"""The REST surface request by request: discovery and OpenAPI headers, pagination,
Table and metadata views (also on watch), deletecollection, patches with preconditions,
the status, scale and binding subresources."""
from __future__ import annotations

import json

from minikctl.api import kinds

from .wire import request

CM = kinds.by_kind("ConfigMap")
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def body(data: bytes) -> dict:
    return json.loads(data)


def test_aggregated_discovery_content_type(served):
    accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
    code, headers, data = request(served, "GET", "/apis", headers={"Accept": accept})
    assert code == 200
    assert headers["Content-Type"] == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    assert body(data)["kind"] == "APIGroupDiscoveryList"
    code, headers, data = request(served, "GET", "/apis")
    assert headers["Content-Type"] == "application/json" and body(data)["kind"] == "APIGroupList"
    assert body(request(served, "GET", "/api/v1")[2])["kind"] == "APIResourceList"


def test_openapi_etags(served):
    code, headers, data = request(served, "GET", "/openapi/v3")
    assert code == 200 and headers["ETag"]
    assert request(served, "GET", "/openapi/v3", headers={"If-None-Match": headers["ETag"]})[0] == 304
    url = body(data)["paths"]["apis/apps/v1"]["serverRelativeURL"]
    code, headers, _ = request(served, "GET", url)
    assert code == 200 and "immutable" in headers["Cache-Control"]


def test_list_pages_with_limit_and_continue(served):
    for i in range(5):
        served.local.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": f"page-{i}", "namespace": "kube-public", "labels": {"p": "y"}}})
    names, token, rvs = [], "", set()
    while True:
        path = "/api/v1/namespaces/kube-public/configmaps?limit=2&labelSelector=p%3Dy"
        page = body(request(served, "GET", path + (f"&continue={token}" if token else ""))[2])
        names += [i["metadata"]["name"] for i in page["items"]]
        rvs.add(page["metadata"]["resourceVersion"])
        token = page["metadata"].get("continue")
        if not token:
            break
        assert page["metadata"]["remainingItemCount"] > 0
    assert names == [f"page-{i}" for i in range(5)] and len(rvs) == 1
    code, _, data = request(served, "GET", "/api/v1/namespaces/kube-public/configmaps?limit=2&continue=garbage")
    assert code == 400


def test_table_and_metadata_views(served):
    t = body(request(served, "GET", "/api/v1/namespaces", headers={"Accept": TABLE})[2])
    assert t["kind"] == "Table" and [c["name"] for c in t["columnDefinitions"]] == ["Name", "Status", "Age"]
    one = body(request(served, "GET", "/api/v1/namespaces/default", headers={"Accept": TABLE})[2])
    assert len(one["rows"]) == 1 and one["rows"][0]["cells"][:2] == ["default", "Active"]
    meta = body(request(served, "GET", "/api/v1/namespaces", headers={
        "Accept": "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"})[2])
    assert meta["kind"] == "PartialObjectMetadataList"
    assert all(i["kind"] == "PartialObjectMetadata" and "spec" not in i for i in meta["items"])


def test_watch_table_rows_and_initial_events(served):
    code, _, data = request(served, "GET", "/api/v1/namespaces?watch=true&resourceVersion=0&timeoutSeconds=1",
                            headers={"Accept": TABLE})
    events = [json.loads(line) for line in data.splitlines()]
    assert code == 200 and {e["type"] for e in events} == {"ADDED"}
    assert all(e["object"]["kind"] == "Table" and len(e["object"]["rows"]) == 1 for e in events)
    code, _, data = request(served, "GET", "/api/v1/namespaces?watch=true&sendInitialEvents=true"
                                           "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1")
    last = json.loads(data.splitlines()[-1])
    assert last["type"] == "BOOKMARK"
    assert last["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_deletecollection_by_selector(served):
    for i, team in enumerate(["a", "a", "b"]):
        served.local.create({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": f"dc-{i}", "labels": {"team": team}}})
    code, _, data = request(served, "DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=team%3Da")
    assert code == 200 and sorted(i["metadata"]["name"] for i in body(data)["items"]) == ["dc-0", "dc-1"]
    left, _ = served.local.list(CM, "default", label_selector="team")
    assert [i["metadata"]["name"] for i in left] == ["dc-2"]


def test_dry_run_create_and_json_patch_precondition(served):
    cm = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "jp"}, "data": {"a": "1"}}).encode()
    path = "/api/v1/namespaces/default/configmaps"
    assert request(served, "POST", path + "?dryRun=All", body=cm, headers={"Content-Type": "application/json"})[0] == 201
    assert request(served, "GET", path + "/jp")[0] == 404
    created = body(request(served, "POST", path, body=cm, headers={"Content-Type": "application/json"})[2])
    rv = created["metadata"]["resourceVersion"]
    patch = json.dumps([{"op": "replace", "path": "/data/a", "value": "2"},
                        {"op": "replace", "path": "/metadata/resourceVersion", "value": rv}]).encode()
    headers = {"Content-Type": "application/json-patch+json"}
    code, _, data = request(served, "PATCH", path + "/jp", body=patch, headers=headers)
    assert code == 200 and body(data)["data"] == {"a": "2"}
    code, _, data = request(served, "PATCH", path + "/jp", body=patch, headers=headers)  # rv is stale now
    assert code == 409 and body(data)["reason"] == "Conflict"


def test_strategic_merge_patch_merges_by_key(served):
    served.local.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "smp"},
                         "spec": {"containers": [{"name": "a", "image": "busybox", "command": ["sleep", "1"]},
                                                 {"name": "b", "image": "busybox", "command": ["sleep", "1"]}]}})
    patch = json.dumps({"spec": {"containers": [{"name": "b", "image": "alpine"}]}}).encode()
    code, _, data = request(served, "PATCH", "/api/v1/namespaces/default/pods/smp", body=patch,
                            headers={"Content-Type": "application/strategic-merge-patch+json"})
    assert code == 200
    assert [(c["name"], c["image"]) for c in body(data)["spec"]["containers"]] == [("a", "busybox"), ("b", "alpine")]


def test_status_scale_and_binding(served):
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "sc"},
              "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "sc"}},
                       "template": {"metadata": {"labels": {"app": "sc"}},
                                    "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    served.local.create(deploy)
    base = "/apis/apps/v1/namespaces/default/deployments/sc"
    scale = body(request(served, "GET", base + "/scale")[2])
    assert (scale["kind"], scale["spec"], scale["status"]["selector"]) == ("Scale", {"replicas": 1}, "app=sc")
    code, _, data = request(served, "PATCH", base + "/scale", body=b'{"spec":{"replicas":3}}',
                            headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200 and body(data)["spec"]["replicas"] == 3
    code, _, data = request(served, "PUT", base + "/scale", body=json.dumps(
        {**scale, "spec": {"replicas": 4}}).encode(), headers={"Content-Type": "application/json"})
    assert code == 409  # the Scale read before carried the old resourceVersion
    code, _, data = request(served, "PATCH", base + "/status", body=b'{"status":{"replicas":3,"readyReplicas":1}}',
                            headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200 and body(data)["status"]["readyReplicas"] == 1
    served.local.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "tobind"},
                         "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    binding = json.dumps({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "tobind"},
                          "target": {"kind": "Node", "name": "node-9"}}).encode()
    code, _, _ = request(served, "POST", "/api/v1/namespaces/default/pods/tobind/binding", body=binding,
                         headers={"Content-Type": "application/json"})
    assert code == 201
    assert served.local.get(kinds.by_kind("Pod"), "default", "tobind")["spec"]["nodeName"] == "node-9"
