"""The claim binder: what a local-path provisioner and the PersistentVolume controller
do together on a one-machine cluster. Every claim is bound as soon as it exists (the
volume is a directory under the state directory that the kubelet creates on first
mount, src/minikctl/kubelet/volumes.py), so a claim reads `Bound` with the capacity it
asked for and its access modes, and a dynamically provisioned volume's name, pvc-<uid>.

When a claim is gone its directory is deleted (reclaimPolicy Delete, what dynamically
provisioned volumes get), also for claims deleted while the daemon was down: the
directories on disk are looked at once at start.
"""
from __future__ import annotations

import copy
import logging

from minikctl import claimdirs, errors
from minikctl.api import kinds, meta
from minikctl.controllers.base import Clock, Controller, Informers, split_key

log = logging.getLogger(__name__)

BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"


class PersistentVolumeClaimBinder(Controller):
    name = "persistentvolume-binder-controller"
    kind = "PersistentVolumeClaim"

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None, volumes_root: str | None = None) -> None:
        super().__init__(client, informers, clock=clock)
        self.pvc_kind = kinds.by_kind("PersistentVolumeClaim")
        self.volumes_root = volumes_root  # None: no volumes of ours to reclaim (tests of the binding alone)
        self.primary.add_handler(lambda _t, obj, _old: self.enqueue(obj))
        for d in claimdirs.existing(volumes_root) if volumes_root else []:
            self.queue.add(d.key)  # handled once the caches have synced

    def sync(self, key: str) -> None:
        cached = self.primary.get(key)
        if self.volumes_root:
            self.reclaim(key, cached)
        if cached is None or cached["metadata"].get("deletionTimestamp"):
            return
        if not _is_bound(cached):
            self.bind(cached)
        status = (cached.get("status") or {})
        wanted = bound_status(cached)
        if any(status.get(k) != v for k, v in wanted.items()):
            claim = copy.deepcopy(cached)
            claim["status"] = {**status, **wanted}
            claim["metadata"].pop("resourceVersion", None)
            try:
                self.client.update_status(claim)
            except errors.NotFound:
                pass

    def reclaim(self, key: str, cached: dict | None) -> None:
        """Delete the volumes of claim `key` other than the live claim's own."""
        assert self.volumes_root
        if cached is None:  # gone from the cache; the store has the last word
            ns, name = split_key(key)
            try:
                cached = self.client.get(self.pvc_kind, ns, name)
            except errors.NotFound:
                pass
        keep = claimdirs.volume_name(cached) if cached is not None else None
        for path in claimdirs.reclaim(self.volumes_root, key, keep):
            log.info("%s: claim %s is gone: deleted its volume %s", self.name, key, path)

    def bind(self, claim: dict) -> None:
        """Name the volume (spec.volumeName may be set once) and mark the binding done."""
        uid = claim["metadata"]["uid"]

        def set_volume(current: dict) -> None:
            if current["metadata"].get("uid") != uid:
                raise errors.NotFound(self.pvc_kind.resource, meta.name_of(claim))
            current["spec"].setdefault("volumeName", f"pvc-{uid}")
            annotations = current["metadata"].setdefault("annotations", {})
            annotations[BIND_COMPLETED] = "yes"
            annotations[BOUND_BY_CONTROLLER] = "yes"

        try:
            self.client.modify(self.pvc_kind, meta.namespace_of(claim), meta.name_of(claim), set_volume)
        except errors.NotFound:
            pass


def _is_bound(claim: dict) -> bool:
    annotations = claim["metadata"].get("annotations") or {}
    return bool((claim.get("spec") or {}).get("volumeName")) and annotations.get(BIND_COMPLETED) == "yes"


def bound_status(claim: dict) -> dict:
    spec = claim.get("spec") or {}
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    status: dict = {"phase": "Bound", "accessModes": list(spec.get("accessModes") or [])}
    if storage is not None:
        status["capacity"] = {"storage": storage}
    return status
