"""The kinds with a few rules each: Namespaces (spec.finalizers), RuntimeClasses (handler,
overhead, scheduling), Leases and PersistentVolumeClaims.
"""
from __future__ import annotations

from minikctl.api.rules.common import (as_dict, as_int, as_list, as_str, as_text, invalid, nonnegative, not_supported,
                                       one_of, required)
from minikctl.api.rules.metadata import finalizer_errors
from minikctl.api.rules.names import name_is_label, validate_labels
from minikctl.api.rules.podspec import validate_tolerations
from minikctl.api.rules.resources import parse_quantity, validate_resources
from minikctl.errors import Cause

ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")


def validate_namespace(obj: dict) -> list[Cause]:
    causes = []
    for finalizer in as_list(as_dict(obj.get("spec")).get("finalizers")):
        if isinstance(finalizer, str):
            causes += finalizer_errors(finalizer, "spec.finalizers", "spec.finalizers")
    return causes


def validate_runtime_class(obj: dict) -> list[Cause]:
    handler = obj.get("handler")
    causes = []
    if not isinstance(handler, (dict, list)):
        causes += [invalid("handler", as_str(handler), m) for m in name_is_label(as_str(handler))]
    overhead = as_dict(obj.get("overhead")).get("podFixed")
    if isinstance(overhead, dict):
        causes += validate_resources({"limits": overhead}, "overhead")
    scheduling = as_dict(obj.get("scheduling"))
    causes += validate_labels(scheduling.get("nodeSelector"), "scheduling.nodeSelector")
    causes += validate_tolerations(scheduling.get("tolerations"), "scheduling.tolerations")
    return causes


def validate_lease(obj: dict) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = []
    duration = as_int(spec.get("leaseDurationSeconds"))
    if duration is not None and duration <= 0:
        causes.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    return causes + nonnegative(spec.get("leaseTransitions"), "spec.leaseTransitions")


def validate_pvc(obj: dict) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    causes = []
    modes = as_list(spec.get("accessModes"))
    if not modes:
        causes.append(required("spec.accessModes", "at least 1 access mode is required"))
    for mode in modes:
        if mode not in ACCESS_MODES:
            causes.append(not_supported("spec.accessModes", as_text(mode), ACCESS_MODES))
    storage = as_dict(as_dict(spec.get("resources")).get("requests")).get("storage")
    if storage is None:
        causes.append(required("spec.resources[storage]"))
    else:
        q, errs = parse_quantity(storage, "spec.resources[storage]")
        causes += errs
        if q is not None and q.value <= 0:
            causes.append(invalid("spec.resources[storage]", str(q), "must be greater than zero"))
    return causes + one_of(spec.get("volumeMode"), "spec.volumeMode", ("Block", "Filesystem"))
