"""Expectations, the worker loop's retry policy, and the manager's shared informers."""
from __future__ import annotations

import threading

from minikctl import errors
from minikctl.controllers.base import Controller
from minikctl.controllers.expectations import Expectations
from minikctl.controllers.manager import ControllerManager, build
from tests.unit.controllers.conftest import FakeClock


def test_expectations_lower_once_per_pod_and_expire():
    clock = FakeClock()
    exp = Expectations(clock=clock.monotonic)
    assert exp.satisfied("ns/rs")  # nothing recorded: free to act
    exp.expect_deletions("ns/rs", ["ns/a", "ns/b"])
    assert not exp.satisfied("ns/rs")
    exp.deletion_observed("ns/rs", "ns/a")
    exp.deletion_observed("ns/rs", "ns/a")  # seen as an update and then as a delete
    assert exp.pending("ns/rs") == (0, 1)
    exp.deletion_observed("ns/rs", "ns/other")  # not one we asked for
    assert exp.pending("ns/rs") == (0, 1)
    clock.advance(299)
    assert not exp.satisfied("ns/rs")
    clock.advance(2)
    assert exp.satisfied("ns/rs")  # a lost event does not wedge the controller
    exp.expect_creations("ns/rs", 2)
    exp.creation_observed("ns/rs")
    exp.creation_observed("ns/rs")
    assert exp.satisfied("ns/rs")
    exp.delete("ns/rs")
    assert exp.pending("ns/rs") is None


class Flaky(Controller):
    name, kind = "flaky", "ConfigMap"

    def __init__(self, client, informers, clock) -> None:
        super().__init__(client, informers, clock=clock)
        self.calls: list[str] = []
        self.failures = 0

    def sync(self, key: str) -> None:
        self.calls.append(key)
        if self.failures:
            self.failures -= 1
            raise errors.Conflict("configmaps", key)


def test_worker_requeues_with_backoff_then_forgets_on_success(client):
    clock = FakeClock()
    manager = ControllerManager(client)
    c = Flaky(client, manager, clock)
    c.failures = 2
    c.queue.add("default/x")
    assert c.process_next(timeout=0)
    assert c.queue.num_requeues("default/x") == 1
    assert not c.process_next(timeout=0)  # backing off: not due yet
    clock.advance(0.006)
    assert c.process_next(timeout=0)
    clock.advance(0.011)
    assert c.process_next(timeout=0)
    assert c.calls == ["default/x"] * 3
    assert c.queue.num_requeues("default/x") == 0  # success forgets the failures


def test_worker_drops_a_key_after_max_retries(client):
    clock = FakeClock()
    manager = ControllerManager(client)
    c = Flaky(client, manager, clock)
    c.max_retries = 2
    c.failures = 10
    c.queue.add("default/x")
    for _ in range(3):
        c.process_next(timeout=0)
        clock.advance(10)
    assert len(c.calls) == 3
    assert not c.process_next(timeout=0)  # dropped; the next event brings it back
    assert c.queue.num_requeues("default/x") == 0


def test_informers_are_shared_one_per_kind(client):
    manager = build(client, resync_period=None)
    assert manager.informer("Pod") is manager.informer("Pod")
    assert {"ReplicaSet", "Pod", "Deployment"} <= set(manager.informers)
    rsc, dc = manager.controller("replicaset-controller"), manager.controller("deployment-controller")
    assert rsc.pods is dc.pods


def test_manager_starts_and_stops_every_thread(client):
    before = set(threading.enumerate())
    manager = build(client)
    manager.start()
    assert all(inf.synced.is_set() for inf in manager.informers.values())
    assert len(set(threading.enumerate()) - before) >= 5  # 3 informers, 2 workers, resync
    manager.stop(timeout=5)
    assert manager.alive_threads() == []
    assert set(threading.enumerate()) - before == set()
