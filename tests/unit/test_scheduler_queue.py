"""The scheduling queue with a fake clock: order, backoff, unschedulable pods and the
events that move them."""
from __future__ import annotations

from minikctl.scheduler.nodeinfo import PodInfo
from minikctl.scheduler.queue import SchedulingQueue
from tests.unit.test_scheduler_plugins import pod


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def queue() -> tuple[SchedulingQueue, Clock]:
    clock = Clock()
    return SchedulingQueue(clock=clock), clock


def test_higher_priority_first_then_oldest():
    q, clock = queue()
    for name, prio in (("a", 0), ("b", 10), ("c", 0), ("d", 10)):
        q.add(PodInfo(pod(name, priority=prio)))
        clock.t += 1
    assert [q.pop(timeout=0).key for _ in range(4)] == ["default/b", "default/d", "default/a", "default/c"]
    assert q.pop(timeout=0) is None


def test_backoff_doubles_from_one_second_to_ten():
    q, _ = queue()
    assert [q.backoff_duration(n) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_unschedulable_pods_wait_for_an_event_then_their_backoff():
    q, clock = queue()
    q.add(PodInfo(pod("p")))
    qp = q.pop(timeout=0)
    q.add_unschedulable(qp, q.scheduling_cycle, frozenset({"NodeResourcesFit"}))
    assert q.where("default/p") == "unschedulable"
    assert q.move_all(frozenset({"InterPodAffinity"})) == 0  # not an event that can help
    assert q.move_all(frozenset({"NodeResourcesFit"})) == 1
    assert q.where("default/p") == "backoff"  # attempted 0 s ago: 1 s backoff
    assert q.pop(timeout=0) is None
    clock.t += 1.0
    assert q.pop(timeout=0).key == "default/p"


def test_an_event_during_the_attempt_sends_the_pod_to_backoff_not_to_wait():
    q, _ = queue()
    q.add(PodInfo(pod("p")))
    qp = q.pop(timeout=0)
    cycle = q.scheduling_cycle
    q.move_all()  # e.g. a node was added while the cycle ran
    q.add_unschedulable(qp, cycle)
    assert q.where("default/p") == "backoff"


def test_unschedulable_pods_are_flushed_after_a_minute():
    q, clock = queue()
    q.add(PodInfo(pod("p")))
    q.add_unschedulable(q.pop(timeout=0), q.scheduling_cycle)
    clock.t += 59
    assert q.pop(timeout=0) is None
    clock.t += 1
    assert q.pop(timeout=0).key == "default/p"


def test_updates_and_deletes():
    q, _ = queue()
    q.add(PodInfo(pod("p")))
    qp = q.pop(timeout=0)
    q.add_unschedulable(qp, q.scheduling_cycle)
    q.add(PodInfo(pod("p", labels={"only": "status-like"})))  # a label change is relevant
    assert q.where("default/p") == "backoff"
    q.delete("default/p")
    assert "default/p" not in q
    # Deleted while in flight: the report of the attempt drops it.
    q.add(PodInfo(pod("r")))
    qp = q.pop(timeout=0)
    q.delete("default/r")
    q.add_unschedulable(qp, q.scheduling_cycle)
    assert "default/r" not in q


def test_done_removes_the_pod():
    q, _ = queue()
    q.add(PodInfo(pod("p")))
    qp = q.pop(timeout=0)
    q.done(qp.key)
    assert "default/p" not in q and q.counts() == {"active": 0, "backoff": 0, "unschedulable": 0, "inflight": 0}
