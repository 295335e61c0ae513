"""The StorageObjectInUseProtection admission plugin, for claims: every new
PersistentVolumeClaim gets the kubernetes.io/pvc-protection finalizer, so deleting a claim
a pod still uses only marks it (Terminating) until the pvc-protection controller
(controllers/pvcprotection.py) sees no pod using it."""
from __future__ import annotations

PVC_PROTECTION = "kubernetes.io/pvc-protection"


def admit_claim(claim: dict) -> None:
    finalizers = claim["metadata"].setdefault("finalizers", [])
    if PVC_PROTECTION not in finalizers:
        finalizers.append(PVC_PROTECTION)
