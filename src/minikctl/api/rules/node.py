"""Nodes (ValidateNode, the parts a user or a node agent can get wrong): taints (key,
value, a known effect), pod CIDRs, and capacity and allocatable quantities that make sense.
"""
from __future__ import annotations

import ipaddress

from minikctl.api import quantity
from minikctl.api.rules.common import as_dict, as_list, as_text, at, idx, invalid, key, not_supported, required
from minikctl.api.selectors import label_value_errors, qualified_name_errors
from minikctl.errors import Cause

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def validate_node(obj: dict) -> list[Cause]:
    spec, status = as_dict(obj.get("spec")), as_dict(obj.get("status"))
    causes: list[Cause] = []
    for i, taint in enumerate(as_list(spec.get("taints"))):
        causes += _taint(as_dict(taint), idx("spec.taints", i))
    cidrs = as_list(spec.get("podCIDRs")) or ([spec["podCIDR"]] if spec.get("podCIDR") else [])
    for i, cidr in enumerate(cidrs):
        try:
            ipaddress.ip_network(as_text(cidr), strict=False)
        except ValueError:
            causes.append(invalid(idx("spec.podCIDRs", i), as_text(cidr),
                                  "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
    for field in ("capacity", "allocatable"):
        for name, value in sorted(as_dict(status.get(field)).items()):
            path = key(at("status", field), name)
            try:
                amount = quantity.parse(value)
            except ValueError as exc:
                causes.append(invalid(path, as_text(value), str(exc)))
                continue
            if amount < 0:
                causes.append(invalid(path, as_text(value), "must be greater than or equal to 0"))
    return causes


def _taint(taint: dict, path: str) -> list[Cause]:
    causes = []
    name = as_text(taint.get("key"))
    if not name:
        causes.append(required(at(path, "key")))
    else:
        causes += [invalid(at(path, "key"), name, m) for m in qualified_name_errors(name)]
    value = as_text(taint.get("value"))
    causes += [invalid(at(path, "value"), value, m) for m in label_value_errors(value)]
    effect = as_text(taint.get("effect"))
    if not effect:
        causes.append(required(at(path, "effect")))
    elif effect not in TAINT_EFFECTS:
        causes.append(not_supported(at(path, "effect"), effect, TAINT_EFFECTS))
    return causes
