"""RequeueAfter: one pending wake-up per key, the earliest."""
from __future__ import annotations

from minikctl.controllers.requeue import RequeueAfter
from minikctl.machinery.workqueue import WorkQueue
from tests.unit.controllers.conftest import FakeClock


def test_one_pending_wake_up_per_key_the_earliest():
    clock = FakeClock()
    queue = WorkQueue(clock=clock.monotonic)
    requeue = RequeueAfter(queue, clock.monotonic)
    for _ in range(100):  # a resync every "minute" asking for the same far expiry
        requeue("default/a", 3600)
    assert len(queue._waiting) == 1
    requeue("default/a", 10)  # sooner: a new, earlier timer
    assert len(queue._waiting) == 2 and requeue.pending("default/a") == clock.monotonic() + 10
    clock.advance(10)
    assert queue.get(timeout=0) == "default/a"
    queue.done("default/a")
    requeue("default/a", 3600)  # the earlier one fired: a new timer is armed
    assert requeue.pending("default/a") == clock.monotonic() + 3600
    requeue.forget("default/a")
    assert requeue.pending("default/a") is None
