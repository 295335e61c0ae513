"""Name and key syntaxes (apimachinery's util/validation and api/validation/generic.go):
DNS-1123 labels and subdomains, DNS-1035 labels, which syntax each kind's metadata.name
follows, port names and numbers, ConfigMap keys, environment variable names, IP
addresses; label and annotation maps, and label selectors (metav1 validation).
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from minikctl.api import selectors
from minikctl.api.rules.common import (as_dict, as_int, as_list, as_str, as_text, at, dict_items, forbidden, idx,
                                       inclusive_range, invalid, required, too_long)
from minikctl.api.selectors import max_len_error, qualified_name_errors, regex_error, subdomain_errors
from minikctl.errors import Cause

# --- DNS names -----------------------------------------------------------------------------

_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_LABEL_RE = re.compile(_LABEL_FMT)
_SUBDOMAIN_RE = re.compile(selectors.DNS1123_SUBDOMAIN_FMT)
_DNS1035_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_RE = re.compile(_DNS1035_FMT)
_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
              "and must start and end with an alphanumeric character")
_DNS1035_MSG = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
                "an alphabetic character, and end with an alphanumeric character")


def dns1123_label_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _LABEL_RE.fullmatch(value):
        if _SUBDOMAIN_RE.fullmatch(value):
            errs.append("must not contain dots")  # a valid subdomain: only the dots are wrong
        else:
            errs.append(regex_error(_LABEL_MSG, _LABEL_FMT, "my-name", "123-abc"))
    return errs


def dns1035_label_errors(value: str) -> list[str]:
    errs = []
    if len(value) > 63:
        errs.append(max_len_error(63))
    if not _DNS1035_RE.fullmatch(value):
        errs.append(regex_error(_DNS1035_MSG, _DNS1035_FMT, "my-name", "abc-123"))
    return errs


def _mask_trailing_dash(name: str) -> str:
    # generateName gets a suffix appended, so a trailing dash is fine there. (Kubernetes
    # drops two characters here, not one; kept for identical results.)
    return name[:-2] + "a" if len(name) > 1 and name.endswith("-") else name


def name_is_subdomain(name: str, prefix: bool = False) -> list[str]:
    return subdomain_errors(_mask_trailing_dash(name) if prefix else name)


def name_is_label(name: str, prefix: bool = False) -> list[str]:
    return dns1123_label_errors(_mask_trailing_dash(name) if prefix else name)


def name_is_dns1035(name: str, prefix: bool = False) -> list[str]:
    return dns1035_label_errors(_mask_trailing_dash(name) if prefix else name)


NameFn = Callable[[str, bool], list[str]]

# Which name syntax each kind's metadata.name must follow; everything else is a subdomain.
def _rbac_name(name: str, prefix: bool = False) -> list[str]:
    from minikctl.api.rules.rbac import path_segment_name  # rbac.py uses this module's helpers

    return path_segment_name(name, prefix)


NAME_RULES: dict[str, NameFn] = {
    "Namespace": name_is_label,     # ValidateNamespaceName
    "Service": name_is_dns1035,     # ValidateServiceName: names become DNS labels
    "StatefulSet": name_is_label,   # pod names and hostnames derive from it (since 1.31)
    **dict.fromkeys(("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"), _rbac_name),  # ValidateRBACName
}

# --- Ports -----------------------------------------------------------------------------------

PROTOCOLS = ("SCTP", "TCP", "UDP")
_PORT_NAME_CHARS = re.compile(r"[-a-z0-9]+")


def port_name_errors(port: str) -> list[str]:
    """IsValidPortName: an IANA_SVC_NAME."""
    errs = []
    if len(port) > 15:
        errs.append(max_len_error(15))
    if not _PORT_NAME_CHARS.fullmatch(port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", port):
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def port_num_errors(port: int) -> list[str]:
    return [] if 1 <= port <= 65535 else [inclusive_range(1, 65535)]


def port_num_or_name(port: Any, path: str) -> list[Cause]:
    """An IntOrString port: a number in range, or a valid port name."""
    if isinstance(port, str):
        return [invalid(path, port, m) for m in port_name_errors(port)]
    value = as_int(port)
    if value is not None:
        return [invalid(path, value, m) for m in port_num_errors(value)]
    return []


# --- ConfigMap keys and environment variable names --------------------------------------------

_CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"
_CONFIG_KEY_RE = re.compile(_CONFIG_KEY_FMT)


def config_key_errors(value: str) -> list[str]:
    """IsConfigMapKey: keys of ConfigMap/Secret data (they become file names)."""
    errs = []
    if len(value) > 253:
        errs.append(max_len_error(253))
    if not _CONFIG_KEY_RE.fullmatch(value):
        errs.append(regex_error("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                                _CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name"))
    errs.extend(_chdir_prefix_errors(value))
    return errs


def _chdir_prefix_errors(value: str) -> list[str]:
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def relaxed_env_var_name_errors(value: str) -> list[str]:
    """IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation, on by default in 1.32)."""
    errs = []
    if not value:
        errs.append("environment variable name must be non-empty")
    if any(ord(c) > 126 or ord(c) < 32 or c == "=" for c in value):
        errs.append("a valid environment variable name must consist only of printable ASCII characters other than '='")
    return errs


# --- IP addresses -----------------------------------------------------------------------------

_IP_ERROR = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"


def _parse_ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        pass
    # netutils.ParseIPSloppy also takes IPv4 with leading zeros ("010.0.0.1").
    parts = value.split(".")
    if len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) < 256 for p in parts):
        return ipaddress.ip_address(".".join(str(int(p)) for p in parts))
    return None


def ip_errors(path: str, value: str) -> list[Cause]:
    return [] if _parse_ip(value) is not None else [invalid(path, value, _IP_ERROR)]


# --- Labels, annotations and label selectors ------------------------------------------------

TOTAL_ANNOTATION_SIZE = 256 * 1024


def validate_labels(labels: Any, path: str) -> list[Cause]:
    causes = []
    for k in sorted(as_dict(labels), key=str):
        v = labels[k]
        causes += [invalid(path, k, m) for m in qualified_name_errors(str(k))]
        if isinstance(v, str):
            causes += [invalid(path, v, m) for m in selectors.label_value_errors(v)]
    return causes


def validate_annotations(annotations: Any, path: str) -> list[Cause]:
    annotations = as_dict(annotations)
    causes = []
    for k in sorted(annotations, key=str):
        # Annotation keys are qualified names where case does not matter.
        causes += [invalid(path, k, m) for m in qualified_name_errors(str(k).lower())]
    size = sum(len(str(k).encode()) + len(as_text(v).encode()) for k, v in annotations.items())
    if size > TOTAL_ANNOTATION_SIZE:
        causes.append(too_long(path, TOTAL_ANNOTATION_SIZE))
    return causes


def requirement_errors(req: dict, path: str, *, numeric: bool = False) -> list[Cause]:
    """The operator, values and key of a selector requirement at `path`: a label
    selector's matchExpressions item, or (`numeric`: Gt and Lt allowed too) a node
    selector's."""
    causes = []
    op, values = req.get("operator"), as_list(req.get("values"))
    if op in ("In", "NotIn"):
        if not values:
            causes.append(required(at(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'"))
    elif op in ("Exists", "DoesNotExist"):
        if values:
            causes.append(forbidden(at(path, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
    elif numeric and op in ("Gt", "Lt"):
        if len(values) != 1:
            causes.append(required(at(path, "values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
    else:
        causes.append(invalid(at(path, "operator"), as_text(op), "not a valid selector operator"))
    k = as_str(req.get("key"))
    return causes + [invalid(at(path, "key"), k, m) for m in qualified_name_errors(k)]


def validate_label_selector(sel: Any, path: str) -> list[Cause]:
    if not isinstance(sel, dict):
        return []
    causes = validate_labels(sel.get("matchLabels"), at(path, "matchLabels"))
    for i, expr in dict_items(sel.get("matchExpressions")):
        p = idx(at(path, "matchExpressions"), i)
        causes += requirement_errors(expr, p)
        for j, v in enumerate(as_list(expr.get("values"))):
            if isinstance(v, str):
                causes += [invalid(idx(at(p, "values"), j), v, m) for m in selectors.label_value_errors(v)]
    return causes
