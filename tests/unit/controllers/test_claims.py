"""Claims: the pvc-protection finalizer (a claim in use stays Terminating until its pods
are done) and the binder deleting a gone claim's volume directory, also for claims
deleted while the daemon was down."""
from __future__ import annotations

import os

import pytest

from minikctl import claimdirs, errors
from minikctl.controllers.persistentvolumeclaim import PersistentVolumeClaimBinder
from tests.unit.controllers.appsharness import PVC, AppsCluster
from tests.unit.controllers.conftest import POD, container


@pytest.fixture
def apps(client, clock) -> AppsCluster:
    return AppsCluster(client, clock)


def claim(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}


def pod_using(name: str, claim_name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [container("busybox:1")],
                     "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim_name}}]}}


def gone(apps: AppsCluster, name: str) -> bool:
    try:
        apps.client.get(PVC, "default", name)
    except errors.NotFound:
        return True
    return False


def test_a_new_claim_carries_the_protection_finalizer(apps: AppsCluster):
    created = apps.client.create(claim("data"))
    assert created["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]


def test_a_claim_in_use_stays_terminating_until_its_pod_has_finished(apps: AppsCluster):
    apps.client.create(claim("data"))
    apps.client.create(pod_using("user", "data"))
    apps.run_pod("user")
    apps.client.delete(PVC, "default", "data")
    apps.settle()
    held = apps.client.get(PVC, "default", "data")
    assert held["metadata"]["deletionTimestamp"] and held["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    apps.set_pod("user", phase="Succeeded", ready=False)  # a finished pod no longer uses it
    apps.settle()
    assert gone(apps, "data")


def test_an_unscheduled_or_deleted_pod_does_not_hold_a_claim(apps: AppsCluster):
    apps.client.create(claim("a"))
    apps.client.create(claim("b"))
    apps.client.create(pod_using("pending", "a"))  # never bound: no kubelet will start it on a dying claim
    apps.client.create(pod_using("bound", "b"))
    apps.run_pod("bound")
    apps.client.delete(PVC, "default", "a")
    apps.client.delete(PVC, "default", "b")
    apps.settle()
    assert gone(apps, "a") and not gone(apps, "b")
    apps.client.delete(POD, "default", "bound")
    apps.finish("bound")
    apps.settle()
    assert gone(apps, "b")


def test_the_binder_deletes_the_volumes_of_claims_that_are_gone(apps: AppsCluster, tmp_path):
    root = str(tmp_path / "volumes")
    live = apps.client.create(claim("data"))
    apps.client.create(claim("other"))
    apps.settle()
    mine = claimdirs.path_of(root, apps.client.get(PVC, "default", "data"))
    stale = [os.path.join(root, "pvc-0a0a_default_data"),  # an earlier claim of the same name
             os.path.join(root, "pvc-0b0b_default_left")]  # a claim deleted while the daemon was down
    unrelated = os.path.join(root, "notes")
    for path in [mine, *stale, unrelated]:
        os.makedirs(path)
        open(os.path.join(path, "f"), "w").close()
    assert os.path.basename(mine) == f"pvc-{live['metadata']['uid']}_default_data"

    binder = PersistentVolumeClaimBinder(apps.client, apps.manager, clock=apps.clock, volumes_root=root)
    run(apps, binder)  # at start it looks at every directory on disk
    assert sorted(os.listdir(root)) == sorted([os.path.basename(mine), "notes"])

    apps.client.delete(PVC, "default", "data")  # no pod uses it: it goes, and its volume with it
    run(apps, binder)
    assert gone(apps, "data") and sorted(os.listdir(root)) == ["notes"]


def run(apps: AppsCluster, binder: PersistentVolumeClaimBinder) -> None:
    """settle() over the harness's controllers and this extra binder."""
    apps.settled.append(binder)
    try:
        apps.settle()
    finally:
        apps.settled.remove(binder)
