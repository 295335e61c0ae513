"""The scheduler component: pending pods in, bindings out.

    scheduler = Scheduler(client, manager.informer("Pod"), manager.informer("Node"), ...)
    manager.start(); scheduler.start() ... scheduler.stop()

Handlers on the shared informers keep the cache (nodes, assigned pods) and the queue
(pending pods of this scheduler) current and turn cluster changes into queue moves.
One thread takes pods off the queue and runs a cycle under the cache lock: snapshot,
filter, score, assume the pod on the chosen node. Binds (pods/binding) and failure
reports (PodScheduled=False and a FailedScheduling event) are written by a small pool
of threads, so the next cycle does not wait for the store.
"""
from __future__ import annotations

import copy
import logging
import random
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from minikctl import errors
from minikctl.api import kinds, meta, selectors
from minikctl.controllers.events import NORMAL, WARNING, NullRecorder
from minikctl.machinery.informer import Informer
from minikctl.scheduler import preemption
from minikctl.scheduler.cache import TERMINAL, Cache
from minikctl.scheduler.framework import FitError, Framework, NoNodesAvailable
from minikctl.scheduler.nodeinfo import PodInfo
from minikctl.scheduler.plugins import default_plugins
from minikctl.scheduler.queue import QueuedPod, SchedulingQueue

log = logging.getLogger(__name__)

NAME = "default-scheduler"
POD = kinds.by_kind("Pod")
# Which plugins' rejections each kind of event may undo (kube-scheduler's EventsToRegister).
POD_FREED = frozenset({"NodeResourcesFit", "NodePorts", "InterPodAffinity", "PodTopologySpread"})
POD_ADDED = frozenset({"InterPodAffinity", "PodTopologySpread"})
NAMESPACE_CHANGED = frozenset({"InterPodAffinity"})


GATED = "SchedulingGated"
GATED_MESSAGE = "Scheduling is blocked due to non-empty scheduling gates"


def ours(pod: dict) -> bool:
    """A pending pod for this scheduler (gated or not)."""
    spec = pod.get("spec") or {}
    return (not spec.get("nodeName") and not pod["metadata"].get("deletionTimestamp")
            and (spec.get("schedulerName") or NAME) == NAME
            and (pod.get("status") or {}).get("phase") not in TERMINAL)


def responsible(pod: dict) -> bool:
    """A pending pod this scheduler should place now: ours and not held back by
    spec.schedulingGates (kube-scheduler's SchedulingGates pre-enqueue check)."""
    return ours(pod) and not (pod.get("spec") or {}).get("schedulingGates")


def pod_key(pod: dict) -> str:
    return f"{pod['metadata'].get('namespace') or 'default'}/{pod['metadata']['name']}"


def _node_changed(old: dict, new: dict) -> bool:
    """Changes that can make a pod fit (kube-scheduler's nodeSchedulingPropertiesChange):
    not heartbeat timestamps."""
    def props(n: dict) -> tuple:
        spec, status = n.get("spec") or {}, n.get("status") or {}
        conditions = sorted((c.get("type"), c.get("status")) for c in status.get("conditions") or [])
        return (bool(spec.get("unschedulable")), status.get("allocatable"), n["metadata"].get("labels"),
                spec.get("taints"), conditions, n["metadata"].get("annotations"),
                [i.get("names") for i in status.get("images") or []])
    return props(old) != props(new)


class Scheduler:
    def __init__(self, client, pods: Informer, nodes: Informer, *,  # type: ignore[no-untyped-def]
                 namespaces: Informer | None = None, services: Informer | None = None,
                 replicasets: Informer | None = None, recorder=None, rng: random.Random | None = None,
                 queue: SchedulingQueue | None = None, bind_workers: int = 4, elector=None) -> None:
        self.client = client
        self.pods, self.nodes, self.namespaces = pods, nodes, namespaces
        self.services, self.replicasets = services, replicasets
        self.recorder = recorder or NullRecorder()
        self.cache = Cache()
        self.queue = queue or SchedulingQueue()
        self.framework = Framework(default_plugins(spread_selector=self._default_spread_selector), rng=rng)
        self.bind_workers = bind_workers
        self.elector = elector  # None: always schedule (a single scheduler)
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.bound = 0  # binds written (the bench reads it)
        # Preemptors waiting for their victims to go: pod key -> (node name, PodInfo).
        self.nominated: dict[str, tuple[str, PodInfo]] = {}
        pods.add_handler(self._on_pod)
        nodes.add_handler(self._on_node)
        if namespaces is not None:
            namespaces.add_handler(self._on_namespace)
        self.informers = [i for i in (pods, nodes, namespaces, services, replicasets) if i is not None]

    # -- informer handlers: keep the cache and queue current ---------------------------------

    def _on_pod(self, etype: str, pod: dict, old: dict | None) -> None:
        key = pod_key(pod)
        assigned = bool((pod.get("spec") or {}).get("nodeName"))
        terminal = (pod.get("status") or {}).get("phase") in TERMINAL
        if etype == "DELETED" or (assigned and terminal):
            self.queue.delete(key)
            self.nominated.pop(key, None)
            if assigned:
                self.cache.remove_pod(key)
                self.queue.move_all(POD_FREED)
            return
        if assigned:
            self.queue.delete(key)  # bound by us (confirmed) or by someone else
            self.nominated.pop(key, None)
            was_there = old is not None and (old.get("spec") or {}).get("nodeName")
            self.cache.set_pod(pod)
            if not was_there or (old or {}).get("metadata", {}).get("labels") != pod["metadata"].get("labels"):
                self.queue.move_all(POD_ADDED)
            if pod["metadata"].get("deletionTimestamp") and not (old or {}).get("metadata", {}).get("deletionTimestamp"):
                self.queue.move_all(POD_FREED)  # a terminating pod no longer counts for spreading
            return
        if responsible(pod):
            self.queue.add(PodInfo(pod))
        else:
            self.queue.delete(key)
            if ours(pod) and not any(c.get("type") == "PodScheduled" and c.get("reason") == GATED
                                     for c in (pod.get("status") or {}).get("conditions") or []):
                # Gated: shown as SchedulingGated until its gates are removed.
                self._submit(self._write_condition, key, GATED, GATED_MESSAGE)

    def _on_node(self, etype: str, node: dict, old: dict | None) -> None:
        if etype == "DELETED":
            self.cache.remove_node(node["metadata"]["name"])
            return
        self.cache.set_node(node)
        if etype == "ADDED" or old is None or _node_changed(old, node):
            self.queue.move_all()

    def _on_namespace(self, etype: str, ns: dict, old: dict | None) -> None:
        if etype != "DELETED" and (old is None or old["metadata"].get("labels") != ns["metadata"].get("labels")):
            self.queue.move_all(NAMESPACE_CHANGED)

    def _namespace_labels(self) -> dict:
        if self.namespaces is None:
            return {}
        return {ns["metadata"]["name"]: ns["metadata"].get("labels") or {} for ns in self.namespaces.list()}

    def _default_spread_selector(self, pod: PodInfo) -> selectors.Selector | None:
        """helper.DefaultSelector: the selectors of the Services that select the pod, plus
        the selector of the ReplicaSet that owns it."""
        reqs: list = []
        if self.services is not None:
            for svc in self.services.list(pod.namespace):
                sel = (svc.get("spec") or {}).get("selector")
                if sel and selectors.from_set(sel).matches(pod.labels):
                    reqs.extend(selectors.from_set(sel).requirements)
        owner = next((r for r in pod.pod["metadata"].get("ownerReferences") or [] if r.get("controller")), None)
        if owner and owner.get("kind") == "ReplicaSet" and self.replicasets is not None:
            rs = self.replicasets.get(f"{pod.namespace}/{owner.get('name')}")
            if rs is not None:
                try:
                    reqs.extend(selectors.from_label_selector((rs.get("spec") or {}).get("selector")).requirements)
                except ValueError:
                    pass
        if not reqs:
            return None
        return selectors.Selector(tuple(sorted(set(reqs), key=lambda r: (r.key, r.operator, r.values))))

    # -- running -------------------------------------------------------------------------------

    def start(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=self.bind_workers, thread_name_prefix="scheduler-bind")
        if self.elector is not None:
            self.elector.start()
        self._thread = threading.Thread(target=self._run, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.queue.close()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=False)
        if self.elector is not None:
            self.elector.stop()  # after the last bind: hands the Lease over

    @property
    def leading(self) -> bool:
        return self.elector is None or self.elector.leading.is_set()

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.elector is not None and not self.elector.leading.wait(0.2):
                continue  # a standby: informers keep the cache and queue warm
            qp = self.queue.pop(timeout=0.5)
            if qp is None:
                continue
            try:
                self.schedule_one(qp)
            except Exception:  # noqa: BLE001 - one bad pod must not stop the scheduler
                log.exception("scheduling %s failed", qp.key)
                self.queue.add_backoff(qp)

    def _submit(self, fn: Callable, *args) -> None:  # type: ignore[type-arg]
        if self._pool is None:
            fn(*args)  # tests that drive cycles by hand
        else:
            self._pool.submit(fn, *args)

    # -- one cycle -----------------------------------------------------------------------------

    def schedule_one(self, qp: QueuedPod) -> str | None:
        """Place one pod: returns the node it was assumed on, or None."""
        current = self.pods.get(qp.key)
        if current is None or not responsible(current) or self.cache.is_assumed(qp.key):
            self.queue.done(qp.key)
            return None
        info = PodInfo(current) if current is not qp.info.pod else qp.info
        cycle = self.queue.scheduling_cycle
        namespace_labels = self._namespace_labels()
        with self.cache.lock:
            snapshot = self.cache.snapshot(namespace_labels)
            for node_name, nominee in list(self.nominated.values()):
                snapshot.nominated.setdefault(node_name, []).append(nominee)
            try:
                node, _ = self.framework.schedule(info, snapshot)
            except NoNodesAvailable as exc:
                self._submit(self._report_failure, qp, str(exc), None)
                self.queue.add_unschedulable(qp, cycle)
                return None
            except FitError as fit:
                nominated_node = (self.nominated.get(qp.key) or ("",))[0] or (
                    (current.get("status") or {}).get("nominatedNodeName") or "")
                message, candidate = preemption.evaluate(self.framework, info, snapshot, fit, nominated_node)
                fit.post_filter_msg = message
                waiting = message.endswith(preemption.TERMINATING_VICTIM)
                if candidate is not None:
                    self.nominated[qp.key] = (candidate.node, info)
                elif not waiting:  # a preemptor waiting for its victims keeps its nomination
                    self.nominated.pop(qp.key, None)
                plugins = frozenset(s.plugin for s in fit.statuses.values() if s.plugin)
                self._submit(self._report_failure, qp, str(fit), candidate, waiting)
                self.queue.add_unschedulable(qp, cycle, plugins)
                return None
            self.cache.assume(info, node.name)
            self.nominated.pop(qp.key, None)
        self._submit(self._bind, qp, node.name)
        return node.name

    # -- writes (bind pool) ------------------------------------------------------------------------

    def _bind(self, qp: QueuedPod, node_name: str) -> None:
        ns, name = qp.info.namespace, qp.info.name
        try:
            bound = self.client.bind(ns, name, node_name)
        except (errors.NotFound, errors.Conflict) as exc:
            # Deleted, or bound by someone else: the informer tells the cache the truth.
            log.info("binding %s to %s: %s", qp.key, node_name, exc)
            self.cache.forget(qp.key)
            self.queue.done(qp.key)
            return
        except Exception as exc:  # noqa: BLE001 - the store may be busy; try again later
            log.warning("binding %s to %s failed: %s", qp.key, node_name, exc)
            self.cache.forget(qp.key)
            self.queue.move_all(POD_FREED)  # what it held on the node is free again
            self._write_condition(qp.key, "SchedulerError", f"binding rejected: {exc}")
            self.queue.add_backoff(qp)
            return
        self.bound += 1
        self.queue.done(qp.key)
        self.recorder.event(bound, NORMAL, "Scheduled", f"Successfully assigned {ns}/{name} to {node_name}")

    def _report_failure(self, qp: QueuedPod, message: str, candidate: preemption.Candidate | None,
                        keep_nomination: bool = False) -> None:
        pod = self.pods.get(qp.key) or qp.info.pod
        self.recorder.event(pod, WARNING, "FailedScheduling", message)
        nominated = candidate.node if candidate is not None else (None if keep_nomination else "")
        self._write_condition(qp.key, "Unschedulable", message, nominated=nominated)
        if candidate is not None:
            self._preempt(pod, candidate)

    def _write_condition(self, key: str, reason: str, message: str, *, nominated: str | None = None) -> None:
        """PodScheduled=False with the reason and message, written only when it changes
        (kube-scheduler's updatePod), and status.nominatedNodeName: set when preempting,
        cleared ("") when preemption found nothing, untouched with None."""
        ns, name = key.split("/", 1)
        pod = self.pods.get(key)
        for _ in range(5):
            if pod is None or (pod.get("spec") or {}).get("nodeName"):
                return
            status = copy.deepcopy(pod.get("status") or {})
            conditions = status.get("conditions") or []
            old = next((c for c in conditions if c.get("type") == "PodScheduled"), None)
            wanted = {"type": "PodScheduled", "status": "False", "lastProbeTime": None,
                      "lastTransitionTime": meta.now_rfc3339(), "reason": reason, "message": message}
            if old is not None and old.get("status") == "False":
                wanted["lastTransitionTime"] = old.get("lastTransitionTime") or wanted["lastTransitionTime"]
            same = old is not None and all(old.get(k) == wanted[k] for k in ("status", "reason", "message"))
            if same and (nominated is None or (status.get("nominatedNodeName") or "") == nominated):
                return
            status["conditions"] = [c for c in conditions if c.get("type") != "PodScheduled"] + [wanted]
            status.setdefault("phase", "Pending")
            if nominated:
                status["nominatedNodeName"] = nominated
            elif nominated == "":
                status.pop("nominatedNodeName", None)
            try:
                self.client.update_status({**pod, "status": status})
                return
            except errors.Conflict:
                pod = self._refresh(ns, name)
            except errors.NotFound:
                return

    def _refresh(self, ns: str, name: str) -> dict | None:
        try:
            return self.client.get(POD, ns, name)
        except errors.NotFound:
            return None

    def _preempt(self, preemptor: dict, candidate: preemption.Candidate) -> None:
        """Evict the victims: a DisruptionTarget condition saying why, an event, then a
        graceful delete, as kube-scheduler does."""
        uid = preemptor["metadata"].get("uid")
        for victim in candidate.victims:
            pod = victim.pod
            try:
                status = copy.deepcopy(pod.get("status") or {})
                status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != "DisruptionTarget"] + [{
                    "type": "DisruptionTarget", "status": "True", "lastTransitionTime": meta.now_rfc3339(),
                    "reason": "PreemptionByScheduler",
                    "message": f"{NAME}: preempting to accommodate a higher priority pod"}]
                current = self.pods.get(victim.key) or pod
                self.client.update_status({**current, "status": status})
            except (errors.NotFound, errors.Conflict):
                pass
            self.recorder.event(pod, NORMAL, "Preempted", f"Preempted by pod {uid} on node {candidate.node}")
            try:
                self.client.delete(POD, victim.namespace, victim.name)
            except errors.NotFound:
                pass


def default_identity() -> str:
    """This daemon's name in the leader election: the host and its state directory,
    stable across restarts and distinct for two daemons of one machine."""
    import hashlib
    import os
    import socket

    path = os.environ.get("MINIKCTL_HOME") or os.path.join(os.path.expanduser("~"), ".minikctl")
    digest = hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:8]
    return f"{socket.gethostname().split('.')[0]}_{digest}"


def build(client, manager, *, identity: str | None = None, leader_election: bool = True,  # type: ignore[no-untyped-def]
          **kw) -> Scheduler:
    """A scheduler on the controller manager's shared informers, recording events
    through its sink, elected through the kube-system/kube-scheduler Lease. Call before
    manager.start(): informers are asked for here."""
    from minikctl.controllers.events import EventRecorder
    from minikctl.scheduler.leader import LeaderElector

    if leader_election and "elector" not in kw:
        kw["elector"] = LeaderElector(client, identity or default_identity())
    return Scheduler(client, manager.informer("Pod"), manager.informer("Node"),
                     namespaces=manager.informer("Namespace"), services=manager.informer("Service"),
                     replicasets=manager.informer("ReplicaSet"),
                     recorder=EventRecorder(client, NAME, sink=manager.events), **kw)
