"""The DaemonSet controller, synced by hand over a real store with Node objects: one
pod per eligible node pinned by node affinity, nodeSelector and taints, status,
RollingUpdate (maxUnavailable, maxSurge), OnDelete, failed pods, history."""
from __future__ import annotations

import pytest

from minikctl.controllers import daemonset_nodes as dn
from tests.unit.controllers.appsharness import DS, NODE_KIND, REVISION, AppsCluster, new_daemonset, set_image
from tests.unit.controllers.conftest import POD


@pytest.fixture
def apps(client, clock) -> AppsCluster:
    return AppsCluster(client, clock)


def status(apps: AppsCluster, name: str = "agent") -> dict:
    return apps.client.get(DS, "default", name).get("status") or {}


def placement(apps: AppsCluster) -> dict[str, list[str]]:
    """node -> images of the live pods pinned there."""
    out: dict[str, list[str]] = {}
    for pod in apps.pods(include_terminating=False):
        out.setdefault(dn.target_node(pod) or "", []).append(pod["spec"]["containers"][0]["image"])
    return {k: sorted(v) for k, v in sorted(out.items())}


def run_all(apps: AppsCluster) -> None:
    for pod in apps.pods(include_terminating=False):
        if (pod.get("status") or {}).get("phase") != "Running":
            apps.run_pod(pod["metadata"]["name"])
    apps.settle()


def finish_all(apps: AppsCluster) -> None:
    for pod in apps.pods():
        if pod["metadata"].get("deletionTimestamp"):
            apps.finish(pod["metadata"]["name"])
    apps.settle()


def test_one_pod_per_node_pinned_by_node_affinity_with_daemon_tolerations(apps: AppsCluster):
    for name in ("node-a", "node-b", "node-c"):
        apps.add_node(name)
    ds = apps.client.create(new_daemonset())
    apps.settle()
    assert placement(apps) == {"node-a": ["busybox:1"], "node-b": ["busybox:1"], "node-c": ["busybox:1"]}
    pod = next(p for p in apps.pods() if dn.target_node(p) == "node-b")
    assert not pod["spec"].get("nodeName")  # the scheduler binds it, not the controller
    assert pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-b"]}]}]}
    tolerations = {(t["key"], t["effect"]) for t in pod["spec"]["tolerations"]}
    assert tolerations >= {("node.kubernetes.io/not-ready", "NoExecute"), ("node.kubernetes.io/unreachable", "NoExecute"),
                           ("node.kubernetes.io/disk-pressure", "NoSchedule"),
                           ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                           ("node.kubernetes.io/pid-pressure", "NoSchedule"),
                           ("node.kubernetes.io/unschedulable", "NoSchedule")}
    assert pod["metadata"]["ownerReferences"][0]["uid"] == ds["metadata"]["uid"]
    [revision] = apps.client.list(REVISION, "default")[0]
    assert pod["metadata"]["labels"]["controller-revision-hash"] == revision["metadata"]["labels"][
        "controller-revision-hash"]
    assert revision["metadata"]["name"] == "agent-" + revision["metadata"]["labels"]["controller-revision-hash"]
    st = status(apps)
    assert st["desiredNumberScheduled"] == 3 and st["currentNumberScheduled"] == 3
    assert st["numberReady"] == 0 and st["numberMisscheduled"] == 0 and st["updatedNumberScheduled"] == 3
    run_all(apps)
    st = status(apps)
    assert st["numberReady"] == 3 and st["numberAvailable"] == 3 and "numberUnavailable" not in st
    assert st["observedGeneration"] == 1


def test_node_selector_taints_and_node_changes(apps: AppsCluster):
    apps.add_node("node-a", labels={"disk": "ssd"})
    apps.add_node("node-b")
    apps.add_node("node-c", labels={"disk": "ssd"}, taints=[{"key": "dedicated", "value": "db", "effect": "NoSchedule"}])
    apps.client.create(new_daemonset(template={"metadata": {"labels": {"app": "agent"}}, "spec": {
        "nodeSelector": {"disk": "ssd"}, "containers": [{"name": "app", "image": "busybox:1", "command": ["sleep", "1"]}]}}))
    apps.settle()
    assert list(placement(apps)) == ["node-a"]  # node-b lacks the label, node-c's taint is not tolerated
    # A label added to node-b brings a pod there; removing it from node-a takes its pod away.
    apps.client.modify(NODE_KIND, "", "node-b", lambda n: n["metadata"]["labels"].update(disk="ssd"))
    apps.client.modify(NODE_KIND, "", "node-a", lambda n: n["metadata"]["labels"].pop("disk"))
    apps.settle()
    assert list(placement(apps)) == ["node-b"]
    st = status(apps)
    assert st["desiredNumberScheduled"] == 1 and st["numberMisscheduled"] == 0
    # A NoSchedule taint does not evict a running pod (misscheduled), a NoExecute one does.
    apps.client.modify(NODE_KIND, "", "node-b", lambda n: n["spec"].update(
        taints=[{"key": "maintenance", "effect": "NoSchedule"}]))
    apps.settle()
    assert list(placement(apps)) == ["node-b"]
    assert status(apps)["numberMisscheduled"] == 1 and status(apps)["desiredNumberScheduled"] == 0
    apps.client.modify(NODE_KIND, "", "node-b", lambda n: n["spec"].update(
        taints=[{"key": "maintenance", "effect": "NoExecute"}]))
    apps.settle()
    assert placement(apps) == {}
    # A deleted node's pods go too.
    apps.client.modify(NODE_KIND, "", "node-b", lambda n: n["spec"].pop("taints"))
    finish_all(apps)
    assert list(placement(apps)) == ["node-b"]
    apps.client.delete(NODE_KIND, "", "node-b")
    apps.settle()
    assert placement(apps) == {}


def test_required_node_affinity_and_tolerations_in_the_template(apps: AppsCluster):
    apps.add_node("node-a", labels={"zone": "z1"})
    apps.add_node("node-b", labels={"zone": "z2"}, taints=[{"key": "gpu", "effect": "NoSchedule"}])
    apps.add_node("node-c", labels={"zone": "z3"})
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["z1", "z2"]}]}]}}}
    apps.client.create(new_daemonset(template={"metadata": {"labels": {"app": "agent"}}, "spec": {
        "affinity": affinity, "tolerations": [{"key": "gpu", "operator": "Exists"}],
        "containers": [{"name": "app", "image": "busybox:1", "command": ["sleep", "1"]}]}}))
    apps.settle()
    assert list(placement(apps)) == ["node-a", "node-b"]


def test_rolling_update_replaces_at_most_max_unavailable_nodes_at_a_time(apps: AppsCluster):
    for name in ("node-a", "node-b", "node-c"):
        apps.add_node(name)
    apps.client.create(new_daemonset())
    apps.settle()
    run_all(apps)
    apps.client.modify(DS, "default", "agent", lambda d: set_image(d, "busybox:2"))
    apps.settle()
    terminating = [p for p in apps.pods() if p["metadata"].get("deletionTimestamp")]
    assert len(terminating) == 1  # maxUnavailable 1
    assert "updatedNumberScheduled" not in status(apps)  # 0, omitted as Kubernetes does
    for _ in range(3):
        finish_all(apps)  # the old pod goes; the new one is created on its node
        run_all(apps)     # ... and becomes ready; the next old pod is deleted
    assert placement(apps) == {"node-a": ["busybox:2"], "node-b": ["busybox:2"], "node-c": ["busybox:2"]}
    st = status(apps)
    assert st["updatedNumberScheduled"] == 3 and st["numberAvailable"] == 3 and st["observedGeneration"] == 2
    assert len(apps.client.list(REVISION, "default")[0]) == 2


def test_rolling_update_with_max_surge_starts_the_new_pod_first(apps: AppsCluster):
    apps.add_node("node-a")
    apps.client.create(new_daemonset(updateStrategy={"type": "RollingUpdate",
                                                     "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}))
    apps.settle()
    run_all(apps)
    apps.client.modify(DS, "default", "agent", lambda d: set_image(d, "busybox:2"))
    apps.settle()
    assert placement(apps) == {"node-a": ["busybox:1", "busybox:2"]}  # both, the old one still serving
    run_all(apps)
    assert placement(apps) == {"node-a": ["busybox:2"]}
    finish_all(apps)
    assert status(apps)["updatedNumberScheduled"] == 1


def test_on_delete_and_failed_pods(apps: AppsCluster):
    apps.add_node("node-a")
    apps.client.create(new_daemonset(updateStrategy={"type": "OnDelete"}))
    apps.settle()
    run_all(apps)
    apps.client.modify(DS, "default", "agent", lambda d: set_image(d, "busybox:2"))
    apps.settle()
    assert placement(apps) == {"node-a": ["busybox:1"]}
    [pod] = apps.pods()
    apps.set_pod(pod["metadata"]["name"], phase="Failed", ready=False)
    apps.settle()
    finish_all(apps)
    assert placement(apps) == {"node-a": ["busybox:2"]}  # a failed pod is replaced, at the new template
    [pod] = apps.pods()
    apps.run_pod(pod["metadata"]["name"])
    apps.set_pod(pod["metadata"]["name"], phase="Failed", ready=False)
    apps.settle()
    # Failing again within the back-off: kept until the back-off has passed.
    assert [p["metadata"]["name"] for p in apps.pods(include_terminating=False)] == [pod["metadata"]["name"]]
    apps.clock.advance(2.5)
    apps.dsc.enqueue(apps.client.get(DS, "default", "agent"))
    apps.settle()
    finish_all(apps)
    [replacement] = apps.pods()
    assert replacement["metadata"]["name"] != pod["metadata"]["name"]


def test_deleted_pod_is_recreated_and_rollback_reuses_the_old_revision(apps: AppsCluster):
    apps.add_node("node-a")
    apps.client.create(new_daemonset())
    apps.settle()
    [first] = apps.client.list(REVISION, "default")[0]
    apps.client.modify(DS, "default", "agent", lambda d: set_image(d, "busybox:2"))
    apps.settle()
    apps.client.modify(DS, "default", "agent", lambda d: set_image(d, "busybox:1"))
    apps.settle()
    revisions = {r["metadata"]["name"]: r["revision"] for r in apps.client.list(REVISION, "default")[0]}
    assert len(revisions) == 2 and revisions[first["metadata"]["name"]] == 3
    for pod in apps.pods(include_terminating=False):
        apps.client.delete(POD, "default", pod["metadata"]["name"])
    apps.settle()
    finish_all(apps)
    assert placement(apps) == {"node-a": ["busybox:1"]}


def test_template_generation_counts_template_changes_and_labels_the_pods(apps: AppsCluster):
    apps.add_node("node-a")
    ds = apps.client.create(new_daemonset())
    assert ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"] == "1"
    apps.settle()
    [pod] = apps.pods()
    assert pod["metadata"]["labels"]["pod-template-generation"] == "1"

    def scale_min_ready(d: dict) -> None:  # a spec change that leaves the template alone
        d["spec"]["minReadySeconds"] = 5
    apps.client.modify(DS, "default", "agent", scale_min_ready)
    assert apps.client.get(DS, "default", "agent")["metadata"]["annotations"][
        "deprecated.daemonset.template.generation"] == "1"

    def forge(d: dict) -> None:  # a client cannot set it
        d["metadata"]["annotations"]["deprecated.daemonset.template.generation"] = "7"
    apps.client.modify(DS, "default", "agent", forge)
    apps.client.modify(DS, "default", "agent", lambda d: set_image(d, "busybox:2"))
    updated = apps.client.get(DS, "default", "agent")
    assert (updated["metadata"]["generation"], updated["metadata"]["annotations"][
        "deprecated.daemonset.template.generation"]) == (3, "2")
    apps.settle()
    finish_all(apps)
    assert [p["metadata"]["labels"]["pod-template-generation"] for p in apps.pods()] == ["2"]
