"""Compute resources (ValidateContainerResourceRequirements and its helpers): resource
names (standard, hugepages-*, extended and fully qualified), quantities, and requests
against limits. Also used for pod overhead and RuntimeClass overhead.
"""
from __future__ import annotations

from typing import Any

from minikctl.api import quantity
from minikctl.api.rules.common import NEGATIVE, Go, as_dict, as_text, at, forbidden, invalid, key, required
from minikctl.api.selectors import qualified_name_errors
from minikctl.errors import Cause

_STANDARD_CONTAINER_RESOURCES = {"cpu", "memory", "ephemeral-storage"}
_STANDARD_RESOURCES = _STANDARD_CONTAINER_RESOURCES | {
    "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
    "persistentvolumeclaims", "storage", "requests.cpu", "requests.memory", "requests.storage",
    "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
    "services.nodeports", "services.loadbalancers",
}


def _is_hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _is_extended(name: str) -> bool:
    if _is_native(name) or name.startswith("requests."):
        return False
    return not qualified_name_errors("requests." + name)


def _overcommit_allowed(name: str) -> bool:
    return _is_native(name) and not _is_hugepages(name)


def _resource_name(name: str, path: str) -> list[Cause]:
    """validateContainerResourceName."""
    causes = [invalid(path, name, m) for m in qualified_name_errors(name)]
    if causes:
        return causes
    if "/" not in name:
        if name not in _STANDARD_RESOURCES and not _is_hugepages(name):
            causes.append(invalid(path, name, "must be a standard resource type or fully qualified"))
        if name not in _STANDARD_CONTAINER_RESOURCES and not _is_hugepages(name):
            causes.append(invalid(path, name, "must be a standard resource for containers"))
    elif not _is_native(name) and not _is_extended(name):
        causes.append(invalid(path, name, "doesn't follow extended resource name standard"))
    return causes


def parse_quantity(value: Any, path: str) -> tuple[quantity.Quantity | None, list[Cause]]:
    """A quantity field: its value, or the decoding error Kubernetes gives for it."""
    try:
        return quantity.parse_quantity(value), []
    except ValueError as exc:
        return None, [invalid(path, value if isinstance(value, str) else as_text(value), str(exc))]


def _quantity_value(name: str, q: quantity.Quantity, path: str) -> list[Cause]:
    """ValidateResourceQuantityValue."""
    if q.value < 0:
        return [invalid(path, str(q), NEGATIVE)]
    if _is_extended(name) and q.milli_value % 1000 != 0:
        return [invalid(path, Go(str(q)), "must be an integer")]
    return []


def _resource_list(values: Any, path: str) -> tuple[dict[str, quantity.Quantity], list[Cause]]:
    parsed, causes = {}, []
    for name in sorted(as_dict(values), key=str):
        p = key(path, name)
        causes += _resource_name(str(name), p)
        q, errs = parse_quantity(values[name], p)
        causes += errs
        if q is not None:
            causes += _quantity_value(str(name), q, p)
            parsed[str(name)] = q
    return parsed, causes


def validate_resources(resources: Any, path: str) -> list[Cause]:
    """ValidateContainerResourceRequirements: names, quantities, request <= limit."""
    resources = as_dict(resources)
    lim_path, req_path = at(path, "limits"), at(path, "requests")
    limits, causes = _resource_list(resources.get("limits"), lim_path)
    requests, req_causes = _resource_list(resources.get("requests"), req_path)
    causes += req_causes
    for name, q in requests.items():
        limit = limits.get(name)
        if limit is not None:
            if q.value != limit.value and not _overcommit_allowed(name):
                causes.append(invalid(req_path, str(q), f"must be equal to {name} limit of {limit}"))
            elif q.value > limit.value:
                causes.append(invalid(req_path, str(q), f"must be less than or equal to {name} limit of {limit}"))
        elif not _overcommit_allowed(name):
            causes.append(required(lim_path, "Limit must be set for non overcommitable resources"))
    names = set(limits) | set(requests)
    if any(_is_hugepages(n) for n in names) and not names & {"cpu", "memory"}:
        causes.append(forbidden(path, "HugePages require cpu or memory"))
    return causes
