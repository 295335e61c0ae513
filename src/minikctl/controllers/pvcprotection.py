"""The pvc-protection controller (pkg/controller/volume/pvcprotection): a claim being
deleted keeps its kubernetes.io/pvc-protection finalizer, and so stays Terminating with
its data, while a pod still uses it; once none does, the finalizer goes and the claim
with it (then the binder deletes its volume).

A pod uses a claim when it names it in a persistentVolumeClaim volume, is scheduled (the
kubelet refuses to start a pod on a claim being deleted, so an unscheduled one never
will) and has not terminated (Succeeded or Failed). The cache says "unused" only after
a live list agrees, as Kubernetes asks the API server before it lets a claim go.
"""
from __future__ import annotations

import logging

from minikctl import errors
from minikctl.api import kinds
from minikctl.api.storageprotection import PVC_PROTECTION
from minikctl.controllers.base import Clock, Controller, Informers, split_key

log = logging.getLogger(__name__)


def claims_of(pod: dict) -> list[str]:
    """The claim names a pod's volumes refer to."""
    return [v["persistentVolumeClaim"].get("claimName", "") for v in (pod.get("spec") or {}).get("volumes") or []
            if isinstance(v, dict) and v.get("persistentVolumeClaim")]


def uses(pod: dict, claim: str) -> bool:
    return (bool((pod.get("spec") or {}).get("nodeName"))
            and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            and claim in claims_of(pod))


class PVCProtectionController(Controller):
    name = "pvc-protection-controller"
    kind = "PersistentVolumeClaim"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None) -> None:
        super().__init__(client, informers, clock=clock)
        self.pvc_kind, self.pod_kind = kinds.by_kind("PersistentVolumeClaim"), kinds.by_kind("Pod")
        self.pods = informers.informer("Pod")
        self.informers.append(self.pods)
        self.primary.add_handler(self._on_claim)
        self.pods.add_handler(self._on_pod)

    def _on_claim(self, etype: str, claim: dict, _old: dict | None) -> None:
        if etype != "DELETED":
            self.enqueue(claim)

    def _on_pod(self, etype: str, pod: dict, old: dict | None) -> None:
        # A pod that ends, goes, or changes its volumes may release a claim.
        ns = pod["metadata"].get("namespace") or "default"
        for name in set(claims_of(pod)) | set(claims_of(old or {})):
            self.queue.add(f"{ns}/{name}")

    def sync(self, key: str) -> None:
        claim = self.primary.get(key)
        if claim is None:
            return
        md = claim["metadata"]
        protected = PVC_PROTECTION in (md.get("finalizers") or [])
        if not md.get("deletionTimestamp"):
            if not protected:  # created before the admission plugin ran, as Kubernetes adds it here too
                self._set_finalizer(key, add=True)
            return
        if not protected:
            return
        ns, name = split_key(key)
        if any(uses(p, name) for p in self.pods.list(namespace=ns)):
            return  # the pod's update or deletion brings the claim back here
        live, _ = self.client.list(self.pod_kind, ns)
        if any(uses(p, name) for p in live):
            return
        self._set_finalizer(key, add=False)

    def _set_finalizer(self, key: str, *, add: bool) -> None:
        ns, name = split_key(key)

        def change(current: dict) -> None:
            finalizers = [f for f in current["metadata"].get("finalizers") or [] if f != PVC_PROTECTION]
            if add and not current["metadata"].get("deletionTimestamp"):
                finalizers.append(PVC_PROTECTION)
            current["metadata"]["finalizers"] = finalizers

        try:
            self.client.modify(self.pvc_kind, ns, name, change)
        except errors.NotFound:
            pass
        if not add:
            log.info("%s: no pod uses claim %s: its pvc-protection finalizer is removed", self.name, key)
