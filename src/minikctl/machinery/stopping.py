"""A stop signal that can wake blocking waits elsewhere.

A threading.Event is only noticed by whoever polls it: a store watch asleep in select()
would see it on its next poll, a second later, and every informer of a stopping daemon
would make it wait that second. StopEvent also runs callbacks when it is set, so such a
wait can register a way to be woken (see api.handler.Api.watch).
"""
from __future__ import annotations

import threading
from collections.abc import Callable


class StopEvent(threading.Event):
    def __init__(self) -> None:
        super().__init__()
        self._callbacks: list[Callable[[], None]] = []
        self._callbacks_lock = threading.Lock()

    def on_set(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run callback when the event is set (now, if it is already); returns a function
        that unregisters it."""
        with self._callbacks_lock:
            already = self.is_set()
            if not already:
                self._callbacks.append(callback)
        if already:
            callback()

        def remove() -> None:
            with self._callbacks_lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)
        return remove

    def set(self) -> None:
        super().set()
        with self._callbacks_lock:
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()
