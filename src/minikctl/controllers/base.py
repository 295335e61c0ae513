"""What every controller shares: a clock, a work queue, enqueue helpers and the worker loop.

The worker loop is client-go's: take a key, sync it, forget its failures on success,
requeue it with per-key exponential backoff on an exception, and drop it after
`max_retries` failures in a row (the next event or resync brings it back). Retry policy
lives here, never in sync(): sync raises to ask for a retry, returns to say "done".
"""
from __future__ import annotations

import datetime as _dt
import logging
import threading
import time
from collections.abc import Hashable
from typing import Protocol

from minikctl import errors
from minikctl.machinery.informer import Informer, key_of
from minikctl.machinery.workqueue import WorkQueue

log = logging.getLogger(__name__)


class Clock(Protocol):
    """Wall time for timestamps and deadlines, monotonic time for queue delays and TTLs."""

    def now(self) -> _dt.datetime: ...
    def monotonic(self) -> float: ...


class SystemClock:
    def now(self) -> _dt.datetime:
        return _dt.datetime.now(_dt.timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()


SYSTEM_CLOCK = SystemClock()


class Informers(Protocol):
    """Where controllers get their (shared) informers: the ControllerManager."""

    def informer(self, kind: str) -> Informer: ...


def split_key(key: str) -> tuple[str, str]:
    namespace, _, name = key.rpartition("/")
    return namespace, name


def rfc3339(when: _dt.datetime) -> str:
    """Kubernetes' metav1.Time form: second precision, UTC, 'Z'."""
    return when.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Controller:
    """Base of every control loop. Subclasses set `name` and `kind` (the primary kind,
    whose informer is `self.primary`), register handlers in __init__, and implement
    sync(key)."""

    name = "controller"
    kind = ""
    workers = 1
    # client-go's example drops a key after 5 failures; with no periodic resync yet
    # that would strand transient errors, so allow a longer run (~3 min of backoff).
    max_retries = 15

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.queue = WorkQueue(clock=self.clock.monotonic)
        self.primary = informers.informer(self.kind)
        # Every cache sync() reads: the manager waits for all of them before starting workers.
        self.informers: list[Informer] = [self.primary]
        self._stopped = threading.Event()

    # -- enqueueing -----------------------------------------------------------------------

    def enqueue(self, obj: dict) -> None:
        self.queue.add(key_of(obj))

    def enqueue_after(self, obj: dict, delay: float) -> None:
        self.queue.add_after(key_of(obj), delay)

    def enqueue_rate_limited(self, obj: dict) -> None:
        self.queue.add_rate_limited(key_of(obj))

    def resync(self) -> None:
        """Queue every object of the primary kind: the safety net of level triggering."""
        for obj in self.primary.list():
            self.enqueue(obj)

    # -- the worker loop ------------------------------------------------------------------

    def sync(self, key: str) -> None:
        raise NotImplementedError

    def process_next(self, timeout: float | None = None) -> bool:
        """Process one key. False when the queue is shut down (or nothing came in time)."""
        key = self.queue.get(timeout)
        if key is None:
            return False
        try:
            self.sync(str(key))
        except Exception as exc:  # noqa: BLE001 - any failure means "retry later"
            self.handle_error(key, exc)
        else:
            self.queue.forget(key)
        finally:
            self.queue.done(key)
        return True

    def handle_error(self, key: Hashable, exc: Exception) -> None:
        failures = self.queue.num_requeues(key)
        if failures < self.max_retries:
            # Conflicts and races with other writers are routine: no traceback for them.
            quiet = isinstance(exc, (errors.Conflict, errors.NotFound, errors.AlreadyExists))
            log.warning("%s: error syncing %r (retry %d): %s", self.name, key, failures + 1, exc,
                        exc_info=None if quiet else exc)
            self.queue.add_rate_limited(key)
            return
        log.error("%s: dropping %r out of the queue after %d retries: %s", self.name, key, failures, exc)
        self.queue.forget(key)

    def run_worker(self) -> None:
        # After stop() the queue still hands out what it holds; checking the flag first
        # makes shutdown prompt instead of draining the backlog.
        while not self._stopped.is_set():
            self.process_next()

    def stop(self) -> None:
        self._stopped.set()
        self.queue.shutdown()
