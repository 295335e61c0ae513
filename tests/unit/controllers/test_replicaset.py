"""ReplicaSetController.sync_replicaset against a real store, one sync at a time."""
from __future__ import annotations

import re

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.controllers.events import EventRecorder
from tests.unit.controllers.conftest import POD, RS, Cluster, condition, drain, new_pod, new_replicaset


def test_scale_up_creates_pods_from_the_template_owned_by_the_replicaset(cluster: Cluster):
    rs = cluster.client.create(new_replicaset("web", 3, labels={"app": "web", "tier": "front"}))
    cluster.sync_rs("web")
    pods = cluster.pods()
    assert len(pods) == 3
    for pod in pods:
        md = pod["metadata"]
        assert re.fullmatch(r"web-[bcdfghjklmnpqrstvwxz2456789]{5}", md["name"])
        assert md["generateName"] == "web-"
        assert md["labels"] == {"app": "web", "tier": "front"}
        assert md["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web",
                                          "uid": rs["metadata"]["uid"], "controller": True,
                                          "blockOwnerDeletion": True}]
        assert pod["spec"]["containers"][0]["image"] == "busybox:1"
    # The informer has now seen all three creations: nothing pending.
    assert cluster.rsc.expectations.pending("default/web") == (0, 0)


def test_status_follows_the_pods_and_is_written_only_when_it_changes(cluster: Cluster):
    cluster.client.create(new_replicaset("web", 2))
    cluster.sync_rs("web")
    cluster.sync_rs("web")
    status = cluster.rs("web")["status"]
    assert status == {"replicas": 2, "fullyLabeledReplicas": 2, "observedGeneration": 1}
    for name in [p["metadata"]["name"] for p in cluster.pods()]:
        cluster.set_pod(name)
    cluster.sync_rs("web")
    rs = cluster.rs("web")
    assert rs["status"] == {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 2,
                            "availableReplicas": 2, "observedGeneration": 1}
    rv = rs["metadata"]["resourceVersion"]
    cluster.sync_rs("web")
    assert cluster.rs("web")["metadata"]["resourceVersion"] == rv  # nothing changed, nothing written


def test_expectations_stop_a_second_sync_from_creating_again_before_the_cache_catches_up(cluster: Cluster):
    cluster.client.create(new_replicaset("web", 3))
    cluster.pump()
    cluster.rsc.sync("default/web")
    assert cluster.rsc.expectations.pending("default/web") == (3, 0)
    cluster.rsc.sync("default/web")  # the pod informer has not caught up: must not create 3 more
    assert len(cluster.pods()) == 3
    cluster.pump()
    assert cluster.rsc.expectations.satisfied("default/web")


def test_expectations_expire_after_five_minutes(cluster: Cluster, clock):
    cluster.client.create(new_replicaset("web", 1))
    cluster.pump()
    cluster.rsc.sync("default/web")
    assert not cluster.rsc.expectations.satisfied("default/web")
    clock.advance(301)
    assert cluster.rsc.expectations.satisfied("default/web")


@pytest.mark.parametrize("start,target", [pytest.param(5, 2, id="scale-down"), pytest.param(3, 0, id="to-zero")])
def test_scale_down(cluster: Cluster, start, target):
    cluster.client.create(new_replicaset("web", start))
    cluster.sync_rs("web")
    cluster.client.modify(RS, "default", "web", lambda o: o["spec"].update(replicas=target))
    cluster.sync_rs("web")
    assert len(cluster.pods()) == target  # unbound pods are deleted at once
    cluster.sync_rs("web")
    assert cluster.rs("web")["status"].get("replicas") == target
    assert cluster.rs("web")["status"]["observedGeneration"] == 2


def test_scale_down_deletes_unscheduled_then_pending_then_not_ready_before_ready(cluster: Cluster):
    cluster.client.create(new_replicaset("web", 5))
    cluster.sync_rs("web")
    names = sorted(p["metadata"]["name"] for p in cluster.pods())
    unscheduled, pending, not_ready, ready_1, ready_2 = names
    cluster.client.bind("default", pending, "node-1")
    cluster.set_pod(not_ready, ready=False)
    cluster.set_pod(ready_1)
    cluster.set_pod(ready_2)
    for target, expected_gone in ((4, {unscheduled}), (3, {unscheduled, pending}),
                                  (2, {unscheduled, pending, not_ready})):
        cluster.client.modify(RS, "default", "web", lambda o, t=target: o["spec"].update(replicas=t))
        cluster.sync_rs("web")
        cluster.finish_deletions()  # bound pods go through graceful deletion
        left = {p["metadata"]["name"] for p in cluster.pods()}
        assert left == set(names) - expected_gone


def test_pods_being_deleted_do_not_count_and_are_replaced_at_once(cluster: Cluster):
    cluster.client.create(new_replicaset("web", 2))
    cluster.sync_rs("web")
    victim = cluster.pods()[0]["metadata"]["name"]
    cluster.set_pod(victim)
    cluster.client.delete(POD, "default", victim)  # bound: graceful, deletionTimestamp set
    assert cluster.client.get(POD, "default", victim)["metadata"].get("deletionTimestamp")
    cluster.sync_rs("web")
    active = cluster.pods(include_terminating=False)
    assert len(active) == 2 and victim not in {p["metadata"]["name"] for p in active}
    cluster.sync_rs("web")
    assert cluster.rs("web")["status"]["replicas"] == 2


def test_adopts_matching_orphans_and_creates_only_the_difference(cluster: Cluster):
    cluster.client.create(new_pod("orphan-1", {"app": "web"}))
    cluster.client.create(new_pod("orphan-2", {"app": "web"}))
    cluster.client.create(new_pod("stranger", {"app": "other"}))
    rs = cluster.client.create(new_replicaset("web", 3))
    cluster.sync_rs("web")
    owned = cluster.owned_pods(rs)
    assert {"orphan-1", "orphan-2"} <= {p["metadata"]["name"] for p in owned}
    assert len(owned) == 3
    stranger = cluster.client.get(POD, "default", "stranger")
    assert not stranger["metadata"].get("ownerReferences")


def test_releases_owned_pods_that_no_longer_match_and_replaces_them(cluster: Cluster):
    rs = cluster.client.create(new_replicaset("web", 2))
    cluster.sync_rs("web")
    name = cluster.pods()[0]["metadata"]["name"]
    cluster.client.modify(POD, "default", name, lambda p: p["metadata"]["labels"].update(app="debug"))
    cluster.sync_rs("web")
    released = cluster.client.get(POD, "default", name)
    assert not released["metadata"].get("ownerReferences")
    cluster.sync_rs("web")
    assert len(cluster.owned_pods(rs)) == 2


def test_a_pod_controlled_by_someone_else_is_neither_adopted_nor_counted(cluster: Cluster):
    other = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "0000-old-uid",
             "controller": True, "blockOwnerDeletion": True}
    # Same name, different uid: the owner was deleted and recreated. Kind and uid must match.
    cluster.client.create(new_pod("leftover", {"app": "web"}, ownerReferences=[other]))
    rs = cluster.client.create(new_replicaset("web", 1))
    cluster.sync_rs("web")
    assert len(cluster.owned_pods(rs)) == 1
    assert cluster.client.get(POD, "default", "leftover")["metadata"]["ownerReferences"] == [other]


def test_min_ready_seconds_delays_availability_and_requeues(cluster: Cluster, clock):
    cluster.client.create(new_replicaset("web", 1, minReadySeconds=10))
    cluster.sync_rs("web")
    cluster.set_pod(cluster.pods()[0]["metadata"]["name"])
    cluster.sync_rs("web")
    assert cluster.rs("web")["status"].get("readyReplicas") == 1
    assert not cluster.rs("web")["status"].get("availableReplicas")
    drain(cluster.rsc.queue)  # what is due now
    clock.advance(11)
    key = cluster.rsc.queue.get(timeout=0)  # the delayed requeue is due once the time passed
    assert key == "default/web"
    cluster.rsc.queue.done(key)
    cluster.sync_rs("web")
    assert cluster.rs("web")["status"]["availableReplicas"] == 1


class FailingCreates:
    """A client whose pod creates fail from the n-th on (a quota, say)."""

    def __init__(self, client, fail_from: int) -> None:
        self._client = client
        self.fail_from = fail_from
        self.attempts = 0

    def create(self, obj, **kw):
        if obj.get("kind") == "Pod":
            self.attempts += 1
            if self.attempts >= self.fail_from:
                raise errors.Forbidden('pods "x" is forbidden: exceeded quota')
        return self._client.create(obj, **kw)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_slow_start_stops_after_a_failing_batch_and_reports_replica_failure(cluster: Cluster):
    failing = FailingCreates(cluster.client, fail_from=4)
    cluster.rsc.client = failing
    cluster.client.create(new_replicaset("web", 10))
    cluster.pump()
    with pytest.raises(errors.Forbidden):
        cluster.rsc.sync("default/web")
    # Batches of 1, 2, 4: the third batch failed, so the last 3 pods were never tried.
    assert failing.attempts == 7
    assert len(cluster.pods()) == 3
    cluster.pump()
    assert cluster.rsc.expectations.satisfied("default/web")  # skipped pods are not awaited
    cond = condition(cluster.rs("web"), "ReplicaFailure")
    assert cond["status"] == "True" and cond["reason"] == "FailedCreate"
    assert "exceeded quota" in cond["message"]
    failing.fail_from = 10**6  # the quota is raised
    cluster.sync_rs("web")
    cluster.sync_rs("web")
    assert len(cluster.pods()) == 10
    assert condition(cluster.rs("web"), "ReplicaFailure") is None


def test_a_deleted_replicaset_forgets_its_expectations(cluster: Cluster):
    cluster.client.create(new_replicaset("web", 2))
    cluster.pump()
    cluster.rsc.sync("default/web")
    cluster.client.delete(RS, "default", "web")
    cluster.pump()
    assert cluster.rsc.expectations.pending("default/web") is None
    cluster.rsc.sync("default/web")  # no error, nothing created
    assert len(cluster.pods()) == 2  # the garbage collector's job, not ours


def test_a_replicaset_being_deleted_is_not_managed(cluster: Cluster):
    cluster.client.create(new_replicaset("web", 2))
    cluster.client.delete(RS, "default", "web", propagation="Foreground")
    cluster.sync_rs("web")
    assert cluster.pods() == []


def test_events_record_created_pods(client, clock):
    cluster = Cluster(client, clock, recorder=EventRecorder(client, "replicaset-controller", clock=clock))
    client.create(new_replicaset("web", 1))
    cluster.sync_rs("web")
    events, _ = client.list(kinds.by_kind("Event"), "default")
    assert [(e["reason"], e["involvedObject"]["name"]) for e in events] == [("SuccessfulCreate", "web")]
    assert events[0]["message"].startswith("Created pod: web-")


def test_handlers_enqueue_the_owner_of_a_changed_pod(cluster: Cluster):
    cluster.client.create(new_replicaset("web", 1))
    cluster.sync_rs("web")
    drain(cluster.rsc.queue)
    cluster.set_pod(cluster.pods()[0]["metadata"]["name"])
    cluster.pump()
    assert cluster.rsc.queue.get(timeout=0) == "default/web"
