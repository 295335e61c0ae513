"""StopEvent, and a store watch woken by it at once instead of at its next poll."""
from __future__ import annotations

import threading

from minikctl.machinery.stopping import StopEvent
from minikctl.store.store import Store


def test_callbacks_run_once_when_set_and_at_once_when_already_set():
    stop, calls = StopEvent(), []
    stop.on_set(lambda: calls.append("a"))
    remove = stop.on_set(lambda: calls.append("b"))
    remove()
    stop.set()
    stop.set()
    assert calls == ["a"]
    stop.on_set(lambda: calls.append("late"))
    assert calls == ["a", "late"]


def test_an_interrupted_watch_returns_now_not_at_its_poll(tmp_path):
    store = Store.open(str(tmp_path))
    watch = store.watch(0)
    got: list = []
    waiter = threading.Thread(target=lambda: got.append(watch.next(60.0)))
    waiter.start()
    stop = StopEvent()
    stop.on_set(watch.interrupt)
    stop.set()
    waiter.join(timeout=10)  # without the interrupt: the 30 s fallback poll, or the 60 s timeout
    try:
        assert not waiter.is_alive() and got == [[]]
        assert watch.next(60.0) == []  # and from then on at once
    finally:
        watch.close()
        waiter.join(timeout=60)
        store.close()
