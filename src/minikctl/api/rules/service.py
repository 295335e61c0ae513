"""Services (ValidateService): ports, type-specific fields (ExternalName, NodePort,
LoadBalancer), cluster IPs and IP families, session affinity, traffic policies; and
Endpoints, whose ports follow the same rules as a Service's.
"""
from __future__ import annotations

import ipaddress

from minikctl.api.rules.common import (Go, as_dict, as_int, as_list, as_str, as_text, at, dict_items, duplicate, enum,
                                       forbidden, go_quote, go_string_slice, idx, invalid, not_supported, one_of,
                                       required)
from minikctl.api.rules.names import (PROTOCOLS, dns1123_label_errors, ip_errors, port_num_errors, port_num_or_name,
                                      validate_labels)
from minikctl.api.selectors import qualified_name_errors, subdomain_errors
from minikctl.errors import Cause

SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
NODE_PORT_RANGE = (30000, 32767)
_ONLY_LOAD_BALANCERS = "may only be used when `type` is 'LoadBalancer'"


def validate_service(obj: dict) -> list[Cause]:
    spec = as_dict(obj.get("spec"))
    svc_type = as_str(spec.get("type")) or "ClusterIP"
    headless = cluster_ips(spec)[:1] == ["None"]
    ports = as_list(spec.get("ports"))
    causes = []
    if not ports and not headless and svc_type != "ExternalName":
        causes.append(required("spec.ports"))
    causes += _service_type_rules(spec, svc_type, headless)
    names: set[str] = set()
    for i, port in dict_items(ports):
        causes += _service_port(port, idx("spec.ports", i), len(ports) > 1, names)
    if isinstance(spec.get("selector"), dict):
        causes += validate_labels(spec["selector"], "spec.selector")
    causes += _session_affinity(spec)
    causes += _cluster_ip_fields(spec, svc_type)
    for i, ip in enumerate(as_list(spec.get("externalIPs"))):
        if isinstance(ip, str):
            causes += ip_errors(idx("spec.externalIPs", i), ip)
    causes += enum(spec.get("type"), "spec.type", SERVICE_TYPES)
    causes += _node_ports(ports, svc_type)
    causes += _duplicate_service_ports(ports)
    causes += _load_balancer_fields(spec, svc_type)
    causes += _traffic_policies(spec, svc_type)
    return causes


def cluster_ips(spec: dict) -> list[str]:
    ips = [ip for ip in as_list(spec.get("clusterIPs")) if isinstance(ip, str)]
    if not ips and as_str(spec.get("clusterIP")):
        ips = [spec["clusterIP"]]
    return ips


def _service_type_rules(spec: dict, svc_type: str, headless: bool) -> list[Cause]:
    if svc_type in ("LoadBalancer", "NodePort") and headless:
        return [invalid("spec.clusterIPs[0]", "None", f"may not be set to 'None' for {svc_type} services")]
    if svc_type != "ExternalName":
        return []
    causes = []
    if cluster_ips(spec):
        causes.append(forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
    if as_list(spec.get("ipFamilies")):
        causes.append(forbidden("spec.ipFamilies", "may not be set for ExternalName services"))
    if spec.get("ipFamilyPolicy") is not None:
        causes.append(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"))
    cname = as_str(spec.get("externalName")).removesuffix(".")
    if cname:
        causes += [invalid("spec.externalName", cname, m) for m in subdomain_errors(cname)]
    else:
        causes.append(required("spec.externalName"))
    return causes


def _port_basics(port: dict, path: str, require_name: bool, names: set[str] | None = None) -> list[Cause]:
    """A ServicePort's or EndpointPort's name (required when there are several ports;
    unique among a Service's `names`), number and protocol."""
    causes = []
    name = as_str(port.get("name"))
    if require_name and not name:
        causes.append(required(at(path, "name")))
    elif name:
        causes += [invalid(at(path, "name"), name, m) for m in dns1123_label_errors(name)]
        if names is not None:
            if name in names:
                causes.append(duplicate(at(path, "name"), name))
            names.add(name)
    number = as_int(port.get("port"))
    if number is not None:
        causes += [invalid(at(path, "port"), number, m) for m in port_num_errors(number)]
    return causes + enum(port.get("protocol"), at(path, "protocol"), PROTOCOLS)


def _service_port(port: dict, path: str, require_name: bool, names: set[str]) -> list[Cause]:
    causes = _port_basics(port, path, require_name, names)
    target = port.get("targetPort")
    if target in (None, 0, ""):
        target = as_int(port.get("port"))  # defaulted to the port
    causes += port_num_or_name(target, at(path, "targetPort"))
    app_protocol = port.get("appProtocol")
    if isinstance(app_protocol, str):
        causes += [invalid(at(path, "appProtocol"), app_protocol, m) for m in qualified_name_errors(app_protocol)]
    return causes


def _session_affinity(spec: dict) -> list[Cause]:
    affinity = spec.get("sessionAffinity")
    causes = enum(affinity, "spec.sessionAffinity", ("ClientIP", "None"))
    config = spec.get("sessionAffinityConfig")
    if affinity == "ClientIP" and isinstance(config, dict):
        timeout = as_int(as_dict(config.get("clientIP")).get("timeoutSeconds"))
        if timeout is not None and not 0 < timeout <= 86400:
            causes.append(invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", timeout,
                                  "must be greater than 0 and less than 86400"))
    return causes


def _cluster_ip_fields(spec: dict, svc_type: str) -> list[Cause]:
    if svc_type == "ExternalName":
        return []
    causes = []
    ips = cluster_ips(spec)
    for i, ip in enumerate(ips):
        if i == 0 and ip == "None":
            if len(ips) > 1:
                causes.append(invalid("spec.clusterIPs", go_string_slice(ips), "'None' must be the first and only value"))
            continue
        causes += ip_errors(idx("spec.clusterIPs", i), ip)
    if len(ips) > 2:
        causes.append(invalid("spec.clusterIPs", go_string_slice(ips), "may only hold up to 2 values"))
    cluster_ip = as_str(spec.get("clusterIP"))
    if cluster_ip and as_list(spec.get("clusterIPs")) and spec["clusterIPs"][0] != cluster_ip:
        causes.append(invalid("spec.clusterIPs", go_string_slice(spec["clusterIPs"]), "first value must match `clusterIP`"))
    seen = set()
    for i, family in enumerate(as_list(spec.get("ipFamilies"))):
        if family not in ("IPv4", "IPv6"):
            causes.append(not_supported(idx("spec.ipFamilies", i), as_text(family), ("IPv4", "IPv6")))
        if family in seen:
            causes.append(duplicate(idx("spec.ipFamilies", i), as_text(family)))
        seen.add(family)
    policies = ("PreferDualStack", "RequireDualStack", "SingleStack")
    return causes + one_of(spec.get("ipFamilyPolicy"), "spec.ipFamilyPolicy", policies)


def _node_ports(ports: list, svc_type: str) -> list[Cause]:
    causes, seen = [], set()
    lo, hi = NODE_PORT_RANGE
    for i, port in dict_items(ports):
        node_port = as_int(port.get("nodePort"))
        if not node_port:
            continue
        p = at(idx("spec.ports", i), "nodePort")
        if svc_type == "ClusterIP":
            causes.append(forbidden(p, "may not be used when `type` is 'ClusterIP'"))
        elif svc_type in ("NodePort", "LoadBalancer") and not lo <= node_port <= hi:
            # The node-port allocator's answer (the registry, not validation, in Kubernetes).
            causes.append(invalid(p, node_port, f"provided port is not in the valid range. The range of valid ports is {lo}-{hi}"))
        k = (as_str(port.get("protocol")) or "TCP", node_port)
        if k in seen:
            causes.append(duplicate(p, node_port))
        seen.add(k)
    return causes


def _duplicate_service_ports(ports: list) -> list[Cause]:
    causes, seen = [], set()
    for i, port in dict_items(ports):
        protocol, number = as_str(port.get("protocol")) or "TCP", as_int(port.get("port"))
        if (protocol, number) in seen:
            shown = Go(f'core.ServicePort{{Name:"", Protocol:{go_quote(protocol)}, AppProtocol:(*string)(nil), '
                       f'Port:{number}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}, NodePort:0}}')
            causes.append(duplicate(idx("spec.ports", i), shown))
        seen.add((protocol, number))
    return causes


def _load_balancer_fields(spec: dict, svc_type: str) -> list[Cause]:
    causes = []
    ranges = as_list(spec.get("loadBalancerSourceRanges"))
    if ranges:
        path = "spec.LoadBalancerSourceRanges"  # sic: Kubernetes' capital L
        if svc_type != "LoadBalancer":
            causes.append(forbidden(path, _ONLY_LOAD_BALANCERS))
        for i, cidr in enumerate(ranges):
            if isinstance(cidr, str) and not _valid_cidr(cidr.strip()):
                causes.append(invalid(idx(path, i), cidr.strip(), "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"))
    if spec.get("allocateLoadBalancerNodePorts") is not None and svc_type != "LoadBalancer":
        causes.append(forbidden("spec.allocateLoadBalancerNodePorts", _ONLY_LOAD_BALANCERS))
    lb_class = spec.get("loadBalancerClass")
    if isinstance(lb_class, str):
        if svc_type != "LoadBalancer":
            causes.append(forbidden("spec.loadBalancerClass", _ONLY_LOAD_BALANCERS))
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
    accessible = (svc_type in ("LoadBalancer", "NodePort")
                  or (svc_type == "ClusterIP" and bool(as_list(spec.get("externalIPs")))))
    if isinstance(external, str) and external:
        if not accessible:
            causes.append(invalid("spec.externalTrafficPolicy", external, "may only be set for externally-accessible services"))
        else:
            causes += one_of(external, "spec.externalTrafficPolicy", ("Cluster", "Local"))
    health = as_int(spec.get("healthCheckNodePort"))
    if health:
        if not (svc_type == "LoadBalancer" and external == "Local"):
            causes.append(invalid("spec.healthCheckNodePort", health,
                                  "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))
        else:
            causes += [invalid("spec.healthCheckNodePort", health, m) for m in port_num_errors(health)]
    causes += enum(spec.get("internalTrafficPolicy"), "spec.internalTrafficPolicy", ("Cluster", "Local"))
    return causes + one_of(spec.get("trafficDistribution"), "spec.trafficDistribution", ("PreferClose",))


def validate_endpoints(obj: dict) -> list[Cause]:
    causes = []
    for i, subset in dict_items(obj.get("subsets")):
        p = idx("subsets", i)
        for field_name in ("addresses", "notReadyAddresses"):
            for j, address in dict_items(subset.get(field_name)):
                causes += ip_errors(at(idx(at(p, field_name), j), "ip"), as_str(address.get("ip")))
        ports = as_list(subset.get("ports"))
        for j, port in dict_items(ports):
            causes += _port_basics(port, idx(at(p, "ports"), j), len(ports) > 1)
    return causes
