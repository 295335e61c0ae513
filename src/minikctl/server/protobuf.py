"""Protobuf request bodies (`application/vnd.kubernetes.protobuf`), as kubectl's typed
clients send them for `create namespace|deployment|configmap|secret|service|job|cronjob`.

The body is `k8s\\x00` + a runtime.Unknown message {1: typeMeta {1: apiVersion, 2: kind},
2: raw (the object), 3: contentEncoding, 4: contentType}; `raw` is the object in the
wire format of Kubernetes' generated.proto. This module decodes the messages those
commands produce, from a table of their field numbers (`_MESSAGES`), into the JSON form
the api layer takes.

Go's protobuf marshaller writes every non-pointer field, zero or not: zero strings,
false and empty messages/lists/maps are dropped, as JSON's omitempty would; integers are
kept when the field is a pointer (`replicas: 0` means zero replicas) and dropped when 0
otherwise. A field the table does not know is accepted only when it holds a zero value;
anything else makes the body undecodable (None: the server answers 415) rather than
silently losing what the client asked for.
"""
from __future__ import annotations

import base64
import datetime as _dt
import logging

log = logging.getLogger("minikctl.server")

MAGIC = b"k8s\x00"

# Field types: scalars, maps, well-known messages, or the name of a message in _MESSAGES.
STR, INT, KEEP0, BOOL, BYTES = "string", "int", "int-pointer", "bool", "bytes"
MAP_STR, MAP_BYTES = "map<string,string>", "map<string,bytes>"
TIME, INT_OR_STRING, QUANTITY = "Time", "IntOrString", "Quantity"


def _f(name: str, type_: str, repeated: bool = False) -> tuple[str, str, bool]:
    return name, type_, repeated


# Field numbers of k8s.io/api generated.proto (core/v1, apps/v1, batch/v1) and
# apimachinery's meta/v1, for the messages kubectl's typed `create` commands write.
_MESSAGES: dict[str, dict[int, tuple[str, str, bool]]] = {
    "ObjectMeta": {1: _f("name", STR), 2: _f("generateName", STR), 3: _f("namespace", STR),
                   5: _f("uid", STR), 6: _f("resourceVersion", STR), 7: _f("generation", INT),
                   8: _f("creationTimestamp", TIME), 10: _f("deletionGracePeriodSeconds", KEEP0),
                   11: _f("labels", MAP_STR), 12: _f("annotations", MAP_STR),
                   13: _f("ownerReferences", "OwnerReference", True), 14: _f("finalizers", STR, True)},
    "OwnerReference": {1: _f("kind", STR), 3: _f("name", STR), 4: _f("uid", STR), 5: _f("apiVersion", STR),
                       6: _f("controller", BOOL), 7: _f("blockOwnerDeletion", BOOL)},
    "LabelSelector": {1: _f("matchLabels", MAP_STR), 2: _f("matchExpressions", "LabelSelectorRequirement", True)},
    "LabelSelectorRequirement": {1: _f("key", STR), 2: _f("operator", STR), 3: _f("values", STR, True)},
    "Namespace": {1: _f("metadata", "ObjectMeta"), 2: _f("spec", "NamespaceSpec")},
    "NamespaceSpec": {1: _f("finalizers", STR, True)},
    "ConfigMap": {1: _f("metadata", "ObjectMeta"), 2: _f("data", MAP_STR), 3: _f("binaryData", MAP_BYTES),
                  4: _f("immutable", BOOL)},
    "Secret": {1: _f("metadata", "ObjectMeta"), 2: _f("data", MAP_BYTES), 3: _f("type", STR),
               4: _f("stringData", MAP_STR), 5: _f("immutable", BOOL)},
    "Service": {1: _f("metadata", "ObjectMeta"), 2: _f("spec", "ServiceSpec")},
    "ServiceSpec": {1: _f("ports", "ServicePort", True), 2: _f("selector", MAP_STR), 3: _f("clusterIP", STR),
                    4: _f("type", STR), 5: _f("externalIPs", STR, True), 7: _f("sessionAffinity", STR),
                    8: _f("loadBalancerIP", STR), 10: _f("externalName", STR),
                    11: _f("externalTrafficPolicy", STR), 18: _f("clusterIPs", STR, True)},
    "ServicePort": {1: _f("name", STR), 2: _f("protocol", STR), 3: _f("port", INT),
                    4: _f("targetPort", INT_OR_STRING), 5: _f("nodePort", INT), 6: _f("appProtocol", STR)},
    "Deployment": {1: _f("metadata", "ObjectMeta"), 2: _f("spec", "DeploymentSpec")},
    "DeploymentSpec": {1: _f("replicas", KEEP0), 2: _f("selector", "LabelSelector"),
                       3: _f("template", "PodTemplateSpec"), 4: _f("strategy", "DeploymentStrategy"),
                       5: _f("minReadySeconds", INT), 6: _f("revisionHistoryLimit", KEEP0), 7: _f("paused", BOOL),
                       9: _f("progressDeadlineSeconds", KEEP0)},
    "DeploymentStrategy": {1: _f("type", STR), 2: _f("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: _f("maxUnavailable", INT_OR_STRING), 2: _f("maxSurge", INT_OR_STRING)},
    "PodTemplateSpec": {1: _f("metadata", "ObjectMeta"), 2: _f("spec", "PodSpec")},
    "PodSpec": {2: _f("containers", "Container", True), 3: _f("restartPolicy", STR),
                4: _f("terminationGracePeriodSeconds", KEEP0), 5: _f("activeDeadlineSeconds", KEEP0),
                6: _f("dnsPolicy", STR), 7: _f("nodeSelector", MAP_STR), 8: _f("serviceAccountName", STR),
                9: _f("serviceAccount", STR), 10: _f("nodeName", STR), 11: _f("hostNetwork", BOOL),
                12: _f("hostPID", BOOL), 13: _f("hostIPC", BOOL), 15: _f("imagePullSecrets", "LocalObjectReference", True),
                16: _f("hostname", STR), 17: _f("subdomain", STR), 19: _f("schedulerName", STR),
                20: _f("initContainers", "Container", True), 21: _f("automountServiceAccountToken", BOOL),
                24: _f("priorityClassName", STR), 25: _f("priority", KEEP0), 29: _f("runtimeClassName", STR),
                30: _f("enableServiceLinks", BOOL), 31: _f("preemptionPolicy", STR),
                35: _f("setHostnameAsFQDN", BOOL), 37: _f("hostUsers", BOOL)},
    "LocalObjectReference": {1: _f("name", STR)},
    "Container": {1: _f("name", STR), 2: _f("image", STR), 3: _f("command", STR, True), 4: _f("args", STR, True),
                  5: _f("workingDir", STR), 6: _f("ports", "ContainerPort", True), 7: _f("env", "EnvVar", True),
                  13: _f("terminationMessagePath", STR), 14: _f("imagePullPolicy", STR), 16: _f("stdin", BOOL),
                  17: _f("stdinOnce", BOOL), 18: _f("tty", BOOL), 20: _f("terminationMessagePolicy", STR),
                  24: _f("restartPolicy", STR)},
    "ContainerPort": {1: _f("name", STR), 2: _f("hostPort", INT), 3: _f("containerPort", INT),
                      4: _f("protocol", STR), 5: _f("hostIP", STR)},
    "EnvVar": {1: _f("name", STR), 2: _f("value", STR)},
    "Job": {1: _f("metadata", "ObjectMeta"), 2: _f("spec", "JobSpec")},
    "JobSpec": {1: _f("parallelism", KEEP0), 2: _f("completions", KEEP0), 3: _f("activeDeadlineSeconds", KEEP0),
                4: _f("selector", "LabelSelector"), 5: _f("manualSelector", BOOL), 6: _f("template", "PodTemplateSpec"),
                7: _f("backoffLimit", KEEP0), 8: _f("ttlSecondsAfterFinished", KEEP0), 9: _f("completionMode", STR),
                10: _f("suspend", BOOL)},
    "CronJob": {1: _f("metadata", "ObjectMeta"), 2: _f("spec", "CronJobSpec")},
    "CronJobSpec": {1: _f("schedule", STR), 2: _f("startingDeadlineSeconds", KEEP0),
                    3: _f("concurrencyPolicy", STR), 4: _f("suspend", BOOL), 5: _f("jobTemplate", "JobTemplateSpec"),
                    6: _f("successfulJobsHistoryLimit", KEEP0), 7: _f("failedJobsHistoryLimit", KEEP0),
                    8: _f("timeZone", STR)},
    "JobTemplateSpec": {1: _f("metadata", "ObjectMeta"), 2: _f("spec", "JobSpec")},
    # authentication.k8s.io, authorization.k8s.io: `kubectl auth whoami|can-i` (reviews.py)
    "SelfSubjectReview": {1: _f("metadata", "ObjectMeta")},
    "SelfSubjectAccessReview": {1: _f("metadata", "ObjectMeta"), 2: _f("spec", "SelfSubjectAccessReviewSpec")},
    "SelfSubjectAccessReviewSpec": {1: _f("resourceAttributes", "ResourceAttributes"),
                                    2: _f("nonResourceAttributes", "NonResourceAttributes")},
    "ResourceAttributes": {1: _f("namespace", STR), 2: _f("verb", STR), 3: _f("group", STR), 4: _f("version", STR),
                           5: _f("resource", STR), 6: _f("subresource", STR), 7: _f("name", STR)},
    "NonResourceAttributes": {1: _f("path", STR), 2: _f("verb", STR)},
    "SelfSubjectRulesReview": {1: _f("metadata", "ObjectMeta"), 2: _f("spec", "SelfSubjectRulesReviewSpec")},
    "SelfSubjectRulesReviewSpec": {1: _f("namespace", STR)},
    # `kubectl create serviceaccount|role|clusterrole|rolebinding|clusterrolebinding`
    "ServiceAccount": {1: _f("metadata", "ObjectMeta"), 2: _f("secrets", "ObjectReference", True),
                       3: _f("imagePullSecrets", "LocalObjectReference", True),
                       4: _f("automountServiceAccountToken", BOOL)},
    "ObjectReference": {1: _f("kind", STR), 2: _f("namespace", STR), 3: _f("name", STR), 4: _f("uid", STR),
                        5: _f("apiVersion", STR), 6: _f("resourceVersion", STR), 7: _f("fieldPath", STR)},
    "Role": {1: _f("metadata", "ObjectMeta"), 2: _f("rules", "PolicyRule", True)},
    "ClusterRole": {1: _f("metadata", "ObjectMeta"), 2: _f("rules", "PolicyRule", True),
                    3: _f("aggregationRule", "AggregationRule")},
    "PolicyRule": {1: _f("verbs", STR, True), 2: _f("apiGroups", STR, True), 3: _f("resources", STR, True),
                   4: _f("resourceNames", STR, True), 5: _f("nonResourceURLs", STR, True)},
    "AggregationRule": {1: _f("clusterRoleSelectors", "LabelSelector", True)},
    "RoleBinding": {1: _f("metadata", "ObjectMeta"), 2: _f("subjects", "Subject", True), 3: _f("roleRef", "RoleRef")},
    "Subject": {1: _f("kind", STR), 2: _f("apiGroup", STR), 3: _f("name", STR), 4: _f("namespace", STR)},
    "RoleRef": {1: _f("apiGroup", STR), 2: _f("kind", STR), 3: _f("name", STR)},
    # policy/v1 Eviction: `kubectl drain` (server/eviction.py)
    "Eviction": {1: _f("metadata", "ObjectMeta"), 2: _f("deleteOptions", "DeleteOptions")},
    "DeleteOptions": {1: _f("gracePeriodSeconds", KEEP0), 2: _f("preconditions", "Preconditions"),
                      3: _f("orphanDependents", BOOL), 4: _f("propagationPolicy", STR), 5: _f("dryRun", STR, True),
                      6: _f("ignoreStoreReadErrorWithClusterBreakingPotential", BOOL)},
    "Preconditions": {1: _f("uid", STR), 2: _f("resourceVersion", STR)},
}
# (apiVersion, kind) of the objects this module can decode -> their message.
_TOP = {("v1", "Namespace"): "Namespace", ("v1", "ConfigMap"): "ConfigMap", ("v1", "Secret"): "Secret",
        ("v1", "Service"): "Service", ("apps/v1", "Deployment"): "Deployment", ("batch/v1", "Job"): "Job",
        ("batch/v1", "CronJob"): "CronJob",
        **{(f"authentication.k8s.io/{v}", "SelfSubjectReview"): "SelfSubjectReview" for v in ("v1", "v1beta1", "v1alpha1")},
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview"): "SelfSubjectAccessReview",
        ("authorization.k8s.io/v1", "SelfSubjectRulesReview"): "SelfSubjectRulesReview",
        ("v1", "ServiceAccount"): "ServiceAccount",
        **{(v, "Eviction"): "Eviction" for v in ("policy/v1", "policy/v1beta1")},
        **{("rbac.authorization.k8s.io/v1", k): m for k, m in (("Role", "Role"), ("ClusterRole", "ClusterRole"),
                                                              ("RoleBinding", "RoleBinding"),
                                                              ("ClusterRoleBinding", "RoleBinding"))}}


class _Undecodable(Exception):
    pass


def decode(body: bytes) -> dict | None:
    """The object a protobuf body carries, or None when it cannot be decoded faithfully."""
    try:
        return _decode(body)
    except (_Undecodable, IndexError, ValueError, UnicodeDecodeError) as exc:
        log.debug("undecodable protobuf body: %s", exc)
        return None


def _decode(body: bytes) -> dict | None:
    if not body.startswith(MAGIC):
        raise _Undecodable("no k8s protobuf magic")
    envelope = _fields(body[len(MAGIC):])
    type_meta = _fields(_one(envelope, 1, b""))
    api_version = _one(type_meta, 1, b"").decode()
    kind = _one(type_meta, 2, b"").decode()
    if _one(envelope, 3, b""):
        raise _Undecodable("content encodings are not supported")
    message = _TOP.get((api_version, kind))
    if message is None:
        raise _Undecodable(f"no field table for {api_version} {kind}")
    obj = _message(message, _one(envelope, 2, b""))
    return {"apiVersion": api_version, "kind": kind, **obj}


# -- the wire format -----------------------------------------------------------------------


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = buf[i]
        i += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, i
        if shift > 70:
            raise _Undecodable("varint too long")


def _fields(buf: bytes) -> list[tuple[int, int, object]]:
    """(number, wire type, value) of every field in a message, in order."""
    out: list[tuple[int, int, object]] = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            if i + size > len(buf):
                raise _Undecodable("truncated field")
            value, i = buf[i:i + size], i + size
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise _Undecodable(f"wire type {wire}")
        if number == 0:
            raise _Undecodable("field number 0")
        out.append((number, wire, value))
    return out


def _one(fields: list[tuple[int, int, object]], number: int, default: object) -> object:
    found = [v for n, _, v in fields if n == number]
    return found[-1] if found else default


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


# -- messages to JSON -----------------------------------------------------------------------


def _message(name: str, buf: bytes) -> dict:
    table = _MESSAGES[name]
    out: dict = {}
    for number, wire, raw in _fields(buf):
        spec = table.get(number)
        if spec is None:
            if not _is_zero(wire, raw):
                raise _Undecodable(f"{name} field {number} is not known and not empty")
            continue
        field, type_, repeated = spec
        if repeated:
            # An item on the wire is an item, even "": a Role's apiGroups [""] is the core group.
            value = _bytes(raw).decode() if type_ == STR else _value(type_, wire, raw)
            if value is not None:
                out.setdefault(field, []).append(value)
        elif type_ in (MAP_STR, MAP_BYTES):
            key, value = _map_entry(type_, raw)
            out.setdefault(field, {})[key] = value
        else:
            value = _value(type_, wire, raw, keep_zero=type_ == KEEP0)
            if value is None:
                out.pop(field, None)
            else:
                out[field] = value
    return out


def _value(type_: str, wire: int, raw: object, *, keep_zero: bool = False) -> object:
    if type_ == STR:
        text = _bytes(raw).decode()
        return text or None
    if type_ in (INT, KEEP0):
        if wire != 0:
            raise _Undecodable("an integer field with a non-varint value")
        number = _signed(int(raw))  # type: ignore[call-overload]
        return number if (number or keep_zero) else None
    if type_ == BOOL:
        return True if raw else None
    if type_ == BYTES:
        return base64.b64encode(_bytes(raw)).decode()
    if type_ == TIME:
        return _time(_bytes(raw))
    if type_ == INT_OR_STRING:
        return _int_or_string(_bytes(raw))
    if type_ == QUANTITY:
        return _bytes(_one(_fields(_bytes(raw)), 1, b"")).decode() or None
    decoded = _message(type_, _bytes(raw))
    return decoded or None


def _bytes(raw: object) -> bytes:
    if not isinstance(raw, bytes):
        raise _Undecodable("a length-delimited field with a varint value")
    return raw


def _map_entry(type_: str, raw: object) -> tuple[str, object]:
    entry = _fields(_bytes(raw))
    key = _bytes(_one(entry, 1, b"")).decode()
    value = _bytes(_one(entry, 2, b""))
    return key, (base64.b64encode(value).decode() if type_ == MAP_BYTES else value.decode())


def _time(buf: bytes) -> str | None:
    fields = _fields(buf)
    seconds = _signed(int(_one(fields, 1, 0)))  # type: ignore[call-overload]
    if not seconds and not _one(fields, 2, 0):
        return None  # the zero Time: unset
    stamp = _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def _int_or_string(buf: bytes) -> object:
    fields = _fields(buf)
    if int(_one(fields, 1, 0)):  # type: ignore[call-overload]
        return _bytes(_one(fields, 3, b"")).decode()
    return _signed(int(_one(fields, 2, 0)))  # type: ignore[call-overload]


def _is_zero(wire: int, raw: object) -> bool:
    """Whether an unknown field holds its zero value (an empty string/message, 0, or a
    message whose own fields are all zero)."""
    if wire == 0:
        return raw == 0
    if wire in (1, 5):
        return not any(_bytes(raw))
    data = _bytes(raw)
    if not data:
        return True
    try:
        return all(_is_zero(w, v) for _, w, v in _fields(data))
    except (_Undecodable, IndexError):
        return False  # not a message: a non-empty string or bytes
