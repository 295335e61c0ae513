"""Resource paths to (kind, namespace, name, subresource), and what is not served."""
from __future__ import annotations

import pytest

from minikctl.server import routes


@pytest.mark.parametrize(("path", "want"), [
    pytest.param("/api/v1/namespaces/ns1/pods", ("Pod", "ns1", None, None), id="namespaced-collection"),
    pytest.param("/api/v1/pods", ("Pod", None, None, None), id="all-namespaces"),
    pytest.param("/api/v1/namespaces/ns1/pods/web", ("Pod", "ns1", "web", None), id="object"),
    pytest.param("/api/v1/namespaces/ns1/pods/web/log", ("Pod", "ns1", "web", "log"), id="log"),
    pytest.param("/apis/apps/v1/namespaces/d/deployments/web/scale", ("Deployment", "d", "web", "scale"), id="scale"),
    pytest.param("/api/v1/namespaces", ("Namespace", None, None, None), id="namespaces"),
    pytest.param("/api/v1/namespaces/demo", ("Namespace", None, "demo", None), id="namespace-object"),
    pytest.param("/api/v1/namespaces/demo/status", ("Namespace", None, "demo", "status"), id="namespace-status"),
    pytest.param("/api/v1/nodes/n1", ("Node", None, "n1", None), id="cluster-scoped"),
    pytest.param("/apis/node.k8s.io/v1/runtimeclasses", ("RuntimeClass", None, None, None), id="dotted-group"),
])
def test_resolve(path, want):
    t = routes.resolve(path)
    assert t is not None
    assert (t.kind.kind, t.namespace, t.name, t.subresource) == want


@pytest.mark.parametrize("path", [
    "/api/v1/frobs", "/apis/apps/v2/deployments", "/api/v1/namespaces/a/pods/b/c/d",
    "/api/v1/pods/web", "/api/v1/namespaces/a/nodes", "/api/v1/namespaces/a/configmaps/x/scale",
    "/api", "/apis/apps/v1", "/something",
])
def test_not_served(path):
    assert routes.resolve(path) is None


def test_subresources():
    from minikctl.api import kinds

    assert routes.subresources(kinds.by_kind("Pod")) == ("attach", "binding", "eviction", "exec", "log", "portforward", "status")
    assert routes.subresources(kinds.by_kind("Deployment")) == ("scale", "status")
    assert routes.subresources(kinds.by_kind("ConfigMap")) == ()
