"""Stopping a container the way the kubelet does (killContainer):

1. the preStop hook (exec or httpGet), bounded by the grace period;
2. SIGTERM to the container's whole process group;
3. wait for the rest of the grace period (never less than a minimum, 2 s in Kubernetes,
   so a hook cannot eat all of it);
4. SIGKILL to the group, and wait for the exit to be seen.

The caller runs this off the worker threads (a grace period may be 30 s) and learns of
the exit through the container's `exited` event, set by the runtime's on_exit callback.
"""
from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from minikctl.kubelet import handlers
from minikctl.kubelet.records import ContainerRecord
from minikctl.runtime.interface import Runtime

log = logging.getLogger(__name__)

KILL_WAIT = 10.0  # seconds to wait for the exit after SIGKILL before giving up


@dataclass
class Kill:
    """One container to stop."""

    record: ContainerRecord
    spec: dict  # the container spec (lifecycle.preStop, ports)
    grace: float
    target: handlers.Target
    reason: str = ""  # the event message, e.g. "Stopping container web"


def grace_period(pod: dict, *, override: float | None = None) -> float:
    """deletionGracePeriodSeconds while deleting, else terminationGracePeriodSeconds."""
    if override is not None:
        return float(override)
    md, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    if md.get("deletionGracePeriodSeconds") is not None:
        return float(md["deletionGracePeriodSeconds"])
    value = spec.get("terminationGracePeriodSeconds")
    return float(30 if value is None else value)


def probe_grace(pod: dict, probe: dict | None) -> float:
    """A failed liveness/startup probe may carry its own terminationGracePeriodSeconds."""
    if probe and probe.get("terminationGracePeriodSeconds") is not None:
        return float(probe["terminationGracePeriodSeconds"])
    return grace_period(pod)


def kill(runtime: Runtime, job: Kill, *, min_grace: float = 2.0,
         on_hook_failure: Callable[[str], None] | None = None) -> None:
    """Stop one container; returns once it has exited (or SIGKILL went unanswered)."""
    c = job.record
    run = c.run
    if run is None or run.proc is None or c.exited.is_set() or run.exit is not None:
        return
    start = time.monotonic()
    pre_stop = ((job.spec.get("lifecycle") or {}).get("preStop")) if job.grace > 0 else None
    if pre_stop:
        result = handlers.run(pre_stop, job.target, job.grace)
        if not result.ok and on_hook_failure is not None:
            on_hook_failure(result.message)
    remaining = job.grace - (time.monotonic() - start)
    if job.grace > 0:
        remaining = max(remaining, min_grace)
    if c.exited.is_set():
        return
    _signal(runtime, run.proc, signal.SIGTERM)
    if remaining > 0 and c.exited.wait(remaining):
        return
    _signal(runtime, run.proc, signal.SIGKILL)
    if not c.exited.wait(KILL_WAIT):
        log.warning("container %s (pid %s) did not exit after SIGKILL", c.name, run.proc.pid)


def _signal(runtime: Runtime, proc, signum: int) -> None:  # type: ignore[no-untyped-def]
    try:
        runtime.signal(proc, signum)
    except (ProcessLookupError, OSError):
        pass  # already gone: the exit callback tells the rest
