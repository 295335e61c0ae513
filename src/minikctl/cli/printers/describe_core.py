"""describe for Services, Endpoints, ConfigMaps, Secrets, Namespaces and Nodes.

Secrets show each key's size in bytes, never a value. A Node shows its Lease and the
pods it runs with their requests and limits against its allocatable resources.
"""
from __future__ import annotations

import base64
import binascii

from minikctl.api.quantity import Quantity, format_quantity, parse_quantity
from minikctl.cli.printers import age
from minikctl.cli.printers.columns_core import format_endpoints, namespace_phase, node_roles
from minikctl.cli.printers.describe import (
    NONE,
    Context,
    PrefixWriter,
    annotations_multiline,
    describe_events,
    labels_multiline,
    meta,
    name_and_namespace,
    spec,
    status,
)
from minikctl.cli.printers.values import format_labels


def _labels_annotations(w: PrefixWriter, obj: dict) -> None:
    labels_multiline(w, "Labels", meta(obj).get("labels"))
    annotations_multiline(w, "Annotations", meta(obj).get("annotations"))


# --- Service and Endpoints ----------------------------------------------------------------------

def _service_addresses(w: PrefixWriter, s: dict, kind: str) -> None:
    # On a real cluster the API server fills in the IP family fields for every type
    # except ExternalName; print those defaults when the object lacks them.
    defaulted = kind != "ExternalName"
    policy = s.get("ipFamilyPolicy") or ("SingleStack" if defaulted else None)
    if policy:
        w.write(0, f"IP Family Policy:\t{policy}\n")
    families = s.get("ipFamilies") or (["IPv4"] if defaulted else [])
    w.write(0, f"IP Families:\t{','.join(families) or NONE}\n")
    w.write(0, f"IP:\t{s.get('clusterIP', '')}\n")
    ips = s.get("clusterIPs") or ([s["clusterIP"]] if s.get("clusterIP") else [])
    w.write(0, f"IPs:\t{','.join(ips) or NONE}\n")
    if s.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(s['externalIPs'])}\n")
    if s.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{s['loadBalancerIP']}\n")
    if s.get("externalName"):
        w.write(0, f"External Name:\t{s['externalName']}\n")


def _service_ports(w: PrefixWriter, svc: dict, ctx: Context) -> None:
    endpoints = ctx.related.get("endpoints") or {}
    for port in spec(svc).get("ports") or []:
        name = port.get("name") or "<unset>"
        proto = port.get("protocol") or "TCP"
        w.write(0, f"Port:\t{name}\t{port.get('port', 0)}/{proto}\n")
        target = port.get("targetPort", port.get("port", 0))  # defaults to the port
        w.write(0, f"TargetPort:\t{target}/{proto}\n")
        if port.get("appProtocol"):
            w.write(0, f"AppProtocol:\t{port['appProtocol']}\n")
        if port.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{port['nodePort']}/{proto}\n")
        w.write(0, f"Endpoints:\t{format_endpoints(endpoints, {port.get('name', '')})}\n")


def describe_service(w: PrefixWriter, svc: dict, ctx: Context) -> None:
    s = spec(svc)
    kind = s.get("type") or "ClusterIP"
    name_and_namespace(w, svc)
    _labels_annotations(w, svc)
    w.write(0, f"Selector:\t{format_labels(s.get('selector'))}\n")
    w.write(0, f"Type:\t{kind}\n")
    _service_addresses(w, s, kind)
    ingress = (status(svc).get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        texts = [(i["ip"] + (f" ({i['ipMode']})" if i.get("ipMode") else "")) if i.get("ip")
                 else i.get("hostname", "") for i in ingress]
        w.write(0, f"LoadBalancer Ingress:\t{', '.join(texts)}\n")
    _service_ports(w, svc, ctx)
    w.write(0, f"Session Affinity:\t{s.get('sessionAffinity') or 'None'}\n")
    external = s.get("externalTrafficPolicy") or ("Cluster" if kind in ("NodePort", "LoadBalancer") else "")
    if external:
        w.write(0, f"External Traffic Policy:\t{external}\n")
    internal = s.get("internalTrafficPolicy") or ("Cluster" if kind != "ExternalName" else "")
    if internal:
        w.write(0, f"Internal Traffic Policy:\t{internal}\n")
    if s.get("healthCheckNodePort"):
        w.write(0, f"HealthCheck NodePort:\t{s['healthCheckNodePort']}\n")
    if s.get("loadBalancerSourceRanges"):
        w.write(0, f"LoadBalancer Source Ranges:\t{','.join(s['loadBalancerSourceRanges'])}\n")
    if s.get("trafficDistribution"):
        w.write(0, f"Traffic Distribution:\t{s['trafficDistribution']}\n")
    describe_events(w, ctx)


def describe_endpoints(w: PrefixWriter, ep: dict, ctx: Context) -> None:
    name_and_namespace(w, ep)
    _labels_annotations(w, ep)
    w.write(0, "Subsets:\n")
    for subset in ep.get("subsets") or []:
        ready = ",".join(a.get("ip", "") for a in subset.get("addresses") or [])
        not_ready = ",".join(a.get("ip", "") for a in subset.get("notReadyAddresses") or [])
        w.write(1, f"Addresses:\t{ready or NONE}\n")
        w.write(1, f"NotReadyAddresses:\t{not_ready or NONE}\n")
        if subset.get("ports"):
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for port in subset["ports"]:
                w.write(2, f"{port.get('name') or '<unset>'}\t{port.get('port', 0)}\t{port.get('protocol') or 'TCP'}\n")
        w.write(0, "\n")
    describe_events(w, ctx)


# --- ConfigMap, Secret, Namespace ------------------------------------------------------------------

def describe_configmap(w: PrefixWriter, cm: dict, ctx: Context) -> None:
    name_and_namespace(w, cm)
    _labels_annotations(w, cm)
    w.write(0, "\nData\n====\n")
    data = cm.get("data") or {}
    for key in sorted(data):
        w.write(0, f"{key}:\n----\n")
        w.write(0, f"{data[key]}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    binary = cm.get("binaryData") or {}
    for key in sorted(binary):
        w.write(0, f"{key}: {_decoded_size(binary[key])} bytes\n")
    w.write(0, "\n")
    describe_events(w, ctx)


def _decoded_size(value: object) -> int:
    try:
        return len(base64.b64decode(str(value), validate=True))
    except (binascii.Error, ValueError):
        return len(str(value).encode())


def describe_secret(w: PrefixWriter, secret: dict, ctx: Context) -> None:
    name_and_namespace(w, secret)
    _labels_annotations(w, secret)
    kind = secret.get("type") or "Opaque"
    w.write(0, f"\nType:\t{kind}\n")
    w.write(0, "\nData\n====\n")
    data = secret.get("data") or {}
    plain = secret.get("stringData") or {}  # merged into data on a real server
    sizes = {k: _decoded_size(v) for k, v in data.items()}
    sizes.update({k: len(str(v).encode()) for k, v in plain.items()})
    for key in sorted(sizes):
        if key == "token" and kind == "kubernetes.io/service-account-token":
            # the one value kubectl shows: a service account token is meant to be read
            w.write(0, f"{key}:\t{_decoded_text(data.get(key), plain.get(key))}\n")
        else:
            w.write(0, f"{key}:\t{sizes[key]} bytes\n")


def _decoded_text(encoded: object, plain: object) -> str:
    if plain is not None:
        return str(plain)
    try:
        return base64.b64decode(str(encoded)).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return str(encoded)


def describe_namespace(w: PrefixWriter, ns: dict, ctx: Context) -> None:
    w.write(0, f"Name:\t{meta(ns).get('name', '')}\n")
    _labels_annotations(w, ns)
    w.write(0, f"Status:\t{namespace_phase(ns)}\n")
    conditions = status(ns).get("conditions") or []
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in conditions:
            w.write(1, f"{c.get('type', '')}\t{c.get('status', '')}\t{age.rfc1123z(c.get('lastTransitionTime'))}"
                       f"\t{c.get('reason', '')}\t{c.get('message', '')}\n")
    # minikctl serves no ResourceQuotas or LimitRanges, so a namespace never has any.
    w.write(0, "\n")
    w.write(0, "No resource quota.\n")
    w.write(0, "\n")
    w.write(0, "No LimitRange resource.\n")


# --- Node -----------------------------------------------------------------------------------------

def _taint(taint: dict) -> str:
    key, value, effect = taint.get("key", ""), taint.get("value", ""), taint.get("effect", "")
    if not effect:
        return f"{key}={value}:" if value else key
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def _taints(w: PrefixWriter, taints: list[dict]) -> None:
    w.write(0, "Taints:\t")
    if not taints:
        w.line(NONE)
        return
    ordered = sorted(taints, key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    for i, taint in enumerate(ordered):
        if i:
            w.write(0, "\t")
        w.write(0, _taint(taint) + "\n")


def _lease(w: PrefixWriter, node: dict, ctx: Context) -> None:
    lease = ctx.related.get("lease")
    if not lease:
        name = meta(node).get("name", "")
        w.write(0, f'Lease:\tFailed to get lease: leases.coordination.k8s.io "{name}" not found\n')
        return
    ls = spec(lease)
    w.write(0, "Lease:\n")
    w.write(1, f"HolderIdentity:\t{ls.get('holderIdentity') or '<unset>'}\n")
    for title, key in (("AcquireTime", "acquireTime"), ("RenewTime", "renewTime")):
        w.write(1, f"{title}:\t{age.rfc1123z(ls[key]) if ls.get(key) else '<unset>'}\n")


def _node_conditions(w: PrefixWriter, conditions: list[dict]) -> None:
    if not conditions:
        return
    w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
    w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
    for c in conditions:
        w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \t{age.rfc1123z(c.get('lastHeartbeatTime'))} "
                   f"\t{age.rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t{c.get('message', '')}\n")


def _system_info(w: PrefixWriter, info: dict) -> None:
    w.write(0, "System Info:\n")
    for title, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
                       ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"),
                       ("Operating System", "operatingSystem"), ("Architecture", "architecture"),
                       ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion")):
        w.write(0, f"  {title}:\t{info.get(key, '')}\n")


def _pod_resources(pod: dict, key: str) -> dict[str, Quantity]:
    """A pod's total requests or limits: its containers and sidecars, at least each init container."""
    ps = spec(pod)

    def of(container: dict) -> dict[str, Quantity]:
        values = (container.get("resources") or {}).get(key) or {}
        return {name: parse_quantity(v) for name, v in values.items()}

    def add(a: dict[str, Quantity], b: dict[str, Quantity]) -> dict[str, Quantity]:
        return {n: a.get(n, Quantity()) + b.get(n, Quantity()) for n in {*a, *b}}

    total: dict[str, Quantity] = {}
    for c in ps.get("containers") or []:
        total = add(total, of(c))
    sidecars: dict[str, Quantity] = {}
    floor: dict[str, Quantity] = {}
    for c in ps.get("initContainers") or []:
        if c.get("restartPolicy") == "Always":
            sidecars = add(sidecars, of(c))
            continue
        for name, q in add(of(c), sidecars).items():
            if name not in floor or q.value > floor[name].value:
                floor[name] = q
    total = add(total, sidecars)
    for name, q in floor.items():
        if name not in total or q.value > total[name].value:
            total[name] = q
    overhead = {n: parse_quantity(v) for n, v in (ps.get("overhead") or {}).items()}
    return add(total, overhead) if overhead else total


def _percent(part: Quantity, whole: Quantity, milli: bool) -> int:
    denominator = whole.milli_value if milli else whole.int_value
    if not denominator:
        return 0
    numerator = part.milli_value if milli else part.int_value
    return int(numerator / denominator * 100)


def _node_pods(w: PrefixWriter, node: dict, ctx: Context) -> None:
    name = meta(node).get("name")
    pods = [p for p in ctx.related.get("pods") or []
            if spec(p).get("nodeName") == name and status(p).get("phase") not in ("Succeeded", "Failed")]
    allocatable_raw = status(node).get("allocatable") or status(node).get("capacity") or {}
    allocatable = {n: parse_quantity(v) for n, v in allocatable_raw.items()}
    cpu, memory = allocatable.get("cpu", Quantity()), allocatable.get("memory", Quantity())
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    totals: dict[str, dict[str, Quantity]] = {"requests": {}, "limits": {}}
    for pod in pods:
        req, lim = _pod_resources(pod, "requests"), _pod_resources(pod, "limits")
        for kind, values in (("requests", req), ("limits", lim)):
            for n, q in values.items():
                totals[kind][n] = totals[kind][n] + q if n in totals[kind] else q
        cells = [f"{req.get('cpu', Quantity())} ({_percent(req.get('cpu', Quantity()), cpu, True)}%)",
                 f"{lim.get('cpu', Quantity())} ({_percent(lim.get('cpu', Quantity()), cpu, True)}%)",
                 f"{req.get('memory', Quantity())} ({_percent(req.get('memory', Quantity()), memory, False)}%)",
                 f"{lim.get('memory', Quantity())} ({_percent(lim.get('memory', Quantity()), memory, False)}%)"]
        row = [meta(pod).get("namespace", ""), meta(pod).get("name", ""), "", *cells,
               ctx.since(meta(pod).get("creationTimestamp"))]
        w.write(1, "\t".join(row) + "\n")
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    for resource, milli in (("cpu", True), ("memory", False), ("ephemeral-storage", False)):
        req = totals["requests"].get(resource, Quantity())
        lim = totals["limits"].get(resource, Quantity())
        whole = allocatable.get(resource, Quantity())
        w.write(1, f"{resource}\t{req} ({_percent(req, whole, milli)}%)\t{lim} ({_percent(lim, whole, milli)}%)\n")
    standard = {"cpu", "memory", "ephemeral-storage", "pods"}
    extra = sorted(n for n in allocatable if n not in standard)
    for resource in [n for n in extra if n.startswith("hugepages-")]:
        req = totals["requests"].get(resource, Quantity())
        lim = totals["limits"].get(resource, Quantity())
        whole = allocatable[resource]
        w.write(1, f"{resource}\t{req} ({_percent(req, whole, False)}%)\t{lim} ({_percent(lim, whole, False)}%)\n")
    for resource in [n for n in extra if not n.startswith("hugepages-") and "/" in n]:
        w.write(1, f"{resource}\t{totals['requests'].get(resource, Quantity())}"
                   f"\t{totals['limits'].get(resource, Quantity())}\n")


def describe_node(w: PrefixWriter, node: dict, ctx: Context) -> None:
    ns, st = spec(node), status(node)
    w.write(0, f"Name:\t{meta(node).get('name', '')}\n")
    w.write(0, f"Roles:\t{','.join(node_roles(node)) or NONE}\n")
    _labels_annotations(w, node)
    w.write(0, f"CreationTimestamp:\t{age.rfc1123z(meta(node).get('creationTimestamp'))}\n")
    _taints(w, ns.get("taints") or [])
    w.write(0, f"Unschedulable:\t{'true' if ns.get('unschedulable') else 'false'}\n")
    _lease(w, node, ctx)
    _node_conditions(w, st.get("conditions") or [])
    w.write(0, "Addresses:\n")
    for address in st.get("addresses") or []:
        w.write(1, f"{address.get('type', '')}:\t{address.get('address', '')}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        values = st.get(key) or {}
        if values:
            w.write(0, f"{title}:\n")
            for name in sorted(values):
                w.write(0, f"  {name}:\t{format_quantity(values[name])}\n")
    _system_info(w, st.get("nodeInfo") or {})
    if ns.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{ns['podCIDR']}\n")
    if ns.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(ns['podCIDRs'])}\n")
    if ns.get("providerID"):
        w.write(0, f"ProviderID:\t{ns['providerID']}\n")
    _node_pods(w, node, ctx)
    describe_events(w, ctx)


DESCRIBERS = {
    "Service": describe_service,
    "Endpoints": describe_endpoints,
    "ConfigMap": describe_configmap,
    "Secret": describe_secret,
    "Namespace": describe_namespace,
    "Node": describe_node,
}
