"""WorkQueue: client-go's semantics (one sync per key at a time, a key added while it
is processed runs again after, delayed adds keep only the earliest time), on a clock
that moves only when told to."""
from __future__ import annotations

import threading

from minikctl.machinery.workqueue import WorkQueue


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_key_is_queued_once_however_often_it_is_added():
    queue = WorkQueue(clock=Clock())
    for key in ("a", "b", "a", "a"):
        queue.add(key)
    assert [queue.get(timeout=0), queue.get(timeout=0), queue.get(timeout=0)] == ["a", "b", None]


def test_a_key_added_while_processing_runs_again_after_done_and_never_twice_at_once():
    queue = WorkQueue(clock=Clock())
    queue.add("a")
    assert queue.get(timeout=0) == "a"
    queue.add("a")
    assert queue.get(timeout=0) is None  # not handed to a second worker meanwhile
    queue.done("a")
    assert queue.get(timeout=0) == "a"


def test_a_delayed_key_waits_once_for_the_earliest_time_asked():
    clock = Clock()
    queue = WorkQueue(clock=clock)
    for _ in range(100):  # a resync every "minute" asking for the same far expiry
        queue.add_after("a", 3600)
    assert len(queue._waiting) == 1
    queue.add_after("a", 10)  # sooner: that time wins
    clock.now += 10
    assert queue.get(timeout=0) == "a"
    queue.done("a")
    clock.now += 3600  # the later, superseded time adds nothing
    assert queue.get(timeout=0) is None
    queue.add_after("a", 5)  # the earlier one fired: a new wait starts
    clock.now += 5
    assert queue.get(timeout=0) == "a"


def test_failures_back_off_exponentially_until_forgotten():
    clock = Clock()
    queue = WorkQueue(base_delay=1.0, max_delay=4.0, clock=clock)
    delays = []
    for _ in range(4):
        queue.add_rate_limited("a")
        start = clock.now
        while queue.get(timeout=0) is None:
            clock.now += 0.5
        delays.append(clock.now - start)
        queue.done("a")
    assert delays == [1.0, 2.0, 4.0, 4.0] and queue.num_requeues("a") == 4
    queue.forget("a")
    assert queue.num_requeues("a") == 0


def test_shutdown_wakes_a_waiting_worker():
    queue = WorkQueue()
    got: list = []
    worker = threading.Thread(target=lambda: got.append(queue.get(timeout=10)))
    worker.start()
    queue.shutdown()
    worker.join(5)
    assert not worker.is_alive() and got == [None]
