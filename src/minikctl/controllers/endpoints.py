"""The Endpoints controller, as pkg/controller/endpoint: per Service with a selector, an
Endpoints object of the same name listing the pods behind it.

sync(key) is level-triggered and recomputes everything from the caches:

    Service gone            -> delete its Endpoints (they carry no ownerReference;
                               this controller is what removes them)
    ExternalName, or no selector -> leave the Endpoints alone (selectorless Services
                               get theirs from the user)
    otherwise: the namespace's pods matching the selector, each one that should be in
    endpoints (not terminal, has an IP, not being deleted unless
    publishNotReadyAddresses) gives one address per service port, with the port
    resolved against that pod (a named targetPort looks the name up in its
    containers' ports: a pod without it is left out of that port); ready pods (or every
    pod, with publishNotReadyAddresses) go to `addresses`, the others to
    `notReadyAddresses`; then the subsets are repacked as Kubernetes' RepackSubsets
    does: addresses that serve the same set of ports share a subset, so pods that
    resolve a named port to different numbers land in different subsets.
    -> written only when subsets or labels differ from the cached Endpoints.

Labels are the Service's, plus `service.kubernetes.io/headless: ""` for a Service
without a cluster IP. Subsets and their addresses and ports are sorted by value
(Kubernetes sorts by a hash of each, an order with no meaning; ours is stable too).
Not done: the over-capacity truncation at 1000 addresses and the
last-change-trigger-time annotation.

Events: a Service change enqueues it; a pod add/delete enqueues the Services selecting
it; a pod update does so only when something endpoints show changed (labels,
readiness, IPs, node, deletion, hostname/subdomain, phase), for the Services selecting
it before and after. At start, Endpoints whose Service is gone are queued (Kubernetes'
checkLeftoverEndpoints), and so is any Endpoints deleted while its Service remains.

Why a Service has no ready endpoint is told as a Warning event on the Service, so that
`describe svc` says it under Events (Kubernetes only leaves `Endpoints: <none>`):
NoMatchingPods (the selector matches no pod), PortNotFound (pods match but none has the
named targetPort), NoReadyEndpoints (pods match, none is ready: crashing, or failing
their readiness probe). Told only once the reason has held for TELL_AFTER seconds, so the
moments every new Service goes through (applied before its Deployment, pods starting)
leave no warning; then one event per reason, none while it stays the same.
"""
from __future__ import annotations

import json
import logging

from minikctl import errors
from minikctl.api import kinds, meta
from minikctl.controllers import pods as podutil
from minikctl.controllers.base import Clock, Controller, Informers, split_key
from minikctl.controllers.events import WARNING, EventRecorder
from minikctl.machinery.informer import key_of

log = logging.getLogger(__name__)

HEADLESS_LABEL = "service.kubernetes.io/headless"
# Endpoints that leader election keeps (not this controller's to delete).
LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader"
TELL_AFTER = 5.0  # seconds without a ready endpoint, for one reason, before a Warning event


class EndpointsController(Controller):
    name = "endpoint-controller"
    kind = "Service"
    workers = 1

    def __init__(self, client, informers: Informers, *, clock: Clock | None = None,  # type: ignore[no-untyped-def]
                 recorder=None) -> None:
        super().__init__(client, informers, clock=clock)
        self.ep_kind = kinds.by_kind("Endpoints")
        self.services = self.primary
        self.pods = informers.informer("Pod")
        self.endpoints = informers.informer("Endpoints")
        self.informers += [self.pods, self.endpoints]
        self.recorder = recorder or EventRecorder(client, self.name, clock=clock,
                                                  sink=getattr(informers, "events", None))
        # Service key -> (reason it has no ready endpoint, since when, told yet)
        self._empty: dict[str, tuple[str, float, bool]] = {}
        self.services.add_handler(self.handle_service_event)
        self.pods.add_handler(self.handle_pod_event)
        self.endpoints.add_handler(self.handle_endpoints_event)

    # -- event handlers -------------------------------------------------------------------

    def handle_service_event(self, etype: str, svc: dict, old: dict | None) -> None:
        self.enqueue(svc)

    def handle_endpoints_event(self, etype: str, ep: dict, old: dict | None) -> None:
        if etype == "DELETED":
            if self.services.get(key_of(ep)) is not None:
                self.enqueue(ep)  # recreate what a user deleted
        elif etype == "ADDED" and not self.endpoints.synced.is_set():
            # The initial list: Endpoints left over from Services deleted while we were
            # not running get deleted (their Service is missing at sync).
            if LEADER_ANNOTATION not in (ep["metadata"].get("annotations") or {}):
                self.enqueue(ep)

    def handle_pod_event(self, etype: str, pod: dict, old: dict | None) -> None:
        if etype == "MODIFIED" and old is not None:
            for svc in self.services_to_update(old, pod):
                self.enqueue(svc)
            return
        for svc in self.pod_services(pod):
            self.enqueue(svc)

    def pod_services(self, pod: dict) -> list[dict]:
        """GetPodServiceMemberships: Services in the pod's namespace selecting it."""
        labels = meta.labels_of(pod)
        return [svc for svc in self.services.list(meta.namespace_of(pod))
                if _selects(_selector(svc), labels)]

    def services_to_update(self, old: dict, cur: dict) -> list[dict]:
        """GetServicesToUpdateOnPodChange."""
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return []
        changed, labels_changed = pod_endpoints_changed(old, cur)
        if not changed and not labels_changed:
            return []
        found = {key_of(s): s for s in self.pod_services(cur)}
        if labels_changed:
            before = {key_of(s): s for s in self.pod_services(old)}
            if changed:
                found.update(before)
            else:  # only membership changed: the services it joined or left
                found = {k: s for k, s in {**found, **before}.items() if (k in found) != (k in before)}
        return list(found.values())

    def resync(self) -> None:
        super().resync()
        for ep in self.endpoints.list():
            if self.services.get(key_of(ep)) is None and \
                    LEADER_ANNOTATION not in (ep["metadata"].get("annotations") or {}):
                self.enqueue(ep)

    # -- sync -----------------------------------------------------------------------------

    def sync(self, key: str) -> None:
        namespace, name = split_key(key)
        svc = self.services.get(key)
        if svc is None:
            self._empty.pop(key, None)
            # The Service is gone: so are its Endpoints.
            try:
                self.client.delete(self.ep_kind, namespace, name)
            except errors.NotFound:
                pass
            return
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            return
        selector = spec.get("selector")
        if not selector:
            return  # endpoints of selectorless Services are the user's
        matching = self.pods.list(namespace, lambda p: _selects(selector, meta.labels_of(p)))
        subsets = self.compute_subsets(svc, matching)
        self.tell_why_empty(key, svc, matching, subsets)
        current = self.endpoints.get(key)
        labels = dict(meta.labels_of(svc))
        if not _ip_set(spec):
            labels[HEADLESS_LABEL] = ""
        if current is not None:
            current_labels = dict(meta.labels_of(current))
            if (current.get("subsets") or []) == subsets and current_labels == labels:
                return  # nothing changed: nothing written
            new = json.loads(json.dumps(current))
            new["subsets"] = subsets
            new["metadata"]["labels"] = labels
            if not labels:
                new["metadata"].pop("labels", None)
            if not subsets:
                new.pop("subsets", None)
            self.client.update(new)  # a stale cache gives Conflict: retried with backoff
            return
        body: dict = {"apiVersion": "v1", "kind": "Endpoints",
                      "metadata": {"name": name, "namespace": namespace}}
        if labels:
            body["metadata"]["labels"] = labels
        if subsets:
            body["subsets"] = subsets
        try:
            self.client.create(body)
        except errors.Forbidden:
            # The namespace is being deleted: nothing to publish any more.
            log.debug("%s: not creating Endpoints %s in a terminating namespace", self.name, key)

    def tell_why_empty(self, key: str, svc: dict, matching: list[dict], subsets: list[dict]) -> None:
        """A Warning event on the Service when it has no ready endpoint, once per reason."""
        why = no_endpoints_reason(svc, matching, subsets)
        if why is None:
            self._empty.pop(key, None)
            return
        reason, message = why
        now = self.clock.monotonic()
        held, since, told = self._empty.get(key, ("", now, False))
        if held != reason:
            since, told = now, False
        if not told and now - since >= TELL_AFTER:
            self.recorder.event(svc, WARNING, reason, message)
            told = True
        elif not told:
            self.enqueue_after(svc, since + TELL_AFTER - now)  # look again when it would be due
        self._empty[key] = (reason, since, told)

    def compute_subsets(self, svc: dict, candidates: list[dict]) -> list[dict]:
        spec = svc.get("spec") or {}
        publish_not_ready = bool(spec.get("publishNotReadyAddresses"))
        ports = spec.get("ports") or []
        subsets: list[dict] = []
        for pod in sorted(candidates, key=lambda p: (meta.name_of(p))):
            if not should_pod_be_in_endpoints(pod, publish_not_ready):
                continue
            address = endpoint_address(pod, svc)
            ready = publish_not_ready or podutil.is_pod_ready(pod)
            if not ports:
                if _headless(spec):
                    subsets.append(_subset(address, None, ready))
                continue
            for sp in ports:
                number = find_port(pod, sp)
                if number is None:
                    continue  # a named targetPort this pod does not have
                subsets.append(_subset(address, endpoint_port(sp, number), ready))
        return repack_subsets(subsets)


def no_endpoints_reason(svc: dict, matching: list[dict], subsets: list[dict]) -> tuple[str, str] | None:
    """(reason, message) when the Service has ports but no ready address; else None."""
    spec = svc.get("spec") or {}
    ports = spec.get("ports") or []
    if not ports or any(s.get("addresses") for s in subsets):
        return None
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    if not matching:
        return "NoMatchingPods", f"selector {selector} matches no pods in namespace {meta.namespace_of(svc)}"
    live = [p for p in matching if should_pod_be_in_endpoints(p, bool(spec.get("publishNotReadyAddresses")))]
    missing = [sp for sp in ports if live and all(find_port(p, sp) is None for p in live)]
    if missing:
        sp = missing[0]
        name = sp.get("name") or str(sp.get("port"))
        return "PortNotFound", (f"no container of the {len(live)} pod(s) selected by {selector} has a port named "
                                f"{sp.get('targetPort')!r} ({sp.get('protocol') or 'TCP'}): service port {name} "
                                "has no endpoints")
    return "NoReadyEndpoints", (f"{len(matching)} pod(s) match selector {selector}, none is ready "
                                "(crashing, not started, or failing its readiness probe)")


# -- Kubernetes' helpers ---------------------------------------------------------------------

def _selector(svc: dict) -> dict | None:
    return (svc.get("spec") or {}).get("selector") or None


def _selects(selector: dict | None, labels: dict) -> bool:
    # A Service selector is a plain map; none (or an empty one) selects nothing here.
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _ip_set(spec: dict) -> bool:
    ip = spec.get("clusterIP")
    return bool(ip) and ip != "None"


def _headless(spec: dict) -> bool:
    return spec.get("clusterIP") == "None"


def should_pod_be_in_endpoints(pod: dict, include_terminating: bool) -> bool:
    """ShouldPodBeInEndpoints: not terminal, has an IP, and not being deleted unless
    terminating pods are included (publishNotReadyAddresses)."""
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return False
    if not status.get("podIP") and not status.get("podIPs"):
        return False
    if not include_terminating and pod["metadata"].get("deletionTimestamp"):
        return False
    return True


def endpoint_address(pod: dict, svc: dict) -> dict:
    status, spec, md = pod.get("status") or {}, pod.get("spec") or {}, pod["metadata"]
    ip = status.get("podIP") or ((status.get("podIPs") or [{}])[0].get("ip") or "")
    address: dict = {"ip": ip}
    # ShouldSetHostname: a pod with a hostname in the subdomain named after the Service.
    if spec.get("hostname") and spec.get("subdomain") == meta.name_of(svc) \
            and meta.namespace_of(pod) == meta.namespace_of(svc):
        address["hostname"] = spec["hostname"]
    address["nodeName"] = spec.get("nodeName", "")
    address["targetRef"] = {"kind": "Pod", "namespace": meta.namespace_of(pod), "name": meta.name_of(pod),
                            "uid": md.get("uid", "")}
    return address


def find_port(pod: dict, service_port: dict) -> int | None:
    """podutil.FindPort: a number targetPort as is; a name looked up among the pod's
    containers' ports of the same protocol (and restartable init containers')."""
    target = service_port.get("targetPort")
    if target in (None, "", 0):
        target = service_port.get("port")
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol") or "TCP"
    spec = pod.get("spec") or {}
    sidecars = [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    for container in list(spec.get("containers") or []) + sidecars:
        for cp in container.get("ports") or []:
            if cp.get("name") == target and (cp.get("protocol") or "TCP") == protocol:
                return int(cp["containerPort"])
    return None


def endpoint_port(service_port: dict, number: int) -> dict:
    port: dict = {}
    if service_port.get("name"):
        port["name"] = service_port["name"]
    port["port"] = number
    port["protocol"] = service_port.get("protocol") or "TCP"
    if service_port.get("appProtocol"):
        port["appProtocol"] = service_port["appProtocol"]
    return port


def _subset(address: dict, port: dict | None, ready: bool) -> dict:
    return {"addresses" if ready else "notReadyAddresses": [address], "ports": [port] if port else []}


def pod_endpoints_changed(old: dict, cur: dict) -> tuple[bool, bool]:
    """podEndpointsChanged: (something an endpoint shows changed, labels changed)."""
    o_spec, c_spec = old.get("spec") or {}, cur.get("spec") or {}
    labels_changed = meta.labels_of(old) != meta.labels_of(cur) or \
        (o_spec.get("hostname"), o_spec.get("subdomain")) != (c_spec.get("hostname"), c_spec.get("subdomain"))
    o_st, c_st = old.get("status") or {}, cur.get("status") or {}
    changed = (
        old["metadata"].get("deletionTimestamp") != cur["metadata"].get("deletionTimestamp")
        or podutil.is_pod_ready(old) != podutil.is_pod_ready(cur)
        or (o_st.get("podIP"), o_st.get("podIPs")) != (c_st.get("podIP"), c_st.get("podIPs"))
        or o_spec.get("nodeName") != c_spec.get("nodeName")
        # Not in Kubernetes' list (readiness covers it there): a pod turning terminal.
        or o_st.get("phase") != c_st.get("phase")
    )
    return changed, labels_changed


def _canon(value: object) -> str:
    return json.dumps(value, sort_keys=True)


def _address_order(address: dict) -> tuple:
    return (_ip_key(address.get("ip", "")), (address.get("targetRef") or {}).get("uid", ""))


def _ip_key(ip: str) -> tuple:
    import ipaddress

    try:
        return (0, int(ipaddress.ip_address(ip)), "")
    except ValueError:
        return (1, 0, ip)


def repack_subsets(subsets: list[dict]) -> list[dict]:
    """RepackSubsets: regroup so that each subset is one set of addresses (with their
    readiness) and every port they all serve. An address not ready for any one port
    counts as not ready for it (not ready always wins)."""
    addresses: dict[tuple, dict] = {}           # (ip, uid) -> address
    by_port: dict[str, dict[tuple, bool]] = {}  # canonical port -> {address key: ready}
    ports: dict[str, dict | None] = {}
    for subset in subsets:
        subset_ports = subset.get("ports") or [None]  # None: the no-port sentinel
        for port in subset_ports:
            pk = _canon(port)
            ports[pk] = port
            ready_map = by_port.setdefault(pk, {})
            for field, ready in (("addresses", True), ("notReadyAddresses", False)):
                for address in subset.get(field) or []:
                    ak = (address.get("ip", ""), (address.get("targetRef") or {}).get("uid", ""))
                    addresses.setdefault(ak, address)
                    if ready_map.get(ak, True):
                        ready_map[ak] = ready
    groups: dict[str, tuple[dict[tuple, bool], list[dict]]] = {}
    for pk, ready_map in by_port.items():
        gk = _canon(sorted((list(k), v) for k, v in ready_map.items()))
        entry = groups.setdefault(gk, (ready_map, []))
        if ports[pk] is not None:
            entry[1].append(ports[pk])
    final = []
    for ready_map, group_ports in groups.values():
        subset: dict = {}
        ready = sorted((addresses[k] for k, r in ready_map.items() if r), key=_address_order)
        not_ready = sorted((addresses[k] for k, r in ready_map.items() if not r), key=_address_order)
        if ready:
            subset["addresses"] = ready
        if not_ready:
            subset["notReadyAddresses"] = not_ready
        if group_ports:
            subset["ports"] = sorted(group_ports, key=lambda p: (p.get("port", 0), p.get("protocol", ""), p.get("name", "")))
        final.append(subset)
    return sorted(final, key=_canon)
