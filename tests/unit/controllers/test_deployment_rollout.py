"""Rollouts step by step: RollingUpdate bounds checked after every single sync, Recreate
never overlapping old and new pods, progress deadline and minReadySeconds on a fake clock."""
from __future__ import annotations

import pytest

from minikctl.controllers import deployment_util as du
from tests.unit.controllers.conftest import DEPLOY, Cluster, condition, drain, is_ready, new_deployment
from tests.unit.controllers.test_deployment import new_rs_of, rollout, set_image


def _complete(cluster: Cluster, replicas: int, image: str) -> bool:
    d = cluster.deploy("web")
    st = d.get("status") or {}
    pods = cluster.pods()
    return (st.get("updatedReplicas") == replicas and st.get("availableReplicas") == replicas
            and st.get("replicas") == replicas and len(pods) == replicas
            and all(p["spec"]["containers"][0]["image"] == image and is_ready(p) for p in pods))


@pytest.mark.parametrize("replicas,strategy,surge,unavailable", [
    pytest.param(4, {"maxSurge": 1, "maxUnavailable": 1}, 1, 1, id="absolute"),
    pytest.param(10, {}, 3, 2, id="default-25%-surge-rounds-up-unavailable-down"),
    pytest.param(3, {"maxSurge": 0, "maxUnavailable": 1}, 0, 1, id="no-surge"),
    pytest.param(3, {"maxSurge": "50%", "maxUnavailable": 0}, 2, 0, id="no-unavailability"),
])
def test_rolling_update_stays_within_surge_and_unavailable_at_every_step(cluster: Cluster, replicas, strategy,
                                                                          surge, unavailable):
    rolling = {"type": "RollingUpdate", "rollingUpdate": strategy} if strategy else None
    cluster.client.create(new_deployment("web", replicas, strategy=rolling))
    rollout(cluster)
    assert _complete(cluster, replicas, "busybox:1")
    seen = {"max_total": 0, "min_available": replicas}

    def check() -> None:
        # What Kubernetes promises: ReplicaSet sizes within replicas+maxSurge, and never
        # fewer than replicas-maxUnavailable ready pods.
        total = sum(rs["spec"]["replicas"] for rs in cluster.replicasets())
        active = cluster.pods(include_terminating=False)
        available = sum(1 for p in active if is_ready(p))
        assert total <= replicas + surge, f"{total} replicas > {replicas} + {surge}"
        assert len(active) <= replicas + surge
        assert available >= replicas - unavailable, f"only {available} available"
        seen["max_total"] = max(seen["max_total"], total)
        seen["min_available"] = min(seen["min_available"], available)

    set_image(cluster, "busybox:2")
    for _ in range(60):
        cluster.settle(check=check)
        if _complete(cluster, replicas, "busybox:2"):
            break
        # The kubelet: one new pod becomes ready per step, deleted pods finish terminating.
        cluster.run_pods(limit=1)
        cluster.finish_deletions()
        check()
    else:
        pytest.fail("rollout did not complete")
    # The bounds were not only respected but used: a rollout as fast as allowed.
    assert seen["max_total"] == replicas + surge
    assert seen["min_available"] == replicas - unavailable
    old = [rs for rs in cluster.replicasets() if rs["metadata"]["uid"] != new_rs_of(cluster)["metadata"]["uid"]]
    assert [rs["spec"]["replicas"] for rs in old] == [0]
    assert condition(cluster.deploy("web"), "Progressing")["reason"] == "NewReplicaSetAvailable"
    assert new_rs_of(cluster)["metadata"]["annotations"][du.REVISION] == "2"


def test_rolling_update_first_step_surges_the_new_and_trims_the_old(cluster: Cluster):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}
    cluster.client.create(new_deployment("web", 4, strategy=strategy))
    rollout(cluster)
    old = new_rs_of(cluster)
    set_image(cluster, "busybox:2")
    # One sync: the new ReplicaSet is created at the surge allowance (5 pods in all);
    # 4 are available and 3 are needed, so one old replica may go at once.
    cluster.sync_deploy("web")
    new = new_rs_of(cluster)
    assert new["spec"]["replicas"] == 1 and cluster.rs(old["metadata"]["name"])["spec"]["replicas"] == 3
    assert new["metadata"]["annotations"][du.REVISION] == "2"
    cluster.sync_rs(old["metadata"]["name"])
    cluster.sync_rs(new["metadata"]["name"])
    cluster.sync_deploy("web")  # room for one more new pod (4 + 1 = 5), none may go
    assert cluster.rs(new["metadata"]["name"])["spec"]["replicas"] == 2
    cluster.sync_deploy("web")  # nothing more until new pods are available
    assert cluster.rs(old["metadata"]["name"])["spec"]["replicas"] == 3
    assert cluster.rs(new["metadata"]["name"])["spec"]["replicas"] == 2


def test_a_broken_new_version_does_not_eat_old_capacity(cluster: Cluster):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}}
    cluster.client.create(new_deployment("web", 4, strategy=strategy))
    rollout(cluster)
    set_image(cluster, "busybox:broken")
    for _ in range(5):
        cluster.settle()
        cluster.run_pods(ready=False)  # new pods run but never become ready
        cluster.finish_deletions()
    ready = [p for p in cluster.pods(include_terminating=False) if is_ready(p)]
    assert len(ready) == 3  # replicas - maxUnavailable, and no fewer
    assert sum(rs["spec"]["replicas"] for rs in cluster.replicasets()) == 5


def test_recreate_removes_every_old_pod_before_starting_new_ones(cluster: Cluster):
    cluster.client.create(new_deployment("web", 3, strategy={"type": "Recreate"}))
    rollout(cluster)
    old = new_rs_of(cluster)
    set_image(cluster, "busybox:2")
    cluster.settle()
    assert cluster.rs(old["metadata"]["name"])["spec"]["replicas"] == 0
    terminating = [p for p in cluster.pods() if p["metadata"].get("deletionTimestamp")]
    assert len(terminating) == 3
    # Old pods are still terminating: no new ReplicaSet yet.
    assert len(cluster.replicasets()) == 1
    cluster.settle()
    assert len(cluster.replicasets()) == 1
    cluster.finish_deletions()
    cluster.settle()
    new = new_rs_of(cluster)
    assert new["metadata"]["uid"] != old["metadata"]["uid"] and new["spec"]["replicas"] == 3
    assert all(p["spec"]["containers"][0]["image"] == "busybox:2" for p in cluster.pods())
    rollout(cluster)
    assert _complete(cluster, 3, "busybox:2")
    assert new_rs_of(cluster)["metadata"]["annotations"][du.REVISION] == "2"


def test_recreate_deployment_is_available_only_with_every_replica(cluster: Cluster):
    cluster.client.create(new_deployment("web", 2, strategy={"type": "Recreate"}))
    cluster.settle()
    cluster.run_pods(limit=1)
    cluster.settle()
    available = condition(cluster.deploy("web"), "Available")
    assert (available["status"], available["reason"]) == ("False", "MinimumReplicasUnavailable")
    assert available["message"] == "Deployment does not have minimum availability."


def test_progress_deadline_exceeded_when_pods_never_become_ready(cluster: Cluster, clock):
    cluster.client.create(new_deployment("web", 2, progressDeadlineSeconds=30))
    cluster.settle()
    cluster.run_pods(ready=False)
    cluster.settle()
    progressing = condition(cluster.deploy("web"), "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("True", "ReplicaSetUpdated")
    rs_name = new_rs_of(cluster)["metadata"]["name"]
    assert progressing["message"] == f'ReplicaSet "{rs_name}" is progressing.'
    clock.advance(20)
    cluster.settle()  # nothing moved, but the deadline has not passed
    assert condition(cluster.deploy("web"), "Progressing")["status"] == "True"
    clock.advance(12)
    cluster.settle()  # the stuck Deployment was requeued for its deadline
    progressing = condition(cluster.deploy("web"), "Progressing")
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "False", "ProgressDeadlineExceeded", f'ReplicaSet "{rs_name}" has timed out progressing.')
    assert condition(cluster.deploy("web"), "Available")["status"] == "False"


def test_progress_refreshes_the_deadline(cluster: Cluster, clock):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    cluster.client.create(new_deployment("web", 3, strategy=strategy, progressDeadlineSeconds=30))
    cluster.settle()
    for _ in range(3):  # a slow but steady rollout: one pod every 25 s
        clock.advance(25)
        cluster.run_pods(limit=1)
        cluster.settle()
        assert condition(cluster.deploy("web"), "Progressing")["status"] == "True"
    assert condition(cluster.deploy("web"), "Progressing")["reason"] == "NewReplicaSetAvailable"


def test_no_progress_deadline_means_no_progressing_condition(cluster: Cluster):
    cluster.client.create(new_deployment("web", 1, progressDeadlineSeconds=2**31 - 1))
    rollout(cluster)
    assert condition(cluster.deploy("web"), "Progressing") is None
    assert condition(cluster.deploy("web"), "Available")["status"] == "True"


def test_min_ready_seconds_holds_availability_and_the_rollout(cluster: Cluster, clock):
    cluster.client.create(new_deployment("web", 2, minReadySeconds=10))
    cluster.settle()
    assert new_rs_of(cluster)["spec"]["minReadySeconds"] == 10
    cluster.run_pods()
    cluster.settle()
    st = cluster.deploy("web")["status"]
    assert st["readyReplicas"] == 2 and "availableReplicas" not in st
    clock.advance(11)
    cluster.settle()  # the ReplicaSet controller requeued itself for this moment
    st = cluster.deploy("web")["status"]
    assert st["availableReplicas"] == 2
    assert condition(cluster.deploy("web"), "Progressing")["reason"] == "NewReplicaSetAvailable"


def test_changing_min_ready_seconds_updates_the_current_replicaset(cluster: Cluster):
    cluster.client.create(new_deployment("web", 1))
    rollout(cluster)
    rs = new_rs_of(cluster)
    cluster.client.modify(DEPLOY, "default", "web", lambda d: d["spec"].update(minReadySeconds=5))
    rollout(cluster)
    assert cluster.rs(rs["metadata"]["name"])["spec"]["minReadySeconds"] == 5
    assert len(cluster.replicasets()) == 1
    assert drain(cluster.dc.queue) == []
