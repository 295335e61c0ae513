"""The scheduling queue, kube-scheduler's three parts:

- activeQ: pods ready to be tried, highest spec.priority first, then the oldest;
- backoffQ: pods that failed recently, waiting out their backoff (1 s doubling per
  attempt up to 10 s) before going back to activeQ;
- unschedulable: pods no node fitted. They wait for a cluster event that may help
  (a node added or changed, a pod deleted or finished...) and then move to
  backoffQ or activeQ; any still waiting after `max_unschedulable` seconds are
  flushed back anyway, in case an event was missed.

A pod is "in flight" between pop() and the report of its attempt (done(),
add_unschedulable(), add_backoff()). A move request or an update that arrives while
it is in flight is remembered, so a pod that fails just as the cluster changed is
retried after its backoff instead of waiting for the next event.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from minikctl.scheduler.nodeinfo import PodInfo

INITIAL_BACKOFF = 1.0
MAX_BACKOFF = 10.0
MAX_UNSCHEDULABLE = 60.0


@dataclass
class QueuedPod:
    info: PodInfo
    timestamp: float  # when it (re)entered the queue: activeQ's second sort key
    attempts: int = 0
    last_attempt: float = 0.0
    unschedulable_plugins: frozenset = frozenset()
    entered_unschedulable: float = 0.0
    where: str = ""  # "active", "backoff", "unschedulable", "inflight"
    seq: int = field(default=0, compare=False)

    @property
    def key(self) -> str:
        return self.info.key


class SchedulingQueue:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, initial_backoff: float = INITIAL_BACKOFF,
                 max_backoff: float = MAX_BACKOFF, max_unschedulable: float = MAX_UNSCHEDULABLE) -> None:
        self.clock = clock
        self.initial_backoff, self.max_backoff = initial_backoff, max_backoff
        self.max_unschedulable = max_unschedulable
        self._cond = threading.Condition()
        self._pods: dict[str, QueuedPod] = {}
        self._active: list = []  # heap of (-priority, timestamp, seq, key)
        self._backoff: list = []  # heap of (ready_at, seq, key)
        self._seq = itertools.count()
        self._closed = False
        self.scheduling_cycle = 0
        self.move_request_cycle = -1
        self._inflight_dirty: set[str] = set()
        self._inflight_deleted: set[str] = set()
        self._unschedulable: dict[str, QueuedPod] = {}  # the pods waiting for an event

    # -- adding and removing --------------------------------------------------------------

    def add(self, info: PodInfo) -> None:
        """A pending pod was added or updated."""
        with self._cond:
            qp = self._pods.get(info.key)
            if qp is None:
                self._push_active(QueuedPod(info, self.clock()))
                return
            changed = _scheduling_relevant(qp.info, info)
            qp.info = info
            if qp.where == "inflight":
                if changed:
                    self._inflight_dirty.add(info.key)
            elif qp.where == "active":
                self._push_active(qp)  # priority may have changed; stale heap entries are skipped
            elif qp.where == "unschedulable" and changed:
                self._requeue(qp)

    def delete(self, key: str) -> None:
        with self._cond:
            qp = self._pods.get(key)
            if qp is None:
                return
            if qp.where == "inflight":
                self._inflight_deleted.add(key)
                return
            del self._pods[key]  # its heap entries become stale and are skipped
            self._unschedulable.pop(key, None)

    def __contains__(self, key: str) -> bool:
        with self._cond:
            return key in self._pods

    def where(self, key: str) -> str:
        with self._cond:
            qp = self._pods.get(key)
            return qp.where if qp else ""

    # -- taking -----------------------------------------------------------------------------

    def pop(self, timeout: float | None = None) -> QueuedPod | None:
        """The next pod to schedule (now in flight), or None when closed or on timeout."""
        deadline = None if timeout is None else self.clock() + timeout
        with self._cond:
            while True:
                self._flush()
                while self._active:
                    _, _, seq, key = heapq.heappop(self._active)
                    qp = self._pods.get(key)
                    if qp is None or qp.where != "active" or qp.seq != seq:
                        continue
                    qp.where = "inflight"
                    qp.attempts += 1
                    qp.last_attempt = self.clock()
                    self.scheduling_cycle += 1
                    return qp
                if self._closed:
                    return None
                wait = self._next_wake()
                if deadline is not None:
                    left = deadline - self.clock()
                    if left <= 0:
                        return None
                    wait = left if wait is None else min(wait, left)
                self._cond.wait(wait)

    def _next_wake(self) -> float | None:
        now = self.clock()
        wakes = []
        if self._backoff:
            wakes.append(self._backoff[0][0] - now)
        if self._unschedulable:
            oldest = min(qp.entered_unschedulable for qp in self._unschedulable.values())
            wakes.append(oldest + self.max_unschedulable - now)
        return max(0.0, min(wakes)) if wakes else None

    # -- reporting an attempt -------------------------------------------------------------------

    def done(self, key: str) -> None:
        """The pod was scheduled (or dropped): it leaves the queue."""
        with self._cond:
            self._finish(key)
            self._pods.pop(key, None)
            self._unschedulable.pop(key, None)

    def add_unschedulable(self, qp: QueuedPod, cycle: int, plugins: frozenset = frozenset()) -> None:
        """No node fitted. Waits for an event, unless one came during the attempt."""
        with self._cond:
            if self._finish(qp.key):
                return
            qp.unschedulable_plugins = plugins
            if self.move_request_cycle >= cycle or qp.key in self._inflight_dirty:
                self._inflight_dirty.discard(qp.key)
                self._push_backoff(qp)
            else:
                qp.where = "unschedulable"
                qp.entered_unschedulable = self.clock()
                self._unschedulable[qp.key] = qp
                self._cond.notify()

    def add_backoff(self, qp: QueuedPod) -> None:
        """The attempt failed for another reason (an error): retry after the backoff."""
        with self._cond:
            if self._finish(qp.key):
                return
            self._push_backoff(qp)

    def _finish(self, key: str) -> bool:
        """End the in-flight state; True when the pod was deleted meanwhile."""
        self._inflight_dirty.discard(key)
        if key in self._inflight_deleted:
            self._inflight_deleted.discard(key)
            self._pods.pop(key, None)
            return True
        return False

    # -- cluster events ---------------------------------------------------------------------------

    def move_all(self, plugins: frozenset | None = None) -> int:
        """A cluster event that may help: move unschedulable pods (those rejected by one
        of `plugins`; None: all) to backoffQ or activeQ. Returns how many moved."""
        with self._cond:
            self.move_request_cycle = self.scheduling_cycle
            moved = 0
            for qp in list(self._unschedulable.values()):
                if plugins is not None and qp.unschedulable_plugins and not (qp.unschedulable_plugins & plugins):
                    continue
                self._requeue(qp)
                moved += 1
            return moved

    def _requeue(self, qp: QueuedPod) -> None:
        self._unschedulable.pop(qp.key, None)
        if self._backoff_until(qp) > self.clock():
            self._push_backoff(qp)
        else:
            self._push_active(qp)

    def _flush(self) -> None:
        now = self.clock()
        while self._backoff and self._backoff[0][0] <= now:
            _, seq, key = heapq.heappop(self._backoff)
            qp = self._pods.get(key)
            if qp is not None and qp.where == "backoff" and qp.seq == seq:
                self._push_active(qp)
        if self._unschedulable:
            for qp in list(self._unschedulable.values()):
                if now - qp.entered_unschedulable >= self.max_unschedulable:
                    self._requeue(qp)

    # -- heaps --------------------------------------------------------------------------------------

    def backoff_duration(self, attempts: int) -> float:
        if attempts <= 0:
            return 0.0
        return min(self.initial_backoff * (2 ** (attempts - 1)), self.max_backoff)

    def _backoff_until(self, qp: QueuedPod) -> float:
        return qp.last_attempt + self.backoff_duration(qp.attempts)

    def _push_active(self, qp: QueuedPod) -> None:
        self._unschedulable.pop(qp.key, None)
        if qp.where != "active":
            qp.timestamp = self.clock() if qp.where else qp.timestamp
        qp.where = "active"
        qp.seq = next(self._seq)
        self._pods[qp.key] = qp
        heapq.heappush(self._active, (-qp.info.priority, qp.timestamp, qp.seq, qp.key))
        self._cond.notify()

    def _push_backoff(self, qp: QueuedPod) -> None:
        self._unschedulable.pop(qp.key, None)
        qp.where = "backoff"
        qp.seq = next(self._seq)
        self._pods[qp.key] = qp
        heapq.heappush(self._backoff, (self._backoff_until(qp), qp.seq, qp.key))
        self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def counts(self) -> dict[str, int]:
        with self._cond:
            out = {"active": 0, "backoff": 0, "unschedulable": 0, "inflight": 0}
            for qp in self._pods.values():
                out[qp.where] = out.get(qp.where, 0) + 1
            return out


def _scheduling_relevant(old: PodInfo, new: PodInfo) -> bool:
    """Did the update change anything the scheduler looks at? (kube-scheduler ignores
    updates that only touch status, resourceVersion, managedFields...)."""
    o, n = old.pod, new.pod
    return (o.get("spec") != n.get("spec") or (o["metadata"].get("labels") != n["metadata"].get("labels"))
            or (o["metadata"].get("annotations") != n["metadata"].get("annotations")))
