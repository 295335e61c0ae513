"""Kubernetes' server-side semantic validation: what a 1.32 API server rejects beyond
the OpenAPI schema (the hand-written rules of pkg/apis/*/validation and apimachinery).

    check(kind, obj, old=None) -> list[Cause]

returns every violation at once (empty list: the object is fine). Each Cause carries
the field path in Kubernetes' form (`spec.template.spec.containers[0].ports[0].containerPort`,
`metadata.labels`, `data[tls.crt]`) and the message after the path, worded as the API
server words it: `Invalid value: -1: must be greater than or equal to 0`,
`Required value`, `Unsupported value: "Sometimes": supported values: "Always", ...`.

As in the API server, the rules judge the object *after defaulting*: they run on a
defaulted copy (api/defaults.py), so an omitted `restartPolicy` is judged as "Always"
and a Service port without `targetPort` as targeting its `port`. With `old` (the stored
object), the update rules run as well (immutable fields, the Pod and StatefulSet spec
restrictions); `obj` is then the whole new object as it would be stored.

Pure functions over plain dicts; shapes the schema rejects (a string where a list
belongs...) are skipped here, the schema reports them. Stdlib only, plus
quantity/selectors and (lazily) api/defaults; zoneinfo is imported only for CronJob
time zones.

Where Kubernetes is surprising, this module is too, on purpose:
- a StatefulSet's pod template is not validated beyond its labels, annotations and
  restartPolicy (ValidatePodTemplateSpecForStatefulSet never validates the pod spec;
  bad containers surface when the controller creates pods);
- a negative terminationGracePeriodSeconds is accepted (the API server treats it as 1
  and only warns, see `warnings`);
- a Job's activeDeadlineSeconds may be 0 (ValidateNonnegativeField), a pod's must be >= 1;
- cron schedules follow robfig/cron's standard parser (what Kubernetes uses), not
  croniter's: 5 fields, day-of-week 0-6 (7 is rejected), descriptors such as @hourly
  and "@every 5m" (which croniter cannot run); its messages name the bad value, not
  the field ("end of range (61) above maximum (59): 61").
"""
from __future__ import annotations

import copy
import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any

from minikctl.api import quantity, selectors
from minikctl.api.kinds import Kind
from minikctl.api.selectors import max_len_error, qualified_name_errors, regex_error, subdomain_errors
from minikctl.errors import Cause

# --------------------------------------------------------------------------------------
# Causes, worded as apimachinery's field.Error renders them.
# --------------------------------------------------------------------------------------

INVALID = "FieldValueInvalid"
REQUIRED = "FieldValueRequired"
NOT_SUPPORTED = "FieldValueNotSupported"
DUPLICATE = "FieldValueDuplicate"
FORBIDDEN = "FieldValueForbidden"
NOT_FOUND = "FieldValueNotFound"
TOO_LONG = "FieldValueTooLong"

IMMUTABLE = "field is immutable"
NEGATIVE = "must be greater than or equal to 0"


class Go(str):
    """A value already rendered as Go's %#v shows it (maps, structs, selectors)."""


def go_quote(s: str) -> str:
    """strconv.Quote: printable characters as they are, the rest escaped."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ch in "\n\t\r":
            out.append({"\n": "\\n", "\t": "\\t", "\r": "\\r"}[ch])
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def render(value: Any) -> str:
    """A bad value as field.Error prints it: strings quoted, numbers bare, nil as null."""
    if isinstance(value, Go):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, dict):
        return go_string_map(value)
    if isinstance(value, (list, tuple)):
        return go_string_slice(value)
    return go_quote(str(value))


def go_string_map(m: dict | None) -> Go:
    """%#v of a map[string]string: keys sorted, `map[string]string(nil)` for nil."""
    if m is None:
        return Go("map[string]string(nil)")
    items = ", ".join(f"{go_quote(str(k))}:{go_quote(_text(m[k]))}" for k in sorted(m, key=str))
    return Go("map[string]string{" + items + "}")


def go_string_slice(values: Any) -> Go:
    if values is None:
        return Go("[]string(nil)")
    return Go("[]string{" + ", ".join(go_quote(_text(v)) for v in values) + "}")


def go_label_selector(sel: Any) -> Go:
    """%#v of a metav1.LabelSelector, as in `spec.selector: Invalid value: v1.LabelSelector{...}`."""
    sel = sel if isinstance(sel, dict) else {}
    labels = sel.get("matchLabels")
    exprs = sel.get("matchExpressions")
    if exprs is None:
        shown = "[]v1.LabelSelectorRequirement(nil)"
    else:
        shown = "[]v1.LabelSelectorRequirement{" + ", ".join(
            f"v1.LabelSelectorRequirement{{Key:{go_quote(_text(_d(e).get('key')))}, "
            f"Operator:{go_quote(_text(_d(e).get('operator')))}, Values:{go_string_slice(_d(e).get('values'))}}}"
            for e in _l(exprs)) + "}"
    return Go(f"v1.LabelSelector{{MatchLabels:{go_string_map(labels if isinstance(labels, dict) else None)}, "
              f"MatchExpressions:{shown}}}")


def go_struct(name: str, value: Any) -> Go:
    """A struct value we show as compact JSON (Go would print every field with %#v)."""
    return Go(f"{name}{json.dumps(value, separators=(',', ':'), sort_keys=True, default=str)}")


def invalid(path: str, value: Any, detail: str = "") -> Cause:
    return Cause(path, INVALID, f"Invalid value: {render(value)}" + (f": {detail}" if detail else ""))


def required(path: str, detail: str = "") -> Cause:
    return Cause(path, REQUIRED, "Required value" + (f": {detail}" if detail else ""))


def forbidden(path: str, detail: str) -> Cause:
    return Cause(path, FORBIDDEN, "Forbidden" + (f": {detail}" if detail else ""))


def not_supported(path: str, value: Any, supported: list[str] | tuple[str, ...]) -> Cause:
    detail = ("supported values: " + ", ".join(go_quote(s) for s in supported)) if supported else ""
    return Cause(path, NOT_SUPPORTED, f"Unsupported value: {render(value)}" + (f": {detail}" if detail else ""))


def duplicate(path: str, value: Any) -> Cause:
    return Cause(path, DUPLICATE, f"Duplicate value: {render(value)}")


def not_found(path: str, value: Any) -> Cause:
    return Cause(path, NOT_FOUND, f"Not found: {render(value)}")


def too_long(path: str, max_bytes: int) -> Cause:
    return Cause(path, TOO_LONG, f"Too long: must have at most {max_bytes} bytes")


def inclusive_range(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


# --------------------------------------------------------------------------------------
# Paths and shape-tolerant getters.
# --------------------------------------------------------------------------------------

def at(path: str, *names: str) -> str:
    return ".".join([path, *names]) if path else ".".join(names)


def idx(path: str, i: int) -> str:
    return f"{path}[{i}]"


def key(path: str, k: Any) -> str:
    return f"{path}[{k}]"


def _d(v: Any) -> dict:
    return v if isinstance(v, dict) else {}


def _l(v: Any) -> list:
    return v if isinstance(v, list) else []


def _s(v: Any) -> str:
    """A string field's value; "" (Go's unset) for anything else."""
    return v if isinstance(v, str) else ""


def _i(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def _items(v: Any) -> list[tuple[int, dict]]:
    return [(i, item) for i, item in enumerate(_l(v)) if isinstance(item, dict)]


def _nonnegative(value: Any, path: str) -> list[Cause]:
    v = _i(value)
    return [invalid(path, v, NEGATIVE)] if v is not None and v < 0 else []


# --------------------------------------------------------------------------------------
# Name syntaxes (apimachinery util/validation and api/validation/generic.go).
# --------------------------------------------------------------------------------------

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
NAME_RULES: dict[str, NameFn] = {
    "Namespace": name_is_label,     # ValidateNamespaceName
    "Service": name_is_dns1035,     # ValidateServiceName: names become DNS labels
    "StatefulSet": name_is_label,   # pod names and hostnames derive from it (since 1.31)
}

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


# --------------------------------------------------------------------------------------
# Metadata (ValidateObjectMeta, ValidateLabels, ValidateAnnotations...).
# --------------------------------------------------------------------------------------

TOTAL_ANNOTATION_SIZE = 256 * 1024
_STANDARD_FINALIZERS = {"kubernetes", "orphan", "foregroundDeletion"}
_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"


def validate_labels(labels: Any, path: str) -> list[Cause]:
    causes = []
    for k in sorted(_d(labels), key=str):
        v = labels[k]
        causes += [invalid(path, k, m) for m in qualified_name_errors(str(k))]
        if isinstance(v, str):
            causes += [invalid(path, v, m) for m in selectors.label_value_errors(v)]
    return causes


def validate_annotations(annotations: Any, path: str) -> list[Cause]:
    annotations = _d(annotations)
    causes = []
    for k in sorted(annotations, key=str):
        # Annotation keys are qualified names where case does not matter.
        causes += [invalid(path, k, m) for m in qualified_name_errors(str(k).lower())]
    size = sum(len(str(k).encode()) + len(_text(v).encode()) for k, v in annotations.items())
    if size > TOTAL_ANNOTATION_SIZE:
        causes.append(too_long(path, TOTAL_ANNOTATION_SIZE))
    return causes


def _owner_references(refs: Any, path: str) -> list[Cause]:
    causes, controller = [], ""
    for _, ref in _items(refs):
        api_version = _s(ref.get("apiVersion"))
        if not api_version.rsplit("/", 1)[-1]:
            causes.append(invalid(at(path, "apiVersion"), api_version, "version must not be empty"))
        for f in ("kind", "name", "uid"):
            if not _s(ref.get(f)):
                causes.append(invalid(at(path, f), _s(ref.get(f)), "must not be empty"))
        if (api_version, ref.get("kind")) == ("v1", "Event"):
            causes.append(invalid(path, go_struct("v1.OwnerReference", ref), "/v1, Kind=Event is disallowed from being an owner"))
        if ref.get("controller") is True:
            current = f"{_s(ref.get('kind'))}/{_s(ref.get('name'))}"
            if controller:
                causes.append(invalid(path, go_struct("[]v1.OwnerReference", refs),
                                      "Only one reference can have Controller set to true. Found \"true\" in "
                                      f"references for {controller} and {current}"))
            else:
                controller = current
    return causes


def _finalizers(finalizers: Any, path: str) -> list[Cause]:
    causes = []
    names = [f for f in _l(finalizers) if isinstance(f, str)]
    for i, name in enumerate(names):
        causes += [invalid(path, name, m) for m in qualified_name_errors(name)]
        if "/" not in name and name not in _STANDARD_FINALIZERS:
            causes.append(invalid(idx(path, i), name, "name is neither a standard finalizer name nor is it fully qualified"))
    if "orphan" in names and "foregroundDeletion" in names:
        causes.append(invalid(path, go_string_slice(names), "finalizer orphan and foregroundDeletion cannot be both set"))
    return causes


def validate_object_meta(kind: Kind, obj: dict, name_fn: NameFn | None = None) -> list[Cause]:
    md = _d(obj.get("metadata"))
    name_fn = name_fn or NAME_RULES.get(kind.kind, name_is_subdomain)
    causes: list[Cause] = []
    generate_name, name = _s(md.get("generateName")), _s(md.get("name"))
    if generate_name:
        causes += [invalid("metadata.generateName", generate_name, m) for m in name_fn(generate_name, True)]
    if not name:
        if not generate_name:  # with generateName the server makes the name
            causes.append(required("metadata.name", "name or generateName is required"))
    else:
        causes += [invalid("metadata.name", name, m) for m in name_fn(name, False)]
    namespace = _s(md.get("namespace"))
    if kind.namespaced and namespace:
        # A missing namespace is filled from the request; cluster-scoped kinds drop it.
        causes += [invalid("metadata.namespace", namespace, m) for m in name_is_label(namespace)]
    causes += _nonnegative(md.get("generation"), "metadata.generation")
    causes += validate_labels(md.get("labels"), "metadata.labels")
    causes += validate_annotations(md.get("annotations"), "metadata.annotations")
    causes += _owner_references(md.get("ownerReferences"), "metadata.ownerReferences")
    causes += _finalizers(md.get("finalizers"), "metadata.finalizers")
    return causes


def _pod_specific_annotations(annotations: Any, path: str) -> list[Cause]:
    value = _d(annotations).get(_DELETION_COST)
    if value is None:
        return []
    text = _text(value)
    ok = re.fullmatch(r"-?[0-9]+", text) is not None and -(2**31) <= int(text) < 2**31
    return [] if ok else [invalid(key(path, _DELETION_COST), text, "must be a 32bit integer")]


# --------------------------------------------------------------------------------------
# Label selectors (metav1 validation) and the selector-matches-template rule.
# --------------------------------------------------------------------------------------

def validate_label_selector(sel: Any, path: str) -> list[Cause]:
    if not isinstance(sel, dict):
        return []
    causes = validate_labels(sel.get("matchLabels"), at(path, "matchLabels"))
    for i, expr in _items(sel.get("matchExpressions")):
        p = idx(at(path, "matchExpressions"), i)
        op, values = expr.get("operator"), _l(expr.get("values"))
        if op in ("In", "NotIn"):
            if not values:
                causes.append(required(at(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                causes.append(forbidden(at(p, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        else:
            causes.append(invalid(at(p, "operator"), _text(op), "not a valid selector operator"))
        k = _s(expr.get("key"))
        causes += [invalid(at(p, "key"), k, m) for m in qualified_name_errors(k)]
        for j, v in enumerate(values):
            if isinstance(v, str):
                causes += [invalid(idx(at(p, "values"), j), v, m) for m in selectors.label_value_errors(v)]
    return causes


def _selector(sel: Any) -> selectors.Selector | None:
    """The selector as LabelSelectorAsSelector builds it; None when it cannot be built."""
    try:
        return selectors.from_label_selector(sel if isinstance(sel, dict) or sel is None else {})
    except ValueError:
        return None


def _template_labels(spec: dict) -> dict:
    return _d(_d(_d(spec.get("template")).get("metadata")).get("labels"))


def _selector_matches_template(spec: dict, path: str, sel: selectors.Selector | None) -> list[Cause]:
    if sel is None or sel.empty():
        return []
    labels = _d(_d(spec.get("template")).get("metadata")).get("labels")
    if sel.matches({str(k): _text(v) for k, v in _d(labels).items()}):
        return []
    shown = go_string_map(labels if isinstance(labels, dict) else None)
    return [invalid(at(path, "template", "metadata", "labels"), shown, "`selector` does not match template `labels`")]


def _required_selector(spec: dict, path: str, what: str) -> list[Cause]:
    """Deployment/ReplicaSet/StatefulSet: a non-empty spec.selector, strictly valid."""
    sel = spec.get("selector")
    if sel is None:
        return [required(at(path, "selector"))]
    causes = validate_label_selector(sel, at(path, "selector"))
    if not _d(sel).get("matchLabels") and not _d(sel).get("matchExpressions"):
        causes.append(invalid(at(path, "selector"), go_label_selector(sel), f"empty selector is invalid for {what}"))
    return causes


# --------------------------------------------------------------------------------------
# Resources and quantities.
# --------------------------------------------------------------------------------------

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
        return None, [invalid(path, value if isinstance(value, str) else _text(value), str(exc))]


def _quantity_value(name: str, q: quantity.Quantity, path: str) -> list[Cause]:
    """ValidateResourceQuantityValue."""
    if q.value < 0:
        return [invalid(path, str(q), NEGATIVE)]
    if _is_extended(name) and q.milli_value % 1000 != 0:
        return [invalid(path, Go(str(q)), "must be an integer")]
    return []


def _resource_list(values: Any, path: str) -> tuple[dict[str, quantity.Quantity], list[Cause]]:
    parsed, causes = {}, []
    for name in sorted(_d(values), key=str):
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
    resources = _d(resources)
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


# --------------------------------------------------------------------------------------
# Containers.
# --------------------------------------------------------------------------------------

PROTOCOLS = ("SCTP", "TCP", "UDP")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
ENV_FIELD_PATHS = ("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                   "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs")
# What ConvertDownwardAPIFieldLabel knows for v1 pods (others: "field label not supported").
_POD_FIELD_LABELS = set(ENV_FIELD_PATHS) | {"metadata.annotations", "metadata.labels", "spec.restartPolicy",
                                            "spec.schedulerName", "status.phase"}
RESOURCE_FIELD_PATHS = ("limits.cpu", "limits.ephemeral-storage", "limits.memory",
                        "requests.cpu", "requests.ephemeral-storage", "requests.memory")
_SUBSCRIPTED = re.compile(r"^(metadata\.(?:labels|annotations))\['(.*)'\]$")
_FILE_MODE = "must be a number between 0 and 0777 (octal), both inclusive"


def _container_ports(ports: Any, path: str) -> list[Cause]:
    causes, names = [], set()
    for i, port in _items(ports):
        p = idx(path, i)
        name = _s(port.get("name"))
        if name:
            errs = port_name_errors(name)
            if errs:
                causes += [invalid(at(p, "name"), name, m) for m in errs]
            elif name in names:
                causes.append(duplicate(at(p, "name"), name))
            else:
                names.add(name)
        cp = _i(port.get("containerPort"))
        if cp is not None:
            if cp == 0:
                causes.append(required(at(p, "containerPort")))
            causes += [invalid(at(p, "containerPort"), cp, m) for m in (port_num_errors(cp) if cp else [])]
        hp = _i(port.get("hostPort"))
        if hp:
            causes += [invalid(at(p, "hostPort"), hp, m) for m in port_num_errors(hp)]
        protocol = port.get("protocol")
        if isinstance(protocol, str) and protocol not in PROTOCOLS:
            causes.append(not_supported(at(p, "protocol"), protocol, PROTOCOLS))
    return causes


def _env(env: Any, path: str) -> list[Cause]:
    causes = []
    for i, var in _items(env):
        p = idx(path, i)
        name = _s(var.get("name"))
        if not name:
            causes.append(required(at(p, "name")))
        else:
            causes += [invalid(at(p, "name"), name, m) for m in relaxed_env_var_name_errors(name)]
        causes += _env_value_from(var, at(p, "valueFrom"))
    return causes


def _env_value_from(var: dict, path: str) -> list[Cause]:
    source = var.get("valueFrom")
    if not isinstance(source, dict):
        return []
    checks = {"fieldRef": _field_ref, "resourceFieldRef": _resource_field_ref,
              "configMapKeyRef": _key_ref, "secretKeyRef": _key_ref}
    causes, count = [], 0
    for name, check in checks.items():
        if isinstance(source.get(name), dict):
            count += 1
            causes += check(source[name], at(path, name))
    if count == 0:
        causes.append(invalid(path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
    elif _s(var.get("value")):
        causes.append(invalid(path, "", "may not be specified when `value` is not empty"))
    elif count > 1:
        causes.append(invalid(path, "", "may not have more than one field specified at a time"))
    return causes


def _field_ref(ref: dict, path: str, allowed: tuple[str, ...] = ENV_FIELD_PATHS) -> list[Cause]:
    api_version = _s(ref.get("apiVersion")) or "v1"
    field_path = _s(ref.get("fieldPath"))
    if not field_path:
        return [required(at(path, "fieldPath"))]
    if api_version != "v1":
        return [invalid(at(path, "fieldPath"), field_path, f"error converting fieldPath: unsupported pod version: {api_version}")]
    sub = _SUBSCRIPTED.match(field_path)
    if sub:
        name = sub.group(2).lower() if sub.group(1).endswith("annotations") else sub.group(2)
        return [invalid(path, name, m) for m in qualified_name_errors(name)]
    if field_path not in _POD_FIELD_LABELS:
        return [invalid(at(path, "fieldPath"), field_path, f"error converting fieldPath: field label not supported: {field_path}")]
    if field_path not in allowed:
        return [not_supported(at(path, "fieldPath"), field_path, sorted(allowed))]
    return []


def _resource_field_ref(ref: dict, path: str) -> list[Cause]:
    resource = _s(ref.get("resource"))
    if not resource:
        return [required(at(path, "resource"))]
    if resource not in RESOURCE_FIELD_PATHS and not resource.startswith(("requests.hugepages-", "limits.hugepages-")):
        return [not_supported(at(path, "resource"), resource, RESOURCE_FIELD_PATHS)]
    return []


def _key_ref(ref: dict, path: str) -> list[Cause]:
    name, k = _s(ref.get("name")), _s(ref.get("key"))
    causes = [invalid(at(path, "name"), name, m) for m in name_is_subdomain(name)]
    if not k:
        causes.append(required(at(path, "key")))
    else:
        causes += [invalid(at(path, "key"), k, m) for m in config_key_errors(k)]
    return causes


def _env_from(sources: Any, path: str) -> list[Cause]:
    causes = []
    for i, src in _items(sources):
        p = idx(path, i)
        prefix = _s(src.get("prefix"))
        if prefix:
            causes += [invalid(at(p, "prefix"), prefix, m) for m in relaxed_env_var_name_errors(prefix)]
        count = 0
        for ref in ("configMapRef", "secretRef"):
            if isinstance(src.get(ref), dict):
                count += 1
                name = _s(src[ref].get("name"))
                if not name:
                    causes.append(required(at(p, ref, "name")))
                else:
                    causes += [invalid(at(p, ref, "name"), name, m) for m in name_is_subdomain(name, True)]
        if count == 0:
            causes.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif count > 1:
            causes.append(invalid(path, "", "may not have more than one field specified at a time"))
    return causes


def _local_descending_path(value: str, path: str) -> list[Cause]:
    causes = []
    if value.startswith("/"):
        causes.append(invalid(path, value, "must be a relative path"))
    if ".." in value.replace("\\", "/").split("/"):
        causes.append(invalid(path, value, "must not contain '..'"))
    return causes


def _volume_mounts(mounts: Any, volumes: set[str], path: str) -> list[Cause]:
    causes, seen = [], set()
    for i, mount in _items(mounts):
        p = idx(path, i)
        name, mount_path = _s(mount.get("name")), _s(mount.get("mountPath"))
        if not name:
            causes.append(required(at(p, "name")))
        if name not in volumes:
            causes.append(not_found(at(p, "name"), name))
        if not mount_path:
            causes.append(required(at(p, "mountPath")))
        if mount_path in seen:
            causes.append(invalid(at(p, "mountPath"), mount_path, "must be unique"))
        seen.add(mount_path)
        sub_path, sub_expr = _s(mount.get("subPath")), _s(mount.get("subPathExpr"))
        # Kubernetes reports these two without the item index.
        if sub_path:
            causes += _local_descending_path(sub_path, at(path, "subPath"))
        if sub_expr:
            if sub_path:
                causes.append(invalid(at(p, "subPathExpr"), sub_expr, "subPathExpr and subPath are mutually exclusive"))
            causes += _local_descending_path(sub_expr, at(path, "subPathExpr"))
    return causes


def _port_num_or_name(port: Any, path: str) -> list[Cause]:
    if isinstance(port, str):
        return [invalid(path, port, m) for m in port_name_errors(port)]
    value = _i(port)
    if value is not None:
        return [invalid(path, value, m) for m in port_num_errors(value)]
    return []


def _handler(handler: dict, path: str, grace: int | None, kinds: tuple[str, ...]) -> list[Cause]:
    """validateHandler: exactly one of the handler types."""
    causes, found = [], 0
    for name in ("exec", "httpGet", "tcpSocket", "grpc", "sleep"):
        if name not in kinds or not isinstance(handler.get(name), dict):
            continue
        if found:
            causes.append(forbidden(at(path, name), "may not specify more than 1 handler type"))
            continue
        found += 1
        causes += _handler_action(name, handler[name], at(path, name), grace)
    if not found:
        causes.append(required(path, "must specify a handler type"))
    return causes


def _handler_action(name: str, action: dict, path: str, grace: int | None) -> list[Cause]:
    if name == "exec":
        return [] if _l(action.get("command")) else [required(at(path, "command"))]
    if name == "httpGet":
        causes = [] if _s(action.get("path")) else [required(at(path, "path"))]
        causes += _port_num_or_name(action.get("port"), at(path, "port"))
        scheme = action.get("scheme")
        if isinstance(scheme, str) and scheme not in ("HTTP", "HTTPS"):
            causes.append(not_supported(at(path, "scheme"), scheme, ("HTTP", "HTTPS")))
        for header in _l(action.get("httpHeaders")):
            header_name = _s(_d(header).get("name"))
            if not re.fullmatch(r"[-A-Za-z0-9]+", header_name):
                causes.append(invalid(at(path, "httpHeaders"), header_name, regex_error(
                    "a valid HTTP header must consist of alphanumeric characters or '-'", "[-A-Za-z0-9]+", "X-Header-Name")))
        return causes
    if name in ("tcpSocket", "grpc"):
        return _port_num_or_name(action.get("port"), at(path, "port"))
    seconds = _i(action.get("seconds"))  # sleep
    if grace is not None and seconds is not None and (seconds <= 0 or seconds > grace):
        return [invalid(path, seconds, f"must be greater than 0 and less than terminationGracePeriodSeconds ({grace}). "
                                       "Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.")]
    return []


_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")


def _probe(probe: Any, path: str, grace: int | None, which: str) -> list[Cause]:
    if not isinstance(probe, dict):
        return []
    causes = _handler(probe, path, grace, _PROBE_HANDLERS)
    for f in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        causes += _nonnegative(probe.get(f), at(path, f))
    tgps = _i(probe.get("terminationGracePeriodSeconds"))
    if which == "readiness":
        if probe.get("terminationGracePeriodSeconds") is not None:
            causes.append(invalid(at(path, "terminationGracePeriodSeconds"), probe.get("terminationGracePeriodSeconds"),
                                  "must not be set for readinessProbes"))
    elif tgps is not None and tgps <= 0:
        causes.append(invalid(at(path, "terminationGracePeriodSeconds"), tgps, "must be greater than 0"))
    success = _i(probe.get("successThreshold"))
    if which in ("liveness", "startup") and success not in (None, 0, 1):
        causes.append(invalid(at(path, "successThreshold"), success, "must be 1"))
    return causes


def _lifecycle(lifecycle: Any, path: str, grace: int | None) -> list[Cause]:
    causes = []
    for hook in ("postStart", "preStop"):
        if isinstance(_d(lifecycle).get(hook), dict):
            causes += _handler(lifecycle[hook], at(path, hook), grace, _LIFECYCLE_HANDLERS)
    return causes


def _container_security_context(sc: Any, path: str) -> list[Cause]:
    sc = _d(sc)
    causes = []
    for f in ("runAsUser", "runAsGroup"):
        v = _i(sc.get(f))
        if v is not None and not 0 <= v <= 2**31 - 1:
            causes.append(invalid(at(path, f), v, inclusive_range(0, 2**31 - 1)))
    if sc.get("allowPrivilegeEscalation") is False:
        shown = go_struct("core.SecurityContext", sc)
        if sc.get("privileged") is True:
            causes.append(invalid(path, shown, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
        if "CAP_SYS_ADMIN" in _l(_d(sc.get("capabilities")).get("add")):
            causes.append(invalid(path, shown, "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"))
    return causes


def _container_common(c: dict, path: str, volumes: set[str], is_pod: bool) -> list[Cause]:
    """validateContainerCommon (plus the pod-only image whitespace rule)."""
    causes: list[Cause] = []
    name = _s(c.get("name"))
    if not name:
        causes.append(required(at(path, "name")))
    else:
        causes += [invalid(at(path, "name"), name, m) for m in dns1123_label_errors(name)]
    image = c.get("image")
    if not _s(image):
        causes.append(required(at(path, "image")))
    elif is_pod and image != image.strip():
        causes.append(invalid(at(path, "image"), image, "must not have leading or trailing whitespace"))
    policy = c.get("terminationMessagePolicy")
    if isinstance(policy, str) and policy and policy not in TERMINATION_MESSAGE_POLICIES:
        causes.append(not_supported(at(path, "terminationMessagePolicy"), policy, TERMINATION_MESSAGE_POLICIES))
    causes += _container_ports(c.get("ports"), at(path, "ports"))
    causes += _env(c.get("env"), at(path, "env"))
    causes += _env_from(c.get("envFrom"), at(path, "envFrom"))
    causes += _volume_mounts(c.get("volumeMounts"), volumes, at(path, "volumeMounts"))
    pull = c.get("imagePullPolicy")
    if isinstance(pull, str) and pull and pull not in PULL_POLICIES:
        causes.append(not_supported(at(path, "imagePullPolicy"), pull, PULL_POLICIES))
    causes += validate_resources(c.get("resources"), at(path, "resources"))
    causes += _container_security_context(c.get("securityContext"), at(path, "securityContext"))
    return causes


def _probes_and_hooks(c: dict, path: str, grace: int | None) -> list[Cause]:
    causes = _lifecycle(c.get("lifecycle"), at(path, "lifecycle"), grace)
    for which in ("liveness", "readiness", "startup"):
        causes += _probe(c.get(f"{which}Probe"), at(path, f"{which}Probe"), grace, which)
    return causes


def _containers(spec: dict, path: str, volumes: set[str], grace: int | None, is_pod: bool) -> list[Cause]:
    containers = spec.get("containers", [])
    if not isinstance(containers, list):
        return []  # the schema reports the type
    if not containers:
        return [required(at(path, "containers"))]
    causes, names = [], set()
    for i, c in _items(containers):
        p = idx(at(path, "containers"), i)
        causes += _container_common(c, p, volumes, is_pod)
        name = _s(c.get("name"))
        if name in names:
            causes.append(duplicate(at(p, "name"), name))
        names.add(name)
        causes += _probes_and_hooks(c, p, grace)
        if c.get("restartPolicy") is not None:
            causes.append(forbidden(at(p, "restartPolicy"), "may not be set for non-init containers"))
    return causes


def _init_containers(spec: dict, path: str, volumes: set[str], grace: int | None, is_pod: bool) -> list[Cause]:
    causes = []
    names = {_s(c.get("name")) for _, c in _items(spec.get("containers"))}
    for i, c in _items(spec.get("initContainers")):
        p = idx(at(path, "initContainers"), i)
        causes += _container_common(c, p, volumes, is_pod)
        policy = c.get("restartPolicy")
        if policy is not None and policy != "Always":
            causes.append(not_supported(at(p, "restartPolicy"), _text(policy), ("Always",)))
        name = _s(c.get("name"))
        if name in names:
            causes.append(duplicate(at(p, "name"), name))
        elif name:
            names.add(name)
        if policy == "Always":  # a sidecar: may have probes and hooks
            causes += _probes_and_hooks(c, p, grace)
            continue
        for f in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
            if c.get(f) is not None:
                causes.append(forbidden(at(p, f), "may not be set for init containers without restartPolicy=Always"))
    return causes


def _host_port_conflicts(containers: list, path: str) -> list[Cause]:
    causes, seen = [], set()
    for ci, c in _items(containers):
        for pi, port in _items(c.get("ports")):
            hp = _i(port.get("hostPort"))
            if not hp:
                continue
            k = f"{_s(port.get('protocol')) or 'TCP'}/{_s(port.get('hostIP'))}/{hp}"
            if k in seen:
                causes.append(duplicate(at(idx(at(idx(path, ci), "ports"), pi), "hostPort"), k))
            seen.add(k)
    return causes


# --------------------------------------------------------------------------------------
# Volumes.
# --------------------------------------------------------------------------------------

# In validateVolumeSource's order; the value is the path segment Kubernetes reports for a
# second source ("downwarAPI" and "cephFS" are Kubernetes' spellings, kept).
_VOLUME_SOURCES = {
    "emptyDir": "emptyDir", "hostPath": "hostPath", "gitRepo": "gitRepo", "gcePersistentDisk": "gcePersistentDisk",
    "awsElasticBlockStore": "awsElasticBlockStore", "secret": "secret", "nfs": "nfs", "iscsi": "iscsi",
    "glusterfs": "glusterfs", "flocker": "flocker", "persistentVolumeClaim": "persistentVolumeClaim", "rbd": "rbd",
    "cinder": "cinder", "cephfs": "cephFS", "quobyte": "quobyte", "downwardAPI": "downwarAPI", "fc": "fc",
    "flexVolume": "flexVolume", "configMap": "configMap", "azureFile": "azureFile", "vsphereVolume": "vsphereVolume",
    "photonPersistentDisk": "photonPersistentDisk", "portworxVolume": "portworxVolume", "azureDisk": "azureDisk",
    "storageos": "storageos", "projected": "projected", "scaleIO": "scaleIO", "csi": "csi", "ephemeral": "ephemeral",
    "image": "image",
}
HOST_PATH_TYPES = ("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket")


def _volumes(volumes: Any, path: str) -> tuple[set[str], list[Cause]]:
    """ValidateVolumes: the names of the valid volumes, and every problem."""
    names, causes = set(), []
    for i, vol in _items(volumes):
        p = idx(path, i)
        errs = _volume_source(vol, p)
        name = _s(vol.get("name"))
        if not name:
            errs.append(required(at(p, "name")))
        else:
            errs += [invalid(at(p, "name"), name, m) for m in dns1123_label_errors(name)]
        if name in names:
            errs.append(duplicate(at(p, "name"), name))
        if errs:
            causes += errs
        else:
            names.add(name)
    return names, causes


def _volume_source(vol: dict, path: str) -> list[Cause]:
    causes, found = [], 0
    for source, segment in _VOLUME_SOURCES.items():
        if not isinstance(vol.get(source), dict):
            continue
        if found:
            causes.append(forbidden(at(path, segment), "may not specify more than 1 volume type"))
            continue
        found += 1
        causes += _SOURCE_CHECKS.get(source, lambda _v, _p: [])(vol[source], at(path, source))
    if not found:
        causes.append(required(path, "must specify a volume type"))
    return causes


def _mode(value: Any, path: str) -> list[Cause]:
    v = _i(value)
    return [invalid(path, v, _FILE_MODE)] if v is not None and not 0 <= v <= 0o777 else []


def _key_to_paths(items: Any, path: str) -> list[Cause]:
    causes = []
    for i, item in _items(items):
        p = idx(path, i)
        if not _s(item.get("key")):
            causes.append(required(at(p, "key")))
        target = _s(item.get("path"))
        if not target:
            causes.append(required(at(p, "path")))
        else:
            causes += _local_descending_path(target, at(p, "path"))
            if target.startswith(".."):
                causes.append(invalid(at(p, "path"), target, "must not start with '..'"))
        causes += _mode(item.get("mode"), at(p, "mode"))
    return causes


def _secret_volume(src: dict, path: str) -> list[Cause]:
    causes = [] if _s(src.get("secretName")) else [required(at(path, "secretName"))]
    return causes + _mode(src.get("defaultMode"), at(path, "defaultMode")) + _key_to_paths(src.get("items"), at(path, "items"))


def _config_map_volume(src: dict, path: str) -> list[Cause]:
    causes = [] if _s(src.get("name")) else [required(at(path, "name"))]
    return causes + _mode(src.get("defaultMode"), at(path, "defaultMode")) + _key_to_paths(src.get("items"), at(path, "items"))


def _host_path_volume(src: dict, path: str) -> list[Cause]:
    host_path = _s(src.get("path"))
    if not host_path:
        return [required(at(path, "path"))]
    causes = []
    if ".." in host_path.split("/"):
        causes.append(invalid(at(path, "path"), host_path, "must not contain '..'"))
    kind = src.get("type")
    if isinstance(kind, str) and kind not in HOST_PATH_TYPES:
        causes.append(not_supported(at(path, "type"), kind, HOST_PATH_TYPES))
    return causes


def _empty_dir_volume(src: dict, path: str) -> list[Cause]:
    limit = src.get("sizeLimit")
    if limit is None:
        return []
    q, errs = parse_quantity(limit, at(path, "sizeLimit"))
    if errs:
        return errs
    return [forbidden(at(path, "sizeLimit"), "SizeLimit field must be a valid resource quantity")] if q.value < 0 else []


def _pvc_volume(src: dict, path: str) -> list[Cause]:
    return [] if _s(src.get("claimName")) else [required(at(path, "claimName"))]


def _nfs_volume(src: dict, path: str) -> list[Cause]:
    causes = [] if _s(src.get("server")) else [required(at(path, "server"))]
    nfs_path = _s(src.get("path"))
    if not nfs_path:
        causes.append(required(at(path, "path")))
    elif not nfs_path.startswith("/"):
        causes.append(invalid(at(path, "path"), nfs_path, "must be an absolute path"))
    return causes


_SOURCE_CHECKS: dict[str, Callable[[dict, str], list[Cause]]] = {
    "secret": _secret_volume, "configMap": _config_map_volume, "hostPath": _host_path_volume,
    "emptyDir": _empty_dir_volume, "persistentVolumeClaim": _pvc_volume, "nfs": _nfs_volume,
}


# --------------------------------------------------------------------------------------
# Pod specs and pod templates.
# --------------------------------------------------------------------------------------

RESTART_POLICIES = ("Always", "OnFailure", "Never")
DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
TOLERATION_OPERATORS = ("Equal", "Exists")
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
NODE_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")
_MAX_INT32 = 2**31 - 1


def validate_pod_spec(spec: Any, path: str, *, is_pod: bool) -> list[Cause]:
    """ValidatePodSpec (for a Pod, or a template when is_pod is False)."""
    if not isinstance(spec, dict):
        return []
    grace = _i(spec.get("terminationGracePeriodSeconds"))
    volumes, causes = _volumes(spec.get("volumes"), at(path, "volumes"))
    causes += _containers(spec, path, volumes, grace, is_pod)
    causes += _init_containers(spec, path, volumes, grace, is_pod)
    causes += _host_port_conflicts(_l(spec.get("containers")), at(path, "containers"))
    causes += _host_network_ports(spec, path)
    causes += _enum(spec.get("restartPolicy"), at(path, "restartPolicy"), RESTART_POLICIES)
    causes += _enum(spec.get("dnsPolicy"), at(path, "dnsPolicy"), DNS_POLICIES)
    causes += validate_labels(spec.get("nodeSelector"), at(path, "nodeSelector"))
    causes += _pod_security_context(spec.get("securityContext"), at(path, "securityContext"))
    causes += _image_pull_secrets(spec.get("imagePullSecrets"), at(path, "imagePullSecrets"))
    causes += _affinity(spec.get("affinity"), at(path, "affinity"))
    causes += _dns_config(spec, path)
    causes += _topology_spread(spec.get("topologySpreadConstraints"), at(path, "topologySpreadConstraints"))
    causes += _pod_names(spec, path)
    causes += _active_deadline(spec.get("activeDeadlineSeconds"), at(path, "activeDeadlineSeconds"))
    causes += validate_tolerations(spec.get("tolerations"), at(path, "tolerations"))
    causes += _host_aliases(spec.get("hostAliases"), at(path, "hostAliases"))
    preemption = spec.get("preemptionPolicy")
    if isinstance(preemption, str):
        causes += _enum(preemption, at(path, "preemptionPolicy"), ("PreemptLowerPriority", "Never"), allow_empty=False)
    if isinstance(spec.get("overhead"), dict):
        causes += validate_resources({"limits": spec["overhead"]}, at(path, "overhead"))
    return causes


def _enum(value: Any, path: str, supported: tuple[str, ...], *, allow_empty: bool = True) -> list[Cause]:
    """An enumerated string field; "" counts as unset (the default applies) unless not allowed."""
    if not isinstance(value, str) or value in supported:
        return []
    if value == "":
        return [] if allow_empty else [required(path)]
    return [not_supported(path, value, supported)]


def _host_network_ports(spec: dict, path: str) -> list[Cause]:
    if spec.get("hostNetwork") is not True:
        return []
    causes = []
    for i, c in _items(spec.get("containers")):
        for j, port in _items(c.get("ports")):
            hp, cp = _i(port.get("hostPort")), _i(port.get("containerPort"))
            if hp and hp != cp:  # unset is defaulted to containerPort
                p = at(idx(at(idx(at(path, "containers"), i), "ports"), j), "hostPort")
                causes.append(invalid(p, hp, "must match `containerPort` when `hostNetwork` is true"))
    return causes


def _pod_security_context(sc: Any, path: str) -> list[Cause]:
    sc = _d(sc)
    causes = []
    for f in ("runAsUser", "runAsGroup", "fsGroup"):
        v = _i(sc.get(f))
        if v is not None and not 0 <= v <= _MAX_INT32:
            causes.append(invalid(at(path, f), v, inclusive_range(0, _MAX_INT32)))
    for i, gid in enumerate(_l(sc.get("supplementalGroups"))):
        if _i(gid) is not None and not 0 <= gid <= _MAX_INT32:
            causes.append(invalid(idx(at(path, "supplementalGroups"), i), gid, inclusive_range(0, _MAX_INT32)))
    policy = sc.get("fsGroupChangePolicy")
    if isinstance(policy, str) and policy not in ("Always", "OnRootMismatch"):
        causes.append(not_supported(at(path, "fsGroupChangePolicy"), policy, ("Always", "OnRootMismatch")))
    return causes


def _image_pull_secrets(secrets: Any, path: str) -> list[Cause]:
    return [invalid(idx(path, i), go_struct("core.LocalObjectReference", s), "only name may be set")
            for i, s in _items(secrets) if set(s) - {"name"}]


def _node_selector_requirements(reqs: Any, path: str) -> list[Cause]:
    causes = []
    for i, req in _items(reqs):
        p = idx(path, i)
        op, values = req.get("operator"), _l(req.get("values"))
        if op in ("In", "NotIn"):
            if not values:
                causes.append(required(at(p, "values"), "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist"):
            if values:
                causes.append(forbidden(at(p, "values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
        elif op in ("Gt", "Lt"):
            if len(values) != 1:
                causes.append(required(at(p, "values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
        else:
            causes.append(invalid(at(p, "operator"), _text(op), "not a valid selector operator"))
        k = _s(req.get("key"))
        causes += [invalid(at(p, "key"), k, m) for m in qualified_name_errors(k)]
    return causes


def _node_selector_term(term: dict, path: str) -> list[Cause]:
    causes = _node_selector_requirements(term.get("matchExpressions"), at(path, "matchExpressions"))
    for i, req in _items(term.get("matchFields")):
        p = idx(at(path, "matchFields"), i)
        if _s(req.get("key")) != "metadata.name":
            causes.append(invalid(at(p, "key"), _s(req.get("key")), "not a valid field selector key"))
    return causes


def _affinity(affinity: Any, path: str) -> list[Cause]:
    affinity = _d(affinity)
    causes = []
    node = _d(affinity.get("nodeAffinity"))
    required_terms = node.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(required_terms, dict):
        p = at(path, "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
        terms = _l(required_terms.get("nodeSelectorTerms"))
        if not terms:
            causes.append(required(at(p, "nodeSelectorTerms"), "must have at least one node selector term"))
        for i, term in _items(terms):
            causes += _node_selector_term(term, idx(at(p, "nodeSelectorTerms"), i))
    for i, pref in _items(node.get("preferredDuringSchedulingIgnoredDuringExecution")):
        p = idx(at(path, "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"), i)
        causes += _weight(pref.get("weight"), at(p, "weight"))
        causes += _node_selector_term(_d(pref.get("preference")), at(p, "preference"))
    for which in ("podAffinity", "podAntiAffinity"):
        pod = _d(affinity.get(which))
        for i, term in _items(pod.get("requiredDuringSchedulingIgnoredDuringExecution")):
            causes += _pod_affinity_term(term, idx(at(path, which, "requiredDuringSchedulingIgnoredDuringExecution"), i))
        for i, weighted in _items(pod.get("preferredDuringSchedulingIgnoredDuringExecution")):
            p = idx(at(path, which, "preferredDuringSchedulingIgnoredDuringExecution"), i)
            causes += _weight(weighted.get("weight"), at(p, "weight"))
            causes += _pod_affinity_term(_d(weighted.get("podAffinityTerm")), at(p, "podAffinityTerm"))
    return causes


def _weight(weight: Any, path: str) -> list[Cause]:
    w = _i(weight)
    return [invalid(path, w, "must be in the range 1-100")] if w is not None and not 1 <= w <= 100 else []


def _pod_affinity_term(term: dict, path: str) -> list[Cause]:
    causes = validate_label_selector(term.get("labelSelector"), at(path, "labelSelector"))
    causes += validate_label_selector(term.get("namespaceSelector"), at(path, "namespaceSelector"))
    for i, ns in enumerate(_l(term.get("namespaces"))):
        if isinstance(ns, str):
            causes += [invalid(idx(at(path, "namespaces"), i), ns, m) for m in name_is_label(ns)]
    topology = _s(term.get("topologyKey"))
    if not topology:
        causes.append(required(at(path, "topologyKey"), "can not be empty"))
    else:
        causes += [invalid(at(path, "topologyKey"), topology, m) for m in qualified_name_errors(topology)]
    return causes


def _dns_config(spec: dict, path: str) -> list[Cause]:
    config = spec.get("dnsConfig")
    if spec.get("dnsPolicy") == "None":
        if not isinstance(config, dict):
            return [required(at(path, "dnsConfig"), "must provide `dnsConfig` when `dnsPolicy` is None")]
        if not _l(config.get("nameservers")):
            return [required(at(path, "dnsConfig", "nameservers"),
                             "must provide at least one DNS nameserver when `dnsPolicy` is None")]
    causes = []
    nameservers = _l(_d(config).get("nameservers"))
    if len(nameservers) > 3:
        causes.append(invalid(at(path, "dnsConfig", "nameservers"), go_string_slice(nameservers), "must not have more than 3 nameservers"))
    for i, ns in enumerate(nameservers):
        if isinstance(ns, str):
            causes += ip_errors(idx(at(path, "dnsConfig", "nameservers"), i), ns)
    for i, option in _items(_d(config).get("options")):
        if not _s(option.get("name")):
            causes.append(required(idx(at(path, "dnsConfig", "options"), i), "must not be empty"))
    return causes


def _topology_spread(constraints: Any, path: str) -> list[Cause]:
    causes = []
    for i, c in _items(constraints):
        p = idx(path, i)
        skew = _i(c.get("maxSkew"))
        if skew is not None and skew <= 0:
            causes.append(invalid(at(p, "maxSkew"), skew, "must be greater than zero"))
        topology = _s(c.get("topologyKey"))
        if not topology:
            causes.append(required(at(p, "topologyKey"), "can not be empty"))
        else:
            causes += [invalid(at(p, "topologyKey"), topology, m) for m in qualified_name_errors(topology)]
        action = c.get("whenUnsatisfiable")
        if isinstance(action, str) and action not in ("DoNotSchedule", "ScheduleAnyway"):
            causes.append(not_supported(at(p, "whenUnsatisfiable"), action, ("DoNotSchedule", "ScheduleAnyway")))
        min_domains = _i(c.get("minDomains"))
        if min_domains is not None and min_domains <= 0:
            causes.append(invalid(at(p, "minDomains"), min_domains, "must be greater than 0"))
        causes += validate_label_selector(c.get("labelSelector"), at(p, "labelSelector"))
    return causes


def _pod_names(spec: dict, path: str) -> list[Cause]:
    causes = []
    for f, fn in (("serviceAccountName", name_is_subdomain), ("nodeName", name_is_subdomain),
                  ("priorityClassName", name_is_subdomain), ("runtimeClassName", name_is_subdomain),
                  ("hostname", name_is_label), ("subdomain", name_is_label)):
        value = _s(spec.get(f))
        if value:
            causes += [invalid(at(path, f), value, m) for m in fn(value)]
    return causes


def _active_deadline(value: Any, path: str) -> list[Cause]:
    v = _i(value)
    return [invalid(path, v, inclusive_range(1, _MAX_INT32))] if v is not None and not 1 <= v <= _MAX_INT32 else []


def validate_tolerations(tolerations: Any, path: str) -> list[Cause]:
    causes = []
    for i, t in _items(tolerations):
        p = idx(path, i)
        k, op, value, effect = _s(t.get("key")), _s(t.get("operator")), _s(t.get("value")), _s(t.get("effect"))
        if k:
            causes += [invalid(at(p, "key"), k, m) for m in qualified_name_errors(k)]
        if not k and op != "Exists":
            causes.append(invalid(at(p, "operator"), op, "operator must be Exists when `key` is empty, which means "
                                                         "\"match all values and all keys\""))
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            causes.append(invalid(at(p, "effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if op in ("Equal", ""):
            errs = selectors.label_value_errors(value)
            if errs:
                causes.append(invalid(at(p, "operator"), value, ";".join(errs)))
        elif op == "Exists":
            if value:
                causes.append(invalid(at(p, "operator"), value, "value must be empty when `operator` is 'Exists'"))
        else:
            causes.append(not_supported(at(p, "operator"), op, TOLERATION_OPERATORS))
        if effect and effect not in TAINT_EFFECTS:
            causes.append(not_supported(at(p, "effect"), effect, TAINT_EFFECTS))
    return causes


def _host_aliases(aliases: Any, path: str) -> list[Cause]:
    causes = []
    for i, alias in _items(aliases):
        p = idx(path, i)
        causes += ip_errors(at(p, "ip"), _s(alias.get("ip")))
        for j, host in enumerate(_l(alias.get("hostnames"))):
            if isinstance(host, str):
                causes += [invalid(idx(at(p, "hostnames"), j), host, m) for m in subdomain_errors(host)]
    return causes


def validate_pod_template(template: Any, path: str) -> list[Cause]:
    """ValidatePodTemplateSpec. Note the paths: `template.labels`, not `template.metadata.labels`."""
    template = _d(template)
    md = _d(template.get("metadata"))
    causes = validate_labels(md.get("labels"), at(path, "labels"))
    causes += validate_annotations(md.get("annotations"), at(path, "annotations"))
    causes += _pod_specific_annotations(md.get("annotations"), at(path, "annotations"))
    causes += validate_pod_spec(template.get("spec"), at(path, "spec"), is_pod=False)
    if _l(_d(template.get("spec")).get("ephemeralContainers")):
        causes.append(forbidden(at(path, "spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"))
    return causes


def _restart_always_template(spec: dict, path: str, owner: str) -> list[Cause]:
    """The rules every controller with long-running pods adds to its template."""
    tspec = _d(_d(spec.get("template")).get("spec"))
    causes = []
    policy = tspec.get("restartPolicy")
    if isinstance(policy, str) and policy != "Always":
        causes.append(not_supported(at(path, "template", "spec", "restartPolicy"), policy, ("Always",)))
    if tspec.get("activeDeadlineSeconds") is not None:
        causes.append(forbidden(at(path, "template", "spec", "activeDeadlineSeconds"),
                                f"activeDeadlineSeconds in {owner} is not Supported"))
    return causes


# --------------------------------------------------------------------------------------
# Kinds.
# --------------------------------------------------------------------------------------

def _pod(obj: dict) -> list[Cause]:
    md = _d(obj.get("metadata"))
    causes = _pod_specific_annotations(md.get("annotations"), "metadata.annotations")
    return causes + validate_pod_spec(obj.get("spec"), "spec", is_pod=True)


def _int_or_percent(value: Any, path: str) -> list[Cause]:
    """ValidatePositiveIntOrPercent."""
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]+%", value):
            return [invalid(path, Go(value), regex_error(
                "a valid percent string must be a numeric string followed by an ending '%'", "[0-9]+%", "1%", "93%"))]
        return []
    v = _i(value)
    return [invalid(path, v, NEGATIVE)] if v is not None and v < 0 else []


def _int_or_percent_value(value: Any) -> int:
    if isinstance(value, str):
        return int(value[:-1]) if re.fullmatch(r"[0-9]+%", value) else 0
    return _i(value) or 0


def _over_100_percent(value: Any, path: str) -> list[Cause]:
    if isinstance(value, str) and re.fullmatch(r"[0-9]+%", value) and int(value[:-1]) > 100:
        return [invalid(path, Go(value), "must not be greater than 100%")]
    return []


def _deployment_strategy(strategy: Any, path: str) -> list[Cause]:
    strategy = _d(strategy)
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            return [forbidden(at(path, "rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'")]
        return []
    if kind == "RollingUpdate":
        if not isinstance(rolling, dict):
            return [required(at(path, "rollingUpdate"), "this should be defaulted and never be nil")]
        p = at(path, "rollingUpdate")
        surge, unavailable = rolling.get("maxSurge"), rolling.get("maxUnavailable")
        causes = _int_or_percent(unavailable, at(p, "maxUnavailable")) + _int_or_percent(surge, at(p, "maxSurge"))
        if _int_or_percent_value(unavailable) == 0 and _int_or_percent_value(surge) == 0:
            causes.append(invalid(at(p, "maxUnavailable"), _intstr(unavailable), "may not be 0 when `maxSurge` is 0"))
        return causes + _over_100_percent(unavailable, at(p, "maxUnavailable"))
    shown = go_struct("apps.DeploymentStrategy", strategy)
    return [not_supported(path, shown, ("Recreate", "RollingUpdate"))]


def _intstr(value: Any) -> Any:
    """IntOrString values print through their String(): no quotes around strings."""
    return Go(value) if isinstance(value, str) else value


def _workload_template(spec: dict, path: str, sel: selectors.Selector | None, owner: str) -> list[Cause]:
    """ValidatePodTemplateSpecForReplicaSet (Deployments and ReplicaSets)."""
    causes = _selector_matches_template(spec, path, sel)
    causes += validate_pod_template(spec.get("template"), at(path, "template"))
    return causes + _restart_always_template(spec, path, owner)


def _replicated_selector(spec: dict, what: str) -> tuple[selectors.Selector | None, list[Cause]]:
    causes = _required_selector(spec, "spec", what)
    sel = _selector(spec.get("selector"))
    if sel is None and spec.get("selector") is not None:
        causes.append(invalid("spec.selector", go_label_selector(spec.get("selector")), "invalid label selector"))
    return sel, causes


def _deployment(obj: dict) -> list[Cause]:
    spec = _d(obj.get("spec"))
    causes = _nonnegative(spec.get("replicas"), "spec.replicas")
    sel, sel_causes = _replicated_selector(spec, "deployment")
    causes += sel_causes
    if sel is not None:
        causes += _workload_template(spec, "spec", sel, "ReplicaSet")
    causes += _deployment_strategy(spec.get("strategy"), "spec.strategy")
    causes += _nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += _nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    deadline = _i(spec.get("progressDeadlineSeconds"))
    if deadline is not None:
        causes += _nonnegative(deadline, "spec.progressDeadlineSeconds")
        if deadline <= (_i(spec.get("minReadySeconds")) or 0):
            causes.append(invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"))
    return causes


def _replica_set(obj: dict) -> list[Cause]:
    spec = _d(obj.get("spec"))
    causes = _nonnegative(spec.get("replicas"), "spec.replicas")
    causes += _nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    sel, sel_causes = _replicated_selector(spec, "deployment")  # sic: Kubernetes says "deployment" here too
    causes += sel_causes
    if sel is not None:
        causes += _workload_template(spec, "spec", sel, "ReplicaSet")
    return causes


def _daemon_set(obj: dict) -> list[Cause]:
    spec = _d(obj.get("spec"))
    causes = validate_label_selector(spec.get("selector"), "spec.selector")
    causes += _selector_matches_template(spec, "spec", _selector(spec.get("selector")))
    selector = spec.get("selector")
    if isinstance(selector, dict) and not selector.get("matchLabels") and not selector.get("matchExpressions"):
        causes.append(invalid("spec.selector", go_label_selector(selector), "empty selector is invalid for daemonset"))
    causes += validate_pod_template(spec.get("template"), "spec.template")
    causes += _restart_always_template(spec, "spec", "DaemonSet")
    causes += _nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += _daemon_set_strategy(spec.get("updateStrategy"), "spec.updateStrategy")
    causes += _nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    return causes


def _daemon_set_strategy(strategy: Any, path: str) -> list[Cause]:
    strategy = _d(strategy)
    kind = strategy.get("type")
    if kind == "OnDelete":
        return []
    if kind != "RollingUpdate":
        return [not_supported(path, go_struct("apps.DaemonSetUpdateStrategy", strategy), ("RollingUpdate", "OnDelete"))]
    rolling = strategy.get("rollingUpdate")
    if not isinstance(rolling, dict):
        return [required(at(path, "rollingUpdate"))]
    p = at(path, "rollingUpdate")
    unavailable, surge = rolling.get("maxUnavailable"), rolling.get("maxSurge")
    causes = _int_or_percent(unavailable, at(p, "maxUnavailable")) + _int_or_percent(surge, at(p, "maxSurge"))
    causes += _over_100_percent(unavailable, at(p, "maxUnavailable")) + _over_100_percent(surge, at(p, "maxSurge"))
    has_unavailable, has_surge = _int_or_percent_value(unavailable) != 0, _int_or_percent_value(surge) != 0
    if has_unavailable and has_surge:
        causes.append(invalid(at(p, "maxSurge"), _intstr(surge), "may not be set when maxUnavailable is non-zero"))
    elif not has_unavailable and not has_surge:
        causes.append(required(at(p, "maxUnavailable"), "cannot be 0 when maxSurge is 0"))
    return causes


def _stateful_set(obj: dict) -> list[Cause]:
    spec = _d(obj.get("spec"))
    causes = _stateful_set_policies(spec)
    causes += _nonnegative(spec.get("replicas"), "spec.replicas")
    causes += _nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    causes += _nonnegative(_d(spec.get("ordinals")).get("start"), "spec.ordinals.start")
    causes += _required_selector(spec, "spec", "statefulset")
    sel = _selector(spec.get("selector"))
    if sel is None and spec.get("selector") is not None:
        causes.append(invalid("spec.selector", go_label_selector(spec.get("selector")), ""))
    elif sel is not None:
        # ValidatePodTemplateSpecForStatefulSet: only labels and annotations, not the pod spec.
        causes += _selector_matches_template(spec, "spec", sel)
        md = _d(_d(spec.get("template")).get("metadata"))
        causes += validate_labels(md.get("labels"), "spec.template.labels")
        causes += validate_annotations(md.get("annotations"), "spec.template.annotations")
        causes += _pod_specific_annotations(md.get("annotations"), "spec.template.annotations")
    return causes + _restart_always_template(spec, "spec", "StatefulSet")


def _stateful_set_policies(spec: dict) -> list[Cause]:
    causes = []
    policy = spec.get("podManagementPolicy")
    if isinstance(policy, str) and policy not in ("OrderedReady", "Parallel"):
        causes.append(invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
    strategy = _d(spec.get("updateStrategy"))
    kind, rolling = strategy.get("type"), strategy.get("rollingUpdate")
    if kind == "OnDelete" and rolling is not None:
        causes.append(invalid("spec.updateStrategy.rollingUpdate", go_struct("apps.RollingUpdateStatefulSetStrategy", rolling),
                              "only allowed for updateStrategy 'RollingUpdate'"))
    elif kind == "RollingUpdate" and isinstance(rolling, dict):
        causes += _nonnegative(rolling.get("partition"), "spec.updateStrategy.rollingUpdate.partition")
    elif kind not in ("OnDelete", "RollingUpdate"):
        causes.append(invalid("spec.updateStrategy", go_struct("apps.StatefulSetUpdateStrategy", strategy),
                              "must be 'RollingUpdate' or 'OnDelete'"))
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    for f in ("whenDeleted", "whenScaled"):
        value = _d(retention).get(f)
        if isinstance(value, str) and value not in ("Retain", "Delete"):
            causes.append(not_supported(at("spec.persistentVolumeClaimRetentionPolicy", f), value, ("Retain", "Delete")))
    return causes


# --- Jobs and CronJobs -----------------------------------------------------------------

JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
CONTROLLER_UID_LABELS = ("batch.kubernetes.io/controller-uid", "controller-uid")


def _job_spec(spec: dict, path: str) -> list[Cause]:
    """validateJobSpec: what a Job and a CronJob's jobTemplate have in common."""
    causes = []
    for f in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished",
              "backoffLimitPerIndex", "maxFailedIndexes"):
        causes += _nonnegative(spec.get(f), at(path, f))
    mode = spec.get("completionMode")
    indexed = mode == "Indexed"
    if isinstance(mode, str) and mode not in ("NonIndexed", "Indexed"):
        causes.append(not_supported(at(path, "completionMode"), mode, ("NonIndexed", "Indexed")))
    if indexed and spec.get("completions") is None:
        causes.append(required(at(path, "completions"), "when completion mode is Indexed"))
    if indexed and (_i(spec.get("parallelism")) or 0) > 100000:
        causes.append(invalid(at(path, "parallelism"), spec["parallelism"],
                              "must be less than or equal to 100000 when completion mode is Indexed"))
    if spec.get("maxFailedIndexes") is not None and spec.get("backoffLimitPerIndex") is None:
        causes.append(required(at(path, "backoffLimitPerIndex"), "when maxFailedIndexes is specified"))
    if not indexed:
        for f in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(f) is not None:
                causes.append(invalid(at(path, f), spec[f], "requires indexed completion mode"))
        if spec.get("successPolicy") is not None:
            causes.append(invalid(at(path, "successPolicy"), go_struct("batch.SuccessPolicy", spec["successPolicy"]),
                                  "requires indexed completion mode"))
    causes += _pod_replacement_policy(spec, path)
    causes += validate_pod_template(spec.get("template"), at(path, "template"))
    return causes + _job_restart_policy(spec, path)


def _pod_replacement_policy(spec: dict, path: str) -> list[Cause]:
    policy = spec.get("podReplacementPolicy")
    if not isinstance(policy, str):
        return []
    if policy not in ("Failed", "TerminatingOrFailed"):
        return [not_supported(at(path, "podReplacementPolicy"), policy, ("Failed", "TerminatingOrFailed"))]
    if spec.get("podFailurePolicy") is not None and policy != "Failed":
        return [not_supported(at(path, "podReplacementPolicy"), policy, ("Failed",))]
    return []


def _job_restart_policy(spec: dict, path: str) -> list[Cause]:
    p = at(path, "template", "spec", "restartPolicy")
    policy = _d(_d(spec.get("template")).get("spec")).get("restartPolicy")
    if policy in (None, "", "Always"):
        return [required(p, 'valid values: "OnFailure", "Never"')]
    if isinstance(policy, str) and policy not in ("OnFailure", "Never"):
        return [not_supported(p, policy, ("OnFailure", "Never"))]
    if spec.get("podFailurePolicy") is not None and policy != "Never":
        return [invalid(p, policy, 'only "Never" is supported when podFailurePolicy is specified')]
    return []


def _job(obj: dict) -> list[Cause]:
    spec = _d(obj.get("spec"))
    md = _d(obj.get("metadata"))
    name, uid = _s(md.get("name")), _s(md.get("uid"))
    causes = _job_spec(spec, "spec")
    manual = spec.get("manualSelector") is True
    selector = spec.get("selector")
    if selector is not None:
        causes += validate_label_selector(selector, "spec.selector")
    if manual:
        if selector is None:
            causes.append(required("spec.selector"))
        causes += _selector_matches_template(spec, "spec", _selector(selector))
    else:
        causes += _generated_selector(spec, name, uid)
    completions = _i(spec.get("completions"))
    if spec.get("completionMode") == "Indexed" and completions and completions > 0 and name:
        hostname = f"{name}-{completions - 1}"
        if dns1123_label_errors(hostname):
            causes.append(invalid("metadata.name", name, f"will not able to create pod with invalid DNS label: {hostname}"))
    return causes


def _generated_selector(spec: dict, name: str, uid: str) -> list[Cause]:
    """The registry generates the selector and template labels from the Job's uid and
    name (validateGeneratedSelector checks the result); what the user gave must agree."""
    causes = []
    labels = _template_labels(spec)
    for k in JOB_NAME_LABELS:
        if k in labels and _text(labels[k]) != name:
            causes.append(invalid(key("spec.template.metadata.labels", k), go_string_map(labels), f"must be '{name}'"))
    for k in CONTROLLER_UID_LABELS:
        if k in labels and _text(labels[k]) != uid:
            causes.append(invalid(key("spec.template.metadata.labels", k), go_string_map(labels), f"must be '{uid}'"))
    if len(name) > 63 and not any(k in labels for k in JOB_NAME_LABELS):
        causes.append(invalid("spec.template.labels", name, max_len_error(63)))  # the generated job-name label
    selector = spec.get("selector")
    if selector is not None:
        expected = {**{k: name for k in JOB_NAME_LABELS}, **{k: uid for k in CONTROLLER_UID_LABELS}}
        sel = _selector(selector)
        if sel is not None and not sel.matches(expected):
            causes.append(invalid("spec.selector", go_label_selector(selector), "`selector` not auto-generated"))
    return causes


def _cron_job(obj: dict, *, creating: bool = True, old_spec: dict | None = None) -> list[Cause]:
    spec = _d(obj.get("spec"))
    causes = []
    schedule = spec.get("schedule")
    if isinstance(schedule, str) or schedule is None:
        schedule = schedule or ""
        if not schedule:
            causes.append(required("spec.schedule"))
        else:
            allow_tz = old_spec is not None and "TZ" in _s(old_spec.get("schedule"))
            causes += _schedule(schedule, "spec.schedule", allow_tz, spec.get("timeZone"))
    causes += _nonnegative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds")
    if old_spec is None or old_spec.get("timeZone") != spec.get("timeZone"):
        causes += _time_zone(spec.get("timeZone"), "spec.timeZone")
    policy = spec.get("concurrencyPolicy")
    if isinstance(policy, str) and policy not in ("Allow", "Forbid", "Replace"):
        causes.append(not_supported("spec.concurrencyPolicy", policy, ("Allow", "Forbid", "Replace")))
    causes += _job_template(_d(spec.get("jobTemplate")), "spec.jobTemplate")
    for f in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        causes += _nonnegative(spec.get(f), at("spec", f))
    name = _s(_d(obj.get("metadata")).get("name"))
    if creating and len(name) > 52:
        # Job names are the CronJob's plus an 11-character "-<timestamp>" suffix.
        causes.append(invalid("metadata.name", name, "must be no more than 52 characters"))
    return causes


def _job_template(template: dict, path: str) -> list[Cause]:
    spec = _d(template.get("spec"))
    causes = _job_spec(spec, at(path, "spec"))
    if spec.get("selector") is not None:
        causes.append(invalid(at(path, "spec", "selector"), go_label_selector(spec["selector"]), "`selector` will be auto-generated"))
    if spec.get("manualSelector") is True:
        causes.append(not_supported(at(path, "spec", "manualSelector"), True, ("nil", "false")))
    return causes


def _schedule(schedule: str, path: str, allow_tz: bool, time_zone: Any) -> list[Cause]:
    causes = []
    error = cron_error(schedule)
    if error:
        causes.append(invalid(path, schedule, error))
    if "TZ" in schedule:
        if not allow_tz:
            causes.append(invalid(path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
        elif time_zone is not None:
            causes.append(invalid(path, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
    return causes


_TZ_PART = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")


def _time_zone(tz: Any, path: str) -> list[Cause]:
    if not isinstance(tz, str):
        return []
    if tz == "":
        return [invalid(path, tz, "timeZone must be nil or non-empty string")]
    for part in tz.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_PART.fullmatch(part):
            return [invalid(path, tz, f"unknown time zone {tz}")]
    if tz.lower() == "local":
        return [invalid(path, tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")]
    return [] if _load_location(tz) else [invalid(path, tz, f"unknown time zone {tz}")]


def _load_location(tz: str) -> bool:
    import zoneinfo  # lazily: only CronJobs with a timeZone need the tz database

    try:
        zoneinfo.ZoneInfo(tz)
        return True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False


# robfig/cron v3's standard parser (minute hour day-of-month month day-of-week).
_CRON_FIELDS = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun",
                                             "jul", "aug", "sep", "oct", "nov", "dec"))}),
    (0, 6, {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}),
)
_DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def cron_error(spec: str) -> str:
    """cron.ParseStandard's error message for `spec`, or "" when it parses."""
    if not spec:
        return "empty spec string"
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space, eq = spec.find(" "), spec.find("=")
        location = spec[eq + 1:space] if space >= 0 else spec[eq + 1:]
        if space < 0 or not _load_location(location):
            return f"provided bad location {location}: unknown time zone {location}"
        spec = spec[space:].strip()
    if spec.startswith("@"):
        return _descriptor_error(spec)
    fields = spec.split()
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
    for text, (lo, hi, names) in zip(fields, _CRON_FIELDS):
        for expr in (e for e in text.split(",") if e):
            error = _cron_range_error(expr, lo, hi, names)
            if error:
                return error
    return ""


def _descriptor_error(spec: str) -> str:
    if spec in _DESCRIPTORS:
        return ""
    if spec.startswith("@every "):
        error = go_duration_error(spec[len("@every "):])
        return f"failed to parse duration {spec}: {error}" if error else ""
    return f"unrecognized descriptor: {spec}"


def _cron_range_error(expr: str, lo: int, hi: int, names: dict[str, int]) -> str:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    try:
        if low_and_high[0] in ("*", "?"):
            start, end = lo, hi
        else:
            start = _cron_int(low_and_high[0], names)
            if len(low_and_high) == 1:
                end = start
            elif len(low_and_high) == 2:
                end = _cron_int(low_and_high[1], names)
            else:
                return f"too many hyphens: {expr}"
        if len(range_and_step) == 2:
            step = _cron_int(range_and_step[1], {})
            if len(low_and_high) == 1:
                end = hi  # "N/step" means "N-max/step"
        elif len(range_and_step) > 2:
            return f"too many slashes: {expr}"
        else:
            step = 1
    except ValueError as exc:
        return str(exc)
    if start < lo:
        return f"beginning of range ({start}) below minimum ({lo}): {expr}"
    if end > hi:
        return f"end of range ({end}) above maximum ({hi}): {expr}"
    if start > end:
        return f"beginning of range ({start}) beyond end of range ({end}): {expr}"
    if step == 0:
        return f"step of range should be a positive number: {expr}"
    return ""


def _cron_int(text: str, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ValueError(f'failed to parse int from {text}: strconv.Atoi: parsing {go_quote(text)}: invalid syntax')
    value = int(text)
    if value < 0:
        raise ValueError(f"negative number ({value}) not allowed: {text}")
    return value


_DURATION_UNITS = ("ns", "us", "µs", "μs", "ms", "s", "m", "h")


def go_duration_error(text: str) -> str:
    """time.ParseDuration's error for `text`, or "" when it parses."""
    quoted = go_quote(text)
    s = text[1:] if text[:1] in "+-" else text
    if s == "0":
        return ""
    if not s:
        return f"time: invalid duration {quoted}"
    while s:
        number = re.match(r"[0-9]*(\.[0-9]*)?", s).group(0)
        if number in ("", "."):
            return f"time: invalid duration {quoted}"
        s = s[len(number):]
        unit = re.match(r"[^0-9.]*", s).group(0)
        if not unit:
            return f"time: missing unit in duration {quoted}"
        if unit not in _DURATION_UNITS:
            return f"time: unknown unit {go_quote(unit)} in duration {quoted}"
        s = s[len(unit):]
    return ""


# --- Services ---------------------------------------------------------------------------

SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
NODE_PORT_RANGE = (30000, 32767)


def _service(obj: dict) -> list[Cause]:
    spec = _d(obj.get("spec"))
    svc_type = _s(spec.get("type")) or "ClusterIP"
    headless = _cluster_ips(spec)[:1] == ["None"]
    ports = _l(spec.get("ports"))
    causes = []
    if not ports and not headless and svc_type != "ExternalName":
        causes.append(required("spec.ports"))
    causes += _service_type_rules(spec, svc_type, headless)
    names: set[str] = set()
    for i, port in _items(ports):
        causes += _service_port(port, idx("spec.ports", i), len(ports) > 1, names)
    if isinstance(spec.get("selector"), dict):
        causes += validate_labels(spec["selector"], "spec.selector")
    causes += _session_affinity(spec)
    causes += _cluster_ip_fields(spec, svc_type)
    for i, ip in enumerate(_l(spec.get("externalIPs"))):
        if isinstance(ip, str):
            causes += ip_errors(idx("spec.externalIPs", i), ip)
    causes += _enum(spec.get("type"), "spec.type", SERVICE_TYPES)
    causes += _node_ports(ports, svc_type)
    causes += _duplicate_service_ports(ports)
    causes += _load_balancer_fields(spec, svc_type)
    causes += _traffic_policies(spec, svc_type)
    return causes


def _cluster_ips(spec: dict) -> list[str]:
    ips = [ip for ip in _l(spec.get("clusterIPs")) if isinstance(ip, str)]
    if not ips and _s(spec.get("clusterIP")):
        ips = [spec["clusterIP"]]
    return ips


def _service_type_rules(spec: dict, svc_type: str, headless: bool) -> list[Cause]:
    if svc_type in ("LoadBalancer", "NodePort") and headless:
        return [invalid("spec.clusterIPs[0]", "None", f"may not be set to 'None' for {svc_type} services")]
    if svc_type != "ExternalName":
        return []
    causes = []
    if _cluster_ips(spec):
        causes.append(forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
    if _l(spec.get("ipFamilies")):
        causes.append(forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
    if spec.get("ipFamilyPolicy") is not None:
        causes.append(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
    cname = _s(spec.get("externalName")).removesuffix(".")
    if cname:
        causes += [invalid("spec.externalName", cname, m) for m in subdomain_errors(cname)]
    else:
        causes.append(required("spec.externalName"))
    return causes


def _service_port(port: dict, path: str, require_name: bool, names: set[str]) -> list[Cause]:
    causes = []
    name = _s(port.get("name"))
    if require_name and not name:
        causes.append(required(at(path, "name")))
    elif name:
        causes += [invalid(at(path, "name"), name, m) for m in dns1123_label_errors(name)]
        if name in names:
            causes.append(duplicate(at(path, "name"), name))
        names.add(name)
    number = _i(port.get("port"))
    if number is not None:
        causes += [invalid(at(path, "port"), number, m) for m in port_num_errors(number)]
    protocol = port.get("protocol")
    if isinstance(protocol, str) and protocol and protocol not in PROTOCOLS:
        causes.append(not_supported(at(path, "protocol"), protocol, PROTOCOLS))
    target = port.get("targetPort")
    if target in (None, 0, ""):
        target = number  # defaulted to the port
    causes += _port_num_or_name(target, at(path, "targetPort"))
    app_protocol = port.get("appProtocol")
    if isinstance(app_protocol, str):
        causes += [invalid(at(path, "appProtocol"), app_protocol, m) for m in qualified_name_errors(app_protocol)]
    return causes


def _session_affinity(spec: dict) -> list[Cause]:
    affinity = spec.get("sessionAffinity")
    causes = _enum(affinity, "spec.sessionAffinity", ("ClientIP", "None"))
    config = spec.get("sessionAffinityConfig")
    if affinity == "ClientIP" and isinstance(config, dict):
        timeout = _i(_d(config.get("clientIP")).get("timeoutSeconds"))
        if timeout is not None and not 0 < timeout <= 86400:
            causes.append(invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", timeout,
                                  "must be greater than 0 and less than 86400"))
    return causes


def _cluster_ip_fields(spec: dict, svc_type: str) -> list[Cause]:
    if svc_type == "ExternalName":
        return []
    causes = []
    ips = _cluster_ips(spec)
    for i, ip in enumerate(ips):
        if i == 0 and ip == "None":
            if len(ips) > 1:
                causes.append(invalid("spec.clusterIPs", go_string_slice(ips), "'None' must be the first and only value"))
            continue
        causes += ip_errors(idx("spec.clusterIPs", i), ip)
    if len(ips) > 2:
        causes.append(invalid("spec.clusterIPs", go_string_slice(ips), "may only hold up to 2 values"))
    cluster_ip = _s(spec.get("clusterIP"))
    if cluster_ip and _l(spec.get("clusterIPs")) and spec["clusterIPs"][0] != cluster_ip:
        causes.append(invalid("spec.clusterIPs", go_string_slice(spec["clusterIPs"]), "first value must match `clusterIP`"))
    seen = set()
    for i, family in enumerate(_l(spec.get("ipFamilies"))):
        if family not in ("IPv4", "IPv6"):
            causes.append(not_supported(idx("spec.ipFamilies", i), _text(family), ("IPv4", "IPv6")))
        if family in seen:
            causes.append(duplicate(idx("spec.ipFamilies", i), _text(family)))
        seen.add(family)
    policy = spec.get("ipFamilyPolicy")
    if isinstance(policy, str) and policy not in ("PreferDualStack", "RequireDualStack", "SingleStack"):
        causes.append(not_supported("spec.ipFamilyPolicy", policy, ("PreferDualStack", "RequireDualStack", "SingleStack")))
    return causes


def _node_ports(ports: list, svc_type: str) -> list[Cause]:
    causes, seen = [], set()
    lo, hi = NODE_PORT_RANGE
    for i, port in _items(ports):
        node_port = _i(port.get("nodePort"))
        if not node_port:
            continue
        p = at(idx("spec.ports", i), "nodePort")
        if svc_type == "ClusterIP":
            causes.append(forbidden(p, "may not be used when `type` is 'ClusterIP'"))
        elif svc_type in ("NodePort", "LoadBalancer") and not lo <= node_port <= hi:
            # The node-port allocator's answer (the registry, not validation, in Kubernetes).
            causes.append(invalid(p, node_port, f"provided port is not in the valid range. The range of valid ports is {lo}-{hi}"))
        k = (_s(port.get("protocol")) or "TCP", node_port)
        if k in seen:
            causes.append(duplicate(p, node_port))
        seen.add(k)
    return causes


def _duplicate_service_ports(ports: list) -> list[Cause]:
    causes, seen = [], set()
    for i, port in _items(ports):
        protocol, number = _s(port.get("protocol")) or "TCP", _i(port.get("port"))
        if (protocol, number) in seen:
            shown = Go(f'core.ServicePort{{Name:"", Protocol:{go_quote(protocol)}, AppProtocol:(*string)(nil), '
                       f'Port:{number}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}, NodePort:0}}')
            causes.append(duplicate(idx("spec.ports", i), shown))
        seen.add((protocol, number))
    return causes


def _load_balancer_fields(spec: dict, svc_type: str) -> list[Cause]:
    causes = []
    ranges = _l(spec.get("loadBalancerSourceRanges"))
    if ranges:
        path = "spec.LoadBalancerSourceRanges"  # sic: Kubernetes' capital L
        if svc_type != "LoadBalancer":
            causes.append(forbidden(path, "may only be used when `type` is 'LoadBalancer'"))
        for i, cidr in enumerate(ranges):
            if isinstance(cidr, str) and not _valid_cidr(cidr.strip()):
                causes.append(invalid(idx(path, i), cidr.strip(), "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
    if spec.get("allocateLoadBalancerNodePorts") is not None and svc_type != "LoadBalancer":
        causes.append(forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"))
    lb_class = spec.get("loadBalancerClass")
    if isinstance(lb_class, str):
        if svc_type != "LoadBalancer":
            causes.append(forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"))
        else:
            causes += [invalid("spec.loadBalancerClass", lb_class, m) for m in qualified_name_errors(lb_class)]
    return causes


def _valid_cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
        return "/" in value
    except ValueError:
        return False


def _traffic_policies(spec: dict, svc_type: str) -> list[Cause]:
    causes = []
    external = spec.get("externalTrafficPolicy")
    accessible = svc_type in ("LoadBalancer", "NodePort") or (svc_type == "ClusterIP" and bool(_l(spec.get("externalIPs"))))
    if isinstance(external, str) and external:
        if not accessible:
            causes.append(invalid("spec.externalTrafficPolicy", external, "may only be set for externally-accessible services"))
        elif external not in ("Cluster", "Local"):
            causes.append(not_supported("spec.externalTrafficPolicy", external, ("Cluster", "Local")))
    health = _i(spec.get("healthCheckNodePort"))
    if health:
        if not (svc_type == "LoadBalancer" and external == "Local"):
            causes.append(invalid("spec.healthCheckNodePort", health,
                                  "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
        else:
            causes += [invalid("spec.healthCheckNodePort", health, m) for m in port_num_errors(health)]
    internal = spec.get("internalTrafficPolicy")
    if isinstance(internal, str) and internal and internal not in ("Cluster", "Local"):
        causes.append(not_supported("spec.internalTrafficPolicy", internal, ("Cluster", "Local")))
    distribution = spec.get("trafficDistribution")
    if isinstance(distribution, str) and distribution != "PreferClose":
        causes.append(not_supported("spec.trafficDistribution", distribution, ("PreferClose",)))
    return causes


# --- ConfigMaps, Secrets and the rest ----------------------------------------------------

MAX_SECRET_SIZE = 1024 * 1024
_BASE64 = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def base64_error(value: str) -> str:
    """encoding/base64 (StdEncoding, as JSON []byte decoding uses it): the error for a
    malformed value, or "". Like Go, it skips '\\r' and '\\n' anywhere."""
    src = value.encode()
    n, si = len(src), 0
    while True:
        j = 0
        while j < 4:
            if si == n:
                return "" if j == 0 else f"illegal base64 data at input byte {si - j}"
            ch = src[si]
            si += 1
            if ch in _BASE64:
                j += 1
            elif ch in b"\r\n":
                continue
            elif ch != ord("=") or j < 2:
                return f"illegal base64 data at input byte {si - 1}"
            else:
                return _base64_padding_error(src, si, j)


def _base64_padding_error(src: bytes, si: int, j: int) -> str:
    n = len(src)
    if j == 2:  # "==" expected: the second "=" must follow (newlines aside)
        while si < n and src[si] in b"\r\n":
            si += 1
        if si == n:
            return f"illegal base64 data at input byte {n}"
        if src[si] != ord("="):
            return f"illegal base64 data at input byte {si - 1}"
        si += 1
    while si < n and src[si] in b"\r\n":
        si += 1
    return f"illegal base64 data at input byte {si}" if si < n else ""


def _config_map(obj: dict) -> list[Cause]:
    data, binary = _d(obj.get("data")), _d(obj.get("binaryData"))
    causes, size = [], 0
    for k in sorted(data, key=str):
        causes += [invalid(key("data", k), k, m) for m in config_key_errors(str(k))]
        if k in binary:
            causes.append(invalid(key("data", k), k, "duplicate of key present in binaryData"))
        size += len(_text(data[k]).encode())
    for k in sorted(binary, key=str):
        causes += [invalid(key("binaryData", k), k, m) for m in config_key_errors(str(k))]
        value = binary[k]
        if isinstance(value, str):
            error = base64_error(value)
            if error:
                causes.append(invalid(key("binaryData", k), value, error))
            size += len(value) * 3 // 4
    if size > MAX_SECRET_SIZE:
        causes.append(too_long("", MAX_SECRET_SIZE))
    return causes


def _secret(obj: dict) -> list[Cause]:
    data, string_data = _d(obj.get("data")), _d(obj.get("stringData"))
    causes, size, keys = [], 0, set()
    for k in sorted(data, key=str):
        value = data[k]
        if isinstance(value, str):
            error = base64_error(value)
            if error:  # Kubernetes cannot even decode such a body
                causes.append(invalid(key("data", k), value, error))
            size += len(value.replace("\n", "").replace("\r", "")) * 3 // 4
        keys.add(str(k))
    for k in string_data:
        size += len(_text(string_data[k]).encode())
        keys.add(str(k))  # stringData is merged into data before validation
    for k in sorted(keys):
        causes += [invalid(key("data", k), k, m) for m in config_key_errors(k)]
    if size > MAX_SECRET_SIZE:
        causes.append(too_long("data", MAX_SECRET_SIZE))
    return causes + _secret_type(obj, keys)


def _secret_type(obj: dict, keys: set[str]) -> list[Cause]:
    kind = _s(obj.get("type"))
    required_keys = {
        "kubernetes.io/dockercfg": (".dockercfg",),
        "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
        "kubernetes.io/tls": ("tls.crt", "tls.key"),
        "kubernetes.io/ssh-auth": ("ssh-privatekey",),
    }.get(kind, ())
    causes = [required(key("data", k)) for k in required_keys if k not in keys]
    if kind == "kubernetes.io/basic-auth" and not keys & {"username", "password"}:
        causes += [required(key("data", "username")), required(key("data", "password"))]
    if kind == "kubernetes.io/service-account-token":
        annotations = _d(_d(obj.get("metadata")).get("annotations"))
        if not _s(annotations.get("kubernetes.io/service-account.name")):
            causes.append(required(key("metadata.annotations", "kubernetes.io/service-account.name")))
    return causes


def _namespace(obj: dict) -> list[Cause]:
    causes = []
    for finalizer in _l(_d(obj.get("spec")).get("finalizers")):
        if isinstance(finalizer, str):
            causes += [invalid("spec.finalizers", finalizer, m) for m in qualified_name_errors(finalizer)]
            if "/" not in finalizer and finalizer not in _STANDARD_FINALIZERS:
                causes.append(invalid("spec.finalizers", finalizer,
                                      "name is neither a standard finalizer name nor is it fully qualified"))
    return causes


def _runtime_class(obj: dict) -> list[Cause]:
    handler = obj.get("handler")
    causes = [invalid("handler", _s(handler), m) for m in name_is_label(_s(handler))] if not isinstance(handler, (dict, list)) else []
    overhead = _d(obj.get("overhead")).get("podFixed")
    if isinstance(overhead, dict):
        causes += validate_resources({"limits": overhead}, "overhead")
    scheduling = _d(obj.get("scheduling"))
    causes += validate_labels(scheduling.get("nodeSelector"), "scheduling.nodeSelector")
    causes += validate_tolerations(scheduling.get("tolerations"), "scheduling.tolerations")
    return causes


def _lease(obj: dict) -> list[Cause]:
    spec = _d(obj.get("spec"))
    causes = []
    duration = _i(spec.get("leaseDurationSeconds"))
    if duration is not None and duration <= 0:
        causes.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    return causes + _nonnegative(spec.get("leaseTransitions"), "spec.leaseTransitions")


ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")


def _pvc(obj: dict) -> list[Cause]:
    spec = _d(obj.get("spec"))
    causes = []
    modes = _l(spec.get("accessModes"))
    if not modes:
        causes.append(required("spec.accessModes", "at least 1 access mode is required"))
    for mode in modes:
        if mode not in ACCESS_MODES:
            causes.append(not_supported("spec.accessModes", _text(mode), ACCESS_MODES))
    storage = _d(_d(spec.get("resources")).get("requests")).get("storage")
    if storage is None:
        causes.append(required("spec.resources[storage]"))
    else:
        q, errs = parse_quantity(storage, "spec.resources[storage]")
        causes += errs
        if q is not None and q.value <= 0:
            causes.append(invalid("spec.resources[storage]", str(q), "must be greater than zero"))
    mode = spec.get("volumeMode")
    if isinstance(mode, str) and mode not in ("Block", "Filesystem"):
        causes.append(not_supported("spec.volumeMode", mode, ("Block", "Filesystem")))
    return causes


def _endpoints(obj: dict) -> list[Cause]:
    causes = []
    for i, subset in _items(obj.get("subsets")):
        p = idx("subsets", i)
        for field_name in ("addresses", "notReadyAddresses"):
            for j, address in _items(subset.get(field_name)):
                causes += ip_errors(at(idx(at(p, field_name), j), "ip"), _s(address.get("ip")))
        ports = _l(subset.get("ports"))
        for j, port in _items(ports):
            pp = idx(at(p, "ports"), j)
            name = _s(port.get("name"))
            if len(ports) > 1 and not name:
                causes.append(required(at(pp, "name")))
            elif name:
                causes += [invalid(at(pp, "name"), name, m) for m in dns1123_label_errors(name)]
            number = _i(port.get("port"))
            if number is not None:
                causes += [invalid(at(pp, "port"), number, m) for m in port_num_errors(number)]
            protocol = port.get("protocol")
            if isinstance(protocol, str) and protocol and protocol not in PROTOCOLS:
                causes.append(not_supported(at(pp, "protocol"), protocol, PROTOCOLS))
    return causes


_KIND_RULES: dict[str, Callable[[dict], list[Cause]]] = {
    "Pod": _pod,
    "Deployment": _deployment,
    "ReplicaSet": _replica_set,
    "DaemonSet": _daemon_set,
    "StatefulSet": _stateful_set,
    "Job": _job,
    "CronJob": _cron_job,
    "Service": _service,
    "ConfigMap": _config_map,
    "Secret": _secret,
    "Namespace": _namespace,
    "RuntimeClass": _runtime_class,
    "Lease": _lease,
    "PersistentVolumeClaim": _pvc,
    "Endpoints": _endpoints,
}


# --------------------------------------------------------------------------------------
# Updates.
# --------------------------------------------------------------------------------------

_POD_UPDATE_MSG = ("pod updates may not change fields other than `spec.containers[*].image`,"
                   "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
                   "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
                   "(allow it to be set to 1 if it was previously negative)")
_STATEFULSET_UPDATE_MSG = ("updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                           "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")
_STATEFULSET_MUTABLE = ("replicas", "ordinals", "template", "updateStrategy",
                        "persistentVolumeClaimRetentionPolicy", "minReadySeconds")


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


def _metadata_update(new: dict, old: dict) -> list[Cause]:
    causes = []
    new_md, old_md = _d(new.get("metadata")), _d(old.get("metadata"))
    for f in ("name", "namespace"):
        if _s(new_md.get(f)) != _s(old_md.get(f)) and new_md.get(f) is not None:
            causes.append(invalid(at("metadata", f), _s(new_md.get(f)), IMMUTABLE))
    for f in ("uid", "creationTimestamp"):  # absent in the new object means "unchanged"
        if new_md.get(f) and new_md.get(f) != old_md.get(f):
            causes.append(invalid(at("metadata", f), _text(new_md.get(f)), IMMUTABLE))
    return causes


def _selector_immutable(new_spec: dict, old_spec: dict) -> list[Cause]:
    if _same(new_spec.get("selector"), old_spec.get("selector")):
        return []
    sel = new_spec.get("selector")
    return [invalid("spec.selector", go_label_selector(sel) if sel is not None else None, IMMUTABLE)]


def _stateful_set_update(new_spec: dict, old_spec: dict) -> list[Cause]:
    rest_new = {k: v for k, v in new_spec.items() if k not in _STATEFULSET_MUTABLE}
    rest_old = {k: v for k, v in old_spec.items() if k not in _STATEFULSET_MUTABLE}
    return [] if _same(_claims_view(rest_new), _claims_view(rest_old)) else [forbidden("spec", _STATEFULSET_UPDATE_MSG)]


def _claims_view(spec: dict) -> dict:
    """volumeClaimTemplates as compared: status and server-filled type fields ignored."""
    claims = []
    for claim in _l(spec.get("volumeClaimTemplates")):
        claim = {k: v for k, v in _d(claim).items() if k not in ("status", "apiVersion", "kind")}
        claims.append(claim)
    return {**spec, "volumeClaimTemplates": claims} if claims else spec


_JOB_LABELS = JOB_NAME_LABELS + CONTROLLER_UID_LABELS
# What may change in a suspended Job's template (AllowMutableSchedulingDirectives).
_JOB_SCHEDULING_DIRECTIVES = ("nodeSelector", "tolerations", "schedulingGates")


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
    template = copy.deepcopy(_d(spec.get("template")))
    labels = _d(_d(template.get("metadata")).get("labels"))
    for k in _JOB_LABELS:
        labels.pop(k, None)  # generated by the server, not part of the user's template
    if _d(old_spec).get("suspend") is True:
        # A suspended Job may change its pods' scheduling directives, labels and annotations.
        template.pop("metadata", None)
        tspec = _d(template.get("spec"))
        for f in _JOB_SCHEDULING_DIRECTIVES:
            tspec.pop(f, None)
        affinity = _d(tspec.get("affinity"))
        affinity.pop("nodeAffinity", None)
    return template


def _pod_update(new_spec: dict, old_spec: dict) -> list[Cause]:
    causes = []
    for lst in ("containers", "initContainers"):
        if len(_l(new_spec.get(lst))) != len(_l(old_spec.get(lst))):
            return [forbidden(at("spec", lst), "pod updates may not add or remove containers")]
    causes += _active_deadline_update(new_spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds"))
    causes += _tolerations_update(new_spec.get("tolerations"), old_spec.get("tolerations"))
    gates_causes = _scheduling_gates_update(new_spec.get("schedulingGates"), old_spec.get("schedulingGates"))
    causes += gates_causes
    munged, reference = copy.deepcopy(new_spec), copy.deepcopy(old_spec)
    for spec in (munged, reference):
        for lst in ("containers", "initContainers"):
            for c in _l(spec.get(lst)):
                if isinstance(c, dict):
                    c.pop("image", None)
        for f in ("activeDeadlineSeconds", "schedulingGates", "tolerations"):  # judged on their own above
            spec.pop(f, None)
    old_grace, new_grace = _i(old_spec.get("terminationGracePeriodSeconds")), _i(new_spec.get("terminationGracePeriodSeconds"))
    if old_grace is not None and old_grace < 0 and new_grace == 1:
        reference["terminationGracePeriodSeconds"] = 1
    if not _same(munged, reference):
        causes.append(forbidden("spec", _POD_UPDATE_MSG + "\n" + _spec_diff(reference, munged)))
    return causes


def _active_deadline_update(new: Any, old: Any) -> list[Cause]:
    path = "spec.activeDeadlineSeconds"
    if new is None:
        return [invalid(path, None, "must not update from a positive integer to nil value")] if old is not None else []
    value = _i(new)
    if value is None:
        return []
    if not 0 <= value <= _MAX_INT32:
        return [invalid(path, value, inclusive_range(0, _MAX_INT32))]
    if _i(old) is not None and old < value:
        return [invalid(path, value, "must be less than or equal to previous value")]
    return []


def _tolerations_update(new: Any, old: Any) -> list[Cause]:
    """Existing tolerations may only change their tolerationSeconds; new ones may be added."""
    def essence(t: Any) -> dict:
        return {k: v for k, v in _d(_pruned(t)).items() if k != "tolerationSeconds"}

    remaining = [essence(t) for t in _l(new)]
    for t in _l(old):
        if essence(t) not in remaining:
            return [forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds")]
    return []


def _scheduling_gates_update(new: Any, old: Any) -> list[Cause]:
    old_names = {_s(_d(g).get("name")) for g in _l(old)}
    return [forbidden(at(idx("spec.schedulingGates", i), "name"), f"only deletion is allowed, but found new scheduling gate '{_s(g.get('name'))}'")
            for i, g in _items(new) if _s(g.get("name")) not in old_names]


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
    new_spec, old_spec = _d(new.get("spec")), _d(old.get("spec"))
    if "ExternalName" in (_s(new_spec.get("type")), _s(old_spec.get("type"))):
        return []
    old_ips, new_ips = _cluster_ips(old_spec), _cluster_ips(new_spec)
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


def _update_rules(kind: Kind, new: dict, old: dict) -> list[Cause]:
    causes = _metadata_update(new, old)
    new_spec, old_spec = _d(new.get("spec")), _d(old.get("spec"))
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
        if k == "Secret" and _s(new.get("type") or "Opaque") != _s(old.get("type") or "Opaque"):
            causes.append(invalid("type", _s(new.get("type")), IMMUTABLE))
    elif k == "RuntimeClass" and new.get("handler") != old.get("handler"):
        causes.append(invalid("handler", _s(new.get("handler")), IMMUTABLE))
    elif k == "PersistentVolumeClaim":
        causes += _pvc_update(new_spec, old_spec)
    return causes


def _pvc_update(new_spec: dict, old_spec: dict) -> list[Cause]:
    a = {k: v for k, v in new_spec.items() if k not in ("resources", "volumeName", "volumeAttributesClassName")}
    b = {k: v for k, v in old_spec.items() if k not in ("resources", "volumeName", "volumeAttributesClassName")}
    if old_spec.get("volumeName") and new_spec.get("volumeName") != old_spec.get("volumeName"):
        a["volumeName"], b["volumeName"] = new_spec.get("volumeName"), old_spec.get("volumeName")
    if _same(a, b):
        return []
    return [forbidden("spec", "spec is immutable after creation except resources.requests and "
                              "volumeAttributesClassName for bound claims")]


# --------------------------------------------------------------------------------------
# Entry points.
# --------------------------------------------------------------------------------------

def _defaulted(kind: Kind, obj: dict) -> dict:
    """A defaulted copy: the API server validates what it would store."""
    from minikctl.api import defaults

    view = copy.deepcopy(obj)
    try:
        defaults.apply_defaults(kind, view)
    except Exception:  # noqa: BLE001 - a shape the schema rejects; judge it as given
        return copy.deepcopy(obj)
    return view


def check(kind: Kind, obj: dict, old: dict | None = None) -> list[Cause]:
    """Every semantic violation in `obj` (a `kind` object), in Kubernetes' words.

    With `old`, `obj` is an update of it: the create rules (minus the ones Kubernetes
    skips on update) and the update rules both apply.
    """
    if not isinstance(obj, dict):
        return []
    view = _defaulted(kind, obj)
    causes = validate_object_meta(kind, view)
    if kind.kind == "CronJob":
        old_spec = _d(_defaulted(kind, old).get("spec")) if isinstance(old, dict) else None
        causes += _cron_job(view, creating=old is None, old_spec=old_spec)
    elif kind.kind in _KIND_RULES:
        causes += _KIND_RULES[kind.kind](view)
    if isinstance(old, dict):
        causes += _update_rules(kind, view, _defaulted(kind, old))
    return _unique(causes)


def _unique(causes: list[Cause]) -> list[Cause]:
    """ErrorList.ToAggregate drops repeated messages; so do we."""
    seen, out = set(), []
    for c in causes:
        if (c.field, c.message) not in seen:
            seen.add((c.field, c.message))
            out.append(c)
    return out


def warnings(kind: Kind, obj: dict) -> list[str]:
    """The warnings a 1.32 API server attaches to an accepted object (the subset about
    values it changes or ignores), worded as Kubernetes does."""
    spec = _d(obj.get("spec")) if isinstance(obj, dict) else {}
    out = []
    for path, pod_spec in _pod_specs(kind, spec):
        grace = _i(pod_spec.get("terminationGracePeriodSeconds"))
        if grace is not None and grace < 0:
            out.append(f"{at(path, 'terminationGracePeriodSeconds')}: must be >= 0; negative values are invalid "
                       "and will be treated as 1")
    return out


def _pod_specs(kind: Kind, spec: dict) -> list[tuple[str, dict]]:
    if kind.kind == "Pod":
        return [("spec", spec)]
    if kind.kind == "CronJob":
        return [("spec.jobTemplate.spec.template.spec",
                 _d(_d(_d(_d(spec.get("jobTemplate")).get("spec")).get("template")).get("spec")))]
    if kind.kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job"):
        return [("spec.template.spec", _d(_d(spec.get("template")).get("spec")))]
    return []
