"""The disruption controller's status math and the eviction subresource's decisions,
against a real LocalClient on a temp SQLite store (tests/unit/controllers/conftest.py:
informers pumped, a fake clock, a fake kubelet writing pod status)."""
from __future__ import annotations

import pytest

from minikctl import errors
from minikctl.api import eviction, kinds
from tests.unit.controllers.conftest import Cluster, EventLog, condition, new_deployment, new_pod

PDB = kinds.by_kind("PodDisruptionBudget")
POD = kinds.by_kind("Pod")


def pdb(name: str = "web", selector: dict | None = None, **spec) -> dict:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name},
            "spec": {"selector": selector if selector is not None else {"matchLabels": {"app": "web"}}, **spec}}


@pytest.fixture
def disruption(client, clock) -> Cluster:
    """A Cluster whose deployment/replicaset controllers settle and whose disruption
    controller records its events."""
    recorder = EventLog()
    cluster = Cluster(client, clock, recorder=recorder)
    cluster.recorder = recorder
    return cluster


def settle(cluster: Cluster) -> None:
    cluster.settle()
    c = cluster.manager.controller("disruption-controller")
    cluster.pump()
    while (key := c.queue.get(timeout=0)) is not None:
        try:
            c.sync(key)
        finally:
            c.queue.done(key)
        cluster.pump()


def status(cluster: Cluster, name: str = "web") -> dict:
    return cluster.client.get(PDB, "default", name).get("status") or {}


def counts(cluster: Cluster, name: str = "web") -> tuple[int, int, int, int]:
    s = status(cluster, name)
    return s["expectedPods"], s["desiredHealthy"], s["currentHealthy"], s["disruptionsAllowed"]


def deployment(cluster: Cluster, replicas: int, *, ready: int | None = None) -> None:
    cluster.client.create(new_deployment("web", replicas))
    settle(cluster)
    cluster.run_pods(limit=ready)
    settle(cluster)


# -- the controller's status ---------------------------------------------------------------

def test_min_available_int_counts_pods_and_sets_the_condition(disruption: Cluster) -> None:
    deployment(disruption, 3)
    disruption.client.create(pdb(minAvailable=2))
    settle(disruption)
    assert counts(disruption) == (3, 2, 3, 1)
    s = status(disruption)
    assert s["observedGeneration"] == 1
    cond = condition({"status": s}, "DisruptionAllowed")
    assert (cond["status"], cond["reason"]) == ("True", "SufficientPods")
    # One pod stops being ready: no disruption left.
    name = disruption.pods()[0]["metadata"]["name"]
    disruption.set_pod(name, ready=False)
    settle(disruption)
    assert counts(disruption) == (3, 2, 2, 0)
    cond = condition({"status": status(disruption)}, "DisruptionAllowed")
    assert (cond["status"], cond["reason"]) == ("False", "InsufficientPods")


def test_percentages_round_up_against_the_deployments_scale(disruption: Cluster) -> None:
    # 5 replicas, only 3 running: the expected count is the Deployment's scale, not the pods.
    deployment(disruption, 5, ready=3)
    disruption.client.create(pdb(minAvailable="50%"))
    disruption.client.create(pdb("unavail", maxUnavailable="30%"))
    settle(disruption)
    assert counts(disruption) == (5, 3, 3, 0)  # ceil(2.5) = 3
    assert counts(disruption, "unavail") == (5, 3, 3, 0)  # 5 - ceil(1.5) = 3
    disruption.run_pods()
    settle(disruption)
    assert counts(disruption) == (5, 3, 5, 2)
    assert counts(disruption, "unavail") == (5, 3, 5, 2)


def test_max_unavailable_int_and_a_generation_change(disruption: Cluster) -> None:
    deployment(disruption, 4)
    disruption.client.create(pdb(maxUnavailable=1))
    settle(disruption)
    assert counts(disruption) == (4, 3, 4, 1)
    disruption.client.modify(PDB, "default", "web", lambda p: p["spec"].update(maxUnavailable=4))
    settle(disruption)
    assert counts(disruption) == (4, 0, 4, 4)
    assert status(disruption)["observedGeneration"] == 2


def test_no_pods_means_no_disruptions_and_an_event(disruption: Cluster) -> None:
    disruption.client.create(pdb(minAvailable=0))
    settle(disruption)
    assert counts(disruption) == (0, 0, 0, 0)
    assert ("Normal", "NoPods", "No matching pods found") in disruption.recorder.events


def test_unmanaged_pods_under_a_percent_are_left_out_with_a_warning(disruption: Cluster) -> None:
    disruption.client.create(new_pod("lone", {"app": "web"}))
    disruption.set_pod("lone")
    disruption.client.create(pdb(maxUnavailable="50%"))
    settle(disruption)
    assert counts(disruption) == (0, 0, 1, 0)
    assert any(reason == "UnmanagedPods" for _, reason, _ in disruption.recorder.events)
    # An integer minAvailable counts the pods themselves.
    disruption.client.create(pdb("int", minAvailable=0))
    settle(disruption)
    assert counts(disruption, "int") == (1, 0, 1, 1)


def test_a_controller_that_cannot_be_found_fails_safe(disruption: Cluster) -> None:
    ghost = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "gone", "uid": "0000", "controller": True}
    disruption.client.create(new_pod("orphan", {"app": "web"}, ownerReferences=[ghost]))
    disruption.set_pod("orphan")
    disruption.client.create(pdb(minAvailable="10%"))
    settle(disruption)
    s = status(disruption)
    cond = condition({"status": s}, "DisruptionAllowed")
    assert (s["disruptionsAllowed"], cond["status"], cond["reason"]) == (0, "False", "SyncFailed")
    assert cond["message"] == 'found no controllers for pod "orphan"'


# -- eviction -------------------------------------------------------------------------------

def test_eviction_takes_a_disruption_then_refuses_with_429(disruption: Cluster) -> None:
    deployment(disruption, 2)
    disruption.client.create(pdb(minAvailable=1))
    settle(disruption)
    first, second = sorted(p["metadata"]["name"] for p in disruption.pods())
    assert eviction.evict(disruption.client, "default", first)["status"] == "Success"
    s = status(disruption)
    assert s["disruptionsAllowed"] == 0 and list(s["disruptedPods"]) == [first]
    pod = disruption.client.get(POD, "default", first)
    assert pod["metadata"]["deletionTimestamp"]  # graceful: bound to a node, the kubelet finishes it
    assert condition(pod, "DisruptionTarget")["reason"] == "EvictionByEvictionAPI"
    with pytest.raises(eviction.TooManyRequests) as refused:
        eviction.evict(disruption.client, "default", second)
    exc = refused.value
    assert (exc.code, exc.message) == (429, "Cannot evict pod as it would violate the pod's disruption budget.")
    # As in Kubernetes, the eviction only takes the disruption: currentHealthy is the
    # controller's to recompute, so the message still counts the evicted pod.
    assert exc.to_status()["details"]["causes"] == [
        {"reason": "DisruptionBudget", "message": "The disruption budget web needs 1 healthy pods and has 2 currently"}]
    assert not disruption.client.get(POD, "default", second)["metadata"].get("deletionTimestamp")
    # The evicted pod counts as disrupted until it is gone; its replacement then restores the budget.
    settle(disruption)
    assert counts(disruption)[2:] == (1, 0)
    disruption.finish_deletions()
    settle(disruption)
    disruption.run_pods()
    settle(disruption)
    assert counts(disruption) == (2, 1, 2, 1)
    assert "disruptedPods" not in status(disruption)


def test_a_disrupted_pod_not_deleted_in_two_minutes_counts_again(disruption: Cluster) -> None:
    deployment(disruption, 2)
    disruption.client.create(pdb(minAvailable=1))
    settle(disruption)
    name = disruption.pods()[0]["metadata"]["name"]
    disruption.client.modify(PDB, "default", "web", lambda p: None)
    # Record a disruption without deleting the pod (a delete that failed after the budget took it).
    current = disruption.client.get(PDB, "default", "web")
    current["status"] = {**current["status"], "disruptionsAllowed": 0,
                         "disruptedPods": {name: disruption.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")}}
    disruption.client.update_status(current)
    settle(disruption)
    assert counts(disruption)[2:] == (1, 0)
    disruption.clock.advance(121)
    disruption.manager.controller("disruption-controller").queue.add("default/web")
    settle(disruption)
    assert counts(disruption)[2:] == (2, 1)
    assert "disruptedPods" not in status(disruption)
    assert any(reason == "NotDeleted" for _, reason, _ in disruption.recorder.events)


def test_eviction_without_a_budget_and_of_pods_that_need_none(disruption: Cluster) -> None:
    deployment(disruption, 1)
    name = disruption.pods()[0]["metadata"]["name"]
    eviction.evict(disruption.client, "default", name, grace_period=0, dry_run=True)
    assert not disruption.client.get(POD, "default", name)["metadata"].get("deletionTimestamp")
    assert eviction.evict(disruption.client, "default", name, grace_period=5)["code"] == 201
    assert disruption.client.get(POD, "default", name)["metadata"]["deletionGracePeriodSeconds"] == 5
    # A Pending pod goes even under a budget that allows nothing.
    disruption.client.create(pdb("strict", selector={"matchLabels": {"app": "p"}}, minAvailable=5))
    disruption.client.create(new_pod("pending", {"app": "p"}))
    settle(disruption)
    eviction.evict(disruption.client, "default", "pending")
    with pytest.raises(errors.NotFound):
        disruption.client.get(POD, "default", "pending")  # unbound: deleted at once


def test_unready_pods_and_the_unhealthy_pod_eviction_policy(disruption: Cluster) -> None:
    deployment(disruption, 3)
    disruption.client.create(pdb(minAvailable=3))
    settle(disruption)
    names = sorted(p["metadata"]["name"] for p in disruption.pods())
    disruption.set_pod(names[0], ready=False)
    settle(disruption)
    assert counts(disruption) == (3, 3, 2, 0)
    # IfHealthyBudget: the budget lacks healthy pods, so even the unready pod is protected.
    with pytest.raises(eviction.TooManyRequests):
        eviction.evict(disruption.client, "default", names[0])
    disruption.client.modify(PDB, "default", "web", lambda p: p["spec"].update(unhealthyPodEvictionPolicy="AlwaysAllow"))
    settle(disruption)
    eviction.evict(disruption.client, "default", names[0])
    assert disruption.client.get(POD, "default", names[0])["metadata"]["deletionTimestamp"]
    assert "disruptedPods" not in status(disruption)  # no disruption taken for an unhealthy pod
    with pytest.raises(eviction.TooManyRequests):
        eviction.evict(disruption.client, "default", names[1])


def test_two_budgets_and_a_lagging_budget(disruption: Cluster) -> None:
    deployment(disruption, 2)
    disruption.client.create(pdb(minAvailable=0))
    disruption.client.create(pdb("all", selector={}, maxUnavailable=2))
    settle(disruption)
    name = disruption.pods()[0]["metadata"]["name"]
    with pytest.raises(eviction.MultipleBudgets) as refused:
        eviction.evict(disruption.client, "default", name)
    assert refused.value.code == 500
    assert refused.value.message == ("This pod has more than one PodDisruptionBudget, which the eviction "
                                     "subresource does not support.")
    disruption.client.delete(PDB, "default", "all")
    disruption.client.modify(PDB, "default", "web", lambda p: p["spec"].update(minAvailable=1))  # generation 2
    with pytest.raises(eviction.TooManyRequests) as lagging:
        eviction.evict(disruption.client, "default", name)
    assert lagging.value.causes[0]["message"] == "The disruption budget web is still being processed by the server."
