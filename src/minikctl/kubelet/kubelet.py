"""The Kubelet: wiring for one node's pod workers.

    kubelet = Kubelet(client, runtime, node_name="laptop", home=home)
    kubelet.start()        # informers, adoption of running pods, workers
    ...
    kubelet.stop()         # pods keep running: they outlive the daemon
    kubelet.stop_all_pods()  # `minikctl down`: every pod stopped gracefully

An informer of pods (filtered to spec.nodeName == node_name) only enqueues keys; worker
threads run `sync_pod(key)` (sync.Syncer), level-triggered. Container exits and probe
results enqueue the pod from the runtime's and the probers' threads.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from minikctl import claimdirs
from minikctl.api import kinds
from minikctl.kubelet import adoption, containers, dnsfiles, probes, sync, termination
from minikctl.kubelet import backoff as backoffmod
from minikctl.kubelet.events import Recorder
from minikctl.kubelet.ipam import Allocator
from minikctl.machinery.informer import Informer, key_of
from minikctl.machinery.workqueue import WorkQueue
from minikctl.runtime.interface import Runtime

log = logging.getLogger(__name__)

POD = kinds.by_kind("Pod")
SERVICE = kinds.by_kind("Service")
PROBE_STOP_WAIT = 5.0  # seconds stop() lets probes in flight finish (their timeouts kill them)


class Kubelet:
    def __init__(self, client: Any, runtime: Runtime, *, node_name: str, home: str,
                 pod_cidr: str = "127.16.0.0/16", clock: Any = time, host_ip: str = "127.0.0.1",
                 workers: int = 4, backoff_initial: float = backoffmod.INITIAL,
                 backoff_max: float = backoffmod.MAXIMUM, min_grace: float = 2.0,
                 images: containers.Images | None = None, sync_timeout: float = 30.0,
                 allocatable: dict[str, str] | None = None, adopt_unmarked: bool = True,
                 cluster_dns: str = dnsfiles.DNS_IP) -> None:
        self.client = client
        self.runtime = runtime
        self.node_name = node_name
        self.home = home
        self.clock = clock
        self.sync_timeout = sync_timeout
        self.adopt_unmarked = adopt_unmarked  # pods of old records that name no node
        self.queue = WorkQueue(max_delay=60.0, clock=getattr(clock, "monotonic", time.monotonic))
        self.pods = Informer(client, POD)
        self.services = Informer(client, SERVICE)
        self.pods.add_handler(self._on_pod)
        self.events = Recorder(client, node_name=node_name, now=clock.time)
        self.probes = probes.Manager(now=clock.time)
        self.allocator = Allocator(pod_cidr)
        self._images = images
        settings = sync.Settings(node_name=node_name, host_ip=host_ip, min_grace=min_grace,
                                 pvc_root=claimdirs.root_of(home),
                                 node_allocatable=_allocatable_for_env(allocatable) or node_allocatable(),
                                 allocatable=dict(allocatable or {}), cluster_dns=cluster_dns)
        self.syncer = sync.Syncer(
            client=client, runtime=runtime, queue=self.queue, settings=settings,
            get_pod=self._get_pod, node_pods=self.node_pods,
            services=lambda ns: self.services.list(namespace=ns), allocator=self.allocator,
            probes=self.probes, events=self.events, images=_LazyImages(images, home),  # type: ignore[arg-type]
            crash_backoff=backoffmod.Backoff(backoff_initial, backoff_max, now=clock.time),
            image_backoff=backoffmod.Backoff(backoff_initial, backoff_max, now=clock.time),
            now=clock.time,
        )
        self._workers: list[threading.Thread] = []
        self._n_workers = workers
        self._started = False

    # -- the lister: this node's pods only ---------------------------------------------

    def _mine(self, pod: dict) -> bool:
        return (pod.get("spec") or {}).get("nodeName") == self.node_name

    def _get_pod(self, key: str) -> dict | None:
        pod = self.pods.get(key)
        return pod if pod is not None and self._mine(pod) else None

    def node_pods(self) -> list[dict]:
        return self.pods.list(predicate=self._mine)

    def _on_pod(self, etype: str, pod: dict, old: dict | None) -> None:
        if self._mine(pod):
            key = key_of(pod)
            rec = self.syncer.records.get(key)
            if rec is not None and etype == "DELETED" and rec.uid == pod["metadata"].get("uid"):
                rec.last_pod = pod  # its grace period and preStop hooks, for the teardown
            self.queue.add(key)

    # -- running -----------------------------------------------------------------------

    def start(self) -> None:
        """List and watch pods, adopt what a previous daemon left running, then start the
        workers. Returns once the informers have synced (or sync_timeout passed)."""
        self.events.start()
        self.pods.start()
        self.services.start()
        for informer in (self.pods, self.services):
            if not informer.synced.wait(self.sync_timeout):
                log.warning("%s informer not synced after %ss", informer.kind.plural, self.sync_timeout)
        adoption.adopt(self.syncer, self.runtime, os.path.join(self.home, "pods"), self.node_pods(),
                       all_pods=self.pods.list(), adopt_unmarked=self.adopt_unmarked)
        for i in range(self._n_workers):
            t = threading.Thread(target=self._work, name=f"kubelet-worker-{i}", daemon=True)
            t.start()
            self._workers.append(t)
        for key in set(self.syncer.records) | {key_of(p) for p in self.node_pods()}:
            self.queue.add(key)
        self._started = True

    def _work(self) -> None:
        while True:
            key = self.queue.get()
            if key is None:
                return
            try:
                self.sync_pod(str(key))
                self.queue.forget(key)
            except Exception:  # noqa: BLE001 - retry with back-off; the loop must live
                log.exception("sync of pod %s failed; retrying", key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    def sync_pod(self, key: str) -> None:
        """Bring pod `namespace/name` on this node to its desired state (see sync.py)."""
        self.syncer.sync(key)

    def stop(self, kill_pods: bool = False) -> None:
        """Stop the kubelet. Pods keep running unless kill_pods (then as stop_all_pods)."""
        if kill_pods:
            self.stop_all_pods()
        self.queue.shutdown()
        self.pods.stop()
        self.services.stop()
        for t in self._workers:
            t.join(timeout=5)
        self._workers.clear()
        self.probes.stop_all(wait=PROBE_STOP_WAIT)
        self.events.stop()
        self._started = False

    def stop_all_pods(self, grace: float | None = None) -> None:
        """Stop every pod's containers gracefully (each its own grace period unless one
        is given), in parallel; returns when all have exited. Nothing is restarted."""
        self.syncer.starting_allowed = False
        recs = list(self.syncer.records.values())
        threads = []
        for rec in recs:
            g = grace if grace is not None else termination.grace_period(rec.last_pod or {})
            t = threading.Thread(target=self.syncer.terminate, args=(rec, g),
                                 kwargs={"wait": True, "final": False}, daemon=True)
            t.start()
            threads.append(t)
        for t in threads:
            t.join()

    # -- inspection (tests, `daemon status`) -------------------------------------------

    def running_pods(self) -> list[str]:
        return [k for k, r in self.syncer.records.items() if any(c.running for c in r.all())]


class _LazyImages:
    """The image store module is imported at the first container start, not before."""

    def __init__(self, images: containers.Images | None, home: str) -> None:
        self._images = images
        self._home = home

    def _get(self) -> containers.Images:
        if self._images is None:
            self._images = containers.Images.default(self._home)
        return self._images

    def resolve(self, name: str) -> Any:
        return self._get().resolve(name)

    def effective_argv(self, image: Any, command: list[str] | None, args: list[str] | None) -> list[str]:
        return self._get().effective_argv(image, command, args)


def _allocatable_for_env(allocatable: dict[str, str] | None) -> dict[str, str]:
    """A simulated node's cpu and memory (resourceFieldRef limits default to them), in
    the plain numbers node_allocatable() gives."""
    if not allocatable:
        return {}
    from minikctl.api.quantity import parse_quantity

    out = {}
    for name in ("cpu", "memory"):
        if name in allocatable:
            q = parse_quantity(allocatable[name])
            out[name] = str(q.value.normalize()) if name == "cpu" else str(q.int_value)
    return {**node_allocatable(), **out}


def node_allocatable() -> dict[str, str]:
    """CPU and memory the node offers: the defaults for resourceFieldRef limits."""
    out = {"cpu": str(os.cpu_count() or 1)}
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    out["memory"] = str(int(line.split()[1]) * 1024)
                    break
    except OSError:
        pass
    return out
