"""Container environment as the kubelet builds it (makeEnvironmentVariables), and
Kubernetes' $(VAR) expansion (third_party/forked/golang/expansion).

Expansion rules: `$(NAME)` becomes NAME's value when NAME is defined earlier, and stays
literally `$(NAME)` when it is not; `$$` is an escaped `$`, so `$$(NAME)` gives
`$(NAME)`; a `$` before anything else, or an unclosed `$(`, is kept as written.

Order: envFrom sources first (later ones win), then `env` in order (each value may
refer to anything defined before it), then the service variables not already set.
"""
from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from minikctl.api import quantity

CONFIG_ERROR = "CreateContainerConfigError"
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_FIELD_INDEX = re.compile(r"^metadata\.(labels|annotations)\['(.*)'\]$")


class ConfigError(Exception):
    """The container cannot be configured yet (a ConfigMap, Secret or key is missing);
    the container waits with reason CreateContainerConfigError and this message."""

    def __init__(self, message: str, reason: str = CONFIG_ERROR) -> None:
        super().__init__(message)
        self.reason = reason


# -- expansion -----------------------------------------------------------------------

def mapping_for(*contexts: Mapping[str, str]) -> Callable[[str], str]:
    """Look a name up in each context in turn; unknown names stay `$(NAME)`."""
    def lookup(name: str) -> str:
        for ctx in contexts:
            if name in ctx:
                return ctx[name]
        return f"$({name})"
    return lookup


def expand(text: str, mapping: Callable[[str], str]) -> str:
    out: list[str] = []
    checkpoint = cursor = 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            out.append(text[checkpoint:cursor])
            read, is_var, advance = _read_name(text, cursor + 1)
            out.append(mapping(read) if is_var else read)
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    return "".join(out) + text[checkpoint:]


def _read_name(text: str, start: int) -> tuple[str, bool, int]:
    first = text[start]
    if first == "$":
        return "$", False, 1  # escaped operator
    if first == "(":
        end = text.find(")", start + 1)
        if end == -1:
            return "$(", False, 1  # unclosed reference: keep it
        return text[start + 1:end], True, end - start + 1
    return "$" + first, False, 1


def expand_argv(values: list[str] | None, env: Mapping[str, str]) -> list[str]:
    """command/args expansion against the container's (non-image) environment."""
    mapping = mapping_for(env)
    return [expand(v, mapping) for v in values or []]


# -- sources -------------------------------------------------------------------------

@dataclass
class Sources:
    """What env building reads besides the pod: the API objects and the node."""

    get_configmap: Callable[[str, str], dict | None]  # (namespace, name) -> object or None
    get_secret: Callable[[str, str], dict | None]
    get_pvc: Callable[[str, str], dict | None] | None = None
    pod_ip: str = ""
    host_ip: str = ""
    node_allocatable: dict[str, str] = field(default_factory=dict)  # cpu, memory, ephemeral-storage
    service_env: dict[str, str] = field(default_factory=dict)
    cache: dict = field(default_factory=dict)  # one lookup per object per build


def _configmap(src: Sources, ns: str, name: str) -> dict | None:
    key = ("cm", name)
    if key not in src.cache:
        src.cache[key] = src.get_configmap(ns, name)
    return src.cache[key]


def _secret(src: Sources, ns: str, name: str) -> dict | None:
    key = ("secret", name)
    if key not in src.cache:
        src.cache[key] = src.get_secret(ns, name)
    return src.cache[key]


def secret_data(secret: dict) -> dict[str, bytes]:
    """A Secret's values, decoded (stringData wins, as the API server merges it)."""
    data = {k: base64.b64decode(v or "") for k, v in (secret.get("data") or {}).items()}
    data.update({k: (v or "").encode() for k, v in (secret.get("stringData") or {}).items()})
    return data


def configmap_data(cm: dict) -> dict[str, bytes]:
    data = {k: base64.b64decode(v or "") for k, v in (cm.get("binaryData") or {}).items()}
    data.update({k: (v or "").encode() for k, v in (cm.get("data") or {}).items()})
    return data


# -- building ------------------------------------------------------------------------

def build(pod: dict, container: dict, src: Sources) -> dict[str, str]:
    """The container's environment, in order; ConfigError if a source is missing."""
    ns = pod["metadata"].get("namespace") or "default"
    env: dict[str, str] = {}
    for item in container.get("envFrom") or []:
        env.update(_env_from(ns, item, src))
    mapping = mapping_for(env, src.service_env)
    for var in container.get("env") or []:
        name = var["name"]
        if var.get("value"):
            env[name] = expand(var["value"], mapping)
        elif var.get("valueFrom"):
            value = _value_from(pod, container, var["valueFrom"], src)
            if value is None:
                continue  # optional and missing: the variable is not set at all
            env[name] = value
        else:
            env[name] = ""
    for name, value in src.service_env.items():
        env.setdefault(name, value)
    return env


def _env_from(ns: str, item: dict, src: Sources) -> dict[str, str]:
    prefix = item.get("prefix") or ""
    if item.get("configMapRef"):
        ref = item["configMapRef"]
        cm = _configmap(src, ns, ref.get("name", ""))
        if cm is None:
            return _missing("configmap", ref)
        values = {k: v for k, v in (cm.get("data") or {}).items()}
    elif item.get("secretRef"):
        ref = item["secretRef"]
        secret = _secret(src, ns, ref.get("name", ""))
        if secret is None:
            return _missing("secret", ref)
        values = {k: v.decode(errors="replace") for k, v in secret_data(secret).items()}
    else:
        return {}
    # Keys that are not valid variable names are skipped (an event, in Kubernetes).
    return {prefix + k: v for k, v in values.items() if _ENV_NAME.match(prefix + k)}


def _missing(resource: str, ref: dict) -> dict[str, str]:
    if ref.get("optional"):
        return {}
    raise ConfigError(f'{resource} "{ref.get("name", "")}" not found')


def _value_from(pod: dict, container: dict, source: dict, src: Sources) -> str | None:
    ns = pod["metadata"].get("namespace") or "default"
    if source.get("fieldRef"):
        return field_value(pod, source["fieldRef"].get("fieldPath", ""), src)
    if source.get("resourceFieldRef"):
        return resource_value(pod, container, source["resourceFieldRef"], src.node_allocatable)
    if source.get("configMapKeyRef"):
        ref = source["configMapKeyRef"]
        cm = _configmap(src, ns, ref.get("name", ""))
        if cm is None:
            return _missing_key_source("configmap", ref)
        if ref.get("key") not in (cm.get("data") or {}):
            return _missing_key(ref, f"couldn't find key {ref.get('key')} in ConfigMap {ns}/{ref.get('name')}")
        return cm["data"][ref["key"]]
    if source.get("secretKeyRef"):
        ref = source["secretKeyRef"]
        secret = _secret(src, ns, ref.get("name", ""))
        if secret is None:
            return _missing_key_source("secret", ref)
        data = secret_data(secret)
        if ref.get("key") not in data:
            return _missing_key(ref, f"couldn't find key {ref.get('key')} in Secret {ns}/{ref.get('name')}")
        return data[ref["key"]].decode(errors="replace")
    return None


def _missing_key_source(resource: str, ref: dict) -> None:
    if ref.get("optional"):
        return None
    raise ConfigError(f'{resource} "{ref.get("name", "")}" not found')


def _missing_key(ref: dict, message: str) -> None:
    if ref.get("optional"):
        return None
    raise ConfigError(message)


# -- downward API --------------------------------------------------------------------

def field_value(pod: dict, path: str, src: Sources) -> str:
    """A fieldRef's value (podutil.ExtractFieldPathAsString plus the kubelet's own)."""
    md, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    m = _FIELD_INDEX.match(path)
    if m:
        return str((md.get(m.group(1)) or {}).get(m.group(2), ""))
    simple = {
        "metadata.name": md.get("name", ""),
        "metadata.namespace": md.get("namespace", ""),
        "metadata.uid": md.get("uid", ""),
        "metadata.labels": format_map(md.get("labels") or {}),
        "metadata.annotations": format_map(md.get("annotations") or {}),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName") or spec.get("serviceAccount") or "",
        "status.hostIP": src.host_ip,
        "status.hostIPs": src.host_ip,
        "status.podIP": src.pod_ip,
        "status.podIPs": src.pod_ip,
    }
    if path not in simple:
        raise ConfigError(f"unsupported fieldPath: {path}")
    return simple[path]


def format_map(values: Mapping[str, str]) -> str:
    """labels/annotations as the downward API writes them: key="value" per line, sorted."""
    import json

    return "\n".join(f"{k}={json.dumps(v)}" for k, v in sorted(values.items()))


def resource_value(pod: dict, container: dict, ref: dict, allocatable: Mapping[str, str]) -> str:
    """resourceFieldRef: the container's limit or request, divided by divisor, rounded
    up; an unset limit falls back to the node's allocatable, as the kubelet does."""
    name = ref.get("containerName")
    if name:
        container = next((c for c in _all_containers(pod) if c.get("name") == name), container)
    kind, _, resource = (ref.get("resource") or "").partition(".")
    resources = container.get("resources") or {}
    value = (resources.get(kind) or {}).get(resource)
    if value is None and kind == "limits":
        value = allocatable.get(resource)
    if value is None and kind == "requests" and resource == "cpu":
        value = "0"
    if value is None:
        value = "0"
    amount = quantity.parse(value)
    divisor = quantity.parse(ref.get("divisor") or "1")
    if divisor == 0:
        divisor = Decimal(1)
    if resource == "cpu":
        # Whole cores by default, never 0 for a non-zero limit (convertResourceCPUToString).
        return str(max(1 if amount > 0 else 0, math.ceil(amount / divisor)))
    return str(math.ceil(amount / divisor))


def _all_containers(pod: dict) -> list[dict]:
    spec = pod.get("spec") or {}
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


# -- services ------------------------------------------------------------------------

def service_env(services: list[dict]) -> dict[str, str]:
    """Docker-links-style variables for each Service with a cluster IP
    (pkg/kubelet/envvars.FromServices)."""
    env: dict[str, str] = {}
    for svc in services:
        spec = svc.get("spec") or {}
        ip = spec.get("clusterIP")
        ports = spec.get("ports") or []
        if not ip or ip == "None" or not ports:
            continue
        prefix = svc["metadata"]["name"].upper().replace("-", "_")
        env[f"{prefix}_SERVICE_HOST"] = ip
        env[f"{prefix}_SERVICE_PORT"] = str(ports[0].get("port"))
        for p in ports:
            if p.get("name"):
                env[f"{prefix}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = str(p.get("port"))
        first = ports[0]
        proto = (first.get("protocol") or "TCP").lower()
        env[f"{prefix}_PORT"] = f"{proto}://{ip}:{first.get('port')}"
        for p in ports:
            proto_l = (p.get("protocol") or "TCP")
            base = f"{prefix}_PORT_{p.get('port')}_{proto_l.upper()}"
            env[base] = f"{proto_l.lower()}://{ip}:{p.get('port')}"
            env[base + "_PROTO"] = proto_l.lower()
            env[base + "_PORT"] = str(p.get("port"))
            env[base + "_ADDR"] = ip
    return env
