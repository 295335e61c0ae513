"""The controller manager: shared informers, and every controller's workers, in threads.

    manager = build(client)        # ReplicaSet and Deployment controllers registered
    manager.start()                # informers -> wait for their caches -> workers
    ...
    manager.stop()                 # workers and informers stop; threads joined

Informers are shared, one per kind, created on demand by the first controller that asks
(`manager.informer("Pod")`): two controllers watching pods cost one watch and one cache.
Workers start only once every cache has synced, because acting on an empty cache looks
like "nothing exists" and would create everything again.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from minikctl.api import kinds
from minikctl.api.kinds import Kind
from minikctl.controllers.base import Clock, Controller
from minikctl.controllers.events import EventRecorder, EventSink
from minikctl.machinery.informer import Informer

log = logging.getLogger(__name__)

InformerFactory = Callable[..., Informer]


class ControllerManager:
    def __init__(self, client, *, informer_factory: InformerFactory = Informer,  # type: ignore[no-untyped-def]
                 clock: Clock | None = None, sync_timeout: float = 30.0,
                 resync_period: float | None = 60.0) -> None:
        self.client = client
        self.clock = clock
        self.sync_timeout = sync_timeout
        self.resync_period = resync_period
        self._informer_factory = informer_factory
        self._informers: dict[str, Informer] = {}
        self.controllers: list[Controller] = []
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._started = False
        # Controllers' events are written from one thread, off the sync path.
        self.events = EventSink(client)

    def informer(self, kind: str | Kind) -> Informer:
        """The shared informer of a kind, created (not started) on first use."""
        k = kinds.by_kind(kind) if isinstance(kind, str) else kind
        if k.kind not in self._informers:
            if self._started:
                raise RuntimeError(f"informer for {k.kind} requested after the manager started")
            self._informers[k.kind] = self._informer_factory(self.client, k)
        return self._informers[k.kind]

    @property
    def informers(self) -> dict[str, Informer]:
        return dict(self._informers)

    def add(self, controller: Controller) -> Controller:
        if self._started:
            raise RuntimeError("controllers must be added before the manager starts")
        self.controllers.append(controller)
        return controller

    def controller(self, name: str) -> Controller:
        return next(c for c in self.controllers if c.name == name)

    # -- running ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start informers, wait (up to sync_timeout) for their caches, start workers.
        Returns once the workers run; raises TimeoutError if a cache never synced."""
        if self._started:
            return
        self._started = True
        self.events.start()
        for inf in self._informers.values():
            inf.start()
        if not self.wait_for_sync(self.sync_timeout):
            unsynced = [k for k, inf in self._informers.items() if not inf.synced.is_set()]
            self.stop()
            raise TimeoutError(f"informer caches did not sync within {self.sync_timeout}s: {', '.join(unsynced)}")
        for controller in self.controllers:
            for i in range(controller.workers):
                self._spawn(f"{controller.name}-{i}", controller.run_worker)
        if self.resync_period:
            self._spawn("controller-resync", self._resync_loop)
        log.info("controller manager started: %s", ", ".join(c.name for c in self.controllers))

    def wait_for_sync(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        for inf in self._informers.values():
            while not inf.synced.wait(0.05):
                if time.monotonic() > deadline or self._stop.is_set():
                    return False
        return True

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _resync_loop(self) -> None:
        # Level triggering's safety net: every primary object is synced now and then,
        # so a dropped key or a lost event is repaired without any new event.
        assert self.resync_period is not None
        while not self._stop.wait(self.resync_period):
            for controller in self.controllers:
                controller.resync()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop workers (each finishes its current sync) and informers, and join them all."""
        self._stop.set()
        for controller in self.controllers:
            controller.stop()
        for inf in self._informers.values():
            inf.stop()
        threads = list(self._threads)
        threads += [t for t in (getattr(inf, "_thread", None) for inf in self._informers.values())
                    if isinstance(t, threading.Thread)]
        for thread in threads:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("thread %s did not stop within %.1fs", thread.name, timeout)
        self.events.stop(timeout)  # after the workers: their last events are written too

    def alive_threads(self) -> list[threading.Thread]:
        """Threads of this manager still running (after stop(): none, normally)."""
        others = [getattr(inf, "_thread", None) for inf in self._informers.values()] + [self.events.thread]
        return [t for t in self._threads + others if isinstance(t, threading.Thread) and t.is_alive()]


def build(client, *, clock: Clock | None = None, informer_factory: InformerFactory = Informer,  # type: ignore[no-untyped-def]
          recorder=None, resync_period: float | None = 60.0, node_lifecycle: dict | None = None,
          volumes_root: str | None = None) -> ControllerManager:
    """A manager with every controller minikctl has, ready to start(). volumes_root: where
    the kubelet keeps claims' volumes, which the binder deletes when their claims go."""
    from minikctl.controllers.cronjob import CronJobController
    from minikctl.controllers.daemonset import DaemonSetController
    from minikctl.controllers.deployment import DeploymentController
    from minikctl.controllers.disruption import DisruptionController
    from minikctl.controllers.endpoints import EndpointsController
    from minikctl.controllers.eventttl import EventTTLController
    from minikctl.controllers.garbagecollector import GarbageCollector
    from minikctl.controllers.job import JobController
    from minikctl.controllers.job_ttl import TTLAfterFinishedController
    from minikctl.controllers.namespace import NamespaceController
    from minikctl.controllers.nodelifecycle import NodeLifecycleController
    from minikctl.controllers.persistentvolumeclaim import PersistentVolumeClaimBinder
    from minikctl.controllers.podgc import PodGCController
    from minikctl.controllers.pvcprotection import PVCProtectionController
    from minikctl.controllers.replicaset import ReplicaSetController
    from minikctl.controllers.serviceaccount import ServiceAccountController
    from minikctl.controllers.statefulset import StatefulSetController
    from minikctl.controllers.tainteviction import TaintEvictionController

    manager = ControllerManager(client, informer_factory=informer_factory, clock=clock,
                                resync_period=resync_period)

    def add(controller, *, source: str | None = None, **options) -> None:  # type: ignore[no-untyped-def]
        """Add a controller whose events are recorded in its own name (or `source`)."""
        events = recorder or EventRecorder(client, source or controller.name, clock=clock, sink=manager.events)
        manager.add(controller(client, manager, clock=clock, recorder=events, **options))

    for controller in (ReplicaSetController, DeploymentController, DaemonSetController, StatefulSetController,
                       JobController, CronJobController, TTLAfterFinishedController, EndpointsController):
        add(controller)
    for controller in (GarbageCollector, NamespaceController):
        manager.add(controller(client, manager, clock=clock, recorder=recorder))
    manager.add(PersistentVolumeClaimBinder(client, manager, clock=clock, volumes_root=volumes_root))
    for controller in (PVCProtectionController, EventTTLController):
        manager.add(controller(client, manager, clock=clock))
    manager.add(ServiceAccountController(client, manager, clock=clock))  # a `default` SA per namespace
    # Nodes: Ready=Unknown and taints for silent nodes, taint eviction, and the pod GC of
    # pods whose node is gone.
    settings = node_lifecycle or {}
    grace = float(settings.get("grace_period", 40.0))
    add(NodeLifecycleController, source="node-controller", grace_period=grace,
        monitor_period=float(settings.get("monitor_period", min(5.0, grace / 4))))
    add(TaintEvictionController)
    add(DisruptionController)  # PodDisruptionBudgets' status, which evictions decide on
    manager.add(PodGCController(client, manager, clock=clock,
                                quarantine=float(settings.get("podgc_quarantine", min(40.0, grace)))))
    return manager
