"""Update rules: what may not change between the stored object and its update (names,
uid, selectors, a Job's template, a StatefulSet's and a PVC's spec beyond the mutable
fields, a Service's cluster IP, immutable ConfigMaps and Secrets, a RuntimeClass's
handler) and the Pod spec's narrow update allowances (images, activeDeadlineSeconds,
added tolerations, removed scheduling gates).
"""
from __future__ import annotations

import copy
import json
from typing import Any

from minikctl.api.kinds import Kind
from minikctl.api.rules.common import (IMMUTABLE, MAX_INT32, as_dict, as_int, as_list, as_str, as_text, at, dict_items,
                                       forbidden, go_label_selector, go_string_slice, go_struct, idx, int_in_range,
                                       invalid)
from minikctl.api.rules.jobs import CONTROLLER_UID_LABELS, JOB_NAME_LABELS
from minikctl.api.rules.service import cluster_ips
from minikctl.errors import Cause

_POD_UPDATE_MSG = ("pod updates may not change fields other than `spec.containers[*].image`,"
                   "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
                   "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
                   "(allow it to be set to 1 if it was previously negative)")
_STATEFULSET_UPDATE_MSG = ("updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                           "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")
_STATEFULSET_MUTABLE = ("replicas", "ordinals", "template", "updateStrategy",
                        "persistentVolumeClaimRetentionPolicy", "minReadySeconds")
_PVC_MUTABLE = ("resources", "volumeName", "volumeAttributesClassName")
_JOB_LABELS = JOB_NAME_LABELS + CONTROLLER_UID_LABELS
# What may change in a suspended Job's template (AllowMutableSchedulingDirectives).
_JOB_SCHEDULING_DIRECTIVES = ("nodeSelector", "tolerations", "schedulingGates")


def update_rules(kind: Kind, new: dict, old: dict) -> list[Cause]:
    causes = _metadata_update(new, old)
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    k = kind.kind
    if k in ("Deployment", "ReplicaSet", "DaemonSet"):
        causes += _selector_immutable(new_spec, old_spec)
    elif k == "StatefulSet":
        causes += _stateful_set_update(new_spec, old_spec)
    elif k == "Job":
        causes += _job_update(new_spec, old_spec)
    elif k == "Pod":
        causes += _pod_update(new_spec, old_spec)
    elif k == "Service":
        causes += _service_update(new, old)
    elif k in ("ConfigMap", "Secret"):
        causes += _immutable_data(new, old)
        if k == "Secret" and as_str(new.get("type") or "Opaque") != as_str(old.get("type") or "Opaque"):
            causes.append(invalid("type", as_str(new.get("type")), IMMUTABLE))
    elif k == "RuntimeClass" and new.get("handler") != old.get("handler"):
        causes.append(invalid("handler", as_str(new.get("handler")), IMMUTABLE))
    elif k == "PriorityClass":
        if new.get("value") != old.get("value"):
            causes.append(forbidden("value", "may not be changed in an update."))
        if new.get("preemptionPolicy") != old.get("preemptionPolicy"):
            causes.append(invalid("preemptionPolicy", as_str(new.get("preemptionPolicy")), IMMUTABLE))
    elif k == "PersistentVolumeClaim":
        causes += _pvc_update(new_spec, old_spec)
    elif k in ("RoleBinding", "ClusterRoleBinding"):
        from minikctl.api.rules.rbac import role_ref_update

        causes += role_ref_update(new, old)
    return causes


# --- Comparing as Go does ------------------------------------------------------------------------

def _pruned(value: Any) -> Any:
    """Go's semantic equality treats nil and empty slices/maps alike: drop them."""
    if isinstance(value, dict):
        out = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    return _pruned(a) == _pruned(b)


def _without(spec: dict, fields: tuple[str, ...]) -> dict:
    return {k: v for k, v in spec.items() if k not in fields}


# --- Per kind ------------------------------------------------------------------------------------

def _metadata_update(new: dict, old: dict) -> list[Cause]:
    causes = []
    new_md, old_md = as_dict(new.get("metadata")), as_dict(old.get("metadata"))
    for f in ("name", "namespace"):
        if as_str(new_md.get(f)) != as_str(old_md.get(f)) and new_md.get(f) is not None:
            causes.append(invalid(at("metadata", f), as_str(new_md.get(f)), IMMUTABLE))
    for f in ("uid", "creationTimestamp"):  # absent in the new object means "unchanged"
        if new_md.get(f) and new_md.get(f) != old_md.get(f):
            causes.append(invalid(at("metadata", f), as_text(new_md.get(f)), IMMUTABLE))
    return causes


def _selector_immutable(new_spec: dict, old_spec: dict) -> list[Cause]:
    if _same(new_spec.get("selector"), old_spec.get("selector")):
        return []
    sel = new_spec.get("selector")
    return [invalid("spec.selector", go_label_selector(sel) if sel is not None else None, IMMUTABLE)]


def _stateful_set_update(new_spec: dict, old_spec: dict) -> list[Cause]:
    rest_new, rest_old = _without(new_spec, _STATEFULSET_MUTABLE), _without(old_spec, _STATEFULSET_MUTABLE)
    return [] if _same(_claims_view(rest_new), _claims_view(rest_old)) else [forbidden("spec", _STATEFULSET_UPDATE_MSG)]


def _claims_view(spec: dict) -> dict:
    """volumeClaimTemplates as compared: status and server-filled type fields ignored."""
    claims = [_without(as_dict(claim), ("status", "apiVersion", "kind"))
              for claim in as_list(spec.get("volumeClaimTemplates"))]
    return {**spec, "volumeClaimTemplates": claims} if claims else spec


def _job_update(new_spec: dict, old_spec: dict) -> list[Cause]:
    causes = []
    if new_spec.get("selector") is not None or old_spec.get("selector") is None:
        causes += _selector_immutable(new_spec, old_spec)
    new_t, old_t = _job_template_view(new_spec, old_spec), _job_template_view(old_spec, old_spec)
    if not _same(new_t, old_t):
        causes.append(invalid("spec.template", go_struct("core.PodTemplateSpec", new_spec.get("template")), IMMUTABLE))
    for f in ("completions", "completionMode", "podFailurePolicy", "backoffLimitPerIndex", "managedBy", "successPolicy"):
        if not _same(new_spec.get(f), old_spec.get(f)):
            causes.append(invalid(at("spec", f), new_spec.get(f) if not isinstance(new_spec.get(f), dict)
                                  else go_struct("batch", new_spec.get(f)), IMMUTABLE))
    return causes


def _job_template_view(spec: dict, old_spec: dict) -> dict:
    template = copy.deepcopy(as_dict(spec.get("template")))
    labels = as_dict(as_dict(template.get("metadata")).get("labels"))
    for k in _JOB_LABELS:
        labels.pop(k, None)  # generated by the server, not part of the user's template
    if as_dict(old_spec).get("suspend") is True:
        # A suspended Job may change its pods' scheduling directives, labels and annotations.
        template.pop("metadata", None)
        tspec = as_dict(template.get("spec"))
        for f in _JOB_SCHEDULING_DIRECTIVES:
            tspec.pop(f, None)
        affinity = as_dict(tspec.get("affinity"))
        affinity.pop("nodeAffinity", None)
    return template


def _pod_update(new_spec: dict, old_spec: dict) -> list[Cause]:
    causes = []
    for lst in ("containers", "initContainers"):
        if len(as_list(new_spec.get(lst))) != len(as_list(old_spec.get(lst))):
            return [forbidden(at("spec", lst), "pod updates may not add or remove containers")]
    causes += _active_deadline_update(new_spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds"))
    causes += _tolerations_update(new_spec.get("tolerations"), old_spec.get("tolerations"))
    causes += _scheduling_gates_update(new_spec.get("schedulingGates"), old_spec.get("schedulingGates"))
    munged, reference = copy.deepcopy(new_spec), copy.deepcopy(old_spec)
    for spec in (munged, reference):
        for lst in ("containers", "initContainers"):
            for c in as_list(spec.get(lst)):
                if isinstance(c, dict):
                    c.pop("image", None)
        for f in ("activeDeadlineSeconds", "schedulingGates", "tolerations"):  # judged on their own above
            spec.pop(f, None)
    old_grace = as_int(old_spec.get("terminationGracePeriodSeconds"))
    new_grace = as_int(new_spec.get("terminationGracePeriodSeconds"))
    if old_grace is not None and old_grace < 0 and new_grace == 1:
        reference["terminationGracePeriodSeconds"] = 1
    if not _same(munged, reference):
        causes.append(forbidden("spec", _POD_UPDATE_MSG + "\n" + _spec_diff(reference, munged)))
    return causes


def _active_deadline_update(new: Any, old: Any) -> list[Cause]:
    path = "spec.activeDeadlineSeconds"
    if new is None:
        return [invalid(path, None, "must not update from a positive integer to nil value")] if old is not None else []
    value = as_int(new)
    if value is None:
        return []
    out_of_range = int_in_range(value, path, 0, MAX_INT32)
    if out_of_range:
        return out_of_range
    if as_int(old) is not None and old < value:
        return [invalid(path, value, "must be less than or equal to previous value")]
    return []


def _tolerations_update(new: Any, old: Any) -> list[Cause]:
    """Existing tolerations may only change their tolerationSeconds; new ones may be added."""
    def essence(t: Any) -> dict:
        return {k: v for k, v in as_dict(_pruned(t)).items() if k != "tolerationSeconds"}

    remaining = [essence(t) for t in as_list(new)]
    for t in as_list(old):
        if essence(t) not in remaining:
            return [forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds")]
    return []


def _scheduling_gates_update(new: Any, old: Any) -> list[Cause]:
    old_names = {as_str(as_dict(g).get("name")) for g in as_list(old)}
    return [forbidden(at(idx("spec.schedulingGates", i), "name"),
                      f"only deletion is allowed, but found new scheduling gate '{as_str(g.get('name'))}'")
            for i, g in dict_items(new) if as_str(g.get("name")) not in old_names]


def _spec_diff(old: dict, new: dict, path: str = "spec") -> str:
    """A short account of what changed (Kubernetes prints a full Go diff here)."""
    lines: list[str] = []
    _diff_into(_pruned(old), _pruned(new), path, lines)
    return "\n".join(lines[:20])


def _diff_into(old: Any, new: Any, path: str, lines: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new), key=str):
            _diff_into(old.get(k), new.get(k), at(path, str(k)), lines)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            _diff_into(a, b, idx(path, i), lines)
    elif old != new:
        lines.append(f"  {path}: {json.dumps(old, default=str)} -> {json.dumps(new, default=str)}")


def _service_update(new: dict, old: dict) -> list[Cause]:
    new_spec, old_spec = as_dict(new.get("spec")), as_dict(old.get("spec"))
    if "ExternalName" in (as_str(new_spec.get("type")), as_str(old_spec.get("type"))):
        return []
    old_ips, new_ips = cluster_ips(old_spec), cluster_ips(new_spec)
    if not new_ips:
        return []  # an omitted clusterIP keeps the allocated one
    if old_ips[:1] == ["None"] and new_ips[:1] == ["None"]:
        return []
    if old_ips and old_ips[0] != new_ips[0]:
        return [invalid("spec.clusterIPs[0]", go_string_slice(new_ips), "may not change once set")]
    return []


def _immutable_data(new: dict, old: dict) -> list[Cause]:
    """ConfigMaps and Secrets marked immutable."""
    if old.get("immutable") is not True:
        return []
    causes = []
    if new.get("immutable") is not True:
        causes.append(forbidden("immutable", "field is immutable when `immutable` is set"))
    for f in ("data", "binaryData", "stringData"):
        if f in new or f in old:
            if not _same(new.get(f), old.get(f)) and not (f == "stringData" and not new.get(f)):
                causes.append(forbidden(f if f != "stringData" else "data", "field is immutable when `immutable` is set"))
    return causes


def _pvc_update(new_spec: dict, old_spec: dict) -> list[Cause]:
    a, b = _without(new_spec, _PVC_MUTABLE), _without(old_spec, _PVC_MUTABLE)
    if old_spec.get("volumeName") and new_spec.get("volumeName") != old_spec.get("volumeName"):
        a["volumeName"], b["volumeName"] = new_spec.get("volumeName"), old_spec.get("volumeName")
    if _same(a, b):
        return []
    return [forbidden("spec", "spec is immutable after creation except resources.requests and "
                              "volumeAttributesClassName for bound claims")]
