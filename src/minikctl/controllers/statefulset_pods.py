"""A StatefulSet's pods and claims, as pkg/controller/statefulset/stateful_set_utils.go
makes them: stable names NAME-i, the hostname and subdomain that give each pod its DNS
name under the governing Service, the identity labels, and one PersistentVolumeClaim
per volumeClaimTemplate and ordinal (`data-web-0`) that the pod's volume points to.

Pure functions over plain dicts; nothing here talks to the API.
"""
from __future__ import annotations

import copy
import re

from minikctl.api import meta
from minikctl.controllers import ownership, pods
from minikctl.controllers.history import HASH_LABEL

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
RETAIN, DELETE = "Retain", "Delete"


def ordinal_of(set_name: str, pod: dict) -> int | None:
    """getParentNameAndOrdinal: the ordinal of a pod named `<set>-<n>`, else None."""
    match = re.fullmatch(re.escape(set_name) + r"-(0|[1-9][0-9]*)", meta.name_of(pod))
    return int(match.group(1)) if match else None


def pod_name(sts: dict, ordinal: int) -> str:
    return f"{meta.name_of(sts)}-{ordinal}"


def claim_name(template: dict, sts: dict, ordinal: int) -> str:
    """getPersistentVolumeClaimName: `<template>-<set>-<ordinal>`."""
    return f"{meta.name_of(template)}-{meta.name_of(sts)}-{ordinal}"


def start_ordinal(sts: dict) -> int:
    """spec.ordinals.start (StatefulSetStartOrdinal, on by default since 1.31)."""
    start = ((sts.get("spec") or {}).get("ordinals") or {}).get("start")
    return start if isinstance(start, int) and start > 0 else 0


def replicas_of(sts: dict) -> int:
    value = (sts.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def revision_of(pod: dict) -> str:
    return meta.labels_of(pod).get(HASH_LABEL, "")


def claims_for(sts: dict, ordinal: int) -> dict[str, dict]:
    """getPersistentVolumeClaims: template name -> the claim for this ordinal, labelled
    with the set's matchLabels (and its owner references set by the caller)."""
    match_labels = ((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    out: dict[str, dict] = {}
    for template in (sts.get("spec") or {}).get("volumeClaimTemplates") or []:
        claim = copy.deepcopy(template)
        md = claim.setdefault("metadata", {})
        md["name"] = claim_name(template, sts, ordinal)
        md["namespace"] = meta.namespace_of(sts)
        md["labels"] = {**(md.get("labels") or {}), **match_labels}
        for server_owned in ("uid", "resourceVersion", "creationTimestamp", "generation"):
            md.pop(server_owned, None)
        claim["apiVersion"], claim["kind"] = "v1", "PersistentVolumeClaim"
        claim.pop("status", None)
        out[meta.name_of(template)] = claim
    return out


def retention(sts: dict) -> tuple[str, str]:
    """(whenDeleted, whenScaled), Retain by default."""
    policy = (sts.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
    return policy.get("whenDeleted") or RETAIN, policy.get("whenScaled") or RETAIN


def owner_ref(owner: dict) -> dict:
    """A plain (non-controller) reference that blocks the owner's foreground deletion."""
    md = owner["metadata"]
    return {"apiVersion": owner.get("apiVersion", "v1"), "kind": owner.get("kind", ""), "name": md["name"],
            "uid": md["uid"], "blockOwnerDeletion": True}


def claim_refs(sts: dict, claim: dict, pod: dict, scaled_down: bool) -> list[dict] | None:
    """updateClaimOwnerRefs: the claim's owner references under the retention policy
    (the set owns it when whenDeleted is Delete; a scaled-down pod owns it when
    whenScaled is Delete), or None when they are already right. References to any
    earlier pod of the same name go too: that pod is gone."""
    when_deleted, when_scaled = retention(sts)
    set_uid, pod_name_ = sts["metadata"].get("uid"), meta.name_of(pod)
    refs = [r for r in claim["metadata"].get("ownerReferences") or []
            if r.get("uid") != set_uid and not (r.get("kind") == "Pod" and r.get("name") == pod_name_)]
    pod_owns = when_scaled == DELETE and scaled_down
    set_owns = when_deleted == DELETE and not pod_owns
    if set_owns:
        refs.append(owner_ref(sts))
    if pod_owns:
        refs.append(owner_ref(pod))
    current = claim["metadata"].get("ownerReferences") or []
    return None if refs == current else refs


def new_pod(sts: dict, ordinal: int, revision_name: str) -> dict:
    """newVersionedStatefulSetPod for the template of `sts` (the current or the update
    set): identity, storage and revision label applied."""
    name = pod_name(sts, ordinal)
    pod = pods.pod_from_template(sts["spec"].get("template") or {}, sts, ownership.controller_ref(sts))
    md = pod["metadata"]
    md.pop("generateName", None)
    md["name"] = name
    md["labels"] = {**(md.get("labels") or {}), POD_NAME_LABEL: name, POD_INDEX_LABEL: str(ordinal),
                    HASH_LABEL: revision_name}
    spec = pod["spec"]
    spec["hostname"] = name
    service = sts["spec"].get("serviceName")
    if service:
        spec["subdomain"] = service
    _apply_storage(sts, ordinal, spec)
    return pod


def _apply_storage(sts: dict, ordinal: int, spec: dict) -> None:
    """updateStorage: a volume per claim template, replacing a template volume of the
    same name."""
    claims = claims_for(sts, ordinal)
    if not claims:
        return
    volumes = [v for v in spec.get("volumes") or [] if v.get("name") not in claims]
    for template_name, claim in claims.items():
        volumes.append({"name": template_name,
                        "persistentVolumeClaim": {"claimName": meta.name_of(claim)}})
    spec["volumes"] = volumes


def identity_matches(sts: dict, pod: dict) -> bool:
    """identityMatches: name, namespace, hostname/subdomain and identity labels."""
    ordinal = ordinal_of(meta.name_of(sts), pod)
    labels = meta.labels_of(pod)
    spec = pod.get("spec") or {}
    return (ordinal is not None and meta.namespace_of(pod) == meta.namespace_of(sts)
            and labels.get(POD_NAME_LABEL) == meta.name_of(pod)
            and labels.get(POD_INDEX_LABEL) == str(ordinal)
            and spec.get("hostname") == meta.name_of(pod)
            and (spec.get("subdomain") or "") == ((sts.get("spec") or {}).get("serviceName") or ""))


def fix_identity(sts: dict, pod: dict) -> None:
    """updateIdentity, in place: the labels only (hostname and subdomain are immutable
    on a running pod; Kubernetes' update would be refused the same way)."""
    ordinal = ordinal_of(meta.name_of(sts), pod)
    labels = pod["metadata"].setdefault("labels", {})
    labels[POD_NAME_LABEL] = meta.name_of(pod)
    labels[POD_INDEX_LABEL] = str(ordinal)


def is_running_and_ready(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and pods.is_pod_ready(pod)


def is_terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def is_terminating(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))
