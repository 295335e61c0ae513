"""DeploymentController: the new ReplicaSet, revisions, history, rollback, pause, scaling,
ownership. (Strategies step by step and progress are in test_deployment_rollout.py.)"""
from __future__ import annotations

import re

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.controllers import deployment_util as du
from minikctl.controllers.events import EventRecorder
from tests.unit.controllers.conftest import DEPLOY, RS, Cluster, condition, new_deployment

HASH = re.compile(r"[bcdfghjklmnpqrstvwxz2456789]{1,10}")


def rollout(cluster: Cluster, name: str = "web") -> None:
    """Settle, start every pod, settle again, until nothing moves (a healthy cluster)."""
    for _ in range(30):
        cluster.settle()
        started = cluster.run_pods()
        finished = cluster.finish_deletions()
        if not started and not finished:
            cluster.settle()
            return
    raise AssertionError("rollout did not finish")


def set_image(cluster: Cluster, image: str, name: str = "web") -> None:
    cluster.client.modify(DEPLOY, "default", name,
                          lambda d: d["spec"]["template"]["spec"]["containers"][0].update(image=image))


def new_rs_of(cluster: Cluster, name: str = "web") -> dict:
    d = cluster.deploy(name)
    return next(rs for rs in cluster.replicasets()
                if du.equal_ignore_hash(rs["spec"]["template"], d["spec"]["template"]))


def test_creates_a_replicaset_named_after_the_template_hash(cluster: Cluster):
    d = cluster.client.create(new_deployment("web", 3))
    cluster.sync_deploy("web")
    [rs] = cluster.replicasets()
    pod_hash = rs["metadata"]["labels"][du.POD_TEMPLATE_HASH]
    assert HASH.fullmatch(pod_hash)
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert pod_hash == du.compute_hash(d["spec"]["template"], None)
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", du.POD_TEMPLATE_HASH: pod_hash}
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", du.POD_TEMPLATE_HASH: pod_hash}
    assert rs["spec"]["replicas"] == 3
    assert rs["metadata"]["annotations"] == {du.REVISION: "1", du.DESIRED_REPLICAS: "3", du.MAX_REPLICAS: "4"}
    assert rs["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                                  "uid": d["metadata"]["uid"], "controller": True,
                                                  "blockOwnerDeletion": True}]
    deployed = cluster.deploy("web")
    assert deployed["metadata"]["annotations"][du.REVISION] == "1"
    progressing = condition(deployed, "Progressing")
    assert (progressing["status"], progressing["reason"]) == ("True", "NewReplicaSetCreated")
    assert progressing["message"] == f'Created new replica set "web-{pod_hash}"'


def test_pods_carry_the_hash_and_the_deployment_becomes_available(cluster: Cluster):
    cluster.client.create(new_deployment("web", 3))
    rollout(cluster)
    rs = new_rs_of(cluster)
    pods = cluster.pods()
    assert len(pods) == 3
    assert all(p["metadata"]["labels"][du.POD_TEMPLATE_HASH] == rs["metadata"]["labels"][du.POD_TEMPLATE_HASH]
               for p in pods)
    d = cluster.deploy("web")
    assert d["status"] == {
        "observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3,
        "conditions": d["status"]["conditions"],
    }
    available, progressing = condition(d, "Available"), condition(d, "Progressing")
    assert (available["status"], available["reason"], available["message"]) == (
        "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "True", "NewReplicaSetAvailable", f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.')


def test_status_is_not_rewritten_when_nothing_changed(cluster: Cluster):
    cluster.client.create(new_deployment("web", 2))
    rollout(cluster)
    rv = cluster.deploy("web")["metadata"]["resourceVersion"]
    cluster.sync_deploy("web")
    cluster.sync_deploy("web")
    assert cluster.deploy("web")["metadata"]["resourceVersion"] == rv


def test_scaling_resizes_the_replicaset_and_its_annotations(cluster: Cluster):
    cluster.client.create(new_deployment("web", 3))
    rollout(cluster)
    cluster.client.modify(DEPLOY, "default", "web", lambda d: d["spec"].update(replicas=5))
    rollout(cluster)
    rs = new_rs_of(cluster)
    assert rs["spec"]["replicas"] == 5
    assert rs["metadata"]["annotations"][du.DESIRED_REPLICAS] == "5"
    assert rs["metadata"]["annotations"][du.MAX_REPLICAS] == "7"  # 25% of 5, rounded up
    assert len(cluster.pods()) == 5
    cluster.client.modify(DEPLOY, "default", "web", lambda d: d["spec"].update(replicas=0))
    rollout(cluster)
    assert new_rs_of(cluster)["spec"]["replicas"] == 0 and cluster.pods() == []


def test_revision_history_limit_deletes_the_oldest_scaled_down_replicasets(cluster: Cluster):
    cluster.client.create(new_deployment("web", 2, revisionHistoryLimit=1))
    rollout(cluster)
    for image in ("busybox:2", "busybox:3"):
        set_image(cluster, image)
        rollout(cluster)
    rss = {rs["metadata"]["annotations"][du.REVISION]: rs for rs in cluster.replicasets()}
    assert sorted(rss) == ["2", "3"]  # revision 1 was cleaned up
    assert rss["2"]["spec"]["replicas"] == 0 and rss["3"]["spec"]["replicas"] == 2
    assert rss["3"]["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:3"
    assert cluster.deploy("web")["metadata"]["annotations"][du.REVISION] == "3"


def test_rollback_to_an_old_template_reuses_its_replicaset_and_bumps_its_revision(cluster: Cluster):
    cluster.client.create(new_deployment("web", 2))
    rollout(cluster)
    first = new_rs_of(cluster)
    set_image(cluster, "busybox:2")
    rollout(cluster)
    # What `kubectl rollout undo` does: copy the old ReplicaSet's template back.
    set_image(cluster, "busybox:1")
    rollout(cluster)
    rss = cluster.replicasets()
    assert len(rss) == 2
    again = cluster.rs(first["metadata"]["name"])
    assert again["metadata"]["uid"] == first["metadata"]["uid"]
    assert again["spec"]["replicas"] == 2
    assert again["metadata"]["annotations"][du.REVISION] == "3"
    assert again["metadata"]["annotations"][du.REVISION_HISTORY] == "1"
    assert cluster.deploy("web")["metadata"]["annotations"][du.REVISION] == "3"


def test_rollout_restart_annotation_makes_a_new_replicaset(cluster: Cluster):
    cluster.client.create(new_deployment("web", 1))
    rollout(cluster)
    cluster.client.modify(DEPLOY, "default", "web", lambda d: d["spec"]["template"]["metadata"].setdefault(
        "annotations", {}).update({"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"}))
    rollout(cluster)
    assert len(cluster.replicasets()) == 2
    assert new_rs_of(cluster)["metadata"]["annotations"][du.REVISION] == "2"
    assert len(cluster.pods()) == 1


def test_paused_deployment_follows_scaling_but_does_not_roll_out(cluster: Cluster):
    cluster.client.create(new_deployment("web", 2))
    rollout(cluster)
    cluster.client.modify(DEPLOY, "default", "web", lambda d: d["spec"].update(paused=True))
    set_image(cluster, "busybox:2")
    cluster.client.modify(DEPLOY, "default", "web", lambda d: d["spec"].update(replicas=4))
    rollout(cluster)
    [rs] = cluster.replicasets()
    assert rs["spec"]["replicas"] == 4
    progressing = condition(cluster.deploy("web"), "Progressing")
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "Unknown", "DeploymentPaused", "Deployment is paused")
    cluster.client.modify(DEPLOY, "default", "web", lambda d: d["spec"].update(paused=False))
    rollout(cluster)
    assert new_rs_of(cluster)["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:2"
    assert new_rs_of(cluster)["spec"]["replicas"] == 4
    assert condition(cluster.deploy("web"), "Progressing")["reason"] == "NewReplicaSetAvailable"


def test_scaling_mid_rollout_is_proportional(cluster: Cluster):
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    cluster.client.create(new_deployment("web", 10, strategy=strategy))
    rollout(cluster)
    set_image(cluster, "busybox:2")
    cluster.settle()  # new pods never become ready: the rollout is stuck half way
    before = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in cluster.replicasets()}
    assert sum(before.values()) == 13 and all(before.values())
    cluster.client.modify(DEPLOY, "default", "web", lambda d: d["spec"].update(replicas=20))
    cluster.settle()
    after = {rs["metadata"]["name"]: rs for rs in cluster.replicasets()}
    assert sum(rs["spec"]["replicas"] for rs in after.values()) == 23  # 20 + maxSurge 3
    for name, rs in after.items():
        assert rs["spec"]["replicas"] > before[name]
        assert rs["metadata"]["annotations"][du.DESIRED_REPLICAS] == "20"


def test_adopts_an_orphan_replicaset_with_the_same_template(cluster: Cluster):
    d = cluster.client.create(new_deployment("web", 2))
    pod_hash = du.compute_hash(d["spec"]["template"], None)
    template = {**d["spec"]["template"], "metadata": {"labels": {"app": "web", du.POD_TEMPLATE_HASH: pod_hash}}}
    orphan = cluster.client.create({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": "handmade", "labels": {"app": "web", du.POD_TEMPLATE_HASH: pod_hash}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web", du.POD_TEMPLATE_HASH: pod_hash}},
                 "template": template}})
    rollout(cluster)
    [rs] = cluster.replicasets()
    assert rs["metadata"]["uid"] == orphan["metadata"]["uid"]
    assert rs["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]
    assert rs["metadata"]["annotations"][du.REVISION] == "1"


def test_a_hash_collision_bumps_collision_count_and_picks_another_name(cluster: Cluster):
    d = cluster.client.create(new_deployment("web", 1))
    taken = f"web-{du.compute_hash(d['spec']['template'], None)}"
    cluster.client.create({**new_deployment_rs(taken), "metadata": {"name": taken, "labels": {"app": "other"}}})
    with pytest.raises(errors.AlreadyExists):
        cluster.sync_deploy("web")
    assert cluster.deploy("web")["status"]["collisionCount"] == 1
    cluster.sync_deploy("web")
    names = {rs["metadata"]["name"] for rs in cluster.replicasets()}
    assert names == {taken, f"web-{du.compute_hash(d['spec']['template'], 1)}"}


def new_deployment_rs(name: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "other"}},
                     "template": {"metadata": {"labels": {"app": "other"}},
                                  "spec": {"containers": [{"name": "c", "image": "x", "command": ["true"]}]}}}}


def test_deleting_a_deployment_does_not_recreate_anything(cluster: Cluster):
    cluster.client.create(new_deployment("web", 2))
    rollout(cluster)
    names = {rs["metadata"]["name"] for rs in cluster.replicasets()}
    cluster.client.delete(DEPLOY, "default", "web")
    rollout(cluster)
    cluster.sync_deploy("web")  # not found: nothing to do
    # Its ReplicaSet and pods stay until the garbage collector removes them; none is added.
    assert {rs["metadata"]["name"] for rs in cluster.replicasets()} == names
    assert len(cluster.pods()) == 2


def test_scaling_is_recorded_as_events(client, clock):
    cluster = Cluster(client, clock, recorder=EventRecorder(client, "deployment-controller", clock=clock))
    cluster.client.create(new_deployment("web", 2))
    cluster.sync_deploy("web")
    events, _ = client.list(kinds.by_kind("Event"), "default")
    scaling = [e for e in events if e["reason"] == "ScalingReplicaSet"]
    rs = cluster.replicasets()[0]["metadata"]["name"]
    assert [e["message"] for e in scaling] == [f"Scaled up replica set {rs} from 0 to 2"]
    assert scaling[0]["involvedObject"]["kind"] == "Deployment"


def test_a_replicaset_scaled_by_hand_is_put_back(cluster: Cluster):
    cluster.client.create(new_deployment("web", 2))
    rollout(cluster)
    rs = new_rs_of(cluster)
    cluster.client.modify(RS, "default", rs["metadata"]["name"], lambda o: o["spec"].update(replicas=5))
    rollout(cluster)
    assert cluster.rs(rs["metadata"]["name"])["spec"]["replicas"] == 2
    assert len(cluster.pods()) == 2


def test_a_deployment_being_deleted_only_records_status(cluster: Cluster):
    cluster.client.create(new_deployment("web", 2))
    rollout(cluster)
    cluster.client.delete(DEPLOY, "default", "web", propagation="Foreground")
    set_image(cluster, "busybox:2")  # a change that would otherwise start a rollout
    rollout(cluster)
    assert len(cluster.replicasets()) == 1
    assert cluster.deploy("web")["metadata"]["deletionTimestamp"]
