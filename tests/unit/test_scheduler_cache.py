"""The cache: assumed pods count at once and are confirmed or forgotten; terminal pods
free their node; pods on nodes not seen yet wait for them. And which node updates are
worth retrying unschedulable pods for."""
from __future__ import annotations

import copy

from minikctl.scheduler.cache import Cache
from minikctl.scheduler.nodeinfo import PodInfo
from minikctl.scheduler.scheduler import _node_changed, responsible
from tests.unit.test_scheduler_plugins import node, pod


def requested_cpu(cache: Cache, name: str) -> int:
    return next(n for n in cache.snapshot().nodes if n.name == name).requested.get("cpu", 0)


def test_assume_confirm_forget():
    cache = Cache()
    cache.set_node(node("a"))
    p = pod("p", cpu="1")
    cache.assume(PodInfo(p), "a")
    assert requested_cpu(cache, "a") == 1000 and cache.is_assumed("default/p")
    cache.set_pod({**p, "spec": {**p["spec"], "nodeName": "a"}})  # the informer saw the bind
    assert requested_cpu(cache, "a") == 1000 and not cache.is_assumed("default/p")
    cache.forget("default/p")  # a confirmed pod is not forgotten
    assert requested_cpu(cache, "a") == 1000
    cache.assume(PodInfo(pod("q", cpu="2")), "a")
    cache.forget("default/q")  # its bind failed
    assert requested_cpu(cache, "a") == 1000


def test_terminal_pods_and_pods_on_unknown_nodes():
    cache = Cache()
    cache.set_pod(pod("early", cpu="1", node_name="later"))
    assert [n.name for n in cache.snapshot().nodes] == []  # no Node object yet: not offered
    cache.set_node(node("later"))
    assert requested_cpu(cache, "later") == 1000  # ...but its pods counted once it appears
    done = pod("early", cpu="1", node_name="later")
    done["status"] = {"phase": "Succeeded"}
    cache.set_pod(done)
    assert requested_cpu(cache, "later") == 0
    cache.remove_node("later")
    assert cache.snapshot().nodes == []


def test_heartbeats_do_not_count_as_node_changes():
    old = node("a")
    old["status"]["conditions"] = [{"type": "Ready", "status": "True", "lastHeartbeatTime": "t1"}]
    beat = copy.deepcopy(old)
    beat["status"]["conditions"][0]["lastHeartbeatTime"] = "t2"
    assert not _node_changed(old, beat)
    for change in (lambda n: n["spec"].update(unschedulable=True),
                   lambda n: n["metadata"]["labels"].update(disk="ssd"),
                   lambda n: n["spec"].update(taints=[{"key": "k", "effect": "NoSchedule"}]),
                   lambda n: n["status"]["allocatable"].update(cpu="8"),
                   lambda n: n["status"]["conditions"][0].update(status="False")):
        new = copy.deepcopy(old)
        change(new)
        assert _node_changed(old, new)


def test_which_pods_are_ours():
    assert responsible(pod("p"))
    assert not responsible(pod("p", schedulerName="other"))
    assert responsible(pod("p", schedulerName="default-scheduler"))
    assert not responsible(pod("p", node_name="a"))
    assert not responsible(pod("p", schedulingGates=[{"name": "x"}]))
    gone = pod("p")
    gone["metadata"]["deletionTimestamp"] = "2026-11-25T10:00:00Z"
    assert not responsible(gone)
