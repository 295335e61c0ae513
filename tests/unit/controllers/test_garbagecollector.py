"""The garbage collector against a real LocalClient: informers pumped by hand, sync(uid)
run directly, a fake kubelet finishing graceful pod deletions."""
from __future__ import annotations

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.controllers.garbagecollector import FOREGROUND, ORPHAN
from tests.unit.controllers.conftest import DEPLOY, POD, RS, Cluster, new_deployment, new_pod, new_replicaset

CM = kinds.by_kind("ConfigMap")


def gc_of(cluster: Cluster):
    return cluster.manager.controller("garbage-collector")


def run_gc(cluster: Cluster, *, max_syncs: int = 500) -> int:
    """Sync every key the collector has queued (and those its own actions queue) until none is left."""
    gc = gc_of(cluster)
    cluster.pump()
    runs = 0
    while (key := gc.queue.get(timeout=0)) is not None:
        try:
            gc.sync(str(key))
            gc.queue.forget(key)
        finally:
            gc.queue.done(key)
        cluster.pump()
        runs += 1
        assert runs < max_syncs, "garbage collector did not settle"
    return runs


def ref(owner: dict, *, controller: bool = True, block: bool = True) -> dict:
    md = owner["metadata"]
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": md["name"], "uid": md["uid"],
            "controller": controller, "blockOwnerDeletion": block}


def configmap(name: str, *owners: dict, block: bool = True) -> dict:
    md: dict = {"name": name}
    if owners:
        md["ownerReferences"] = [ref(o, controller=False, block=block) for o in owners]
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": {}}


def exists(client, kind, name: str, ns: str = "default") -> bool:
    try:
        client.get(kind, ns, name)
    except errors.NotFound:
        return False
    return True


@pytest.fixture
def rs_with_pods(cluster: Cluster) -> dict:
    cluster.client.create(new_replicaset("web", replicas=2))
    cluster.settle()
    cluster.run_pods()
    assert len(cluster.pods()) == 2
    return cluster.rs("web")


def test_background_deletes_owned_pods_gracefully(cluster: Cluster, rs_with_pods: dict) -> None:
    cluster.client.delete(RS, "default", "web")
    run_gc(cluster)
    pods = cluster.pods()
    assert len(pods) == 2 and all(p["metadata"].get("deletionTimestamp") for p in pods)  # the kubelet finishes them
    cluster.finish_deletions()
    assert cluster.pods() == []


def test_unbound_dependents_go_at_once(cluster: Cluster) -> None:
    cluster.client.create(new_replicaset("web", replicas=3))
    cluster.settle()
    cluster.client.delete(RS, "default", "web")
    run_gc(cluster)
    assert cluster.pods() == []


def test_a_dependent_with_another_live_owner_only_loses_the_dead_reference(cluster: Cluster) -> None:
    a = cluster.client.create(configmap("a"))
    b = cluster.client.create(configmap("b"))
    cluster.client.create(configmap("child", a, b))
    cluster.client.delete(CM, "default", "a")
    run_gc(cluster)
    child = cluster.client.get(CM, "default", "child")
    assert [r["name"] for r in child["metadata"]["ownerReferences"]] == ["b"]
    cluster.client.delete(CM, "default", "b")
    run_gc(cluster)
    assert not exists(cluster.client, CM, "child")


def test_an_owner_recreated_under_the_same_name_is_not_the_owner(cluster: Cluster) -> None:
    owner = cluster.client.create(configmap("owner"))
    cluster.client.create(configmap("child", owner))
    cluster.client.delete(CM, "default", "owner")
    cluster.client.create(configmap("owner"))  # another uid
    run_gc(cluster)
    assert not exists(cluster.client, CM, "child")


def test_a_live_owner_keeps_its_dependents(cluster: Cluster, rs_with_pods: dict) -> None:
    gc = gc_of(cluster)
    gc.resync()
    run_gc(cluster)
    assert len(cluster.pods(include_terminating=False)) == 2
    assert exists(cluster.client, RS, "web")


def test_orphan_removes_references_then_the_finalizer(cluster: Cluster, rs_with_pods: dict) -> None:
    marked = cluster.client.delete(RS, "default", "web", propagation="Orphan")
    assert ORPHAN in marked["metadata"]["finalizers"] and marked["metadata"]["deletionTimestamp"]
    run_gc(cluster)
    assert not exists(cluster.client, RS, "web")
    pods = cluster.pods()
    assert len(pods) == 2
    assert all(not p["metadata"].get("ownerReferences") and not p["metadata"].get("deletionTimestamp") for p in pods)


def test_foreground_deletes_dependents_first_and_the_owner_last(cluster: Cluster) -> None:
    cluster.client.create(new_deployment("web", replicas=2))
    cluster.settle()
    cluster.run_pods()
    [rs] = cluster.replicasets()
    cluster.client.delete(DEPLOY, "default", "web", propagation="Foreground")
    run_gc(cluster)
    # The ReplicaSet owns pods: it is deleted in the foreground too, and waits for them.
    d = cluster.deploy("web")
    assert d["metadata"]["deletionTimestamp"] and FOREGROUND in d["metadata"]["finalizers"]
    rs = cluster.rs(rs["metadata"]["name"])
    assert rs["metadata"]["deletionTimestamp"] and FOREGROUND in rs["metadata"]["finalizers"]
    pods = cluster.pods()
    assert len(pods) == 2 and all(p["metadata"].get("deletionTimestamp") for p in pods)
    # The ReplicaSet controller does not replace the pods of a ReplicaSet being deleted.
    cluster.settle()
    assert len(cluster.pods()) == 2
    cluster.finish_deletions()
    run_gc(cluster)
    assert cluster.replicasets() == []
    assert not exists(cluster.client, DEPLOY, "web")


def test_foreground_does_not_wait_for_non_blocking_dependents(cluster: Cluster) -> None:
    owner = cluster.client.create(configmap("owner"))
    held = configmap("blocking", owner, block=True)
    held["metadata"]["finalizers"] = ["example.com/hold"]
    cluster.client.create(held)
    cluster.client.create(configmap("free", owner, block=False))
    cluster.client.delete(CM, "default", "owner", propagation="Foreground")
    run_gc(cluster)
    assert not exists(cluster.client, CM, "free")
    # "blocking" is being deleted but held by a finalizer of someone else: the owner waits.
    assert cluster.client.get(CM, "default", "blocking")["metadata"]["deletionTimestamp"]
    assert exists(cluster.client, CM, "owner")
    cluster.client.modify(CM, "default", "blocking", lambda o: o["metadata"].pop("finalizers"))
    run_gc(cluster)
    assert not exists(cluster.client, CM, "blocking")
    assert not exists(cluster.client, CM, "owner")


def test_removing_the_last_finalizer_of_a_deleted_object_deletes_it(client) -> None:
    client.create(configmap("x"))
    client.delete(CM, "default", "x", propagation="Foreground")
    client.modify(CM, "default", "x", lambda o: o["metadata"].pop("finalizers"))
    assert not exists(client, CM, "x")


def test_orphans_left_while_nothing_ran_are_collected_on_start(client, clock) -> None:
    first = Cluster(client, clock)
    client.create(new_replicaset("web", replicas=2))
    first.settle()
    first.run_pods()
    first.manager.stop()
    # The daemon is down: the owner goes, nobody watches.
    client.delete(RS, "default", "web")
    assert len(client.list(POD, "default")[0]) == 2
    again = Cluster(client, clock)
    run_gc(again)
    pods = client.list(POD, "default")[0]
    assert pods and all(p["metadata"].get("deletionTimestamp") for p in pods)
    again.finish_deletions()
    assert client.list(POD, "default")[0] == []


def test_a_pod_whose_owner_is_created_later_is_adopted_not_collected(cluster: Cluster) -> None:
    # An orphan (no ownerReferences) is never garbage: only references to absent owners are.
    cluster.client.create(new_pod("loner", {"app": "x"}))
    gc_of(cluster).resync()
    run_gc(cluster)
    assert exists(cluster.client, POD, "loner")
