"""Containers and init containers (validateContainerCommon and friends): names, images,
ports and host ports, env and envFrom (with the downward API's field and resource
references), volume mounts, resources, security contexts, probes and lifecycle hooks,
and which of those init containers may have (sidecars, restartPolicy: Always, may).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from minikctl.api.rules.common import (MAX_INT32, as_dict, as_int, as_list, as_str, as_text, at, dict_items, duplicate,
                                       enum, forbidden, go_struct, idx, int_in_range, invalid, nonnegative,
                                       not_supported, one_of, required)
from minikctl.api.rules.names import (PROTOCOLS, config_key_errors, dns1123_label_errors, name_is_subdomain,
                                      port_name_errors, port_num_errors, port_num_or_name, relaxed_env_var_name_errors)
from minikctl.api.rules.resources import validate_resources
from minikctl.api.rules.volumes import validate_volume_mounts
from minikctl.api.selectors import qualified_name_errors, regex_error
from minikctl.errors import Cause

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
_ONE_AT_A_TIME = "may not have more than one field specified at a time"


# --- Ports -----------------------------------------------------------------------------------

def _container_ports(ports: Any, path: str) -> list[Cause]:
    causes, names = [], set()
    for i, port in dict_items(ports):
        p = idx(path, i)
        name = as_str(port.get("name"))
        if name:
            errs = port_name_errors(name)
            if errs:
                causes += [invalid(at(p, "name"), name, m) for m in errs]
            elif name in names:
                causes.append(duplicate(at(p, "name"), name))
            else:
                names.add(name)
        cp = as_int(port.get("containerPort"))
        if cp is not None:
            if cp == 0:
                causes.append(required(at(p, "containerPort")))
            causes += [invalid(at(p, "containerPort"), cp, m) for m in (port_num_errors(cp) if cp else [])]
        hp = as_int(port.get("hostPort"))
        if hp:
            causes += [invalid(at(p, "hostPort"), hp, m) for m in port_num_errors(hp)]
        causes += one_of(port.get("protocol"), at(p, "protocol"), PROTOCOLS)
    return causes


def _host_ports(spec: dict, path: str) -> Iterator[tuple[str, dict, int]]:
    """(path of hostPort, port, hostPort) for each port of the containers with a hostPort."""
    for i, c in dict_items(spec.get("containers")):
        for j, port in dict_items(c.get("ports")):
            hp = as_int(port.get("hostPort"))
            if hp:
                yield at(idx(at(idx(at(path, "containers"), i), "ports"), j), "hostPort"), port, hp


def validate_host_ports(spec: dict, path: str) -> list[Cause]:
    """Host ports: no two alike (protocol, host IP, port); with hostNetwork, the container port."""
    causes, seen = [], set()
    host_ports = list(_host_ports(spec, path))
    for p, port, hp in host_ports:
        k = f"{as_str(port.get('protocol')) or 'TCP'}/{as_str(port.get('hostIP'))}/{hp}"
        if k in seen:
            causes.append(duplicate(p, k))
        seen.add(k)
    if spec.get("hostNetwork") is True:
        for p, port, hp in host_ports:
            if hp != as_int(port.get("containerPort")):  # unset is defaulted to containerPort
                causes.append(invalid(p, hp, "must match `containerPort` when `hostNetwork` is true"))
    return causes


# --- Environment -------------------------------------------------------------------------------

def _env(env: Any, path: str) -> list[Cause]:
    causes = []
    for i, var in dict_items(env):
        p = idx(path, i)
        name = as_str(var.get("name"))
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
    elif as_str(var.get("value")):
        causes.append(invalid(path, "", "may not be specified when `value` is not empty"))
    elif count > 1:
        causes.append(invalid(path, "", _ONE_AT_A_TIME))
    return causes


def _field_ref(ref: dict, path: str, allowed: tuple[str, ...] = ENV_FIELD_PATHS) -> list[Cause]:
    api_version = as_str(ref.get("apiVersion")) or "v1"
    field_path = as_str(ref.get("fieldPath"))
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
    resource = as_str(ref.get("resource"))
    if not resource:
        return [required(at(path, "resource"))]
    if resource not in RESOURCE_FIELD_PATHS and not resource.startswith(("requests.hugepages-", "limits.hugepages-")):
        return [not_supported(at(path, "resource"), resource, RESOURCE_FIELD_PATHS)]
    return []


def _key_ref(ref: dict, path: str) -> list[Cause]:
    name, k = as_str(ref.get("name")), as_str(ref.get("key"))
    causes = [invalid(at(path, "name"), name, m) for m in name_is_subdomain(name)]
    if not k:
        causes.append(required(at(path, "key")))
    else:
        causes += [invalid(at(path, "key"), k, m) for m in config_key_errors(k)]
    return causes


def _env_from(sources: Any, path: str) -> list[Cause]:
    causes = []
    for i, src in dict_items(sources):
        p = idx(path, i)
        prefix = as_str(src.get("prefix"))
        if prefix:
            causes += [invalid(at(p, "prefix"), prefix, m) for m in relaxed_env_var_name_errors(prefix)]
        count = 0
        for ref in ("configMapRef", "secretRef"):
            if isinstance(src.get(ref), dict):
                count += 1
                name = as_str(src[ref].get("name"))
                if not name:
                    causes.append(required(at(p, ref, "name")))
                else:
                    causes += [invalid(at(p, ref, "name"), name, m) for m in name_is_subdomain(name, True)]
        if count == 0:
            causes.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif count > 1:
            causes.append(invalid(path, "", _ONE_AT_A_TIME))
    return causes


# --- Probes and lifecycle hooks -----------------------------------------------------------------

_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_LIFECYCLE_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")


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
        return [] if as_list(action.get("command")) else [required(at(path, "command"))]
    if name == "httpGet":
        causes = [] if as_str(action.get("path")) else [required(at(path, "path"))]
        causes += port_num_or_name(action.get("port"), at(path, "port"))
        causes += one_of(action.get("scheme"), at(path, "scheme"), ("HTTP", "HTTPS"))
        for header in as_list(action.get("httpHeaders")):
            header_name = as_str(as_dict(header).get("name"))
            if not re.fullmatch(r"[-A-Za-z0-9]+", header_name):
                causes.append(invalid(at(path, "httpHeaders"), header_name, regex_error(
                    "a valid HTTP header must consist of alphanumeric characters or '-'", "[-A-Za-z0-9]+", "X-Header-Name")))
        return causes
    if name in ("tcpSocket", "grpc"):
        return port_num_or_name(action.get("port"), at(path, "port"))
    seconds = as_int(action.get("seconds"))  # sleep
    if grace is not None and seconds is not None and (seconds <= 0 or seconds > grace):
        return [invalid(path, seconds, f"must be greater than 0 and less than terminationGracePeriodSeconds ({grace}). "
                                       "Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.")]
    return []


def _probe(probe: Any, path: str, grace: int | None, which: str) -> list[Cause]:
    if not isinstance(probe, dict):
        return []
    causes = _handler(probe, path, grace, _PROBE_HANDLERS)
    for f in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        causes += nonnegative(probe.get(f), at(path, f))
    tgps = as_int(probe.get("terminationGracePeriodSeconds"))
    if which == "readiness":
        if probe.get("terminationGracePeriodSeconds") is not None:
            causes.append(invalid(at(path, "terminationGracePeriodSeconds"), probe.get("terminationGracePeriodSeconds"),
                                  "must not be set for readinessProbes"))
    elif tgps is not None and tgps <= 0:
        causes.append(invalid(at(path, "terminationGracePeriodSeconds"), tgps, "must be greater than 0"))
    success = as_int(probe.get("successThreshold"))
    if which in ("liveness", "startup") and success not in (None, 0, 1):
        causes.append(invalid(at(path, "successThreshold"), success, "must be 1"))
    return causes


def _lifecycle(lifecycle: Any, path: str, grace: int | None) -> list[Cause]:
    causes = []
    for hook in ("postStart", "preStop"):
        if isinstance(as_dict(lifecycle).get(hook), dict):
            causes += _handler(lifecycle[hook], at(path, hook), grace, _LIFECYCLE_HANDLERS)
    return causes


def _probes_and_hooks(c: dict, path: str, grace: int | None) -> list[Cause]:
    causes = _lifecycle(c.get("lifecycle"), at(path, "lifecycle"), grace)
    for which in ("liveness", "readiness", "startup"):
        causes += _probe(c.get(f"{which}Probe"), at(path, f"{which}Probe"), grace, which)
    return causes


# --- Containers ---------------------------------------------------------------------------------

def _container_security_context(sc: Any, path: str) -> list[Cause]:
    sc = as_dict(sc)
    causes = []
    for f in ("runAsUser", "runAsGroup"):
        causes += int_in_range(sc.get(f), at(path, f), 0, MAX_INT32)
    if sc.get("allowPrivilegeEscalation") is False:
        shown = go_struct("core.SecurityContext", sc)
        if sc.get("privileged") is True:
            causes.append(invalid(path, shown, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true"))
        if "CAP_SYS_ADMIN" in as_list(as_dict(sc.get("capabilities")).get("add")):
            causes.append(invalid(path, shown, "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"))
    return causes


def _container_common(c: dict, path: str, volumes: set[str], is_pod: bool) -> list[Cause]:
    """validateContainerCommon (plus the pod-only image whitespace rule)."""
    causes: list[Cause] = []
    name = as_str(c.get("name"))
    if not name:
        causes.append(required(at(path, "name")))
    else:
        causes += [invalid(at(path, "name"), name, m) for m in dns1123_label_errors(name)]
    image = c.get("image")
    if not as_str(image):
        causes.append(required(at(path, "image")))
    elif is_pod and image != image.strip():
        causes.append(invalid(at(path, "image"), image, "must not have leading or trailing whitespace"))
    causes += enum(c.get("terminationMessagePolicy"), at(path, "terminationMessagePolicy"), TERMINATION_MESSAGE_POLICIES)
    causes += _container_ports(c.get("ports"), at(path, "ports"))
    causes += _env(c.get("env"), at(path, "env"))
    causes += _env_from(c.get("envFrom"), at(path, "envFrom"))
    causes += validate_volume_mounts(c.get("volumeMounts"), volumes, at(path, "volumeMounts"))
    causes += enum(c.get("imagePullPolicy"), at(path, "imagePullPolicy"), PULL_POLICIES)
    causes += validate_resources(c.get("resources"), at(path, "resources"))
    causes += _container_security_context(c.get("securityContext"), at(path, "securityContext"))
    return causes


def validate_containers(spec: dict, path: str, volumes: set[str], grace: int | None, is_pod: bool) -> list[Cause]:
    containers = spec.get("containers", [])
    if not isinstance(containers, list):
        return []  # the schema reports the type
    if not containers:
        return [required(at(path, "containers"))]
    causes, names = [], set()
    for i, c in dict_items(containers):
        p = idx(at(path, "containers"), i)
        causes += _container_common(c, p, volumes, is_pod)
        name = as_str(c.get("name"))
        if name in names:
            causes.append(duplicate(at(p, "name"), name))
        names.add(name)
        causes += _probes_and_hooks(c, p, grace)
        if c.get("restartPolicy") is not None:
            causes.append(forbidden(at(p, "restartPolicy"), "may not be set for non-init containers"))
    return causes


def validate_init_containers(spec: dict, path: str, volumes: set[str], grace: int | None, is_pod: bool) -> list[Cause]:
    causes = []
    names = {as_str(c.get("name")) for _, c in dict_items(spec.get("containers"))}
    for i, c in dict_items(spec.get("initContainers")):
        p = idx(at(path, "initContainers"), i)
        causes += _container_common(c, p, volumes, is_pod)
        policy = c.get("restartPolicy")
        if policy is not None and policy != "Always":
            causes.append(not_supported(at(p, "restartPolicy"), as_text(policy), ("Always",)))
        name = as_str(c.get("name"))
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
