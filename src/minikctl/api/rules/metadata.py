"""Object metadata (ValidateObjectMeta): name or generateName in the kind's syntax, the
namespace, labels, annotations, owner references and finalizers; and the metadata of pod
templates (labels, annotations and the pod-only deletion-cost annotation).
"""
from __future__ import annotations

import re
from typing import Any

from minikctl.api.kinds import Kind
from minikctl.api.rules.common import (as_dict, as_list, as_str, as_text, at, dict_items, go_string_slice, go_struct,
                                       idx, invalid, key, nonnegative, required)
from minikctl.api.rules.names import (NAME_RULES, NameFn, name_is_label, name_is_subdomain, validate_annotations,
                                      validate_labels)
from minikctl.api.selectors import qualified_name_errors
from minikctl.errors import Cause

_STANDARD_FINALIZERS = {"kubernetes", "orphan", "foregroundDeletion"}
_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"


def _owner_references(refs: Any, path: str) -> list[Cause]:
    causes, controller = [], ""
    for _, ref in dict_items(refs):
        api_version = as_str(ref.get("apiVersion"))
        if not api_version.rsplit("/", 1)[-1]:
            causes.append(invalid(at(path, "apiVersion"), api_version, "version must not be empty"))
        for f in ("kind", "name", "uid"):
            if not as_str(ref.get(f)):
                causes.append(invalid(at(path, f), as_str(ref.get(f)), "must not be empty"))
        if (api_version, ref.get("kind")) == ("v1", "Event"):
            causes.append(invalid(path, go_struct("v1.OwnerReference", ref), "/v1, Kind=Event is disallowed from being an owner"))
        if ref.get("controller") is True:
            current = f"{as_str(ref.get('kind'))}/{as_str(ref.get('name'))}"
            if controller:
                causes.append(invalid(path, go_struct("[]v1.OwnerReference", refs),
                                      "Only one reference can have Controller set to true. Found \"true\" in "
                                      f"references for {controller} and {current}"))
            else:
                controller = current
    return causes


def finalizer_errors(name: str, path: str, item_path: str) -> list[Cause]:
    """A finalizer name: a qualified name, and fully qualified unless a standard one."""
    causes = [invalid(path, name, m) for m in qualified_name_errors(name)]
    if "/" not in name and name not in _STANDARD_FINALIZERS:
        causes.append(invalid(item_path, name, "name is neither a standard finalizer name nor is it fully qualified"))
    return causes


def _finalizers(finalizers: Any, path: str) -> list[Cause]:
    causes = []
    names = [f for f in as_list(finalizers) if isinstance(f, str)]
    for i, name in enumerate(names):
        causes += finalizer_errors(name, path, idx(path, i))
    if "orphan" in names and "foregroundDeletion" in names:
        causes.append(invalid(path, go_string_slice(names), "finalizer orphan and foregroundDeletion cannot be both set"))
    return causes


def validate_object_meta(kind: Kind, obj: dict, name_fn: NameFn | None = None) -> list[Cause]:
    md = as_dict(obj.get("metadata"))
    name_fn = name_fn or NAME_RULES.get(kind.kind, name_is_subdomain)
    causes: list[Cause] = []
    generate_name, name = as_str(md.get("generateName")), as_str(md.get("name"))
    if generate_name:
        causes += [invalid("metadata.generateName", generate_name, m) for m in name_fn(generate_name, True)]
    if not name:
        if not generate_name:  # with generateName the server makes the name
            causes.append(required("metadata.name", "name or generateName is required"))
    else:
        causes += [invalid("metadata.name", name, m) for m in name_fn(name, False)]
    namespace = as_str(md.get("namespace"))
    if kind.namespaced and namespace:
        # A missing namespace is filled from the request; cluster-scoped kinds drop it.
        causes += [invalid("metadata.namespace", namespace, m) for m in name_is_label(namespace)]
    causes += nonnegative(md.get("generation"), "metadata.generation")
    causes += validate_labels(md.get("labels"), "metadata.labels")
    causes += validate_annotations(md.get("annotations"), "metadata.annotations")
    causes += _owner_references(md.get("ownerReferences"), "metadata.ownerReferences")
    causes += _finalizers(md.get("finalizers"), "metadata.finalizers")
    return causes


def pod_specific_annotations(annotations: Any, path: str) -> list[Cause]:
    value = as_dict(annotations).get(_DELETION_COST)
    if value is None:
        return []
    text = as_text(value)
    ok = re.fullmatch(r"-?[0-9]+", text) is not None and -(2**31) <= int(text) < 2**31
    return [] if ok else [invalid(key(path, _DELETION_COST), text, "must be a 32bit integer")]


def validate_template_metadata(template: dict, path: str) -> list[Cause]:
    """A pod template's labels and annotations. Note the paths: `template.labels`, not
    `template.metadata.labels`."""
    md = as_dict(template.get("metadata"))
    causes = validate_labels(md.get("labels"), at(path, "labels"))
    causes += validate_annotations(md.get("annotations"), at(path, "annotations"))
    return causes + pod_specific_annotations(md.get("annotations"), at(path, "annotations"))
