"""Per-container restart back-off, as client-go's flowcontrol.Backoff that the kubelet
uses for CrashLoopBackOff and ImagePullBackOff.

The first failure restarts at once; each later one waits initial, 2*initial, ... up to
maximum. An entry not updated for 2*maximum is stale, which is how a container that ran
for ten minutes (with the 5 min maximum) starts again from the initial delay.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from minikctl.api import durations

INITIAL = 10.0  # seconds: the kubelet's initial container back-off
MAXIMUM = 300.0  # seconds: kubecontainer.MaxContainerBackOff


@dataclass
class _Entry:
    backoff: float
    last_update: float


class Backoff:
    def __init__(self, initial: float = INITIAL, maximum: float = MAXIMUM,
                 now: Callable[[], float] = time.time) -> None:
        self.initial, self.maximum = initial, maximum
        self._now = now
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def next(self, key: str, event_time: float) -> None:
        """Record a failure at event_time: start or double this key's back-off."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._expired(event_time, entry.last_update):
                self._entries[key] = _Entry(self.initial, event_time)
                return
            entry.backoff = min(entry.backoff * 2, self.maximum)
            entry.last_update = event_time

    def get(self, key: str) -> float:
        with self._lock:
            entry = self._entries.get(key)
            return entry.backoff if entry else 0.0

    def remaining(self, key: str, event_time: float) -> float:
        """Seconds still to wait after a failure at event_time (0: go ahead)."""
        with self._lock:
            entry = self._entries.get(key)
            now = self._now()
            if entry is None or self._expired(now, entry.last_update):
                return 0.0
            return max(0.0, entry.backoff - (now - event_time))

    def in_backoff_since(self, key: str, event_time: float) -> bool:
        return self.remaining(key, event_time) > 0

    def reset(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def forget_prefix(self, prefix: str) -> None:
        """Drop every entry of a pod that is gone (keys start with its uid)."""
        with self._lock:
            for key in [k for k in self._entries if k.startswith(prefix)]:
                del self._entries[key]

    def _expired(self, event_time: float, last_update: float) -> bool:
        # Stable if it has been fine for twice the maximum (flowcontrol.hasExpired).
        return event_time - last_update > self.maximum * 2


go_duration = durations.format  # Go's time.Duration.String(), for back-off messages
