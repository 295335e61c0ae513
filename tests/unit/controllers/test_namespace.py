"""The namespace controller against a real LocalClient, sync(name) run directly."""
from __future__ import annotations

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.controllers import namespace as nsc
from tests.unit.controllers.conftest import NODE, POD, Cluster, new_pod, new_replicaset

NS = kinds.by_kind("Namespace")
CM = kinds.by_kind("ConfigMap")
RS = kinds.by_kind("ReplicaSet")


def controller(cluster: Cluster):
    return cluster.manager.controller("namespace-controller")


def conditions(ns: dict) -> dict:
    return {c["type"]: c for c in (ns.get("status") or {}).get("conditions") or []}


def gone(client, kind, ns: str, name: str) -> bool:
    try:
        client.get(kind, ns, name)
    except errors.NotFound:
        return True
    return False


@pytest.fixture
def team(cluster: Cluster) -> str:
    c = cluster.client
    c.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    c.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "team"}})
    rs = new_replicaset("web", replicas=0)
    rs["metadata"]["namespace"] = "team"
    c.create(rs)
    for name in ("a", "b"):
        c.create(new_pod(name, {"app": "x"}, namespace="team"))
        c.bind("team", name, NODE)  # bound: deleted gracefully, finished by the kubelet
    return "team"


def finish_pods(client, ns: str) -> None:
    for pod in client.list(POD, ns)[0]:
        if pod["metadata"].get("deletionTimestamp"):
            client.finish_delete(POD, ns, pod["metadata"]["name"])


def test_a_namespace_not_being_deleted_is_left_alone(cluster: Cluster, team: str) -> None:
    controller(cluster).sync(team)
    ns = cluster.client.get(NS, "", team)
    assert ns["status"]["phase"] == "Active" and not conditions(ns)
    assert len(cluster.client.list(POD, team)[0]) == 2


def test_deleting_a_namespace_empties_it_then_removes_it(cluster: Cluster, team: str) -> None:
    c = cluster.client
    c.delete(NS, "", team)
    nc = controller(cluster)
    cluster.pump()
    assert team in _queued(nc)
    nc.sync(team)
    # Everything without grace is gone; pods are terminating, the namespace waits for them.
    assert gone(c, CM, team, "cfg") and gone(c, RS, team, "web")
    pods = c.list(POD, team)[0]
    assert len(pods) == 2 and all(p["metadata"]["deletionTimestamp"] for p in pods)
    ns = c.get(NS, "", team)
    assert ns["status"]["phase"] == "Terminating"
    conds = conditions(ns)
    assert conds["NamespaceContentRemaining"]["status"] == "True"
    assert conds["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
    assert "pods has 2 resource instances" in conds["NamespaceContentRemaining"]["message"]
    assert conds["NamespaceDeletionContentFailure"]["status"] == "False"
    assert ns["spec"]["finalizers"] == ["kubernetes"]
    # Nothing new may be created meanwhile.
    with pytest.raises(errors.Forbidden):
        c.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "late", "namespace": team}})
    # The kubelet finishes the pods: a pod going away brings the namespace back to the queue.
    finish_pods(c, team)
    _drain(nc)
    cluster.pump()
    assert team in _queued(nc)
    nc.sync(team)
    assert gone(c, NS, "", team)


def test_content_held_by_a_finalizer_keeps_the_namespace(cluster: Cluster, team: str) -> None:
    c = cluster.client
    c.modify(CM, team, "cfg", lambda o: o["metadata"].__setitem__("finalizers", ["example.com/hold"]))
    c.delete(NS, "", team)
    nc = controller(cluster)
    nc.sync(team)
    finish_pods(c, team)
    nc.sync(team)
    ns = c.get(NS, "", team)
    conds = conditions(ns)
    assert conds["NamespaceFinalizersRemaining"]["status"] == "True"
    assert "example.com/hold in 1 resource instances" in conds["NamespaceFinalizersRemaining"]["message"]
    assert "configmaps has 1 resource instances" in conds["NamespaceContentRemaining"]["message"]
    c.modify(CM, team, "cfg", lambda o: o["metadata"].pop("finalizers"))
    nc.sync(team)
    assert gone(c, NS, "", team)


def test_remaining_content_requeues_with_backoff(cluster: Cluster, team: str) -> None:
    c = cluster.client
    c.delete(NS, "", team)
    nc = controller(cluster)
    _drain(nc)
    nc.sync(team)
    assert nc._attempts[team] == 1
    nc.sync(team)
    assert nc._attempts[team] == 2
    cluster.clock.advance(1.0)
    assert team in _drain(nc)


def test_other_namespaces_are_untouched(cluster: Cluster, team: str) -> None:
    c = cluster.client
    c.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "keep", "namespace": "default"}})
    c.delete(NS, "", team)
    controller(cluster).sync(team)
    assert not gone(c, CM, "default", "keep")


def test_empty_namespace_goes_at_once(cluster: Cluster) -> None:
    c = cluster.client
    c.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "empty"}})
    c.delete(NS, "", "empty")
    controller(cluster).sync("empty")
    assert gone(c, NS, "", "empty")
    assert nsc.FINALIZER == "kubernetes"


def _drain(c) -> list[str]:
    keys = []
    while (key := c.queue.get(timeout=0)) is not None:
        c.queue.done(key)
        keys.append(key)
    return keys


def _queued(c) -> list[str]:
    return _drain(c)
