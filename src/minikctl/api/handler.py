"""The request pipeline every caller goes through: validate -> default -> admit -> store.

It gives the store Kubernetes semantics: metadata managed by the server (uid,
creationTimestamp, generation bumped only on spec change), status writable only through
the status subresource, no-op updates that write nothing, namespaces that must exist,
finalizers and graceful pod deletion.
"""
from __future__ import annotations

import copy
import random
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from minikctl import errors
from minikctl.api import (allocation, defaults, kinds, meta, priority, serviceaccounts, storageprotection,
                          templategeneration, tolerations, validation)
from minikctl.api.kinds import Kind
from minikctl.client.modify import Modifiable
from minikctl.store.store import DELETED, Store

# Kinds whose status is written only through the status subresource (create and
# update of the main resource ignore it), as Kubernetes' registry strategies do.
STATUS_SUBRESOURCE = {
    "Pod", "Service", "Namespace", "Node", "PersistentVolumeClaim",
    "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob",
    "PodDisruptionBudget",
}
# Kinds whose metadata.generation tracks spec changes.
GENERATION = {"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob", "PersistentVolumeClaim",
              "PodDisruptionBudget"}
# The field selectors Kubernetes supports beyond metadata.name and metadata.namespace.
FIELD_LABELS = {
    "Pod": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"},
    "Event": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
              "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
              "reason", "reportingComponent", "source", "type"},
    "Secret": {"type"},
    "Namespace": {"status.phase"},
    "Node": {"spec.unschedulable"},
    "ReplicaSet": {"status.replicas"},
    "Job": {"status.successful"},
}
# Namespaces the API server refuses to delete.
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")
# Kubernetes refuses a request body above this (etcd's limit is lower still).
MAX_OBJECT_BYTES = 3 * 1024 * 1024
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


class Api(Modifiable):
    # The API server's --default-{not-ready,unreachable}-toleration-seconds (the daemon sets them).
    default_toleration_seconds: tuple[int, int] = (tolerations.DEFAULT_SECONDS, tolerations.DEFAULT_SECONDS)

    def __init__(self, store: Store, *, warn: Callable[[str], None] | None = None) -> None:
        self.store = store
        self.warn = warn or (lambda _m: None)

    # -- reads -----------------------------------------------------------------------

    def get(self, kind: Kind, namespace: str, name: str) -> dict:
        return self.store.get(kind.resource, _ns(kind, namespace), name)

    def list(
        self, kind: Kind, namespace: str | None = None, *, label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> tuple[list[dict], int]:
        match = self._matcher(kind, label_selector, field_selector)
        return self.store.list(kind.resource, namespace if kind.namespaced else None, match=match)

    def watch(
        self, kind: Kind, namespace: str | None, since: int, *, label_selector: str | None = None,
        field_selector: str | None = None, timeout: float | None = None, stop: Any = None,
    ) -> Iterator[tuple[str, dict]]:
        """(type, object) pairs after revision `since`, until `timeout` seconds pass or
        the `stop` event (a threading.Event) is set. Gone if `since` was compacted."""
        import time

        match = self._matcher(kind, label_selector, field_selector)
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.store.watch(since, resource=kind.resource,
                              namespace=namespace if kind.namespaced else None) as w:
            # A stop that can say when it is set (machinery.stopping.StopEvent) wakes the
            # wait at once; a plain Event is seen within a second.
            unhook = stop.on_set(w.interrupt) if hasattr(stop, "on_set") else None
            try:
                while (deadline is None or time.monotonic() < deadline) and not (stop is not None and stop.is_set()):
                    wait = 1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic()))
                    for event in w.next(wait):
                        if match is None or match(event.object):
                            yield event.type, event.object
            finally:
                if unhook is not None:
                    unhook()

    def _matcher(self, kind: Kind, label_selector: str | None, field_selector: str | None):  # type: ignore[no-untyped-def]
        if not label_selector and not field_selector:
            return None
        from minikctl.api import selectors

        try:
            labels = selectors.parse(label_selector) if label_selector else None
            fields = selectors.parse_fields(field_selector) if field_selector else None
        except ValueError as exc:
            raise errors.BadRequest(str(exc)) from exc
        if fields is not None:
            allowed = {"metadata.name", "metadata.namespace"} | FIELD_LABELS.get(kind.kind, set())
            for f in fields.fields():
                if f not in allowed:
                    raise errors.BadRequest(f'"{f}" is not a known field selector: only "' + '", "'.join(sorted(allowed)) + '"')

        def match(obj: dict) -> bool:
            return (labels is None or labels.matches(meta.labels_of(obj))) and (fields is None or fields.matches(obj))

        return match

    # -- writes ----------------------------------------------------------------------

    def create(self, obj: Any, *, namespace: str | None = None, dry_run: bool = False) -> dict:
        obj = copy.deepcopy(obj)
        kind, causes, warnings = validation.validate(obj)
        md = obj.setdefault("metadata", {})
        self._place(kind, md, namespace)
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + "".join(random.choice(_NAME_CHARS) for _ in range(5))
        if not md.get("name") and not any(c.field == "metadata.name" for c in causes):
            causes.insert(0, errors.Cause("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"))
        if causes:
            raise errors.Invalid(kind.kind, md.get("name") or "", causes, kind.group)
        if md.get("resourceVersion"):
            raise errors.BadRequest("resourceVersion should not be set on objects to be created")
        for w in warnings:
            self.warn(w)
        md["uid"] = str(uuid.uuid4())
        md["creationTimestamp"] = meta.now_rfc3339()
        for server_only in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            md.pop(server_only, None)
        if kind.kind in GENERATION:
            md["generation"] = 1
        if kind.kind == "DaemonSet":
            templategeneration.on_create(obj)
        if kind.kind in STATUS_SUBRESOURCE and kind.kind != "Node":
            obj.pop("status", None)
        defaults.apply_defaults(kind, obj)
        if kind.kind == "Pod":
            obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj["spec"])}
            tolerations.add_default_tolerations(obj, *self.default_toleration_seconds)  # DefaultTolerationSeconds
        self._check_size(kind, obj)
        self._admit(kind, md)
        if kind.kind == "Pod":
            priority.admit_pod(self.store, obj)  # Priority admission: spec.priority from its class
            serviceaccounts.admit_pod(self, obj, dry_run=dry_run)  # ServiceAccount admission
        elif kind.kind == "PersistentVolumeClaim":
            storageprotection.admit_claim(obj)  # StorageObjectInUseProtection
        with allocation.service_write(self.store, obj, dry_run=dry_run):  # Service IPs and node ports
            if dry_run:
                return obj
            return self.store.create(kind.resource, _ns(kind, md.get("namespace")), md["name"], obj)

    def update(self, obj: Any, *, namespace: str | None = None, dry_run: bool = False,
               subresource: str | None = None) -> dict:
        """PUT: replace the object (or, with subresource="status", only its status).
        A resourceVersion in the object is a precondition; without one the update
        retries on conflict against the latest version, as Kubernetes does."""
        obj = copy.deepcopy(obj)
        kind = validation.kind_of(obj)
        md = obj.setdefault("metadata", {})
        self._place(kind, md, namespace)
        expect_rv = md.get("resourceVersion") or None
        for _ in range(100):
            old = self.store.get(kind.resource, _ns(kind, md.get("namespace")), md.get("name", ""))
            # A stale precondition fails even when the write would change nothing.
            if expect_rv and old["metadata"].get("resourceVersion") != str(expect_rv):
                raise errors.Conflict(kind.resource, md.get("name", ""))
            new = self._next_version(kind, old, allocation.patch_update(obj, old), subresource)
            if new == old:
                return old  # a no-op write changes nothing, not even resourceVersion
            if _finalized(new):
                return self._remove(kind, new, old, dry_run)
            try:
                with allocation.service_write(self.store, new, old, dry_run=dry_run):
                    if dry_run:
                        return new
                    return self.store.update(kind.resource, _ns(kind, md.get("namespace")), md["name"], new,
                                             expect_rv=expect_rv or old["metadata"]["resourceVersion"])
            except errors.Conflict:
                if expect_rv:
                    raise
        raise errors.Conflict(kind.resource, md.get("name", ""))

    def update_status(self, obj: dict, **kw: Any) -> dict:
        return self.update(obj, subresource="status", **kw)

    def bind(self, namespace: str, name: str, node_name: str) -> dict:
        """pods/binding: the scheduler's one way to set spec.nodeName (an ordinary update
        may not change it). Also records PodScheduled=True, as the API server does."""
        kind = kinds.by_kind("Pod")
        for _ in range(100):
            pod = self.get(kind, namespace, name)
            if (pod.get("spec") or {}).get("nodeName"):
                raise errors.Conflict("pods", name, detail=f"pod {name} is already assigned to node "
                                                          f"\"{pod['spec']['nodeName']}\"")
            new = copy.deepcopy(pod)
            new["spec"]["nodeName"] = node_name
            status = new.setdefault("status", {})
            conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
            conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                               "lastTransitionTime": meta.now_rfc3339()})
            status["conditions"] = conditions
            try:
                return self.store.update("pods", namespace, name, new, expect_rv=pod["metadata"]["resourceVersion"])
            except errors.Conflict:
                continue
        raise errors.Conflict("pods", name)

    def _next_version(self, kind: Kind, old: dict, obj: dict, subresource: str | None) -> dict:
        if subresource == "status":
            new = copy.deepcopy(old)
            new["status"] = obj.get("status")
            if new["status"] is None:
                new.pop("status")
            return new
        _, causes, warnings = validation.validate(obj, old)
        if causes:
            raise errors.Invalid(kind.kind, meta.name_of(obj), causes, kind.group)
        for w in warnings:
            self.warn(w)
        new = copy.deepcopy(obj)
        md, old_md = new["metadata"], old["metadata"]
        for server_owned in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
            if server_owned in old_md:
                md[server_owned] = old_md[server_owned]
            else:
                md.pop(server_owned, None)
        md["resourceVersion"] = old_md["resourceVersion"]
        if kind.kind in STATUS_SUBRESOURCE:
            if "status" in old:
                new["status"] = old["status"]
            else:
                new.pop("status", None)
        defaults.apply_defaults(kind, new)
        if kind.kind in GENERATION and new.get("spec") != old.get("spec"):
            md["generation"] = int(old_md.get("generation", 0)) + 1
        if kind.kind == "DaemonSet":
            templategeneration.on_update(old, new)
        self._check_size(kind, new)
        return new

    def delete(self, kind: Kind, namespace: str, name: str, *, dry_run: bool = False,
               propagation: str | None = None, grace_period: int | None = None,
               expect_rv: str | None = None) -> dict:
        """Delete as Kubernetes does: objects with finalizers, pods bound to a node and
        namespaces are marked (deletionTimestamp) and finished by their controller;
        everything else goes at once. Dependents are the garbage collector's job.
        Without a resourceVersion precondition, a write racing ours (a kubelet's status
        update) is retried against the new version rather than reported."""
        for _ in range(100):
            try:
                return self._delete_once(kind, namespace, name, dry_run=dry_run, propagation=propagation,
                                         grace_period=grace_period, expect_rv=expect_rv)
            except errors.Conflict:
                if expect_rv is not None:
                    raise
        raise errors.Conflict(kind.resource, name)

    def _delete_once(self, kind: Kind, namespace: str, name: str, *, dry_run: bool,
                     propagation: str | None, grace_period: int | None, expect_rv: str | None) -> dict:
        ns = _ns(kind, namespace)
        old = self.store.get(kind.resource, ns, name)
        if expect_rv is not None and old["metadata"].get("resourceVersion") != expect_rv:
            raise errors.Conflict(kind.resource, name)
        if kind.kind == "Namespace" and name in PROTECTED_NAMESPACES:
            raise errors.Forbidden(f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                                   kind="namespaces", name=name)
        new = copy.deepcopy(old)
        md = new["metadata"]
        finalizers = list(md.get("finalizers") or [])
        if propagation in ("Foreground", "Orphan"):
            special = "foregroundDeletion" if propagation == "Foreground" else "orphan"
            if special not in finalizers:
                finalizers.append(special)
        graceful = kind.kind == "Pod" and _pod_needs_grace(old, grace_period)
        if not finalizers and not graceful and kind.kind != "Namespace":
            if dry_run:
                return old
            return allocation.released(self.store, self.store.delete(kind.resource, ns, name,
                                                                     expect_rv=old["metadata"]["resourceVersion"]))
        if md.get("deletionTimestamp") and md.get("finalizers") == (finalizers or None):
            return old  # already being deleted
        md["finalizers"] = finalizers or None
        if md["finalizers"] is None:
            md.pop("finalizers")
        md.setdefault("deletionTimestamp", meta.now_rfc3339())
        if kind.kind == "Pod":
            grace = grace_period if grace_period is not None else (old.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
            # An unbound pod has no kubelet to finish it: 0 lets the last finalizer's
            # removal delete it, as for any other object.
            md["deletionGracePeriodSeconds"] = int(grace) if graceful else 0
        else:
            md["deletionGracePeriodSeconds"] = 0
        if kind.kind == "Namespace":
            new.setdefault("status", {})["phase"] = "Terminating"
        if dry_run:
            return new
        return self.store.update(kind.resource, ns, name, new, expect_rv=old["metadata"]["resourceVersion"])

    def finish_delete(self, kind: Kind, namespace: str, name: str, *, uid: str | None = None) -> dict:
        """The last step of a graceful deletion (the kubelet, once the pod's processes
        are gone; controllers once their finalizer work is done)."""
        ns = _ns(kind, namespace)
        old = self.store.get(kind.resource, ns, name)
        if uid and old["metadata"].get("uid") != uid:
            raise errors.Conflict(kind.resource, name, detail="the UID in the precondition does not match")
        return allocation.released(self.store, self.store.delete(kind.resource, ns, name,
                                                                 expect_rv=old["metadata"]["resourceVersion"]))

    def _remove(self, kind: Kind, new: dict, old: dict, dry_run: bool) -> dict:
        if dry_run:
            return new
        return allocation.released(self.store, self.store.delete(kind.resource, _ns(kind, meta.namespace_of(old)),
                                                                 meta.name_of(old), expect_rv=old["metadata"]["resourceVersion"]))

    # -- helpers ---------------------------------------------------------------------

    def _place(self, kind: Kind, md: dict, namespace: str | None) -> None:
        if kind.namespaced:
            md["namespace"] = md.get("namespace") or namespace or "default"
        else:
            md.pop("namespace", None)

    def _admit(self, kind: Kind, md: dict) -> None:
        if not kind.namespaced:
            return
        ns_name = md["namespace"]
        try:
            ns = self.store.get("namespaces", "", ns_name)
        except errors.NotFound:
            raise errors.NotFound("namespaces", ns_name) from None
        if (ns.get("status") or {}).get("phase") == "Terminating" or ns["metadata"].get("deletionTimestamp"):
            raise errors.Forbidden(
                f'{kind.plural} "{md["name"]}" is forbidden: unable to create new content in namespace '
                f"{ns_name} because it is being terminated", kind=kind.plural, name=md["name"])

    def _check_size(self, kind: Kind, obj: dict) -> None:
        import json

        if len(json.dumps(obj)) > MAX_OBJECT_BYTES:
            raise errors.StatusError(f"Request entity too large: limit is {MAX_OBJECT_BYTES}")


def _ns(kind: Kind, namespace: str | None) -> str:
    return (namespace or "default") if kind.namespaced else ""


def _finalized(obj: dict) -> bool:
    md = obj.get("metadata") or {}
    # Pods with a grace period are finished by their kubelet, namespaces by the
    # namespace controller.
    if not md.get("deletionTimestamp") or md.get("finalizers"):
        return False
    if obj.get("kind") == "Pod":
        return md.get("deletionGracePeriodSeconds") == 0
    return obj.get("kind") != "Namespace"


def _pod_needs_grace(pod: dict, grace_period: int | None) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    bound = bool((pod.get("spec") or {}).get("nodeName"))
    return bound and phase not in ("Succeeded", "Failed") and grace_period != 0


def qos_class(spec: dict) -> str:
    """Guaranteed, Burstable or BestEffort, from the containers' requests and limits."""
    containers = (spec.get("containers") or []) + (spec.get("initContainers") or [])
    resources = [c.get("resources") or {} for c in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    for r in resources:
        limits, requests = r.get("limits") or {}, r.get("requests") or {}
        if any(k not in limits for k in ("cpu", "memory")):
            return "Burstable"
        if any(str(requests.get(k, limits[k])) != str(limits[k]) for k in ("cpu", "memory")):
            return "Burstable"
    return "Guaranteed"


def bootstrap(api: Api) -> None:
    """Namespaces (each with its default ServiceAccount) and system PriorityClasses every
    cluster has. Run once, when a store is created."""
    for name in ("default", "kube-system", "kube-public", "kube-node-lease"):
        for obj in ({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
                    serviceaccounts.default_service_account(name)):
            try:
                api.create(obj)
            except errors.AlreadyExists:
                pass
    priority.bootstrap(api)


def kind_for(obj: dict) -> Kind:
    return kinds.for_object(obj.get("apiVersion", ""), obj.get("kind", ""))


__all__ = ["Api", "bootstrap", "DELETED"]
