"""The serviceaccount controller against a real LocalClient: informers pumped, keys
drained and synced in the test's own thread."""
from __future__ import annotations

from minikctl.api import kinds
from tests.unit.controllers.conftest import Cluster

NS, SA = kinds.by_kind("Namespace"), kinds.by_kind("ServiceAccount")


def run(cluster: Cluster) -> list[str]:
    """Pump the informers, then sync every queued key; the keys synced, in order."""
    c = cluster.manager.controller("serviceaccount-controller")
    cluster.pump()
    keys = []
    while (key := c.queue.get(timeout=0)) is not None:
        try:
            c.sync(key)
        finally:
            c.queue.done(key)
        keys.append(key)
    cluster.pump()
    return keys


def accounts(cluster: Cluster, ns: str) -> list[str]:
    return sorted(s["metadata"]["name"] for s in cluster.client.list(SA, ns)[0])


def test_namespaces_present_at_start_get_a_default_account(cluster: Cluster) -> None:
    synced = run(cluster)
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert ns in synced
        assert accounts(cluster, ns) == ["default"]
    assert run(cluster) == []  # settled: nothing more to do


def test_a_new_namespace_gets_one_and_a_deleted_default_comes_back(cluster: Cluster) -> None:
    run(cluster)
    c = cluster.client
    c.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    assert run(cluster) == ["team"]
    first = c.get(SA, "team", "default")["metadata"]["uid"]
    c.delete(SA, "team", "default")
    assert run(cluster) == ["team"]
    assert c.get(SA, "team", "default")["metadata"]["uid"] != first
    # Other accounts are the user's: deleting one is not repaired.
    c.create({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "builder", "namespace": "team"}})
    run(cluster)
    c.delete(SA, "team", "builder")
    assert run(cluster) == []
    assert accounts(cluster, "team") == ["default"]


def test_a_terminating_namespace_gets_nothing(cluster: Cluster) -> None:
    run(cluster)
    c = cluster.client
    c.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "going"}})
    c.delete(NS, "", "going")  # Terminating: the namespace finalizer keeps it
    assert c.get(NS, "", "going")["metadata"]["deletionTimestamp"]
    assert "going" in run(cluster)
    assert accounts(cluster, "going") == []


def test_the_controller_is_registered_with_the_others(cluster: Cluster) -> None:
    names = [c.name for c in cluster.manager.controllers]
    assert "serviceaccount-controller" in names and "namespace-controller" in names
