"""The StatefulSet controller, synced by hand over a real store: ordered creation,
identities and claims, scale-down from the top, Parallel, rolling updates with a
partition, OnDelete, history, and the claim binder."""
from __future__ import annotations

import pytest

from minikctl import errors
from minikctl.api import kinds
from minikctl.controllers import history
from minikctl.controllers.events import EventRecorder
from tests.unit.controllers.appsharness import PVC, REVISION, STS, AppsCluster, new_statefulset, set_image
from tests.unit.controllers.conftest import POD


@pytest.fixture
def apps(client, clock) -> AppsCluster:
    return AppsCluster(client, clock)


def status(apps: AppsCluster, name: str = "web") -> dict:
    return apps.client.get(STS, "default", name).get("status") or {}


def bring_up(apps: AppsCluster, count: int) -> None:
    """OrderedReady: run each pod as it appears, one at a time."""
    for i in range(count):
        apps.settle()
        apps.run_pod(f"web-{i}")
    apps.settle()


def test_ordered_ready_creates_one_pod_at_a_time_with_identity_and_claims(apps: AppsCluster):
    apps.client.create(new_statefulset())
    apps.settle()
    assert apps.names() == ["web-0"]  # web-1 waits until web-0 is Running and Ready
    claim = apps.client.get(PVC, "default", "data-web-0")
    assert claim["metadata"]["labels"] == {"app": "web"}
    assert "ownerReferences" not in claim["metadata"]  # Retain/Retain: the claim outlives the set
    assert claim["status"]["phase"] == "Bound"
    assert claim["status"]["capacity"] == {"storage": "1Gi"}
    assert claim["spec"]["volumeName"] == f"pvc-{claim['metadata']['uid']}"
    pod = apps.client.get(POD, "default", "web-0")
    assert pod["spec"]["hostname"] == "web-0" and pod["spec"]["subdomain"] == "web"
    labels = pod["metadata"]["labels"]
    assert labels["statefulset.kubernetes.io/pod-name"] == "web-0"
    assert labels["apps.kubernetes.io/pod-index"] == "0"
    assert labels["controller-revision-hash"] == status(apps)["updateRevision"]
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "data-web-0"}} in pod["spec"]["volumes"]

    apps.run_pod("web-0", ready=False)
    apps.settle()
    assert apps.names() == ["web-0"]  # Running but not Ready: still waiting
    apps.run_pod("web-0")
    apps.settle()
    assert apps.names() == ["web-0", "web-1"]
    apps.run_pod("web-1")
    apps.run_pod("web-1")
    apps.settle()
    apps.run_pod("web-2")
    apps.settle()
    st = status(apps)
    assert st["replicas"] == 3 and st["readyReplicas"] == 3 and st["availableReplicas"] == 3
    assert st["currentRevision"] == st["updateRevision"] and st["updatedReplicas"] == 3
    assert st["observedGeneration"] == 1
    assert sorted(c["metadata"]["name"] for c in apps.client.list(PVC, "default")[0]) == [
        "data-web-0", "data-web-1", "data-web-2"]


def test_a_deleted_pod_comes_back_with_the_same_name_and_claim(apps: AppsCluster):
    apps.client.create(new_statefulset())
    bring_up(apps, 3)
    claim_uid = apps.client.get(PVC, "default", "data-web-1")["metadata"]["uid"]
    apps.client.delete(POD, "default", "web-1")
    apps.settle()
    apps.finish("web-1")
    apps.settle()
    assert apps.names() == ["web-0", "web-1", "web-2"]
    pod = apps.client.get(POD, "default", "web-1")
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "data-web-1"}} in pod["spec"]["volumes"]
    assert apps.client.get(PVC, "default", "data-web-1")["metadata"]["uid"] == claim_uid


def test_scale_down_removes_the_highest_ordinal_first_and_keeps_its_claim(apps: AppsCluster):
    apps.client.create(new_statefulset())
    bring_up(apps, 3)
    apps.client.modify(STS, "default", "web", lambda s: s["spec"].update(replicas=1))
    apps.settle()
    assert apps.names() == ["web-0", "web-1"]  # web-2 terminating; web-1 waits for it
    apps.finish("web-2")
    apps.settle()
    assert apps.names() == ["web-0"]
    apps.finish("web-1")
    apps.settle()
    assert apps.names() == ["web-0"]
    assert {c["metadata"]["name"] for c in apps.client.list(PVC, "default")[0]} == {
        "data-web-0", "data-web-1", "data-web-2"}
    # Scaled to zero and back: the same names, the same claims.
    apps.client.modify(STS, "default", "web", lambda s: s["spec"].update(replicas=0))
    apps.settle()
    apps.finish("web-0")
    apps.settle()
    assert apps.names() == [] and status(apps).get("replicas") == 0
    apps.client.modify(STS, "default", "web", lambda s: s["spec"].update(replicas=3))
    bring_up(apps, 3)
    assert apps.names() == ["web-0", "web-1", "web-2"]
    assert len(apps.client.list(PVC, "default")[0]) == 3


def test_parallel_creates_and_deletes_all_at_once(apps: AppsCluster):
    apps.client.create(new_statefulset(podManagementPolicy="Parallel"))
    apps.settle()
    assert apps.names() == ["web-0", "web-1", "web-2"]
    apps.client.modify(STS, "default", "web", lambda s: s["spec"].update(replicas=1))
    apps.settle()
    assert apps.names() == ["web-0"]


def test_rolling_update_goes_from_the_highest_ordinal_down_to_the_partition(apps: AppsCluster):
    apps.client.create(new_statefulset())
    bring_up(apps, 3)
    first = status(apps)["currentRevision"]

    def update(s: dict) -> None:
        set_image(s, "busybox:2")
        s["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}

    apps.client.modify(STS, "default", "web", update)
    apps.settle()
    st = status(apps)
    assert st["updateRevision"] != first and st["currentRevision"] == first
    assert apps.names() == ["web-0", "web-1"]  # web-2 deleted first
    apps.finish("web-2")
    apps.settle()
    assert apps.client.get(POD, "default", "web-2")["spec"]["containers"][0]["image"] == "busybox:2"
    assert apps.names() == ["web-0", "web-1", "web-2"]  # web-1 waits for web-2 to be ready
    apps.run_pod("web-2")
    apps.settle()
    apps.finish("web-1")
    apps.settle()
    apps.run_pod("web-1")
    apps.settle()
    images = {p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in apps.pods()}
    assert images == {"web-0": "busybox:1", "web-1": "busybox:2", "web-2": "busybox:2"}
    st = status(apps)
    assert st["updatedReplicas"] == 2 and st["currentReplicas"] == 1 and st["currentRevision"] == first

    # The partition lowered to 0: web-0 follows, and the rollout completes.
    apps.client.modify(STS, "default", "web", lambda s: s["spec"]["updateStrategy"]["rollingUpdate"].update(partition=0))
    apps.settle()
    apps.finish("web-0")
    apps.settle()
    apps.run_pod("web-0")
    apps.settle()
    st = status(apps)
    assert st["currentRevision"] == st["updateRevision"] and st["currentReplicas"] == 3
    assert len(apps.client.list(REVISION, "default")[0]) == 2


def test_on_delete_replaces_only_pods_the_user_deletes(apps: AppsCluster):
    apps.client.create(new_statefulset(updateStrategy={"type": "OnDelete"}))
    bring_up(apps, 3)
    apps.client.modify(STS, "default", "web", lambda s: set_image(s, "busybox:2"))
    apps.settle()
    assert all(p["spec"]["containers"][0]["image"] == "busybox:1" for p in apps.pods())
    apps.client.delete(POD, "default", "web-0")
    apps.settle()
    apps.finish("web-0")
    apps.settle()
    assert apps.client.get(POD, "default", "web-0")["spec"]["containers"][0]["image"] == "busybox:2"
    assert apps.client.get(POD, "default", "web-1")["spec"]["containers"][0]["image"] == "busybox:1"


def test_rolling_back_renumbers_the_old_revision_and_history_is_truncated(apps: AppsCluster):
    apps.client.create(new_statefulset(replicas=1, revisionHistoryLimit=1, claims=False))
    bring_up(apps, 1)
    for image in ("busybox:2", "busybox:3", "busybox:1"):
        apps.client.modify(STS, "default", "web", lambda s, i=image: set_image(s, i))
        apps.settle()
        apps.finish("web-0")
        apps.settle()
        apps.run_pod("web-0")
        apps.settle()
    revisions = history.sort_revisions(apps.client.list(REVISION, "default")[0])
    # busybox:1 went back to its first revision object, now numbered 4; only one old one kept.
    assert [r["revision"] for r in revisions] == [3, 4]
    assert history.template_of(revisions[-1])["spec"]["containers"][0]["image"] == "busybox:1"
    assert status(apps)["updateRevision"] == revisions[-1]["metadata"]["name"]
    assert revisions[-1]["metadata"]["ownerReferences"][0]["kind"] == "StatefulSet"


def test_when_deleted_delete_gives_claims_an_owner_reference(apps: AppsCluster):
    sts = apps.client.create(new_statefulset(replicas=1, persistentVolumeClaimRetentionPolicy={
        "whenDeleted": "Delete", "whenScaled": "Retain"}))
    apps.settle()
    refs = apps.client.get(PVC, "default", "data-web-0")["metadata"]["ownerReferences"]
    assert refs == [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                     "uid": sts["metadata"]["uid"], "blockOwnerDeletion": True}]


def test_events_name_each_pod_and_claim(client, clock):
    recorder = EventRecorder(client, "statefulset-controller", clock=clock)
    apps = AppsCluster(client, clock)
    apps.stsc.recorder = recorder
    apps.client.create(new_statefulset(replicas=1))
    apps.settle()
    events, _ = client.list(kinds.by_kind("Event"), "default")
    messages = sorted(e["message"] for e in events)
    assert messages == ["create Claim data-web-0 Pod web-0 in StatefulSet web success",
                        "create Pod web-0 in StatefulSet web successful"]


def test_when_scaled_delete_makes_the_condemned_pod_own_its_claim(apps: AppsCluster):
    apps.client.create(new_statefulset(replicas=2, persistentVolumeClaimRetentionPolicy={
        "whenDeleted": "Retain", "whenScaled": "Delete"}))
    bring_up(apps, 2)
    assert "ownerReferences" not in apps.client.get(PVC, "default", "data-web-1")["metadata"]
    pod_uid = apps.client.get(POD, "default", "web-1")["metadata"]["uid"]
    apps.client.modify(STS, "default", "web", lambda s: s["spec"].update(replicas=1))
    apps.settle()
    refs = apps.client.get(PVC, "default", "data-web-1")["metadata"]["ownerReferences"]
    assert [(r["kind"], r["name"], r["uid"]) for r in refs] == [("Pod", "web-1", pod_uid)]
    assert "ownerReferences" not in apps.client.get(PVC, "default", "data-web-0")["metadata"]


def test_a_revision_name_taken_by_other_data_is_a_collision(apps: AppsCluster):
    sts = apps.client.create(new_statefulset(replicas=1, claims=False))
    wanted = history.new_revision(sts, history.template_patch(sts), 1, 0)
    squatter = history.new_revision(sts, {"spec": {"template": {"$patch": "replace"}}}, 1, 0)
    squatter["metadata"]["name"] = wanted["metadata"]["name"]
    squatter["metadata"].pop("ownerReferences")
    apps.client.create(squatter)
    apps.settle()
    st = status(apps)
    assert st["collisionCount"] == 1
    assert st["updateRevision"] != wanted["metadata"]["name"]
    assert st["updateRevision"] == history.revision_name("web", history.hash_revision(history.template_patch(sts), 1))
    assert apps.names() == ["web-0"]


def test_a_changed_retention_policy_is_applied_to_existing_claims(apps: AppsCluster):
    sts = apps.client.create(new_statefulset(replicas=1))
    bring_up(apps, 1)
    assert "ownerReferences" not in apps.client.get(PVC, "default", "data-web-0")["metadata"]
    apps.client.modify(STS, "default", "web", lambda s: s["spec"].update(persistentVolumeClaimRetentionPolicy={
        "whenDeleted": "Delete", "whenScaled": "Retain"}))
    apps.settle()
    refs = apps.client.get(PVC, "default", "data-web-0")["metadata"]["ownerReferences"]
    assert [(r["kind"], r["uid"]) for r in refs] == [("StatefulSet", sts["metadata"]["uid"])]
    apps.client.modify(STS, "default", "web", lambda s: s["spec"].update(persistentVolumeClaimRetentionPolicy={
        "whenDeleted": "Retain", "whenScaled": "Retain"}))
    apps.settle()
    assert "ownerReferences" not in apps.client.get(PVC, "default", "data-web-0")["metadata"]


def test_a_claim_deleted_under_a_live_pod_waits_for_it_then_comes_back_new(apps: AppsCluster):
    apps.client.create(new_statefulset(replicas=1))
    bring_up(apps, 1)
    old_uid = apps.client.get(PVC, "default", "data-web-0")["metadata"]["uid"]
    apps.client.delete(PVC, "default", "data-web-0")
    with pytest.raises(errors.MinikctlError, match="^pvc data-web-0 is being deleted$"):
        apps.stsc.resync()
        apps.settle()  # the set's sync fails (and is retried), as Kubernetes' does
    apps.settle()
    claim = apps.client.get(PVC, "default", "data-web-0")  # Terminating: web-0 still uses it
    assert claim["metadata"]["uid"] == old_uid and claim["metadata"]["deletionTimestamp"]
    assert claim["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    apps.client.delete(POD, "default", "web-0")
    apps.finish("web-0")
    apps.settle()  # the pod is gone: so is the claim; the set creates both again
    apps.stsc.resync()  # claims carry no controller reference: the next sync (a resync) sees it missing
    apps.settle()
    assert apps.client.get(PVC, "default", "data-web-0")["metadata"]["uid"] != old_uid
    assert apps.names() == ["web-0"]
    assert status(apps)["collisionCount"] == 0  # StatefulSetStatus always carries it


def test_ordinals_start_names_pods_and_claims_from_the_start(apps: AppsCluster):
    apps.client.create(new_statefulset(replicas=2, ordinals={"start": 5}, podManagementPolicy="Parallel"))
    apps.settle()
    assert apps.names() == ["web-5", "web-6"]
    assert apps.client.get(POD, "default", "web-6")["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "6"
    assert sorted(c["metadata"]["name"] for c in apps.client.list(PVC, "default")[0]) == ["data-web-5", "data-web-6"]
