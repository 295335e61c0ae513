"""The namespace controller: empties a namespace being deleted, then finalizes it, after
Kubernetes' pkg/controller/namespace (NamespacedResourcesDeleter).

`delete namespace X` only marks it (deletionTimestamp, phase Terminating: the api layer
does that, and refuses new content in it from then on). sync(name) then:

    not being deleted, or gone        -> nothing to do
    delete every namespaced object of every kind in it (background propagation;
      pods gracefully: the kubelet stops their processes and finishes them)
    record what happened in status.conditions, as Kubernetes does:
      NamespaceDeletionDiscoveryFailure, NamespaceDeletionGroupVersionParsingFailure,
      NamespaceDeletionContentFailure, NamespaceContentRemaining,
      NamespaceFinalizersRemaining
    something remains                 -> look again later, with backoff (sooner when
                                         one of its pods goes away)
    nothing remains                   -> remove "kubernetes" from spec.finalizers and,
                                         with no finalizer left, delete the namespace.
"""
from __future__ import annotations

import copy
import datetime as _dt
import logging

from minikctl import errors
from minikctl.api import kinds, meta
from minikctl.controllers.base import Clock, Controller, Informers, rfc3339

log = logging.getLogger(__name__)

FINALIZER = "kubernetes"
MAX_DELAY = 5.0
BASE_DELAY = 0.05

DISCOVERY_FAILURE = "NamespaceDeletionDiscoveryFailure"
PARSING_FAILURE = "NamespaceDeletionGroupVersionParsingFailure"
CONTENT_FAILURE = "NamespaceDeletionContentFailure"
CONTENT_REMAINING = "NamespaceContentRemaining"
FINALIZERS_REMAINING = "NamespaceFinalizersRemaining"
CONDITION_TYPES = (DISCOVERY_FAILURE, PARSING_FAILURE, CONTENT_FAILURE, CONTENT_REMAINING, FINALIZERS_REMAINING)

# (status False reason, message) of each condition once all is well, as Kubernetes says it.
_OK = {
    DISCOVERY_FAILURE: ("ResourcesDiscovered", "All resources successfully discovered"),
    PARSING_FAILURE: ("ParsedGroupVersions", "All legacy kube types successfully parsed"),
    CONTENT_FAILURE: ("ContentDeleted", "All content successfully deleted, may be waiting on finalization"),
    CONTENT_REMAINING: ("ContentRemoved", "All content successfully removed"),
    FINALIZERS_REMAINING: ("ContentHasNoFinalizers", "All content-preserving finalizers finished"),
}


class ResourcesRemaining(Exception):
    """Content is still there (being deleted): look again in `estimate` seconds."""

    def __init__(self, estimate: float, message: str) -> None:
        super().__init__(message)
        self.estimate = estimate


class NamespaceController(Controller):
    name = "namespace-controller"
    kind = "Namespace"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None) -> None:
        super().__init__(client, informers, clock=clock)
        self.ns_kind = kinds.by_kind("Namespace")
        self.namespaces = self.primary
        self.recorder = recorder
        self.content_kinds = [k for k in kinds.KINDS if k.namespaced]
        self._attempts: dict[str, int] = {}
        self.namespaces.add_handler(self.handle_namespace_event)
        # Not in Kubernetes (it requeues on an estimate only): a pod of a terminating
        # namespace going away is the moment to look again.
        self.pods = informers.informer("Pod")
        self.informers.append(self.pods)
        self.pods.add_handler(self.handle_pod_event)

    def handle_namespace_event(self, etype: str, ns: dict, old: dict | None) -> None:
        if etype == "DELETED":
            self._attempts.pop(meta.name_of(ns), None)
            return
        if ns["metadata"].get("deletionTimestamp"):
            self.enqueue(ns)

    def handle_pod_event(self, etype: str, pod: dict, old: dict | None) -> None:
        if etype != "DELETED":
            return
        ns = self.namespaces.get(meta.namespace_of(pod))
        if ns is not None and ns["metadata"].get("deletionTimestamp"):
            self.queue.add(meta.name_of(ns))

    # -- sync -----------------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        try:
            self.sync_namespace(key)
        except ResourcesRemaining as remaining:
            n = self._attempts.get(key, 0)
            self._attempts[key] = n + 1
            delay = min(BASE_DELAY * (2 ** n), MAX_DELAY, max(remaining.estimate, BASE_DELAY))
            log.debug("%s: %s: %s; again in %.2fs", self.name, key, remaining, delay)
            self.queue.add_after(key, delay)
            return
        self._attempts.pop(key, None)

    def sync_namespace(self, name: str) -> None:
        try:
            ns = self.client.get(self.ns_kind, "", name)
        except errors.NotFound:
            return
        if not ns["metadata"].get("deletionTimestamp"):
            return
        ns = self._ensure_terminating(ns)
        failures, estimate = self.delete_all_content(name)
        remaining, with_finalizers = self.remaining_content(name)
        ns = self._update_conditions(ns, failures, remaining, with_finalizers)
        if failures:
            raise errors.StatusError(f"namespace {name}: failed to delete some content: {'; '.join(failures)}")
        if remaining:
            summary = ", ".join(f"{plural} has {n} resource instances" for plural, n in sorted(remaining.items()))
            raise ResourcesRemaining(estimate or MAX_DELAY, f"some content remains: {summary}")
        self.finalize(ns)

    def _ensure_terminating(self, ns: dict) -> dict:
        if (ns.get("status") or {}).get("phase") == "Terminating":
            return ns
        wanted = copy.deepcopy(ns)
        wanted.setdefault("status", {})["phase"] = "Terminating"
        return self.client.update_status(wanted)

    def delete_all_content(self, namespace: str) -> tuple[list[str], float]:
        """Delete everything in the namespace not being deleted already. Returns the
        failures and an estimate (seconds) of when graceful deletions should be done."""
        failures: list[str] = []
        estimate = 0.0
        now = self.clock.now()
        for kind in self.content_kinds:
            try:
                items, _ = self.client.list(kind, namespace)
            except Exception as exc:  # noqa: BLE001 - reported in the conditions
                failures.append(f"listing {kind.plural}: {exc}")
                continue
            for obj in items:
                md = obj["metadata"]
                if not md.get("deletionTimestamp"):
                    try:
                        obj = self.client.delete(kind, namespace, md["name"], propagation="Background")
                    except errors.NotFound:
                        continue
                    except Exception as exc:  # noqa: BLE001 - reported in the conditions
                        failures.append(f"deleting {kind.plural} {md['name']}: {exc}")
                        continue
                if kind.kind == "Pod":
                    estimate = max(estimate, _grace_left(obj, now))
        return failures, estimate

    def remaining_content(self, namespace: str) -> tuple[dict[str, int], dict[str, int]]:
        """How many objects of each resource remain, and how many carry each finalizer."""
        remaining: dict[str, int] = {}
        finalizers: dict[str, int] = {}
        for kind in self.content_kinds:
            items, _ = self.client.list(kind, namespace)
            if items:
                remaining[kind.resource] = len(items)
            for obj in items:
                for f in obj["metadata"].get("finalizers") or []:
                    finalizers[f] = finalizers.get(f, 0) + 1
        return remaining, finalizers

    def _update_conditions(self, ns: dict, failures: list[str], remaining: dict[str, int],
                           finalizers: dict[str, int]) -> dict:
        now = rfc3339(self.clock.now())
        wanted: dict[str, tuple[str, str, str]] = {t: ("False", *_OK[t]) for t in CONDITION_TYPES}
        if failures:
            wanted[CONTENT_FAILURE] = ("True", "ContentDeletionFailed",
                                       "Failed to delete all resource types, " + f"{len(failures)} remaining: "
                                       + "; ".join(failures))
        if remaining:
            wanted[CONTENT_REMAINING] = ("True", "SomeResourcesRemain", "Some resources are remaining: " + ", ".join(
                f"{r} has {n} resource instances" for r, n in sorted(remaining.items())))
        if finalizers:
            wanted[FINALIZERS_REMAINING] = ("True", "SomeFinalizersRemain",
                                            "Some content in the namespace has finalizers remaining: " + ", ".join(
                                                f"{f} in {n} resource instances" for f, n in sorted(finalizers.items())))
        old = {c.get("type"): c for c in (ns.get("status") or {}).get("conditions") or []}
        conditions = []
        for type_ in CONDITION_TYPES:
            status, reason, message = wanted[type_]
            prev = old.get(type_)
            since = prev.get("lastTransitionTime") if prev and prev.get("status") == status else now
            conditions.append({"type": type_, "status": status, "lastTransitionTime": since,
                               "reason": reason, "message": message})
        conditions += [c for t, c in old.items() if t not in CONDITION_TYPES]
        if conditions == (ns.get("status") or {}).get("conditions"):
            return ns
        new = copy.deepcopy(ns)
        new.setdefault("status", {})["conditions"] = conditions
        try:
            return self.client.update_status(new)
        except errors.NotFound:
            return ns

    def finalize(self, ns: dict) -> None:
        """Remove our finalizer; with none left, the namespace itself goes."""
        name, uid = meta.name_of(ns), ns["metadata"].get("uid")

        def drop(current: dict) -> None:
            if current["metadata"].get("uid") != uid:
                raise errors.NotFound("namespaces", name)
            spec = current.setdefault("spec", {})
            spec["finalizers"] = [f for f in spec.get("finalizers") or [] if f != FINALIZER]

        try:
            current, _ = self.client.modify(self.ns_kind, "", name, drop)
        except errors.NotFound:
            return
        if (current.get("spec") or {}).get("finalizers") or current["metadata"].get("finalizers"):
            log.info("%s: namespace %s waits for finalizers %s", self.name, name,
                     ((current.get("spec") or {}).get("finalizers") or []) + (current["metadata"].get("finalizers") or []))
            return
        try:
            self.client.finish_delete(self.ns_kind, "", name, uid=uid)
            log.info("%s: namespace %s deleted", self.name, name)
        except errors.NotFound:
            pass


def _grace_left(pod: dict, now: _dt.datetime) -> float:
    md = pod["metadata"]
    if not md.get("deletionTimestamp"):
        return 0.0
    deadline = meta.parse_time(md["deletionTimestamp"]) + _dt.timedelta(seconds=int(md.get("deletionGracePeriodSeconds") or 0))
    return max(0.0, (deadline - now).total_seconds())
