"""`kubectl get` columns for Services, Endpoints, ConfigMaps, Secrets, Namespaces,
Nodes, Events, PersistentVolumeClaims, RuntimeClasses and Leases (see columns.py).
"""
from __future__ import annotations

from typing import Any, Callable

from minikctl.cli.printers import age, columns_policy, columns_rbac
from minikctl.cli.printers.columns import AGE, NAME, Column, Context, as_int, meta, name, spec, status
from minikctl.cli.printers.values import NONE, format_labels

# --- Services and networking -------------------------------------------------------------

def _lb_ingress(svc: dict, wide: bool) -> str:
    found = set()
    for ing in ((status(svc).get("loadBalancer") or {}).get("ingress") or []):
        if ing.get("ip"):
            found.add(ing["ip"])
        elif ing.get("hostname"):
            found.add(ing["hostname"])
    text = ",".join(sorted(found))
    if not wide and len(text) > 16:
        text = text[:13] + "..."
    return text


def _external_ip(svc: dict, ctx: Context) -> str:
    sp = spec(svc)
    kind = sp.get("type") or "ClusterIP"
    external = sp.get("externalIPs") or []
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) if external else NONE
    if kind == "LoadBalancer":
        lb = _lb_ingress(svc, ctx.wide)
        if external:
            return ",".join(([*lb.split(",")] if lb else []) + external)
        return lb or "<pending>"
    if kind == "ExternalName":
        return sp.get("externalName", "")
    return "<unknown>"


def _cluster_ip(svc: dict, ctx: Context) -> str:
    sp = spec(svc)
    ips = sp.get("clusterIPs") or ([sp["clusterIP"]] if sp.get("clusterIP") else [])
    return ips[0] if ips else NONE


def service_ports(svc: dict) -> str:
    pieces = []
    for port in spec(svc).get("ports") or []:
        proto = port.get("protocol") or "TCP"
        if as_int(port.get("nodePort")) > 0:
            pieces.append(f"{port.get('port')}:{port['nodePort']}/{proto}")
        else:
            pieces.append(f"{port.get('port')}/{proto}")
    return ",".join(pieces) or NONE


SERVICE = (
    NAME,
    Column("Type", 0, lambda o, c: spec(o).get("type") or "ClusterIP"),
    Column("Cluster-IP", 0, _cluster_ip),
    Column("External-IP", 0, _external_ip),
    Column("Port(s)", 0, lambda o, c: service_ports(o)),
    AGE,
    Column("Selector", 1, lambda o, c: format_labels(spec(o).get("selector"))),
)


def format_endpoints(endpoints: dict, port_names: set[str] | None = None, limit: int = 3) -> str:
    """`10.0.0.1:80,10.0.0.2:80 + 1 more...`; only ports named in port_names if given."""
    subsets = endpoints.get("subsets") or []
    if not subsets:
        return NONE
    shown: list[str] = []
    count, more = 0, False
    for subset in subsets:
        addresses = [a.get("ip", "") for a in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        targets = [None] if not ports else [p for p in ports if port_names is None or p.get("name", "") in port_names]
        for port in targets:
            count += len(addresses)
            for ip in addresses:
                if len(shown) == limit:
                    more = True
                    break
                shown.append(ip if port is None else _join_host_port(ip, port.get("port")))
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if more else text


def _join_host_port(host: str, port: Any) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


ENDPOINTS = (NAME, Column("Endpoints", 0, lambda o, c: format_endpoints(o)), AGE)


# --- Config, namespaces, nodes, events, storage, misc --------------------------------------

def secret_keys(secret: dict) -> set[str]:
    # stringData is write-only on a real server (merged into data); count it if still here.
    return set(secret.get("data") or {}) | set(secret.get("stringData") or {})


CONFIGMAP = (
    NAME,
    Column("Data", 0, lambda o, c: str(len(o.get("data") or {}) + len(o.get("binaryData") or {}))),
    AGE,
)

SECRET = (
    NAME,
    Column("Type", 0, lambda o, c: o.get("type") or "Opaque"),
    Column("Data", 0, lambda o, c: str(len(secret_keys(o)))),
    AGE,
)


def namespace_phase(ns: dict) -> str:
    phase = status(ns).get("phase")
    if phase:
        return phase
    return "Terminating" if meta(ns).get("deletionTimestamp") else "Active"


NAMESPACE = (NAME, Column("Status", 0, lambda o, c: namespace_phase(o)), AGE)


def node_roles(node: dict) -> list[str]:
    roles = set()
    for key, value in (meta(node).get("labels") or {}).items():
        if key.startswith("node-role.kubernetes.io/") and key[len("node-role.kubernetes.io/"):]:
            roles.add(key[len("node-role.kubernetes.io/"):])
        elif key == "kubernetes.io/role" and value:
            roles.add(value)
    return sorted(roles)


def _node_status(node: dict, ctx: Context) -> str:
    states = []
    for cond in status(node).get("conditions") or []:
        if cond.get("type") == "Ready":
            states = ["Ready" if cond.get("status") == "True" else "NotReady"]
    if not states:
        states = ["Unknown"]
    if spec(node).get("unschedulable"):
        states.append("SchedulingDisabled")
    return ",".join(states)


def _node_address(kind: str) -> Callable[[dict, Context], str]:
    def cell(node: dict, ctx: Context) -> str:
        for addr in status(node).get("addresses") or []:
            if addr.get("type") == kind:
                return addr.get("address", "")
        return NONE
    return cell


def _node_info(key: str, default: str = "<unknown>") -> Callable[[dict, Context], str]:
    return lambda node, ctx: (status(node).get("nodeInfo") or {}).get(key) or default


NODE = (
    NAME,
    Column("Status", 0, _node_status),
    Column("Roles", 0, lambda o, c: ",".join(node_roles(o)) or NONE),
    AGE,
    Column("Version", 0, _node_info("kubeletVersion", "")),
    Column("Internal-IP", 1, _node_address("InternalIP")),
    Column("External-IP", 1, _node_address("ExternalIP")),
    Column("OS-Image", 1, _node_info("osImage")),
    Column("Kernel-Version", 1, _node_info("kernelVersion")),
    Column("Container-Runtime", 1, _node_info("containerRuntimeVersion")),
)


def _event_first(ev: dict, ctx: Context) -> str:
    if ev.get("firstTimestamp"):
        return age.since(ev["firstTimestamp"], ctx.now)
    return age.since(ev.get("eventTime"), ctx.now)


def _event_last(ev: dict, ctx: Context) -> str:
    series = ev.get("series")
    if series:
        return age.since(series.get("lastObservedTime"), ctx.now)
    if ev.get("lastTimestamp"):
        return age.since(ev["lastTimestamp"], ctx.now)
    return _event_first(ev, ctx)


def _event_object(ev: dict, ctx: Context) -> str:
    involved = ev.get("involvedObject") or {}
    kind = (involved.get("kind") or "").lower()
    return f"{kind}/{involved['name']}" if involved.get("name") else kind


def event_source(ev: dict) -> str:
    source = ev.get("source") or {}
    component = source.get("component") or ev.get("reportingController") or ""
    host = source.get("host") or ev.get("reportingInstance") or ""
    return f"{component}, {host}" if host else component


def _event_count(ev: dict, ctx: Context) -> str:
    if ev.get("series"):
        return str(as_int(ev["series"].get("count")))
    return str(as_int(ev.get("count")) or 1)  # singleton events carry no count in the new API


EVENT = (
    Column("Last Seen", 0, _event_last),
    Column("Type", 0, lambda o, c: o.get("type", "")),
    Column("Reason", 0, lambda o, c: o.get("reason", "")),
    Column("Object", 0, _event_object),
    Column("Subobject", 1, lambda o, c: (o.get("involvedObject") or {}).get("fieldPath", "")),
    Column("Source", 1, lambda o, c: event_source(o)),
    Column("Message", 0, lambda o, c: (o.get("message") or "").strip()),
    Column("First Seen", 1, _event_first),
    Column("Count", 1, _event_count),
    Column("Name", 1, name, is_name=True),
)

_ACCESS_MODES = (("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"),
                 ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP"))


def access_modes(modes: list | None) -> str:
    modes = modes or []
    return ",".join(short for long, short in _ACCESS_MODES if long in modes)


def _pvc_bound(pvc: dict) -> bool:
    return bool(spec(pvc).get("volumeName"))


def pvc_class(pvc: dict) -> str:
    annotations = meta(pvc).get("annotations") or {}
    beta = annotations.get("volume.beta.kubernetes.io/storage-class")
    return beta if beta is not None else (spec(pvc).get("storageClassName") or "")


def _pvc_capacity(pvc: dict, ctx: Context) -> str:
    # Capacity and access modes are those of the bound volume; nothing before binding.
    return str((status(pvc).get("capacity") or {}).get("storage", "")) if _pvc_bound(pvc) else ""


def _pvc_phase(pvc: dict, ctx: Context) -> str:
    if meta(pvc).get("deletionTimestamp"):
        return "Terminating"
    return status(pvc).get("phase") or "Pending"


PERSISTENTVOLUMECLAIM = (
    NAME,
    Column("Status", 0, _pvc_phase),
    Column("Volume", 0, lambda o, c: spec(o).get("volumeName", "")),
    Column("Capacity", 0, _pvc_capacity),
    Column("Access Modes", 0, lambda o, c: access_modes(status(o).get("accessModes")) if _pvc_bound(o) else ""),
    Column("StorageClass", 0, lambda o, c: pvc_class(o)),
    Column("VolumeAttributesClass", 0, lambda o, c: spec(o).get("volumeAttributesClassName") or "<unset>"),
    AGE,
    Column("VolumeMode", 1, lambda o, c: spec(o).get("volumeMode") or "<unset>"),
)

RUNTIMECLASS = (NAME, Column("Handler", 0, lambda o, c: o.get("handler", "")), AGE)
LEASE = (NAME, Column("Holder", 0, lambda o, c: spec(o).get("holderIdentity") or ""), AGE)
PRIORITYCLASS = (NAME, Column("Value", 0, lambda o, c: str(o.get("value", 0))),
                 Column("Global-Default", 0, lambda o, c: "true" if o.get("globalDefault") else "false"), AGE,
                 Column("PreemptionPolicy", 0, lambda o, c: o.get("preemptionPolicy") or ""))


BY_KIND: dict[str, tuple[Column, ...]] = {
    "Service": SERVICE,
    "Endpoints": ENDPOINTS,
    "ConfigMap": CONFIGMAP,
    "Secret": SECRET,
    "Namespace": NAMESPACE,
    "Node": NODE,
    "Event": EVENT,
    "PersistentVolumeClaim": PERSISTENTVOLUMECLAIM,
    "RuntimeClass": RUNTIMECLASS,
    "Lease": LEASE,
    "PriorityClass": PRIORITYCLASS,
    **columns_rbac.BY_KIND,  # ServiceAccounts and the RBAC kinds
    **columns_policy.BY_KIND,  # PodDisruptionBudgets
}
