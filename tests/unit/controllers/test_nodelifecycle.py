"""Node lifecycle and taint eviction: a node whose heartbeat stops becomes Ready=Unknown
and tainted after the grace period; its pods go after their tolerationSeconds; a node
that reports again is untainted. Driven by the fake clock, sync by sync."""
from __future__ import annotations

import pytest

from minikctl.api import kinds
from minikctl.controllers import manager as manager_mod
from minikctl.controllers.events import NullRecorder
from minikctl.daemon.node import NodeAgent
from minikctl.daemon.nodeconfig import NodeConfig
from tests.unit.controllers.conftest import POD, PumpedInformer, condition, new_pod

NODE = kinds.by_kind("Node")


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, str]] = []

    def event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        self.events.append((obj["metadata"]["name"], reason, message))


@pytest.fixture
def setup(client, clock):
    recorder = Recorder()
    manager = manager_mod.build(client, clock=clock, informer_factory=PumpedInformer, recorder=recorder,
                                resync_period=None, node_lifecycle={"grace_period": 40})
    agent = NodeAgent(client, NodeConfig(name="n1", pod_cidr="127.99.0.0/24"))
    agent.register()
    return manager, agent, recorder


def pump(manager) -> None:
    for inf in manager.informers.values():
        inf.pump()


def sync_node(manager, name: str = "n1") -> dict:
    pump(manager)
    manager.controller("node-lifecycle-controller").sync(name)
    pump(manager)
    return manager.client.get(NODE, "", name)


def taints(node: dict) -> set[tuple[str, str]]:
    return {(t["key"], t["effect"]) for t in (node.get("spec") or {}).get("taints") or []}


def test_a_silent_node_becomes_unknown_after_the_grace_period_and_is_tainted(setup, clock):
    manager, agent, recorder = setup
    node = sync_node(manager)
    assert condition(node, "Ready")["status"] == "True" and not taints(node)
    clock.advance(30)
    assert condition(sync_node(manager), "Ready")["status"] == "True"  # within the grace period
    clock.advance(11)
    node = sync_node(manager)
    for ctype in ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure"):
        cond = condition(node, ctype)
        assert (cond["status"], cond["reason"], cond["message"]) == (
            "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
    assert taints(node) == {("node.kubernetes.io/unreachable", "NoSchedule"),
                            ("node.kubernetes.io/unreachable", "NoExecute")}
    no_execute = next(t for t in node["spec"]["taints"] if t["effect"] == "NoExecute")
    assert no_execute["timeAdded"]
    assert ("n1", "NodeNotReady", "Node n1 status is now: NodeNotReady") in recorder.events


def test_a_renewed_lease_keeps_the_node_ready(setup, clock):
    manager, agent, _ = setup
    sync_node(manager)
    for _ in range(5):
        clock.advance(30)
        agent.renew()
        assert condition(sync_node(manager), "Ready")["status"] == "True"


def test_a_node_that_reports_again_loses_its_taints(setup, clock):
    manager, agent, _ = setup
    sync_node(manager)
    clock.advance(41)
    assert taints(sync_node(manager))
    agent.renew()
    agent.report_status()  # the kubelet posts Ready=True again
    node = sync_node(manager)
    assert condition(node, "Ready")["status"] == "True"
    assert not taints(node)


def test_cordon_gives_the_unschedulable_taint_and_keeps_user_taints(setup, client):
    manager, agent, _ = setup

    def cordon(node: dict) -> None:
        node["spec"]["unschedulable"] = True
        node["spec"]["taints"] = [{"key": "gpu", "value": "yes", "effect": "NoSchedule"}]
    client.modify(NODE, "", "n1", cordon)
    node = sync_node(manager)
    assert taints(node) == {("gpu", "NoSchedule"), ("node.kubernetes.io/unschedulable", "NoSchedule")}


def test_pods_are_evicted_after_their_toleration_seconds(setup, client, clock):
    manager, agent, recorder = setup
    client.create(new_pod("tolerant", {"app": "x"}))  # DefaultTolerationSeconds: 300s
    bare = new_pod("intolerant", {"app": "x"})
    bare["spec"]["tolerations"] = [{"key": "node.kubernetes.io/unreachable", "operator": "Exists",
                                    "effect": "NoExecute", "tolerationSeconds": 0}]
    client.create(bare)
    forever = new_pod("forever", {"app": "x"})
    forever["spec"]["tolerations"] = [{"operator": "Exists"}]
    client.create(forever)
    for name in ("tolerant", "intolerant", "forever"):
        client.bind("default", name, "n1")
    pod = client.get(POD, "default", "tolerant")
    assert {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
            "tolerationSeconds": 300} in pod["spec"]["tolerations"]
    sync_node(manager)
    clock.advance(41)
    sync_node(manager)
    evictor = manager.controller("taint-eviction-controller")

    def sync_pods() -> None:
        pump(manager)
        for name in ("tolerant", "intolerant", "forever"):
            evictor.sync(f"default/{name}")
        pump(manager)

    sync_pods()
    deleting = {p["metadata"]["name"] for p in client.list(POD, "default")[0] if p["metadata"].get("deletionTimestamp")}
    assert deleting == {"intolerant"}
    assert ("intolerant", "TaintManagerEviction", "Marking for deletion Pod default/intolerant") in recorder.events
    clock.advance(299)
    sync_pods()
    assert not client.get(POD, "default", "tolerant")["metadata"].get("deletionTimestamp")
    clock.advance(2)
    sync_pods()
    deleting = {p["metadata"]["name"] for p in client.list(POD, "default")[0] if p["metadata"].get("deletionTimestamp")}
    assert deleting == {"intolerant", "tolerant"}


def test_pods_on_an_unknown_node_are_marked_not_ready(setup, client, clock):
    manager, agent, recorder = setup
    client.create(new_pod("web", {"app": "x"}))
    pod = client.bind("default", "web", "n1")
    pod["status"] = {**pod["status"], "phase": "Running",
                     "conditions": [{"type": "Ready", "status": "True"}]}
    client.update_status(pod)
    sync_node(manager)
    clock.advance(41)
    sync_node(manager)
    assert condition(client.get(POD, "default", "web"), "Ready")["status"] == "False"
    assert ("web", "NodeNotReady", "Node is not ready") in recorder.events


def test_default_toleration_seconds_are_configurable_and_respect_given_tolerations(client):
    client.default_toleration_seconds = (7, 9)
    pod = client.create(new_pod("a", {"app": "x"}))
    assert sorted((t["key"], t["tolerationSeconds"]) for t in pod["spec"]["tolerations"]) == [
        ("node.kubernetes.io/not-ready", 7), ("node.kubernetes.io/unreachable", 9)]
    own = new_pod("b", {"app": "x"})
    own["spec"]["tolerations"] = [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}]
    pod = client.create(own)
    assert [t.get("tolerationSeconds") for t in pod["spec"]["tolerations"]] == [None, 9]


def test_a_node_first_seen_gets_a_full_grace_period(client, clock):
    """A controller (re)starting must not take old heartbeats for silence."""
    NodeAgent(client, NodeConfig(name="n2", pod_cidr="127.98.0.0/24")).register()
    clock.advance(100)
    manager = manager_mod.build(client, clock=clock, informer_factory=PumpedInformer, recorder=NullRecorder(),
                                resync_period=None)
    assert condition(sync_node(manager, "n2"), "Ready")["status"] == "True"
    clock.advance(39)
    assert condition(sync_node(manager, "n2"), "Ready")["status"] == "True"
    clock.advance(2)
    assert condition(sync_node(manager, "n2"), "Ready")["status"] == "Unknown"


def test_pods_of_a_node_that_is_gone_are_deleted_after_the_quarantine(setup, client, clock):
    manager, agent, _ = setup
    gc = manager.controller("pod-garbage-collector")
    for name, node in (("orphan", "ghost"), ("kept", "n1")):
        client.create(new_pod(name, {"app": "x"}))
        client.bind("default", name, node)

    def sync_all() -> set[str]:
        pump(manager)
        for name in ("orphan", "kept"):
            gc.sync(f"default/{name}")
        pump(manager)
        return {p["metadata"]["name"] for p in client.list(POD, "default")[0]}

    assert sync_all() == {"orphan", "kept"}
    clock.advance(39)
    assert sync_all() == {"orphan", "kept"}
    clock.advance(2)
    assert sync_all() == {"kept"}  # deleted at once: no kubelet would ever finish it


def test_a_node_back_before_the_quarantine_keeps_its_pods(setup, client, clock):
    manager, agent, _ = setup
    gc = manager.controller("pod-garbage-collector")
    client.create(new_pod("p", {"app": "x"}))
    client.bind("default", "p", "n1")
    client.delete(NODE, "", "n1")
    pump(manager)
    gc.sync("default/p")
    clock.advance(20)
    agent.register()  # the kubelet registers its node again
    pump(manager)
    clock.advance(30)
    gc.sync("default/p")
    assert client.get(POD, "default", "p")
