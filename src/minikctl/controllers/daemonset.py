"""The DaemonSet controller, after pkg/controller/daemon (1.32): one pod per eligible node.

sync_daemonset(key):

    get the DaemonSet from the cache (gone: forget its expectations, done)
    -> its history: the revision of the current template (found, renumbered when rolled
       back to, or created); its hash labels the pods (controller-revision-hash)
    -> expectations satisfied? (else our last creates/deletes are not in the cache yet)
    -> claim its pods, map them to nodes (bound node, or the node their affinity pins)
    -> manage: create a pod on each eligible node without one, delete pods on nodes that
       no longer fit (or are gone), failed pods (with a per-node backoff), extras
    -> RollingUpdate: replace old-revision pods within maxUnavailable / maxSurge
    -> history truncated to revisionHistoryLimit; status written when it changed.

Eligibility and pinning are daemonset_nodes.py; the pure rollout arithmetic is
daemonset_update.py.
"""
from __future__ import annotations

import copy
import logging

from minikctl import errors
from minikctl.api import kinds, meta, selectors, templategeneration
from minikctl.controllers import daemonset_nodes as dn
from minikctl.controllers import daemonset_update as du
from minikctl.controllers import ownership, pods
from minikctl.controllers.base import Clock, Controller, Informers
from minikctl.controllers.events import NORMAL, WARNING, EventRecorder
from minikctl.controllers.expectations import Expectations, _Expected
from minikctl.controllers.history import HASH_LABEL, History, revision_name
from minikctl.machinery.informer import key_of

log = logging.getLogger(__name__)

BURST_REPLICAS = 250
# DaemonSetStatus fields serialised with omitempty.
_OMIT_EMPTY = ("numberAvailable", "numberUnavailable", "updatedNumberScheduled", "collisionCount",
               "observedGeneration")
# failedPodsBackoff: 1 s doubling up to 15 minutes, per DaemonSet and node.
BACKOFF_INITIAL, BACKOFF_MAX = 1.0, 15 * 60.0


class DaemonSetExpectations(Expectations):
    """SetExpectations(key, add, del): creations and deletions expected together."""

    def expect(self, key: str, adds: int, delete_keys: list[str]) -> None:
        with self._lock:
            self._items[key] = _Expected(add=adds, delete=len(set(delete_keys)), timestamp=self._clock(),
                                         delete_keys=set(delete_keys))


class DaemonSetController(Controller):
    name = "daemonset-controller"
    kind = "DaemonSet"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None, burst_replicas: int = BURST_REPLICAS) -> None:
        super().__init__(client, informers, clock=clock)
        self.ds_kind = kinds.by_kind("DaemonSet")
        self.pod_kind = kinds.by_kind("Pod")
        self.sets = self.primary
        self.pods = informers.informer("Pod")
        self.nodes = informers.informer("Node")
        self.revisions = informers.informer("ControllerRevision")
        self.informers += [self.pods, self.nodes, self.revisions]
        self.history = History(client, lambda ns: self.revisions.list(ns))
        self.expectations = DaemonSetExpectations(clock=self.clock.monotonic)
        self.recorder = recorder or EventRecorder(client, self.name, clock=self.clock)
        self.burst_replicas = burst_replicas
        self._backoff: dict[tuple[str, str], tuple[float, float]] = {}  # (ds, node) -> (delay, since)
        self.sets.add_handler(self.handle_daemonset_event)
        self.pods.add_handler(self.handle_pod_event)
        self.nodes.add_handler(self.handle_node_event)
        self.revisions.add_handler(self.handle_revision_event)

    # -- event handlers ---------------------------------------------------------------------

    def handle_daemonset_event(self, etype: str, ds: dict, old: dict | None) -> None:
        if etype == "DELETED":
            self.expectations.delete(key_of(ds))
        self.enqueue(ds)

    def handle_pod_event(self, etype: str, pod: dict, old: dict | None) -> None:
        if old is not None and old["metadata"].get("resourceVersion") == pod["metadata"].get("resourceVersion"):
            return
        owner = self._owner(pod)
        if owner is None:
            if etype != "DELETED":
                for ds in self._matching_sets(pod):
                    self.enqueue(ds)
            if old is not None and (previous := self._owner(old)) is not None:
                self.enqueue(previous)
            return
        key = key_of(owner)
        if etype == "DELETED" or pod["metadata"].get("deletionTimestamp"):
            self.expectations.deletion_observed(key, pods.pod_key(pod))
        elif etype == "ADDED" or old is None:
            self.expectations.creation_observed(key)
        self.enqueue(owner)
        min_ready = int(owner["spec"].get("minReadySeconds") or 0)
        if min_ready and old is not None and not pods.is_pod_ready(old) and pods.is_pod_ready(pod):
            self.enqueue_after(owner, min_ready + 1)

    def handle_node_event(self, etype: str, node: dict, old: dict | None) -> None:
        if old is not None and not _node_changed(old, node):
            return
        for ds in self.sets.list():
            self.enqueue(ds)

    def handle_revision_event(self, _etype: str, revision: dict, _old: dict | None) -> None:
        owner = self._owner(revision)
        if owner is not None:
            self.enqueue(owner)

    def _owner(self, obj: dict) -> dict | None:
        return ownership.resolve_controller_ref(ownership.controller_of(obj), self.kind, self.sets.get,
                                                meta.namespace_of(obj))

    def _matching_sets(self, pod: dict) -> list[dict]:
        return ownership.selecting(self.sets.list(meta.namespace_of(pod)), pod)

    # -- sync -------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        self.sync_daemonset(key)

    def sync_daemonset(self, key: str) -> None:
        cached = self.sets.get(key)
        if cached is None:
            self.expectations.delete(key)
            return
        ds = copy.deepcopy(cached)
        selector = ownership.spec_selector(ds)
        if selector is None or selector.empty():
            log.error("%s: DaemonSet %s has an invalid or empty selector; not syncing it", self.name, key)
            return
        if ds["metadata"].get("deletionTimestamp"):
            return  # the garbage collector deletes its pods; nothing to create
        nodes = self.nodes.list()
        revisions = self.history.owned(ds, selector, self.ds_kind)
        status = ds.get("status") or {}
        _, update, collisions = self.history.current_and_update(ds, revisions, int(status.get("collisionCount") or 0),
                                                                None)
        hash_ = meta.labels_of(update).get(HASH_LABEL, "")
        node_pods = self.pods_by_node(ds, selector)
        error: Exception | None = None
        satisfied = self.expectations.satisfied(key)
        if satisfied:
            try:
                acted = self.manage(ds, nodes, node_pods, hash_)
                if not acted and du.is_rolling_update(ds):
                    self.rolling_update(ds, nodes, node_pods, hash_)
            except Exception as exc:  # noqa: BLE001 - status is still written, then retried
                error = exc
        live = {meta.name_of(update)} | {revision_name(meta.name_of(ds), meta.labels_of(p).get(HASH_LABEL, ""))
                                         for ps in node_pods.values() for p in ps}
        self.history.truncate(ds, [r for r in revisions if meta.name_of(r) != meta.name_of(update)] + [update], live)
        # Waiting on expectations, this generation was not acted on: observedGeneration stays.
        self.write_status(ds, du.calculate_status(ds, nodes, node_pods, hash_, self.clock.now()), collisions,
                          observed=satisfied)
        if error is not None:
            raise error
        self._requeue_for_availability(ds, node_pods)

    def pods_by_node(self, ds: dict, selector: selectors.Selector) -> dict[str, list[dict]]:
        """getNodesToDaemonPods: claimed pods by target node (terminal pods already
        being deleted no longer count)."""
        manager = ownership.RefManager(self.client, ds, selector, self.pod_kind,
                                       ownership.recheck_deletion(self.client, self.ds_kind, ds))
        claimed = manager.claim(self.pods.list(meta.namespace_of(ds)))
        out: dict[str, list[dict]] = {}
        for pod in claimed:
            if pod["metadata"].get("deletionTimestamp") and _is_terminal(pod):
                continue
            node = dn.target_node(pod)
            if node is not None:
                out.setdefault(node, []).append(pod)
        return out

    # -- manage -----------------------------------------------------------------------------

    def manage(self, ds: dict, nodes: list[dict], node_pods: dict[str, list[dict]], hash_: str) -> bool:
        """manage: nodes that need a pod, pods that must go. True if it acted."""
        template_spec = (ds["spec"].get("template") or {}).get("spec") or {}
        to_create: list[str] = []
        to_delete: list[dict] = []
        names = {meta.name_of(n) for n in nodes}
        for node in nodes:
            run, keep = dn.should_run(template_spec, node)
            create, delete = self.pods_should_be_on_node(ds, node, run, keep, node_pods.get(meta.name_of(node), []),
                                                         hash_)
            to_create += create
            to_delete += delete
        # Pods pinned to (or bound on) a node that no longer exists go too (pod GC's job
        # in Kubernetes for bound ones; minikctl has no separate pod GC).
        for node_name, on_node in node_pods.items():
            if node_name not in names:
                to_delete += [p for p in on_node if not p["metadata"].get("deletionTimestamp")]
        if not to_create and not to_delete:
            return False
        self.sync_nodes(ds, to_delete, to_create, hash_)
        return True

    def pods_should_be_on_node(self, ds: dict, node: dict, run: bool, keep: bool, daemon_pods: list[dict],
                               hash_: str) -> tuple[list[str], list[dict]]:
        node_name = meta.name_of(node)
        if run and not daemon_pods:
            return [node_name], []
        # A pod still terminating on the node holds its place: the new one comes after it.
        if not keep:
            return [], [p for p in daemon_pods if not p["metadata"].get("deletionTimestamp")]
        to_delete, running = [], []
        for pod in daemon_pods:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            phase = (pod.get("status") or {}).get("phase")
            if phase == "Failed":
                if self._in_backoff(ds, node_name):
                    continue
                self.recorder.event(ds, WARNING, "FailedDaemonPod", f"Found failed daemon pod "
                                    f"{meta.namespace_of(pod)}/{meta.name_of(pod)} on node {node_name}, will try to kill it")
                to_delete.append(pod)
            elif phase == "Succeeded":
                to_delete.append(pod)
            else:
                running.append(pod)
        to_delete += du.extra_pods(ds, running, hash_, self.clock.now())
        return [], to_delete

    def _in_backoff(self, ds: dict, node_name: str) -> bool:
        """failedPodsBackoff: a pod that keeps failing on a node is replaced ever more slowly."""
        key, now = (key_of(ds), node_name), self.clock.monotonic()
        delay, since = self._backoff.get(key, (0.0, 0.0))
        if delay and now - since < delay:
            self.enqueue_after(ds, delay - (now - since))
            return True
        self._backoff[key] = (min(max(delay * 2, BACKOFF_INITIAL), BACKOFF_MAX), now)
        return False

    def sync_nodes(self, ds: dict, to_delete: list[dict], nodes_needing: list[str], hash_: str) -> None:
        """syncNodes: expectations first, then creations (slow start) and deletions."""
        key = key_of(ds)
        nodes_needing = nodes_needing[:self.burst_replicas]
        to_delete = to_delete[:self.burst_replicas]
        self.expectations.expect(key, len(nodes_needing), [pods.pod_key(p) for p in to_delete])
        first_error: Exception | None = None
        created, batch, index = 0, 1, 0
        while index < len(nodes_needing):
            chunk = nodes_needing[index:index + batch]
            failed = False
            for node_name in chunk:
                try:
                    self.create_pod(ds, node_name, hash_)
                    created += 1
                except Exception as exc:  # noqa: BLE001 - reported after the deletions
                    self.expectations.creation_observed(key)
                    first_error = first_error or exc
                    failed = True
            index += len(chunk)
            if failed:
                for _ in nodes_needing[index:]:  # never attempted: never observed
                    self.expectations.creation_observed(key)
                break
            batch *= 2
        for pod in to_delete:
            try:
                self.delete_pod(ds, pod)
            except Exception as exc:  # noqa: BLE001
                self.expectations.deletion_observed(key, pods.pod_key(pod))
                if not isinstance(exc, errors.NotFound):
                    first_error = first_error or exc
        if first_error is not None:
            raise first_error

    def create_pod(self, ds: dict, node_name: str, hash_: str) -> None:
        template = copy.deepcopy(ds["spec"].get("template") or {})
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        labels[HASH_LABEL] = hash_
        if templategeneration.of(ds):
            labels[templategeneration.POD_LABEL] = templategeneration.of(ds)
        template["spec"] = dn.with_daemon_tolerations(template.get("spec") or {})
        dn.pin_to_node(template["spec"], node_name)
        pod = pods.pod_from_template(template, ds, ownership.controller_ref(ds))
        try:
            created = self.client.create(pod)
        except Exception as exc:
            self.recorder.event(ds, WARNING, "FailedCreate", f"Error creating: {exc}")
            if isinstance(exc, errors.Forbidden) and "being terminated" in str(exc):
                return  # the namespace is going away: every create would fail, don't retry
            raise
        self.recorder.event(ds, NORMAL, "SuccessfulCreate", f"Created pod: {meta.name_of(created)}")

    def delete_pod(self, ds: dict, pod: dict) -> None:
        try:
            self.client.delete(self.pod_kind, meta.namespace_of(pod), meta.name_of(pod))
        except errors.NotFound:
            raise
        except Exception as exc:
            self.recorder.event(ds, WARNING, "FailedDelete", f"Error deleting: {exc}")
            raise
        self.recorder.event(ds, NORMAL, "SuccessfulDelete", f"Deleted pod: {meta.name_of(pod)}")

    # -- rolling update ---------------------------------------------------------------------

    def rolling_update(self, ds: dict, nodes: list[dict], node_pods: dict[str, list[dict]], hash_: str) -> None:
        to_delete, to_create = du.rolling_update_plan(ds, nodes, node_pods, hash_, self.clock.now())
        if to_delete or to_create:
            self.sync_nodes(ds, to_delete, to_create, hash_)

    # -- status -----------------------------------------------------------------------------

    def write_status(self, ds: dict, status: dict, collisions: int, *, observed: bool = True) -> None:
        """Write status only when it changed; zero counts Kubernetes omits are dropped."""
        old_generation = int((ds.get("status") or {}).get("observedGeneration") or 0)
        generation = int(ds["metadata"].get("generation") or 0) if observed else old_generation
        status = {**status, "observedGeneration": generation, "collisionCount": collisions}
        computed = set(status)
        status = {k: v for k, v in status.items() if v or k not in _OMIT_EMPTY}
        old = ds.get("status") or {}
        new = {**{k: v for k, v in old.items() if k not in computed}, **status}
        if new == old:
            return
        ds["status"] = new
        ds["metadata"].pop("resourceVersion", None)
        try:
            self.client.update_status(ds)
        except errors.NotFound:
            pass

    def _requeue_for_availability(self, ds: dict, node_pods: dict[str, list[dict]]) -> None:
        min_ready = int(ds["spec"].get("minReadySeconds") or 0)
        now = self.clock.now()
        if min_ready and any(pods.is_pod_ready(p) and not pods.is_pod_available(p, min_ready, now)
                             for ps in node_pods.values() for p in ps):
            self.enqueue_after(ds, min_ready)


def _is_terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _node_changed(old: dict, new: dict) -> bool:
    """nodeInSameCondition aside: labels, taints or unschedulable changed."""
    return (meta.labels_of(old) != meta.labels_of(new)
            or (old.get("spec") or {}).get("taints") != (new.get("spec") or {}).get("taints")
            or (old.get("spec") or {}).get("unschedulable") != (new.get("spec") or {}).get("unschedulable"))

