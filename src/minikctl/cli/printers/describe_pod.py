"""describe for Pods, and the containers, volumes and pod templates workloads share.

A Pod shows its containers with their state, probes, environment and mounts; every
workload shows its pod template the same way, without state. Values the API server
would have defaulted on a real cluster (probe periods and thresholds, port protocols)
print with those defaults when absent.
"""
from __future__ import annotations

import math
from urllib.parse import quote

from minikctl.api.quantity import format_quantity, parse_quantity
from minikctl.cli.printers import age
from minikctl.cli.printers.describe import (
    NONE,
    Context,
    PrefixWriter,
    annotations_multiline,
    controller_of,
    describe_events,
    labels_multiline,
    meta,
    name_and_namespace,
    spec,
    status,
    tolerations_multiline,
)
from minikctl.cli.printers.values import go_sprint

# Characters Go's url.URL leaves unescaped in a path.
_PATH_SAFE = "/:@$&+,;=-._~"

# --- containers -------------------------------------------------------------------------------


def _ports(ports: list[dict], key: str) -> str:
    pieces = []
    for port in ports:
        text = f"{port.get(key, 0)}/{port.get('protocol') or 'TCP'}"
        if port.get("name"):
            text += f" ({port['name']})"
        pieces.append(text)
    return ", ".join(pieces)


def _state(w: PrefixWriter, title: str, state: dict) -> None:
    if state.get("running") is not None:
        w.write(2, f"{title}:\tRunning\n")
        w.write(3, f"Started:\t{age.rfc1123z(state['running'].get('startedAt'))}\n")
    elif state.get("waiting") is not None:
        w.write(2, f"{title}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        term = state["terminated"]
        w.write(2, f"{title}:\tTerminated\n")
        if term.get("reason"):
            w.write(3, f"Reason:\t{term['reason']}\n")
        if term.get("message"):
            w.write(3, f"Message:\t{term['message']}\n")
        w.write(3, f"Exit Code:\t{term.get('exitCode', 0)}\n")
        if (term.get("signal") or 0) > 0:
            w.write(3, f"Signal:\t{term['signal']}\n")
        w.write(3, f"Started:\t{age.rfc1123z(term.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{age.rfc1123z(term.get('finishedAt'))}\n")
    else:
        w.write(2, f"{title}:\tWaiting\n")


def describe_resources(w: PrefixWriter, resources: dict | None, level: int) -> None:
    for title, key in (("Limits", "limits"), ("Requests", "requests")):
        values = (resources or {}).get(key) or {}
        if values:
            w.write(level, f"{title}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{format_quantity(values[name])}\n")


def _limits_enforcement(w: PrefixWriter, pod: dict, container: str) -> None:
    """Not in kubectl: how this machine enforced the limits (cgroup v2, cgroup v1, or
    rlimit), as the runtime recorded it next to the container's process."""
    import os

    from minikctl.cli import podfiles
    from minikctl.runtime import records

    recorded = records.read_json(os.path.join(podfiles.container_dir(pod, container), records.STATE_FILE)) or {}
    if recorded.get("limits"):
        w.write(2, f"Limits Enforced By:\t{recorded['limits']}\n")


def describe_probe(probe: dict) -> str:
    attrs = (f"delay={probe.get('initialDelaySeconds', 0)}s timeout={probe.get('timeoutSeconds', 1)}s "
             f"period={probe.get('periodSeconds', 10)}s #success={probe.get('successThreshold', 1)} "
             f"#failure={probe.get('failureThreshold', 3)}")
    if probe.get("exec") is not None:
        return f"exec {go_sprint((probe['exec'] or {}).get('command') or [])} {attrs}"
    if probe.get("httpGet") is not None:
        get = probe["httpGet"]
        host, port = get.get("host", ""), str(get.get("port", ""))
        if port:
            host = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        url = f"{(get.get('scheme') or 'HTTP').lower()}://{host}{quote(get.get('path', ''), safe=_PATH_SAFE)}"
        return f"http-get {url} {attrs}"
    if probe.get("tcpSocket") is not None:
        tcp = probe["tcpSocket"]
        return f"tcp-socket {tcp.get('host', '')}:{tcp.get('port', '')} {attrs}"
    if probe.get("grpc") is not None:
        return f"grpc <pod>:{probe['grpc'].get('port', 0)} {probe['grpc'].get('service', '')} {attrs}"
    return f"unknown {attrs}"


_FIELD_PATHS = {
    "metadata.name": lambda p: meta(p).get("name", ""),
    "metadata.namespace": lambda p: meta(p).get("namespace", ""),
    "metadata.uid": lambda p: meta(p).get("uid", ""),
    "spec.nodeName": lambda p: spec(p).get("nodeName", ""),
    "spec.serviceAccountName": lambda p: spec(p).get("serviceAccountName", ""),
    "status.hostIP": lambda p: status(p).get("hostIP", ""),
    "status.podIP": lambda p: status(p).get("podIP", ""),
    "status.podIPs": lambda p: ",".join(i.get("ip", "") for i in status(p).get("podIPs") or []),
}


def _field_value(pod: dict | None, path: str) -> str:
    """The downward-API value a fieldRef resolves to; "" for a pod template."""
    if pod is None:
        return ""
    for prefix, key in (("metadata.labels['", "labels"), ("metadata.annotations['", "annotations")):
        if path.startswith(prefix) and path.endswith("']"):
            return (meta(pod).get(key) or {}).get(path[len(prefix):-2], "")
    fn = _FIELD_PATHS.get(path)
    return fn(pod) if fn else ""


def _resource_value(container: dict, ref: dict) -> str:
    resource = ref.get("resource", "")
    kind, _, name = resource.partition(".")
    raw = ((container.get("resources") or {}).get(kind) or {}).get(name)
    try:
        value = parse_quantity(raw).value if raw is not None else 0
        divisor = parse_quantity(ref.get("divisor") or "1").value
        return str(math.ceil(value / divisor))  # rounded up, as the downward API does
    except (ValueError, ZeroDivisionError):
        return ""


def _env(w: PrefixWriter, container: dict, pod: dict | None) -> None:
    if container.get("envFrom"):
        w.write(2, "Environment Variables from:\n")
        for source in container["envFrom"]:
            ref = source.get("configMapRef") or source.get("secretRef") or {}
            kind = "ConfigMap" if source.get("configMapRef") is not None else "Secret"
            optional = "true" if ref.get("optional") else "false"
            what = f"{kind} with prefix '{source['prefix']}'" if source.get("prefix") else kind
            w.write(3, f"{ref.get('name', '')}\t{what}\tOptional: {optional}\n")
    env = container.get("env") or []
    w.write(2, "Environment:" + ("" if env else "\t<none>") + "\n")
    for var in env:
        name, source = var.get("name", ""), var.get("valueFrom")
        if source is None:
            for i, part in enumerate(str(var.get("value", "")).split("\n")):
                w.write(3, f"{name}:\t{part}\n" if i == 0 else f"\t{part}\n")
        elif source.get("fieldRef") is not None:
            ref = source["fieldRef"]
            value = _field_value(pod, ref.get("fieldPath", ""))
            w.write(3, f"{name}:\t{value} ({ref.get('apiVersion') or 'v1'}:{ref.get('fieldPath', '')})\n")
        elif source.get("resourceFieldRef") is not None:
            ref = source["resourceFieldRef"]
            value = _resource_value(container, ref)
            if value == "0" and ref.get("resource") in ("limits.cpu", "limits.memory"):
                value = "node allocatable"
            w.write(3, f"{name}:\t{value} ({ref.get('resource', '')})\n")
        elif source.get("secretKeyRef") is not None or source.get("configMapKeyRef") is not None:
            secret = source.get("secretKeyRef") is not None
            ref = source["secretKeyRef"] if secret else source["configMapKeyRef"]
            where = f"in secret '{ref.get('name', '')}'" if secret else f"of config map '{ref.get('name', '')}'"
            optional = "true" if ref.get("optional") else "false"
            w.write(3, f"{name}:\t<set to the key '{ref.get('key', '')}' {where}>\tOptional: {optional}\n")


def _mounts(w: PrefixWriter, container: dict) -> None:
    mounts = container.get("volumeMounts") or []
    w.write(2, "Mounts:" + ("" if mounts else "\t<none>") + "\n")
    for mount in sorted(mounts, key=lambda m: m.get("mountPath", "")):
        flags = ["ro" if mount.get("readOnly") else "rw"]
        if mount.get("subPath"):
            flags.append(f'path="{mount["subPath"]}"')
        w.write(3, f"{mount.get('mountPath', '')} from {mount.get('name', '')} ({','.join(flags)})\n")


def describe_containers(w: PrefixWriter, label: str, containers: list[dict], statuses: list[dict] | None,
                        *, space: str = "", pod: dict | None = None) -> None:
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    for c in containers:
        st = by_name.get(c.get("name"))
        w.write(1, f"{' ' if space else ''}{c.get('name', '')}:\n")
        if st is not None:
            w.write(2, f"Container ID:\t{st.get('containerID', '')}\n")
        w.write(2, f"Image:\t{c.get('image', '')}\n")
        if st is not None:
            w.write(2, f"Image ID:\t{st.get('imageID', '')}\n")
        ports = c.get("ports") or []
        for title, key in (("Port", "containerPort"), ("Host Port", "hostPort")):
            text = _ports(ports, key)
            if "," in text:
                w.write(2, f"{title}s:\t{text}\n")
            else:
                w.write(2, f"{title}:\t{text or NONE}\n")
        for title, key in (("Command", "command"), ("Args", "args")):
            if c.get(key):
                w.write(2, f"{title}:\n")
                for item in c[key]:
                    for part in str(item).split("\n"):
                        w.write(3, f"{part}\n")
        if st is not None:
            _state(w, "State", st.get("state") or {})
            last = st.get("lastState") or {}
            if last.get("terminated") is not None:
                _state(w, "Last State", last)
            w.write(2, f"Ready:\t{'True' if st.get('ready') else 'False'}\n")
            w.write(2, f"Restart Count:\t{st.get('restartCount', 0)}\n")
        describe_resources(w, c.get("resources"), 2)
        if st is not None and pod is not None and (c.get("resources") or {}).get("limits"):
            _limits_enforcement(w, pod, c.get("name", ""))
        for title, key in (("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"),
                           ("Startup", "startupProbe")):
            if c.get(key) is not None:
                w.write(2, f"{title}:\t{describe_probe(c[key])}\n")
        _env(w, c, pod)
        _mounts(w, c)


# --- volumes ----------------------------------------------------------------------------------

def _optional(source: dict) -> str:
    return "true" if source.get("optional") else "false"


def _volume(w: PrefixWriter, volume: dict) -> None:
    if volume.get("hostPath") is not None:
        hp = volume["hostPath"]
        w.write(2, "Type:\tHostPath (bare host directory volume)\n"
                   f"    Path:\t{hp.get('path', '')}\n    HostPathType:\t{hp.get('type') or NONE}\n")
    elif volume.get("emptyDir") is not None:
        ed = volume["emptyDir"] or {}
        limit = format_quantity(ed["sizeLimit"]) if ed.get("sizeLimit") else "<unset>"
        w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
                   f"    Medium:\t{ed.get('medium', '')}\n    SizeLimit:\t{limit}\n")
    elif volume.get("secret") is not None:
        s = volume["secret"]
        w.write(2, "Type:\tSecret (a volume populated by a Secret)\n"
                   f"    SecretName:\t{s.get('secretName', '')}\n    Optional:\t{_optional(s)}\n")
    elif volume.get("configMap") is not None:
        cm = volume["configMap"]
        w.write(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n"
                   f"    Name:\t{cm.get('name', '')}\n    Optional:\t{_optional(cm)}\n")
    elif volume.get("persistentVolumeClaim") is not None:
        pvc = volume["persistentVolumeClaim"]
        read_only = "true" if pvc.get("readOnly") else "false"
        w.write(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n"
                   f"    ClaimName:\t{pvc.get('claimName', '')}\n    ReadOnly:\t{read_only}\n")
    elif volume.get("downwardAPI") is not None:
        w.write(2, "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n")
        for item in volume["downwardAPI"].get("items") or []:
            ref = item.get("fieldRef") or {}
            res = item.get("resourceFieldRef") or {}
            if ref:
                w.write(3, f"{ref.get('fieldPath', '')} -> {item.get('path', '')}\n")
            if res:
                w.write(3, f"{res.get('resource', '')} -> {item.get('path', '')}\n")
    elif volume.get("projected") is not None:
        w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
        for source in volume["projected"].get("sources") or []:
            if source.get("secret") is not None:
                w.write(2, f"SecretName:\t{source['secret'].get('name', '')}\n"
                           f"    Optional:\t{_optional(source['secret'])}\n")
            elif source.get("downwardAPI") is not None:
                w.write(2, "DownwardAPI:\ttrue\n")
            elif source.get("configMap") is not None:
                w.write(2, f"ConfigMapName:\t{source['configMap'].get('name', '')}\n"
                           f"    Optional:\t{_optional(source['configMap'])}\n")
            elif source.get("serviceAccountToken") is not None:
                w.write(2, f"TokenExpirationSeconds:\t{source['serviceAccountToken'].get('expirationSeconds', 3600)}\n")
    else:
        w.write(2, "<unknown>\n")


def describe_volumes(w: PrefixWriter, volumes: list[dict] | None, *, space: str = "") -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for volume in volumes:
        w.write(1, f"{' ' if space else ''}{volume.get('name', '')}:\n")
        _volume(w, volume)


def describe_pod_template(w: PrefixWriter, template: dict | None) -> None:
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    tspec = template.get("spec") or {}
    labels_multiline(w, "  Labels", meta(template).get("labels"))
    if meta(template).get("annotations"):
        annotations_multiline(w, "  Annotations", meta(template)["annotations"])
    if tspec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{tspec['serviceAccountName']}\n")
    if tspec.get("initContainers"):
        describe_containers(w, "Init Containers", tspec["initContainers"], None, space="  ")
    describe_containers(w, "Containers", tspec.get("containers") or [], None, space="  ")
    describe_volumes(w, tspec.get("volumes"), space="  ")
    if tspec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{tspec['priorityClassName']}\n")
    labels_multiline(w, "  Node-Selectors", tspec.get("nodeSelector"))
    tolerations_multiline(w, "  Tolerations", tspec.get("tolerations"))


# --- Pod ----------------------------------------------------------------------------------------

def _requests_and_limits(container: dict) -> tuple[dict, dict]:
    resources = container.get("resources") or {}
    return resources.get("requests") or {}, resources.get("limits") or {}


def qos_class(pod: dict) -> str:
    """BestEffort, Burstable or Guaranteed, from cpu and memory requests and limits."""
    if status(pod).get("qosClass"):
        return status(pod)["qosClass"]
    pod_spec = spec(pod)
    containers = (pod_spec.get("containers") or []) + (pod_spec.get("initContainers") or [])
    any_set, guaranteed = False, True
    for c in containers:
        requests, limits = _requests_and_limits(c)
        for name in ("cpu", "memory"):
            request, limit = requests.get(name), limits.get(name)
            if request is not None or limit is not None:
                any_set = True
            # a missing request defaults to the limit
            if limit is None or (request is not None and format_quantity(request) != format_quantity(limit)):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _pod_ips(w: PrefixWriter, pod: dict) -> None:
    ips = status(pod).get("podIPs") or []
    if not ips and status(pod).get("podIP"):
        ips = [{"ip": status(pod)["podIP"]}]  # the kubelet sets both; accept either
    if not ips:
        w.write(0, "IPs:\t<none>\n")
        return
    w.write(0, "IPs:\n")
    for ip in ips:
        w.write(1, f"IP:\t{ip.get('ip', '')}\n")


def _pod_status_lines(w: PrefixWriter, pod: dict, ctx: Context) -> None:
    st, md = status(pod), meta(pod)
    phase = st.get("phase") or "Pending"
    if md.get("deletionTimestamp") and phase not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {ctx.since(md['deletionTimestamp'])})\n")
        w.write(0, f"Termination Grace Period:\t{md.get('deletionGracePeriodSeconds', 0)}s\n")
    else:
        w.write(0, f"Status:\t{phase}\n")
    if st.get("reason"):
        w.write(0, f"Reason:\t{st['reason']}\n")
    if st.get("message"):
        w.write(0, f"Message:\t{st['message']}\n")


def describe_pod(w: PrefixWriter, pod: dict, ctx: Context) -> None:
    ps, st = spec(pod), status(pod)
    name_and_namespace(w, pod)
    if ps.get("priority") is not None:
        w.write(0, f"Priority:\t{ps['priority']}\n")
    for title, key in (("Priority Class Name", "priorityClassName"), ("Runtime Class Name", "runtimeClassName"),
                       ("Service Account", "serviceAccountName")):
        if ps.get(key):
            w.write(0, f"{title}:\t{ps[key]}\n")
    node = ps.get("nodeName")
    w.write(0, f"Node:\t{node}/{st.get('hostIP', '')}\n" if node else "Node:\t<none>\n")
    if st.get("startTime"):
        w.write(0, f"Start Time:\t{age.rfc1123z(st['startTime'])}\n")
    labels_multiline(w, "Labels", meta(pod).get("labels"))
    annotations_multiline(w, "Annotations", meta(pod).get("annotations"))
    _pod_status_lines(w, pod, ctx)
    w.write(0, f"IP:\t{st.get('podIP', '')}\n")
    _pod_ips(w, pod)
    owner = controller_of(pod)
    if owner:
        w.write(0, f"Controlled By:\t{owner}\n")
    if st.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{st['nominatedNodeName']}\n")
    if ps.get("initContainers"):
        describe_containers(w, "Init Containers", ps["initContainers"], st.get("initContainerStatuses"), pod=pod)
    describe_containers(w, "Containers", ps.get("containers") or [], st.get("containerStatuses"), pod=pod)
    conditions = st.get("conditions") or []
    if ps.get("readinessGates"):
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        by_type = {c.get("type"): c.get("status") for c in conditions}
        for gate in ps["readinessGates"]:
            w.write(1, f"{gate.get('conditionType', '')} \t{by_type.get(gate.get('conditionType'), NONE)} \n")
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in conditions:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \n")
    describe_volumes(w, ps.get("volumes"))
    w.write(0, f"QoS Class:\t{qos_class(pod)}\n")
    labels_multiline(w, "Node-Selectors", ps.get("nodeSelector"))
    tolerations_multiline(w, "Tolerations", ps.get("tolerations"))
    describe_events(w, ctx)
