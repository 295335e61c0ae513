"""Leader election on a Lease, as client-go's leaderelection does for kube-scheduler.

Several daemons may share one store (one per machine or per --node-name); each runs a
scheduler, but only the holder of the Lease kube-system/kube-scheduler schedules.
Two schedulers placing pods at once would each trust their own assumed pods and could
overcommit a node. The others keep their caches warm and take over when the holder
stops renewing for `lease_duration` seconds (or releases the Lease on a clean stop).

Expiry is judged as client-go does: by when *this* process last saw the record change
(its own clock), never by comparing another machine's timestamps. The identity is the
daemon's node name, so a daemon restarted after a crash takes its own Lease back at once.
"""
from __future__ import annotations

import datetime as _dt
import logging
import threading
import time
from collections.abc import Callable

from minikctl import errors
from minikctl.api import kinds

log = logging.getLogger(__name__)

LEASE = kinds.by_kind("Lease")
NAMESPACE, NAME = "kube-system", "kube-scheduler"
LEASE_DURATION, RENEW_DEADLINE, RETRY_PERIOD = 15.0, 10.0, 2.0  # kube-scheduler's defaults


def _micro_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    def __init__(self, client, identity: str, *, lease_duration: float = LEASE_DURATION,  # type: ignore[no-untyped-def]
                 renew_deadline: float = RENEW_DEADLINE, retry_period: float = RETRY_PERIOD,
                 clock: Callable[[], float] = time.monotonic, namespace: str = NAMESPACE, name: str = NAME) -> None:
        self.client = client
        self.identity = identity
        self.lease_duration, self.renew_deadline, self.retry_period = lease_duration, renew_deadline, retry_period
        self.clock = clock
        self.namespace, self.name = namespace, name
        self.leading = threading.Event()
        self._observed: tuple | None = None  # (holder, renewTime) last seen
        self._observed_at = 0.0
        self._last_renew = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one attempt (tests call this directly) --------------------------------------------

    def try_acquire_or_renew(self) -> bool:
        """One round: True when this process holds the Lease afterwards."""
        now = self.clock()
        try:
            lease = self.client.get(LEASE, self.namespace, self.name)
        except errors.NotFound:
            try:
                self.client.create(self._record(None))
            except (errors.AlreadyExists, errors.Conflict):
                return False
            return self._won(now)
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        record = (holder, spec.get("renewTime"))
        if record != self._observed:
            self._observed, self._observed_at = record, now
        duration = float(spec.get("leaseDurationSeconds") or self.lease_duration)
        if holder and holder != self.identity and now < self._observed_at + duration:
            return False  # someone else holds it and is (as far as we can tell) alive
        try:
            self.client.update({**lease, "spec": self._record(lease)["spec"]})
        except (errors.Conflict, errors.NotFound):
            return False  # another candidate got there first
        return self._won(now)

    def _won(self, now: float) -> bool:
        self._last_renew = now
        if not self.leading.is_set():
            log.info("%s: became the leader (%s/%s)", self.identity, self.namespace, self.name)
        self.leading.set()
        return True

    def _record(self, old: dict | None) -> dict:
        spec = dict((old or {}).get("spec") or {})
        now = _micro_now()
        if spec.get("holderIdentity") != self.identity:
            spec["acquireTime"] = now
            spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + (1 if old else 0)
        spec.update(holderIdentity=self.identity, leaseDurationSeconds=int(self.lease_duration), renewTime=now)
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace}, "spec": spec}

    # -- running ----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="scheduler-leader", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ok = self.try_acquire_or_renew()
            except Exception:  # noqa: BLE001 - the store may be busy; the next round retries
                log.exception("leader election round failed")
                ok = False
            if not ok and self.leading.is_set() and self.clock() - self._last_renew > self.renew_deadline:
                log.warning("%s: lost the lead (no renewal for %.0fs)", self.identity, self.renew_deadline)
                self.leading.clear()
            self._stop.wait(self.retry_period)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop, and hand the Lease over at once (client-go's ReleaseOnCancel)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.leading.is_set():
            self.leading.clear()
            try:
                def release(lease: dict) -> None:
                    if lease["spec"].get("holderIdentity") == self.identity:
                        lease["spec"].update(holderIdentity="", leaseDurationSeconds=1, renewTime=_micro_now())
                self.client.modify(LEASE, self.namespace, self.name, release)
            except errors.MinikctlError as exc:
                log.info("releasing the scheduler lease: %s", exc)
