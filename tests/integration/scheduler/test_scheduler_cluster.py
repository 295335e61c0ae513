"""The scheduler against a real store: placement by resources, affinity, taints and
spreading; pods nothing fits stay Pending with kube-scheduler's words and are placed
as soon as the cluster changes."""
from __future__ import annotations

import collections

from tests.integration.scheduler.conftest import node, pod, wait_for

INSUFFICIENT_3 = ("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
                  "3 No preemption victims found for incoming pod.")


def unschedulable_with(cluster, name: str, message: str):  # type: ignore[no-untyped-def]
    def check():  # type: ignore[no-untyped-def]
        c = cluster.condition(name)
        return c if c and c["status"] == "False" and c["message"] == message else None
    cond = wait_for(f"{name} Unschedulable", check)
    assert cond["reason"] == "Unschedulable"
    assert cluster.node_of(name) is None
    assert cluster.pod(name)["status"]["phase"] == "Pending"
    wait_for("the FailedScheduling event", lambda: ("Warning", "FailedScheduling", message) in cluster.events(name))


def test_pods_spread_over_three_nodes_by_resources(cluster):
    for i in range(3):
        cluster.add_node(node(f"node-{i}", cpu="2"))
    for i in range(6):
        cluster.create(pod(f"web-{i}", cpu="1"))
    wait_for("6 pods bound", lambda: all(cluster.placement().values()) and len(cluster.placement()) == 6)
    per_node = collections.Counter(cluster.placement().values())
    assert per_node == {"node-0": 2, "node-1": 2, "node-2": 2}
    for i in range(6):
        assert ("Normal", "Scheduled", f"Successfully assigned default/web-{i} to {cluster.node_of(f'web-{i}')}") in \
            wait_for("Scheduled event", lambda i=i: cluster.events(f"web-{i}"))
    # The cluster is full: a seventh pod waits, and gets the room a deleted pod leaves.
    cluster.create(pod("web-6", cpu="1"))
    unschedulable_with(cluster, "web-6", INSUFFICIENT_3)
    from minikctl.api import kinds

    freed = cluster.node_of("web-0")
    cluster.client.delete(kinds.by_kind("Pod"), "default", "web-0")
    assert wait_for("web-6 bound", lambda: cluster.node_of("web-6")) == freed
    cond = cluster.condition("web-6")
    assert cond["status"] == "True"


def test_a_pod_bigger_than_every_node_waits_for_a_big_node(cluster):
    for i in range(3):
        cluster.add_node(node(f"node-{i}", cpu="2"))
    cluster.create(pod("big", cpu="3"))
    unschedulable_with(cluster, "big", INSUFFICIENT_3)
    cluster.add_node(node("big-node", cpu="8"))
    assert wait_for("big bound", lambda: cluster.node_of("big")) == "big-node"
    assert ("Normal", "Scheduled", "Successfully assigned default/big to big-node") in \
        wait_for("Scheduled", lambda: [e for e in cluster.events("big") if e[1] == "Scheduled"])


def test_anti_affinity_puts_three_replicas_on_three_nodes_and_leaves_the_fourth_pending(cluster):
    for i in range(3):
        cluster.add_node(node(f"node-{i}"))
    labels = {"app": "web"}
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}]}}
    cluster.create({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                    "spec": {"replicas": 4, "selector": {"matchLabels": labels},
                             "template": {"metadata": {"labels": labels},
                                          "spec": {"affinity": anti, "containers": [
                                              {"name": "app", "image": "busybox", "command": ["sleep", "1"]}]}}}})

    def settled():  # type: ignore[no-untyped-def]
        placed = cluster.placement()
        return placed if len(placed) == 4 and sum(1 for n in placed.values() if n) == 3 else None
    placed = wait_for("3 of 4 replicas bound", settled)
    assert sorted(n for n in placed.values() if n) == ["node-0", "node-1", "node-2"]
    [pending] = [name for name, n in placed.items() if not n]
    unschedulable_with(cluster, pending, (
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. "
        "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."))
    # A fourth node is exactly what it needed.
    cluster.add_node(node("node-3"))
    assert wait_for("the 4th replica bound", lambda: cluster.node_of(pending)) == "node-3"


def test_node_selector_affinity_and_taints(cluster):
    cluster.add_node(node("ssd", labels={"disk": "ssd", "zone": "a"}))
    cluster.add_node(node("gpu", labels={"zone": "b"}, taints=[{"key": "gpu", "value": "true", "effect": "NoSchedule"}]))
    cluster.add_node(node("plain", labels={"zone": "c"}))
    cluster.create(pod("wants-ssd", nodeSelector={"disk": "ssd"}))
    cluster.create(pod("not-a", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}]}}}))
    cluster.create(pod("gpu-job", tolerations=[{"key": "gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"}],
                       nodeSelector={"zone": "b"}))
    cluster.create(pod("nowhere", nodeSelector={"zone": "b"}))
    wait_for("3 bound", lambda: sum(1 for n in cluster.placement().values() if n) == 3)
    assert cluster.node_of("wants-ssd") == "ssd"
    assert cluster.node_of("not-a") == "plain"  # the gpu node's taint is not tolerated
    assert cluster.node_of("gpu-job") == "gpu"
    unschedulable_with(cluster, "nowhere", (
        "0/3 nodes are available: 1 node(s) had untolerated taint {gpu: true}, "
        "2 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."))
    # Removing the taint is a node update: the pod is retried and placed.
    from minikctl.api import kinds

    cluster.client.modify(kinds.by_kind("Node"), "", "gpu", lambda n: n["spec"].update(taints=[]))
    assert wait_for("nowhere bound", lambda: cluster.node_of("nowhere")) == "gpu"


def test_cordoned_node_gets_nothing_until_uncordoned(cluster):
    from minikctl.api import kinds

    cluster.add_node(node("only"))
    cluster.client.modify(kinds.by_kind("Node"), "", "only", lambda n: n["spec"].update(unschedulable=True))
    cluster.create(pod("p"))
    unschedulable_with(cluster, "p", (
        "0/1 nodes are available: 1 node(s) were unschedulable. "
        "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."))
    cluster.client.modify(kinds.by_kind("Node"), "", "only", lambda n: n["spec"].update(unschedulable=False))
    assert wait_for("p bound", lambda: cluster.node_of("p")) == "only"


def test_topology_spread_over_zones(cluster):
    for name, zone in (("a1", "a"), ("a2", "a"), ("b1", "b"), ("c1", "c")):
        cluster.add_node(node(name, labels={"zone": zone}))
    labels = {"app": "spread"}
    constraint = [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
                   "labelSelector": {"matchLabels": labels}}]
    for i in range(6):
        cluster.create(pod(f"s-{i}", labels=labels, topologySpreadConstraints=constraint))
    wait_for("6 bound", lambda: all(cluster.placement().values()) and len(cluster.placement()) == 6)
    zone_of = {"a1": "a", "a2": "a", "b1": "b", "c1": "c"}
    per_zone = collections.Counter(zone_of[n] for n in cluster.placement().values())
    assert per_zone == {"a": 2, "b": 2, "c": 2}


def test_host_ports_conflict(cluster):
    cluster.add_node(node("n1"))
    cluster.add_node(node("n2"))
    for i in range(3):
        p = pod(f"hp-{i}")
        p["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": 8080}]
        cluster.create(p)
    wait_for("2 bound", lambda: sum(1 for n in cluster.placement().values() if n) == 2)
    placed = cluster.placement()
    assert sorted(n for n in placed.values() if n) == ["n1", "n2"]
    [pending] = [name for name, n in placed.items() if not n]
    unschedulable_with(cluster, pending, (
        "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports. "
        "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."))


def test_no_nodes_and_other_schedulers(cluster):
    cluster.create(pod("early"))
    cond = wait_for("early Unschedulable", lambda: cluster.condition("early"))
    assert (cond["reason"], cond["message"]) == ("Unschedulable", "no nodes available to schedule pods")
    cluster.create(pod("theirs", schedulerName="my-scheduler"))
    cluster.add_node(node("n1"))
    assert wait_for("early bound", lambda: cluster.node_of("early")) == "n1"
    import time

    time.sleep(0.5)
    assert cluster.node_of("theirs") is None and cluster.condition("theirs") is None


def priority_class(name: str, value: int) -> dict:
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, "value": value}


def test_a_higher_priority_pod_preempts_a_lower_one(cluster):
    for name, value in (("low", 1), ("medium", 5), ("high", 1000)):
        cluster.create(priority_class(name, value))
    cluster.add_node(node("n1", cpu="2"))
    cluster.create(pod("low-a", cpu="1", priorityClassName="low"))
    cluster.create(pod("low-b", cpu="1", priorityClassName="medium"))
    wait_for("both bound", lambda: all(cluster.placement().values()) and len(cluster.placement()) == 2)
    cluster.create(pod("vip", cpu="1", priorityClassName="high"))
    assert cluster.pod("vip")["spec"]["priority"] == 1000  # admission resolved the class
    assert wait_for("vip bound", lambda: cluster.node_of("vip")) == "n1"
    placed = cluster.placement()
    assert "low-a" not in placed and placed["low-b"] == "n1"  # the least important went
    assert any(e[1] == "FailedScheduling" and e[2] == "0/1 nodes are available: 1 Insufficient cpu."
               for e in cluster.events("vip"))
    preempted = [e for e in cluster.events("low-a") if e[1] == "Preempted"]
    uid = cluster.pod("vip")["metadata"]["uid"]
    assert preempted == [("Normal", "Preempted", f"Preempted by pod {uid} on node n1")]
    # Equal or higher priority pods are never victims: this one just waits.
    cluster.create(pod("peer", cpu="1", priorityClassName="medium"))
    unschedulable_with(cluster, "peer", (
        "0/1 nodes are available: 1 Insufficient cpu. "
        "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."))


def test_scheduling_gates_hold_a_pod_back_until_removed(cluster):
    from minikctl.api import kinds

    cluster.add_node(node("n1"))
    cluster.create(pod("gated", schedulingGates=[{"name": "example.com/wait"}]))
    cond = wait_for("SchedulingGated", lambda: cluster.condition("gated"))
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False", "SchedulingGated", "Scheduling is blocked due to non-empty scheduling gates")
    assert cluster.node_of("gated") is None
    cluster.client.modify(kinds.by_kind("Pod"), "default", "gated", lambda p: p["spec"].pop("schedulingGates"))
    assert wait_for("gated bound", lambda: cluster.node_of("gated")) == "n1"


def test_a_preemptor_waits_for_its_terminating_victim_instead_of_evicting_more(cluster):
    for name, value in (("low", 1), ("high", 1000)):
        cluster.create(priority_class(name, value))
    cluster.terminator.grace = 2.0
    cluster.add_node(node("n1", cpu="2"))
    cluster.create(pod("low-a", cpu="1", priorityClassName="low"))
    cluster.create(pod("low-b", cpu="1", priorityClassName="low"))
    wait_for("both bound", lambda: all(cluster.placement().values()) and len(cluster.placement()) == 2)
    cluster.create(pod("vip", cpu="1", priorityClassName="high"))
    assert wait_for("vip bound", lambda: cluster.node_of("vip"), timeout=30) == "n1"
    survivors = [n for n in cluster.placement() if n.startswith("low-")]
    assert len(survivors) == 1  # one victim was enough, even though retries came while it terminated
    messages = [e[2] for e in cluster.events("vip") if e[1] == "FailedScheduling"]
    assert "0/1 nodes are available: 1 Insufficient cpu." in messages
    assert ("0/1 nodes are available: 1 Insufficient cpu. "
            "preemption: not eligible due to a terminating pod on the nominated node..") in messages


def test_two_schedulers_on_one_store_only_the_leader_binds(cluster):
    from minikctl.client.local import LocalClient
    from minikctl.controllers import manager as manager_mod
    from minikctl.scheduler import scheduler as scheduling
    from minikctl.scheduler.leader import LeaderElector
    from minikctl.scheduler.queue import SchedulingQueue

    # A second daemon's scheduler on the same store: a standby while the first leads.
    client = LocalClient.open(path=cluster.path)
    manager = manager_mod.ControllerManager(client, resync_period=None)
    elector = LeaderElector(client, "standby", lease_duration=1, renew_deadline=1, retry_period=0.2)
    standby = scheduling.build(client, manager, elector=elector,
                               queue=SchedulingQueue(initial_backoff=0.2, max_backoff=1.0))
    manager.start()
    standby.start()
    try:
        cluster.add_node(node("n1", cpu="4"))
        for i in range(4):
            cluster.create(pod(f"p{i}", cpu="500m"))
        wait_for("4 bound", lambda: all(cluster.placement().values()) and len(cluster.placement()) == 4)
        wait_for("the leader's count", lambda: cluster.scheduler.bound == 4)  # counted just after the write
        assert standby.bound == 0 and not standby.leading
        cluster.scheduler.stop()  # the leader's daemon stops: it releases the Lease
        assert wait_for("the standby leads", lambda: standby.leading, timeout=10)
        cluster.create(pod("later", cpu="500m"))
        assert wait_for("later bound", lambda: cluster.node_of("later")) == "n1"
        wait_for("the standby's count", lambda: standby.bound == 1)
    finally:
        standby.stop()
        manager.stop()
