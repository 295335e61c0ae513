"""Discovery documents: aggregated (by Accept) and legacy."""
from __future__ import annotations

from minikctl.server import discovery

KUBECTL_ACCEPT = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")


def test_aggregated_accept():
    assert discovery.aggregated_version(KUBECTL_ACCEPT) == "v2"
    assert discovery.aggregated_version("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList") \
        == "v2beta1"
    assert discovery.aggregated_version("application/json") is None
    assert discovery.aggregated_version("") is None


def test_aggregated_core():
    doc = discovery.aggregated(True)
    assert doc["apiVersion"] == "apidiscovery.k8s.io/v2"
    [core] = doc["items"]
    assert core["metadata"]["name"] == ""
    pods = next(r for r in core["versions"][0]["resources"] if r["resource"] == "pods")
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"] and pods["scope"] == "Namespaced"
    assert {s["subresource"] for s in pods["subresources"]} == {"attach", "binding", "eviction", "exec", "log", "portforward", "status"}


def test_aggregated_groups_scale_kind():
    doc = discovery.aggregated(False)
    apps = next(i for i in doc["items"] if i["metadata"]["name"] == "apps")
    deploy = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    scale = next(s for s in deploy["subresources"] if s["subresource"] == "scale")
    assert scale["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    assert all(i["metadata"]["name"] for i in doc["items"])


def test_legacy():
    assert discovery.api_versions("127.0.0.1:6443")["versions"] == ["v1"]
    groups = {g["name"] for g in discovery.api_group_list()["groups"]}
    assert {"apps", "batch", "coordination.k8s.io", "node.k8s.io"} <= groups
    rl = discovery.resource_list("apps/v1")
    names = {r["name"] for r in rl["resources"]}
    assert {"deployments", "deployments/scale", "deployments/status"} <= names
    scale = next(r for r in rl["resources"] if r["name"] == "deployments/scale")
    assert (scale["group"], scale["version"], scale["kind"]) == ("autoscaling", "v1", "Scale")
    assert discovery.resource_list("nope/v1") is None
    assert discovery.api_group("apps")["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    assert discovery.api_group("") is None
