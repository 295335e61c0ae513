"""CrashLoopBackOff timing, as flowcontrol.Backoff."""
from __future__ import annotations

import pytest

from minikctl.kubelet.backoff import Backoff, go_duration


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_first_failure_restarts_at_once_then_doubles_to_the_cap():
    clock = Clock()
    b = Backoff(10, 300, now=clock)
    key = "uid/c"
    assert not b.in_backoff_since(key, clock.t)  # no entry: restart now
    b.next(key, clock.t)
    waits = []
    for _ in range(7):
        clock.t += 1  # it crashes again a second after starting
        waits.append(b.remaining(key, clock.t))
        clock.t += b.remaining(key, clock.t)
        b.next(key, clock.t)
    assert waits == [10, 20, 40, 80, 160, 300, 300]


def test_remaining_counts_from_the_exit():
    clock = Clock()
    b = Backoff(10, 300, now=clock)
    b.next("k", clock.t)
    finished = clock.t
    clock.t += 4
    assert b.remaining("k", finished) == pytest.approx(6)
    clock.t += 6
    assert not b.in_backoff_since("k", finished)


def test_reset_after_running_twice_the_maximum():
    clock = Clock()
    b = Backoff(10, 300, now=clock)
    b.next("k", clock.t)
    b.next("k", clock.t + 1)
    assert b.get("k") == 20
    clock.t += 602  # ran for more than 10 minutes before crashing again
    assert not b.in_backoff_since("k", clock.t)
    b.next("k", clock.t)
    assert b.get("k") == 10


def test_forget_prefix():
    b = Backoff(1, 2)
    b.next("u1/a", 0)
    b.next("u2/a", 0)
    b.forget_prefix("u1/")
    assert b.get("u1/a") == 0 and b.get("u2/a") == 1


@pytest.mark.parametrize("seconds,text", [
    (10, "10s"), (20, "20s"), (80, "1m20s"), (160, "2m40s"), (300, "5m0s"), (3600, "1h0m0s"),
    (0.5, "500ms"), (1.5, "1.5s"), (0, "0s"), (0.25, "250ms"),
])
def test_go_duration(seconds, text):
    assert go_duration(seconds) == text
