"""Startup, liveness and readiness probes: one worker thread per probe of a running
container, as the kubelet's prober workers.

A worker waits for initialDelaySeconds after the container started, probes every
periodSeconds, and reports a result only after successThreshold consecutive successes
or failureThreshold consecutive failures. Liveness and readiness probes wait until the
startup probe (if any) has succeeded; the startup worker stops once it has, and a
liveness worker goes quiet after reporting failure (the container is being restarted).
Each report calls `on_result`, which updates the container and enqueues the pod.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from minikctl.kubelet import handlers

KINDS = ("startupProbe", "livenessProbe", "readinessProbe")
LABEL = {"startupProbe": "Startup", "livenessProbe": "Liveness", "readinessProbe": "Readiness"}


@dataclass(frozen=True)
class Settings:
    initial_delay: float
    period: float
    timeout: float
    success_threshold: int
    failure_threshold: int

    @classmethod
    def of(cls, probe: dict) -> "Settings":
        return cls(
            initial_delay=float(probe.get("initialDelaySeconds") or 0),
            period=float(probe.get("periodSeconds") or 10),
            timeout=float(probe.get("timeoutSeconds") or 1),
            success_threshold=int(probe.get("successThreshold") or 1),
            failure_threshold=int(probe.get("failureThreshold") or 3),
        )


OnResult = Callable[["Worker", bool, str], None]


class Worker:
    """Probes one container run with one probe until stopped."""

    def __init__(self, kind: str, probe: dict, target: handlers.Target, *, started_at: float,
                 gate: threading.Event, on_result: OnResult, now: Callable[[], float], token: object = None) -> None:
        self.kind = kind
        self.probe = probe
        self.settings = Settings.of(probe)
        self.target = target
        self.started_at = started_at
        self.gate = gate  # set once the container counts as started
        self.on_result = on_result
        self.now = now
        self.token = token  # which container run this worker belongs to
        self.result: bool | None = None
        self._last: bool | None = None
        self._run_length = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"probe-{kind}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self.gate.set()  # wake a worker still waiting for the startup probe

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _loop(self) -> None:
        if self.kind != "startupProbe":
            self.gate.wait()
        delay = self.started_at + self.settings.initial_delay - self.now()
        if delay > 0 and self._stop.wait(delay):
            return
        while not self._stop.is_set():
            outcome = handlers.run(self.probe, self.target, self.settings.timeout)
            if self._stop.is_set():
                return
            if self._record(outcome) and self._done():
                return
            if self._stop.wait(self.settings.period):
                return

    def _record(self, outcome: handlers.Result) -> bool:
        """Count the outcome; report when a threshold is crossed. True if reported."""
        if outcome.ok == self._last:
            self._run_length += 1
        else:
            self._last, self._run_length = outcome.ok, 1
        threshold = self.settings.success_threshold if outcome.ok else self.settings.failure_threshold
        if self._run_length < threshold:
            return False
        changed = self.result != outcome.ok
        self.result = outcome.ok
        if changed:
            self.on_result(self, outcome.ok, outcome.message)
        return True

    def _done(self) -> bool:
        if self.kind == "startupProbe" and self.result:
            return True
        return self.kind in ("livenessProbe", "startupProbe") and self.result is False


class Manager:
    """The probe workers of every container run on this node."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self._workers: dict[tuple[str, str], list[Worker]] = {}  # (pod uid, container) -> workers
        self._lock = threading.Lock()

    def start(self, uid: str, spec: dict, target: handlers.Target, *, started_at: float,
              on_result: OnResult, token: object) -> threading.Event:
        """Start the workers for a container run; returns the 'started' gate, already
        set when there is no startup probe."""
        self.stop(uid, spec["name"])
        gate = threading.Event()
        if not spec.get("startupProbe"):
            gate.set()
        workers = [Worker(kind, spec[kind], target, started_at=started_at, gate=gate, on_result=on_result,
                          now=self.now, token=token) for kind in KINDS if spec.get(kind)]
        with self._lock:
            self._workers[(uid, spec["name"])] = workers
        for w in workers:
            w.start()
        return gate

    def stop(self, uid: str, container: str) -> None:
        with self._lock:
            workers = self._workers.pop((uid, container), [])
        for w in workers:
            w.stop()

    def stop_pod(self, uid: str) -> None:
        with self._lock:
            keys = [k for k in self._workers if k[0] == uid]
        for _, name in keys:
            self.stop(uid, name)

    def stop_all(self, wait: float = 0.0) -> None:
        """Stop every worker; with wait, give probes in flight (an exec probe's
        process) up to that long to finish, so none is left behind."""
        with self._lock:
            workers = [w for ws in self._workers.values() for w in ws]
            self._workers.clear()
        for w in workers:
            w.stop()
        deadline = time.monotonic() + wait
        for w in workers:
            w.join(max(0.0, deadline - time.monotonic()))

    def count(self) -> int:
        with self._lock:
            return sum(len(ws) for ws in self._workers.values())
