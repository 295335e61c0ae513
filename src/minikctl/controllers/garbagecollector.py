"""The garbage collector: cascading deletion through ownerReferences, after Kubernetes'
pkg/controller/garbagecollector.

A graph of every object of every kind (one shared informer per kind), keyed by uid:
each node knows its owners (its ownerReferences) and an index maps an owner's uid to
the uids of its dependents, whether or not the owner itself was ever observed. The
work queue holds uids; sync(uid) is level-triggered and reads the object and its
owners from the API (not the caches) before it acts:

- an object being deleted with the `orphan` finalizer: remove the ownerReferences
  pointing to it from every dependent, then remove the finalizer;
- an object being deleted with the `foregroundDeletion` finalizer ("deleting its
  dependents"): every dependent is queued (and deleted, see below); once no dependent
  with blockOwnerDeletion=true remains, remove the finalizer, and the api layer then
  deletes the object;
- any other object with ownerReferences (attemptToDeleteItem): classify each owner as
  solid (exists, same uid, not waiting for its dependents), dangling (absent, or
  another uid under that name) or waiting for dependents deletion (being deleted in
  the foreground). With a solid owner left, only the dangling and waiting references
  are removed; otherwise the object is deleted: in the foreground when an owner waits
  and the object has dependents of its own, else with the policy its own finalizers
  ask for (background by default). Pods are deleted gracefully: the kubelet finishes
  them.

Queued when: an object is deleted (its dependents: their owner may be dangling), an
object with owners is seen whose owner is not in the graph (after a restart an owner
deleted while the daemon was down is never seen: its dependents are collected on
start), an owner starts deleting in the foreground (it and its dependents), a
dependent of a foreground-deleting owner goes away (the owner), and at every resync.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from minikctl import errors
from minikctl.api import kinds
from minikctl.api.kinds import Kind
from minikctl.controllers.base import Clock, Controller, Informers

log = logging.getLogger(__name__)

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


@dataclass
class Node:
    """What the graph knows of one observed object."""

    kind: Kind
    namespace: str
    name: str
    uid: str
    owners: list[dict] = field(default_factory=list)
    deleting: bool = False
    finalizers: tuple[str, ...] = ()

    @property
    def deleting_dependents(self) -> bool:
        return self.deleting and FOREGROUND in self.finalizers

    @property
    def orphaning(self) -> bool:
        return self.deleting and ORPHAN in self.finalizers

    def ref_to(self, owner_uid: str) -> dict | None:
        return next((r for r in self.owners if r.get("uid") == owner_uid), None)


def _node_of(kind: Kind, obj: dict) -> Node:
    md = obj.get("metadata") or {}
    return Node(kind=kind, namespace=md.get("namespace") or "", name=md.get("name") or "",
                uid=md.get("uid") or "", owners=[dict(r) for r in md.get("ownerReferences") or [] if r.get("uid")],
                deleting=bool(md.get("deletionTimestamp")), finalizers=tuple(md.get("finalizers") or ()))


def owner_kind(ref: dict) -> Kind | None:
    """The Kind an ownerReference names, or None when minikctl serves no such kind."""
    try:
        return kinds.for_object(ref.get("apiVersion", ""), ref.get("kind", ""))
    except errors.MinikctlError:
        try:
            return kinds.by_kind(ref.get("kind", ""))
        except errors.MinikctlError:
            return None


class GarbageCollector(Controller):
    name = "garbage-collector"
    kind = "Pod"  # the base class wants a primary informer; every kind is watched below
    workers = 2

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None, watched: tuple[Kind, ...] = kinds.KINDS) -> None:
        super().__init__(client, informers, clock=clock)
        self.recorder = recorder
        self._lock = threading.RLock()
        self._nodes: dict[str, Node] = {}
        self._dependents: dict[str, set[str]] = {}
        self.informers = []
        for kind in watched:
            inf = informers.informer(kind.kind)
            self.informers.append(inf)
            inf.add_handler(self._handler(kind))

    # -- the graph builder --------------------------------------------------------------------

    def _handler(self, kind: Kind):  # type: ignore[no-untyped-def]
        def handle(etype: str, obj: dict, old: dict | None) -> None:
            if etype == "DELETED":
                self.observe_deleted(kind, obj)
            else:
                self.observe(kind, obj)
        return handle

    def observe(self, kind: Kind, obj: dict) -> None:
        node = _node_of(kind, obj)
        if not node.uid:
            return
        with self._lock:
            before = self._nodes.get(node.uid)
            self._nodes[node.uid] = node
            old_owners = {r["uid"] for r in before.owners} if before else set()
            new_owners = {r["uid"] for r in node.owners}
            for gone in old_owners - new_owners:
                self._unindex(gone, node.uid)
            for owner in new_owners:
                self._dependents.setdefault(owner, set()).add(node.uid)
            unknown_owner = any(o not in self._nodes for o in new_owners)
            owner_waiting = any(self._nodes[o].deleting_dependents for o in new_owners if o in self._nodes)
            dependents = list(self._dependents.get(node.uid, ())) if node.deleting_dependents else []
        if node.deleting and (node.deleting_dependents or node.orphaning):
            self.queue.add(node.uid)
        for dep in dependents:
            self.queue.add(dep)  # deleting in the foreground: every dependent goes first
        if node.owners and (unknown_owner or owner_waiting) and not node.deleting:
            self.queue.add(node.uid)
        for owner in old_owners - new_owners:
            # A reference went away: an owner waiting for this dependent may be done.
            self._enqueue_if_waiting(owner)

    def observe_deleted(self, kind: Kind, obj: dict) -> None:
        uid = (obj.get("metadata") or {}).get("uid") or ""
        with self._lock:
            node = self._nodes.pop(uid, None)
            owners = [r["uid"] for r in node.owners] if node else []
            for owner in owners:
                self._unindex(owner, uid)
            dependents = list(self._dependents.get(uid, ()))
        for dep in dependents:
            self.queue.add(dep)  # their owner is gone: collect them, or drop the reference
        for owner in owners:
            self._enqueue_if_waiting(owner)

    def _unindex(self, owner: str, dependent: str) -> None:
        deps = self._dependents.get(owner)
        if deps is not None:
            deps.discard(dependent)
            if not deps:
                self._dependents.pop(owner, None)

    def _enqueue_if_waiting(self, owner_uid: str) -> None:
        with self._lock:
            owner = self._nodes.get(owner_uid)
        if owner is not None and owner.deleting_dependents:
            self.queue.add(owner_uid)

    # -- graph reads ----------------------------------------------------------------------------

    def node(self, uid: str) -> Node | None:
        with self._lock:
            return self._nodes.get(uid)

    def dependents(self, uid: str) -> list[Node]:
        with self._lock:
            return [self._nodes[d] for d in self._dependents.get(uid, ()) if d in self._nodes]

    def blocking_dependents(self, uid: str) -> list[Node]:
        """Dependents still present whose reference to `uid` has blockOwnerDeletion."""
        return [d for d in self.dependents(uid) if (d.ref_to(uid) or {}).get("blockOwnerDeletion")]

    def resync(self) -> None:
        with self._lock:
            uids = [n.uid for n in self._nodes.values()
                    if (n.owners and not n.deleting) or n.deleting_dependents or n.orphaning]
        for uid in uids:
            self.queue.add(uid)

    # -- sync -----------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        node = self.node(key)
        if node is None:
            return  # gone: its dependents were queued when it went
        latest = self._get(node.kind, node.namespace, node.name, node.uid)
        if latest is None:
            return  # deleted (or replaced) since: the informer will say so
        md = latest["metadata"]
        if md.get("deletionTimestamp"):
            finalizers = md.get("finalizers") or []
            if ORPHAN in finalizers:
                self.orphan_dependents(node)
            if FOREGROUND in finalizers:
                self.process_deleting_dependents(node)
            return  # being deleted already: nothing more to collect
        if md.get("ownerReferences"):
            self.attempt_to_delete(node, latest)

    def _get(self, kind: Kind, namespace: str, name: str, uid: str | None = None) -> dict | None:
        try:
            obj = self.client.get(kind, namespace, name)
        except errors.NotFound:
            return None
        if uid and obj["metadata"].get("uid") != uid:
            return None
        return obj

    def classify(self, node: Node, refs: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
        """(solid, dangling, waiting-for-dependents-deletion) owner references, checked
        against the API: an owner is absent when no object of its kind and name has its uid."""
        solid, dangling, waiting = [], [], []
        for ref in refs:
            kind = owner_kind(ref)
            if kind is None:
                # Kubernetes retries until discovery knows the kind; minikctl serves a fixed
                # set of kinds, so an unknown one can never be checked: keep the object.
                log.warning("%s: %s %s/%s has an owner of unknown kind %s/%s; leaving it", self.name,
                            node.kind.kind, node.namespace, node.name, ref.get("apiVersion"), ref.get("kind"))
                solid.append(ref)
                continue
            if kind.namespaced and not node.namespace:
                # A cluster-scoped object cannot be owned by a namespaced one.
                dangling.append(ref)
                continue
            owner = self._get(kind, node.namespace if kind.namespaced else "", ref.get("name", ""), ref.get("uid"))
            if owner is None:
                dangling.append(ref)
            elif owner["metadata"].get("deletionTimestamp") and FOREGROUND in (owner["metadata"].get("finalizers") or []):
                waiting.append(ref)
            else:
                solid.append(ref)
        return solid, dangling, waiting

    def attempt_to_delete(self, node: Node, latest: dict) -> None:
        refs = latest["metadata"].get("ownerReferences") or []
        solid, dangling, waiting = self.classify(node, refs)
        if solid:
            if dangling or waiting:
                # A live owner keeps the object: only the references to the others go.
                drop = {r.get("uid") for r in dangling + waiting}
                log.info("%s: removing references to %s from %s %s/%s", self.name, sorted(drop),
                         node.kind.kind, node.namespace, node.name)
                self._modify(node, lambda md: _drop_refs(md, drop))
            return
        if waiting and self.dependents(node.uid):
            policy = "Foreground"
        else:
            finalizers = latest["metadata"].get("finalizers") or []
            policy = "Orphan" if ORPHAN in finalizers else "Foreground" if FOREGROUND in finalizers else "Background"
        log.info("%s: deleting %s %s/%s (propagation %s): no owner left", self.name, node.kind.kind,
                 node.namespace, node.name, policy)
        try:
            self.client.delete(node.kind, node.namespace, node.name, propagation=policy)
        except errors.NotFound:
            pass

    def process_deleting_dependents(self, node: Node) -> None:
        """An owner deleted in the foreground: done when no blocking dependent remains."""
        blocking = self.blocking_dependents(node.uid)
        if not blocking:
            log.info("%s: %s %s/%s has no blocking dependents left; removing %s", self.name,
                     node.kind.kind, node.namespace, node.name, FOREGROUND)
            self.remove_finalizer(node, FOREGROUND)
            return
        for dep in blocking:
            if not dep.deleting_dependents:
                self.queue.add(dep.uid)

    def orphan_dependents(self, node: Node) -> None:
        """Remove every reference to `node` from its dependents, then the orphan finalizer."""
        failure: Exception | None = None
        for dep in self.dependents(node.uid):
            try:
                self._modify(dep, lambda md: _drop_refs(md, {node.uid}))
            except Exception as exc:  # noqa: BLE001 - the others still get orphaned; raised below
                failure = failure or exc
        if failure is not None:
            raise failure
        self.remove_finalizer(node, ORPHAN)

    def remove_finalizer(self, node: Node, finalizer: str) -> None:
        def drop(md: dict) -> None:
            rest = [f for f in md.get("finalizers") or [] if f != finalizer]
            if rest:
                md["finalizers"] = rest
            else:
                md.pop("finalizers", None)
        self._modify(node, drop)

    def _modify(self, node: Node, change) -> None:  # type: ignore[no-untyped-def]
        def guarded(obj: dict) -> None:
            if obj["metadata"].get("uid") != node.uid:
                raise errors.NotFound(node.kind.resource, node.name)  # replaced: not ours to touch
            change(obj["metadata"])
        try:
            self.client.modify(node.kind, node.namespace, node.name, guarded)
        except errors.NotFound:
            pass


def _drop_refs(md: dict, uids: set) -> None:
    refs = [r for r in md.get("ownerReferences") or [] if r.get("uid") not in uids]
    if refs:
        md["ownerReferences"] = refs
    else:
        md.pop("ownerReferences", None)
