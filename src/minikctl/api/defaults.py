"""Server-side defaulting, as a Kubernetes 1.32 API server applies it.

`apply_defaults` fills the fields a real API server fills on create (the
`SetDefaults_*` functions of pkg/apis/*/v1, the declarative `+default` markers and
the few registry-strategy steps users see in `kubectl get -o yaml`, such as the Job
selector). It mutates the object in place, is idempotent, and never replaces a value
the user gave, with three exceptions that Kubernetes makes too (noted where they
happen): the namespace name label, a Service's `sessionAffinityConfig` under
`sessionAffinity: None`, and a Job's generated labels merged into a given selector.

`unacted_fields` names the fields of an object that exist in Kubernetes but that
minikctl accepts without acting on, so the API can warn about each one.

Only the stdlib: the CLI imports this module on its apply path.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from minikctl.api.kinds import Kind

# --------------------------------------------------------------------------------------
# Fields minikctl accepts but does not act on.
#
# Patterns are dotted paths; `name[]` stands for every item of the list `name`. A field
# is reported only when present with a meaningful value (not null, false, "", {} or []),
# so defaulted empties and explicit opt-outs (`hostNetwork: false`) stay quiet. Remove a
# pattern here as soon as some component starts honouring the field.
# --------------------------------------------------------------------------------------

UNACTED_POD_SPEC: tuple[str, ...] = (
    # Security: containers are plain processes of the user running minikctl, so there is
    # no uid/gid switch, capability set, SELinux/AppArmor/seccomp profile, sysctl or user
    # namespace mapping to apply.
    "securityContext",
    "hostUsers",
    # Host namespaces: the process runtime has no network/PID/IPC namespaces of its own
    # to share or give up (each pod gets a loopback IP, not a network namespace).
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "shareProcessNamespace",
    # Name resolution: processes use the host's resolver and /etc/hosts; only the
    # cluster DNS server answers Service names.
    "dnsConfig",
    "hostAliases",
    "setHostnameAsFQDN",
    # Service accounts: admission checks the named one exists (api/serviceaccounts.py),
    # but there is no token issuer, so no token is mounted.
    "automountServiceAccountToken",
    # Registries: images resolve from the local image store; nothing is pulled.
    "imagePullSecrets",
    # Dynamic resource allocation and runtime overhead: no devices, no VM sandbox.
    "resourceClaims",
    "overhead",
)

UNACTED_CONTAINER: tuple[str, ...] = (
    # Same reason as the pod securityContext: no privilege model to switch into.
    "securityContext",
    # Host ports: pods listen on their own loopback IP; nothing forwards host ports.
    "ports[].hostPort",
    "ports[].hostIP",
    # Block devices and mount propagation need a real container runtime.
    "volumeDevices",
    "volumeMounts[].mountPropagation",
    # In-place resize: a process's limits are set once, when it starts.
    "resizePolicy",
)

UNACTED_VOLUME_SOURCES: tuple[str, ...] = (
    # Network, cloud and plugin storage: the process runtime mounts only emptyDir,
    # configMap, secret, hostPath (and the projections built from them).
    "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi",
    "ephemeral", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo",
    "glusterfs", "image", "iscsi", "nfs", "photonPersistentDisk", "portworxVolume",
    "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume",
)

UNACTED_SERVICE: tuple[str, ...] = (
    # No cloud load balancer and no external addresses on one machine: the proxy serves
    # cluster IPs and node ports only.
    "spec.externalIPs",
    "spec.loadBalancerIP",
    "spec.loadBalancerSourceRanges",
    "spec.loadBalancerClass",
    "spec.healthCheckNodePort",
)

# Where each kind keeps its PodSpec.
POD_SPEC_PATHS: dict[str, str] = {
    "Pod": "spec",
    "Deployment": "spec.template.spec",
    "ReplicaSet": "spec.template.spec",
    "DaemonSet": "spec.template.spec",
    "StatefulSet": "spec.template.spec",
    "Job": "spec.template.spec",
    "CronJob": "spec.jobTemplate.spec.template.spec",
}

_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def _pod_spec_patterns(prefix: str) -> tuple[str, ...]:
    out = [f"{prefix}.{p}" for p in UNACTED_POD_SPEC]
    for lst in _CONTAINER_LISTS:
        out += [f"{prefix}.{lst}[].{p}" for p in UNACTED_CONTAINER]
    out += [f"{prefix}.volumes[].{p}" for p in UNACTED_VOLUME_SOURCES]
    return tuple(out)


UNACTED: dict[str, tuple[str, ...]] = {
    **{kind: _pod_spec_patterns(prefix) for kind, prefix in POD_SPEC_PATHS.items()},
    "Service": UNACTED_SERVICE,
}


def unacted_fields(kind: Kind, obj: dict) -> list[str]:
    """Paths (with list indices) of fields in `obj` that minikctl does not act on."""
    found: list[str] = []
    for pattern in UNACTED.get(kind.kind, ()):
        found.extend(_matches(obj, pattern.split("."), ""))
    return found


def _matches(node: object, segments: list[str], path: str) -> Iterator[str]:
    if not segments:
        if _meaningful(node):
            yield path
        return
    if not isinstance(node, dict):
        return
    head, rest = segments[0], segments[1:]
    here = f"{path}.{head}" if path else head
    if head.endswith("[]"):
        name = head[:-2]
        items = node.get(name)
        if isinstance(items, list):
            for i, item in enumerate(items):
                yield from _matches(item, rest, f"{here[:-2]}[{i}]")
    elif head in node:
        yield from _matches(node[head], rest, here)


def _meaningful(value: object) -> bool:
    return not (value is None or value is False or value in ("", {}, []))


# --------------------------------------------------------------------------------------
# Small helpers. "Unset" follows Go: a nil pointer or an empty string (string fields are
# not pointers, so "" is their unset value).
# --------------------------------------------------------------------------------------

def _unset(d: dict, key: str) -> bool:
    value = d.get(key)
    return value is None or value == ""


def _default(d: dict, key: str, value: object) -> None:
    if _unset(d, key):
        d[key] = value


def _default_nonzero(d: dict, key: str, value: int) -> None:
    """For Go int32 fields that are not pointers: 0 also means unset."""
    if _unset(d, key) or d.get(key) == 0:
        d[key] = value


def _child(d: dict, key: str) -> dict | None:
    """d[key] as a dict, created when missing (Go's non-pointer struct fields always exist)."""
    if d.get(key) is None:
        d[key] = {}
    value = d[key]
    return value if isinstance(value, dict) else None


def _get(d: object, *keys: str) -> dict | None:
    """The dict at d.key1.key2..., or None when any step is missing (Go nil pointers)."""
    for key in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d if isinstance(d, dict) else None


def _items(d: object, key: str) -> Iterator[dict]:
    items = d.get(key) if isinstance(d, dict) else None
    if isinstance(items, list):
        yield from (item for item in items if isinstance(item, dict))


# --------------------------------------------------------------------------------------
# Images: imagePullPolicy follows the tag, parsed with the docker reference grammar.
# --------------------------------------------------------------------------------------

_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"(?P<name>(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?"
)
_HEX64 = re.compile(r"[a-f0-9]{64}")


def image_tag(image: str) -> str:
    """The tag Kubernetes sees in `image`: "latest" when neither tag nor digest is given,
    "" when there is only a digest or the reference does not parse."""
    m = _REFERENCE.fullmatch(image or "")
    if m is None or len(m["name"]) > 255 or _HEX64.fullmatch(image):
        return ""  # Kubernetes ignores the parse error here; validation reports it
    if m["tag"]:
        return m["tag"]
    return "" if m["digest"] else "latest"


def default_pull_policy(image: str) -> str:
    # Only the literal tag "latest" means "may change": pull it every time.
    return "Always" if image_tag(image) == "latest" else "IfNotPresent"


# --------------------------------------------------------------------------------------
# Core v1: containers, volumes, pod specs.
# --------------------------------------------------------------------------------------

def _http_get(action: dict | None) -> None:
    if action is not None:
        _default(action, "path", "/")
        _default(action, "scheme", "HTTP")


def _probe(probe: dict | None) -> None:
    if probe is None:
        return
    _default_nonzero(probe, "timeoutSeconds", 1)
    _default_nonzero(probe, "periodSeconds", 10)
    _default_nonzero(probe, "successThreshold", 1)
    _default_nonzero(probe, "failureThreshold", 3)
    _http_get(_get(probe, "httpGet"))
    grpc = _get(probe, "grpc")
    if grpc is not None and grpc.get("service") is None:
        grpc["service"] = ""  # declarative `+default=""`; "" is a real value here


def _field_ref(ref: dict | None) -> None:
    if ref is not None:
        _default(ref, "apiVersion", "v1")


def _container(c: dict) -> None:
    _default(c, "imagePullPolicy", default_pull_policy(c.get("image") or ""))
    _default(c, "terminationMessagePath", "/dev/termination-log")
    _default(c, "terminationMessagePolicy", "File")
    for port in _items(c, "ports"):
        _default(port, "protocol", "TCP")
    for env in _items(c, "env"):
        _field_ref(_get(env, "valueFrom", "fieldRef"))
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(_get(c, probe))
    for hook in ("postStart", "preStop"):
        _http_get(_get(c, "lifecycle", hook, "httpGet"))


def _volume(v: dict) -> None:
    if not any(value is not None for key, value in v.items() if key != "name"):
        v["emptyDir"] = {}  # a volume with no source is an emptyDir
    host_path = _get(v, "hostPath")
    if host_path is not None and host_path.get("type") is None:
        host_path["type"] = ""  # HostPathUnset: no check before mounting
    for source in ("secret", "configMap", "downwardAPI", "projected"):
        src = _get(v, source)
        if src is not None:
            _default(src, "defaultMode", 0o644)  # 420
    for item in _items(_get(v, "downwardAPI"), "items"):
        _field_ref(_get(item, "fieldRef"))
    for src in _items(_get(v, "projected"), "sources"):
        for item in _items(_get(src, "downwardAPI"), "items"):
            _field_ref(_get(item, "fieldRef"))
        token = _get(src, "serviceAccountToken")
        if token is not None:
            _default(token, "expirationSeconds", 3600)
    claim_spec = _get(v, "ephemeral", "volumeClaimTemplate", "spec")
    if claim_spec is not None:
        _pvc_spec(claim_spec)


def _pod_spec(spec: dict, *, restart_policy: bool = True) -> None:
    """SetDefaults_PodSpec and everything nested: applies to pods and pod templates."""
    _default(spec, "dnsPolicy", "ClusterFirst")
    if restart_policy:
        _default(spec, "restartPolicy", "Always")
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    _default(spec, "terminationGracePeriodSeconds", 30)
    _default(spec, "schedulerName", "default-scheduler")
    # The v1 conversion: serviceAccount, the deprecated alias, names the account when
    # serviceAccountName does not, and always mirrors it on the way out.
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if account:
        spec["serviceAccountName"] = spec["serviceAccount"] = account
    for volume in _items(spec, "volumes"):
        _volume(volume)
    for lst in _CONTAINER_LISTS:
        for c in _items(spec, lst):
            _container(c)


def _pod_only(spec: dict) -> None:
    """SetDefaults_Pod: only on Pods, never on templates (so template hashes stay stable)."""
    for lst in ("containers", "initContainers"):
        for c in _items(spec, lst):
            _requests_from_limits(c)
    _default(spec, "enableServiceLinks", True)
    if spec.get("hostNetwork") is True:
        for lst in ("containers", "initContainers"):
            for c in _items(spec, lst):
                for port in _items(c, "ports"):
                    if not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort")


def _requests_from_limits(c: dict) -> None:
    resources = _get(c, "resources")
    limits = _get(resources, "limits")
    if resources is None or limits is None:
        return
    requests = _child(resources, "requests")
    if requests is None:
        return
    for name, quantity in limits.items():
        requests.setdefault(name, quantity)


def _pod_template(template: dict | None, *, restart_policy: bool = True) -> None:
    if template is None:
        return
    spec = _child(template, "spec")
    if spec is not None:
        _pod_spec(spec, restart_policy=restart_policy)


def _pvc_spec(spec: dict) -> None:
    _default(spec, "volumeMode", "Filesystem")


# --------------------------------------------------------------------------------------
# Per kind.
# --------------------------------------------------------------------------------------

def _pod(obj: dict) -> None:
    spec = _child(obj, "spec")
    if spec is not None:
        _pod_only(spec)  # SetObjectDefaults_Pod runs SetDefaults_Pod first
        _pod_spec(spec)


def _replica_set(obj: dict) -> None:
    spec = _child(obj, "spec")
    if spec is None:
        return
    _default(spec, "replicas", 1)
    _pod_template(_child(spec, "template"))


def _deployment(obj: dict) -> None:
    spec = _child(obj, "spec")
    if spec is None:
        return
    _default(spec, "replicas", 1)
    strategy = _child(spec, "strategy")
    if strategy is not None:
        _default(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = _child(strategy, "rollingUpdate")
            if rolling is not None:
                _default(rolling, "maxUnavailable", "25%")
                _default(rolling, "maxSurge", "25%")
    _default(spec, "revisionHistoryLimit", 10)
    _default(spec, "progressDeadlineSeconds", 600)
    _pod_template(_child(spec, "template"))


def _daemon_set(obj: dict) -> None:
    spec = _child(obj, "spec")
    if spec is None:
        return
    strategy = _child(spec, "updateStrategy")
    if strategy is not None:
        _default(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            rolling = _child(strategy, "rollingUpdate")
            if rolling is not None:
                _default(rolling, "maxUnavailable", 1)
                _default(rolling, "maxSurge", 0)
    _default(spec, "revisionHistoryLimit", 10)
    _pod_template(_child(spec, "template"))


def _stateful_set(obj: dict) -> None:
    spec = _child(obj, "spec")
    if spec is None:
        return
    _default(spec, "podManagementPolicy", "OrderedReady")
    strategy = _child(spec, "updateStrategy")
    if strategy is not None:
        if _unset(strategy, "type"):
            # Only an unset type brings a rollingUpdate block; an explicit RollingUpdate
            # without one stays without one (and without a partition), as in Kubernetes.
            strategy["type"] = "RollingUpdate"
            _child(strategy, "rollingUpdate")
        rolling = _get(strategy, "rollingUpdate")
        if strategy["type"] == "RollingUpdate" and rolling is not None:
            _default(rolling, "partition", 0)
    retention = _child(spec, "persistentVolumeClaimRetentionPolicy")
    if retention is not None:
        _default(retention, "whenDeleted", "Retain")
        _default(retention, "whenScaled", "Retain")
    _default(spec, "replicas", 1)
    _default(spec, "revisionHistoryLimit", 10)
    for claim in _items(spec, "volumeClaimTemplates"):
        _pvc(claim)
    _pod_template(_child(spec, "template"))


# Job labels Kubernetes generates (batch.kubernetes.io/... and their legacy twins).
JOB_NAME_LABELS = ("job-name", "batch.kubernetes.io/job-name")
CONTROLLER_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")
SELECTOR_LABEL = "batch.kubernetes.io/controller-uid"
_MAX_INT32 = 2**31 - 1


def _job_spec_defaults(spec: dict) -> None:
    """SetDefaults_Job's spec part. Not applied to a CronJob's jobTemplate (as in Kubernetes)."""
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    _default(spec, "parallelism", 1)  # completions alone: parallelism 1, completions kept
    if spec.get("backoffLimit") is None:
        per_index = spec.get("backoffLimitPerIndex") is not None
        spec["backoffLimit"] = _MAX_INT32 if per_index else 6  # per-index limits take over
    _default(spec, "completionMode", "NonIndexed")
    _default(spec, "suspend", False)
    if spec.get("podReplacementPolicy") is None:
        # With a pod failure policy, a replacement waits for the old pod to be fully failed.
        failed_only = spec.get("podFailurePolicy") is not None
        spec["podReplacementPolicy"] = "Failed" if failed_only else "TerminatingOrFailed"
    _default(spec, "manualSelector", False)  # defaulted since Kubernetes 1.29


def _pod_failure_policy(spec: dict) -> None:
    for rule in _items(_get(spec, "podFailurePolicy"), "rules"):
        for pattern in _items(rule, "onPodConditions"):
            _default(pattern, "status", "True")


def _generate_job_selector(obj: dict, spec: dict) -> None:
    """The job registry's generateSelector: uid-based labels and selector.

    Like Kubernetes, it runs whenever manualSelector is not true, leaves labels the user
    set alone (validation rejects conflicts) and adds the uid to a given selector.
    """
    meta = obj.get("metadata") or {}
    uid, name = meta.get("uid"), meta.get("name")
    if not uid or spec.get("manualSelector") is True:
        return  # without a uid there is nothing unique to select on
    template = _child(spec, "template")
    labels = _child(template, "metadata") if template is not None else None
    labels = _child(labels, "labels") if labels is not None else None
    selector = _child(spec, "selector")
    match = _child(selector, "matchLabels") if selector is not None else None
    if labels is None or match is None:
        return
    for key in JOB_NAME_LABELS:
        labels.setdefault(key, name)
    for key in CONTROLLER_UID_LABELS:
        labels.setdefault(key, uid)
    match.setdefault(SELECTOR_LABEL, uid)


def _job(obj: dict) -> None:
    spec = _child(obj, "spec")
    if spec is None:
        return
    _job_spec_defaults(spec)
    _pod_failure_policy(spec)
    _generate_job_selector(obj, spec)
    # A Job without labels takes its template's (including the generated ones, as a
    # Job read back from a real API server shows).
    template_labels = _get(spec, "template", "metadata", "labels")
    meta = _child(obj, "metadata")
    if template_labels is not None and meta is not None and not meta.get("labels"):
        meta["labels"] = dict(template_labels)
    # restartPolicy is required for Job pods (validation), so it is never defaulted.
    _pod_template(_child(spec, "template"), restart_policy=False)


def _cron_job(obj: dict) -> None:
    spec = _child(obj, "spec")
    if spec is None:
        return
    _default(spec, "concurrencyPolicy", "Allow")
    _default(spec, "suspend", False)
    _default(spec, "successfulJobsHistoryLimit", 3)
    _default(spec, "failedJobsHistoryLimit", 1)
    job_spec = _get(spec, "jobTemplate", "spec")
    if job_spec is not None:
        # Only type-level defaults reach the jobTemplate; Job defaults and the selector
        # come when the CronJob controller creates each Job through the API.
        _pod_failure_policy(job_spec)
        _pod_template(_child(job_spec, "template"), restart_policy=False)


def _service(obj: dict) -> None:
    spec = _child(obj, "spec")
    if spec is None:
        return
    _default(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)  # Kubernetes drops it: nothing to configure
    elif spec["sessionAffinity"] == "ClientIP":
        config = _child(spec, "sessionAffinityConfig")
        client_ip = _child(config, "clientIP") if config is not None else None
        if client_ip is not None:
            _default(client_ip, "timeoutSeconds", 10800)  # 3 hours
    _default(spec, "type", "ClusterIP")
    svc_type = spec["type"]
    for port in _items(spec, "ports"):
        _default(port, "protocol", "TCP")
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port")
    if _externally_accessible(spec):
        _default(spec, "externalTrafficPolicy", "Cluster")
    if svc_type in ("ClusterIP", "NodePort", "LoadBalancer"):
        _default(spec, "internalTrafficPolicy", "Cluster")
    if svc_type == "LoadBalancer":
        _default(spec, "allocateLoadBalancerNodePorts", True)
        for ingress in _items(_get(obj, "status", "loadBalancer"), "ingress"):
            if ingress.get("ip") and ingress.get("ipMode") is None:
                ingress["ipMode"] = "VIP"
    if svc_type != "ExternalName":
        _service_ip_families(spec)


def _externally_accessible(spec: dict) -> bool:
    svc_type = spec.get("type")
    return svc_type in ("LoadBalancer", "NodePort") or (
        svc_type == "ClusterIP" and bool(spec.get("externalIPs")))


def _service_ip_families(spec: dict) -> None:
    """What the service IP allocator infers before allocating, on an IPv4-only cluster.

    Allocation itself is not done here; only the user's clusterIP/clusterIPs are made
    consistent so the allocator sees one shape.
    """
    cluster_ip, cluster_ips = spec.get("clusterIP"), spec.get("clusterIPs")
    if cluster_ip and not cluster_ips:
        spec["clusterIPs"] = cluster_ips = [cluster_ip]
    elif cluster_ips and isinstance(cluster_ips, list) and not cluster_ip:
        spec["clusterIP"] = cluster_ip = cluster_ips[0]
    headless_selectorless = cluster_ip == "None" and not spec.get("selector")
    # Headless services without a selector publish whatever endpoints they are given,
    # of either family, so Kubernetes asks for both.
    _default(spec, "ipFamilyPolicy", "RequireDualStack" if headless_selectorless else "SingleStack")
    if spec.get("ipFamilies"):
        return
    families = [_ip_family(ip) for ip in (cluster_ips or []) if ip != "None"][:2]
    if not families:
        families = ["IPv4"]
        if headless_selectorless and spec["ipFamilyPolicy"] != "SingleStack":
            families.append("IPv6")
    spec["ipFamilies"] = families


def _ip_family(ip: object) -> str:
    return "IPv6" if isinstance(ip, str) and ":" in ip else "IPv4"


def _secret(obj: dict) -> None:
    _default(obj, "type", "Opaque")


def _namespace(obj: dict) -> None:
    meta = _child(obj, "metadata")
    name = meta.get("name") if meta is not None else None
    if name:
        labels = _child(meta, "labels")
        if labels is not None:
            # Always the name, even over a user value: the label is how selectors find a
            # namespace by name, so it must never lie.
            labels["kubernetes.io/metadata.name"] = name
    spec = _child(obj, "spec")
    deleting = bool(meta and meta.get("deletionTimestamp"))
    if spec is not None and spec.get("finalizers") is None and not deleting:
        # Kubernetes adds it on create only. Updates default again here, so: only when
        # absent, and never once deletion started (the namespace controller removes it
        # then, and it must not come back).
        spec["finalizers"] = ["kubernetes"]
    status = _child(obj, "status")
    if status is not None:
        _default(status, "phase", "Active")


def _endpoints(obj: dict) -> None:
    for subset in _items(obj, "subsets"):
        for port in _items(subset, "ports"):
            _default(port, "protocol", "TCP")


def _pvc(obj: dict) -> None:
    spec = _child(obj, "spec")
    if spec is not None:
        _pvc_spec(spec)
    status = _child(obj, "status")
    if status is not None:
        _default(status, "phase", "Pending")


_DEFAULTERS: dict[str, Callable[[dict], None]] = {
    "Pod": _pod,
    "ReplicaSet": _replica_set,
    "Deployment": _deployment,
    "DaemonSet": _daemon_set,
    "StatefulSet": _stateful_set,
    "Job": _job,
    "CronJob": _cron_job,
    "Service": _service,
    "Secret": _secret,
    "Namespace": _namespace,
    "Endpoints": _endpoints,
    "PersistentVolumeClaim": _pvc,
    "PriorityClass": lambda pc: pc.setdefault("preemptionPolicy", "PreemptLowerPriority"),
    "RoleBinding": lambda rb: _rbac().default_binding(rb),
    "ClusterRoleBinding": lambda crb: _rbac().default_binding(crb),
}


def _rbac():  # type: ignore[no-untyped-def]
    from minikctl.api.rules import rbac  # stdlib-only, like this module

    return rbac


def apply_defaults(kind: Kind, obj: dict) -> None:
    """Fill in what a Kubernetes 1.32 API server defaults for `kind`, in place.

    Idempotent. A Job needs metadata.uid set beforehand for its selector to be generated.
    """
    defaulter = _DEFAULTERS.get(kind.kind)
    if defaulter is not None and isinstance(obj, dict):
        defaulter(obj)
