"""A whole cycle over the default plugins: the node chosen, and kube-scheduler's words
when there is none (filter reasons, then the preemption post-filter)."""
from __future__ import annotations

import random

import pytest

from minikctl.scheduler import preemption
from minikctl.scheduler.framework import FitError, Framework, NoNodesAvailable, Snapshot
from minikctl.scheduler.nodeinfo import PodInfo
from minikctl.scheduler.plugins import default_plugins
from tests.unit.test_scheduler_plugins import info, node, pod


def fw(seed: int = 1) -> Framework:
    return Framework(default_plugins(), rng=random.Random(seed))


def message(p: dict, nodes) -> str:  # type: ignore[no-untyped-def]
    f = fw()
    snap = Snapshot(nodes)
    with pytest.raises(FitError) as err:
        f.schedule(PodInfo(p), snap)
    err.value.post_filter_msg, _ = preemption.evaluate(f, PodInfo(p), snap, err.value)
    return str(err.value)


def test_the_message_counts_reasons_per_node_sorted_as_strings():
    nodes = [info(node("small", cpu="1")), info(node("gpu1", labels={"gpu": "yes"}, cpu="1")),
             info(node("gpu2", labels={"gpu": "yes"}, cpu="1"))]
    p = pod("p", cpu="2", nodeSelector={"gpu": "no"})
    assert message(p, nodes) == (
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.")
    nodes.append(info(node("other", cpu="1", labels={"gpu": "no"})))
    assert message(p, nodes) == (
        "0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, "
        "3 Preemption is not helpful for scheduling.")


def test_taints_and_cordons_and_resources_together():
    nodes = [info(node("a", unschedulable=True)), info(node("b", taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}])),
             info(node("c", cpu="1"), pod("x", cpu="1", node_name="c"))]
    assert message(pod("p", cpu="500m"), nodes) == (
        "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}, "
        "1 node(s) were unschedulable. preemption: 0/3 nodes are available: "
        "1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.")


def test_a_pinned_daemonset_pod_names_the_narrowing_plugin():
    pinned = pod("ds", cpu="8", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["b"]}]}]}}})
    nodes = [info(node("a")), info(node("b")), info(node("c"))]
    assert message(pinned, nodes) == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
        "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
        "2 Preemption is not helpful for scheduling.")


def test_preemption_policy_never():
    p = pod("p", cpu="8", preemptionPolicy="Never")
    assert message(p, [info(node("a"))]) == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never..")


def test_no_nodes():
    with pytest.raises(NoNodesAvailable, match="no nodes available to schedule pods"):
        fw().schedule(PodInfo(pod("p")), Snapshot([]))


def test_highest_score_wins_and_ties_are_broken_at_random():
    busy = info(node("busy"), pod("x", cpu="3", memory="6Gi", node_name="busy"))
    chosen = {fw(seed).schedule(PodInfo(pod("p", cpu="1")), Snapshot([busy, info(node("idle"))]))[0].name
              for seed in range(20)}
    assert chosen == {"idle"}
    twins = [info(node(f"n{i}")) for i in range(3)]
    picks = {fw(seed).schedule(PodInfo(pod("p", cpu="1")), Snapshot(twins))[0].name for seed in range(40)}
    assert picks == {"n0", "n1", "n2"}


def test_preemption_picks_the_node_with_the_least_important_victims():
    low = [pod(f"low{i}", cpu="1", node_name="a", priority=1) for i in range(2)]
    mid = [pod(f"mid{i}", cpu="1", node_name="b", priority=5) for i in range(2)]
    nodes = [info(node("a", cpu="2"), *low), info(node("b", cpu="2"), *mid)]
    p = pod("vip", cpu="1", priority=10)
    f = fw()
    snap = Snapshot(nodes)
    with pytest.raises(FitError) as err:
        f.schedule(PodInfo(p), snap)
    msg, candidate = preemption.evaluate(f, PodInfo(p), snap, err.value)
    assert msg == "" and candidate.node == "a"
    assert [v.name for v in candidate.victims] == ["low0"] or [v.name for v in candidate.victims] == ["low1"]


def test_preemption_not_possible_when_victims_would_not_make_room():
    nodes = [info(node("a", cpu="2"), pod("low", cpu="1", node_name="a", priority=1),
                  pod("high", cpu="1", node_name="a", priority=100))]
    assert message(pod("p", cpu="2", priority=10), nodes) == (
        "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.")


def test_room_promised_to_a_preemptor_is_not_given_to_less_important_pods():
    nodes = [info(node("a", cpu="2"), pod("x", cpu="1", node_name="a"))]
    vip = PodInfo(pod("vip", cpu="1", priority=100))
    snap = Snapshot(nodes, nominated={"a": [vip]})
    with pytest.raises(FitError) as err:
        fw().schedule(PodInfo(pod("later", cpu="1", priority=0)), snap)
    assert err.value.statuses["a"].reasons == ("Insufficient cpu",)
    assert fw().schedule(PodInfo(pod("boss", cpu="1", priority=200)), snap)[0].name == "a"
    assert fw().schedule(vip, snap)[0].name == "a"  # the preemptor itself is not in its own way


def test_a_preemptor_whose_victim_is_still_terminating_does_not_preempt_again():
    victim = pod("low", cpu="2", node_name="a", priority=1)
    victim["metadata"]["deletionTimestamp"] = "2026-11-25T10:00:00Z"
    victim["status"] = {"conditions": [{"type": "DisruptionTarget", "status": "True",
                                        "reason": "PreemptionByScheduler"}]}
    nodes = [info(node("a", cpu="2"), victim, pod("other", cpu="0", node_name="a", priority=1))]
    p = PodInfo(pod("vip", cpu="1", priority=100))
    f, snap = fw(), Snapshot(nodes)
    with pytest.raises(FitError) as err:
        f.schedule(p, snap)
    assert preemption.evaluate(f, p, snap, err.value, nominated_node="a") == (
        "preemption: not eligible due to a terminating pod on the nominated node.", None)
    assert preemption.evaluate(f, p, snap, err.value)[1] is not None  # not nominated yet: may preempt
