"""What a node agent is told about its node, from the command line: its name, pod range,
capacity, labels and taints, checked before anything starts.

    --node-capacity cpu=4,memory=8Gi,pods=110     (simulation: what the node offers)
    --kube-reserved cpu=500m,memory=1Gi           (kubelet's flag: allocatable = capacity - reserved)
    --node-labels disk=ssd,zone=a                 (kubelet's flag)
    --register-with-taints gpu=true:NoSchedule    (kubelet's flag: key[=value]:Effect, comma separated)

Several nodes in one daemon are named as minikube names them: NAME, NAME-m02, NAME-m03...
A bad value is one message in pflag's words (`invalid argument "x" for "--flag" flag: why`)
so nothing starts half-configured.
"""
from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field

from minikctl import errors
from minikctl.api.allocation import CLUSTER_DNS_IP, SERVICE_CIDR
from minikctl.daemon import pressure

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
# Resources a node may announce: the standard ones, hugepages and extended resources
# (a domain-qualified name such as example.com/gpu), as the kubelet accepts them.
STANDARD_RESOURCES = ("cpu", "memory", "pods", "ephemeral-storage")
DEFAULT_NODE_MASK = 24  # kube-controller-manager --node-cidr-mask-size for IPv4
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")


@dataclass
class NodeConfig:
    """One node as its agent registers it."""

    name: str
    pod_cidr: str
    capacity: dict[str, str] = field(default_factory=dict)  # overrides of what the OS says
    reserved: dict[str, str] = field(default_factory=dict)  # --kube-reserved
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict] = field(default_factory=list)
    cluster_dns: str = CLUSTER_DNS_IP  # the kubelet's --cluster-dns: the nameserver pods are given
    # --eviction-hard: the thresholds that set the pressure conditions (daemon/pressure.py)
    eviction_hard: tuple = field(default_factory=lambda: pressure.parse(pressure.DEFAULT_EVICTION_HARD))


def bad_flag(flag: str, value: str, why: str) -> errors.UsageError:
    return errors.UsageError(f'invalid argument "{value}" for "{flag}" flag: {why}', "daemon")


def _pairs(flag: str, text: str) -> list[tuple[str, str]]:
    out = []
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise bad_flag(flag, text, f'"{item}" is not of the form key=value')
        out.append((key.strip(), value.strip()))
    return out


def parse_resources(flag: str, text: str | None) -> dict[str, str]:
    """cpu=4,memory=8Gi,pods=110: quantities that make sense for a node (no negative or
    zero cpu/memory, a whole number of pods)."""
    from minikctl.api.quantity import parse_quantity
    from minikctl.api.selectors import qualified_name_errors

    out: dict[str, str] = {}
    for name, value in _pairs(flag, text or ""):
        if name not in STANDARD_RESOURCES and not name.startswith("hugepages-") and "/" not in name:
            raise bad_flag(flag, text or "", f'unknown resource "{name}": use cpu, memory, pods, ephemeral-storage, '
                                             "hugepages-<size> or an extended resource such as example.com/gpu")
        if "/" in name and qualified_name_errors(name):
            raise bad_flag(flag, text or "", f'resource name "{name}": {qualified_name_errors(name)[0]}')
        try:
            quantity = parse_quantity(value)
        except ValueError as exc:
            raise bad_flag(flag, text or "", f"{name}: {exc}") from None
        if quantity.value < 0:
            raise bad_flag(flag, text or "", f"{name}: must be a non-negative quantity, not {value}")
        if flag == "--node-capacity" and name in ("cpu", "memory", "pods") and quantity.value == 0:
            raise bad_flag(flag, text or "", f"{name}: a node needs more than 0 {name} to run anything")
        if name == "pods" and quantity.value != quantity.value.to_integral_value():
            raise bad_flag(flag, text or "", f"pods: must be a whole number, not {value}")
        out[name] = value
    return out


def parse_labels(text: str | None) -> dict[str, str]:
    from minikctl.api.selectors import label_value_errors, qualified_name_errors

    out = {}
    for key, value in _pairs("--node-labels", text or ""):
        problems = qualified_name_errors(key) + label_value_errors(value)
        if problems:
            raise bad_flag("--node-labels", text or "", f'"{key}={value}": {problems[0]}')
        out[key] = value
    return out


def parse_taints(text: str | None) -> list[dict]:
    """key[=value]:Effect,... as the kubelet's --register-with-taints (util/taints.ParseTaints)."""
    from minikctl.api.selectors import label_value_errors, qualified_name_errors

    taints: list[dict] = []
    for spec in (p.strip() for p in (text or "").split(",")):
        if not spec:
            continue
        body, sep, effect = spec.rpartition(":")
        if not sep or not body:
            raise bad_flag("--register-with-taints", text or "", f"invalid taint spec: {spec}")
        if effect not in TAINT_EFFECTS:
            raise bad_flag("--register-with-taints", text or "", f"invalid taint effect: {effect}, unsupported taint effect")
        key, _, value = body.partition("=")
        problems = qualified_name_errors(key) + label_value_errors(value)
        if problems:
            raise bad_flag("--register-with-taints", text or "", f"invalid taint spec: {spec}, {'; '.join(problems)}")
        if any(t["key"] == key and t["effect"] == effect for t in taints):
            raise bad_flag("--register-with-taints", text or "", f"duplicated taints with the same key and effect: "
                                                                 f"{key}:{effect}")
        taint = {"key": key, "effect": effect}
        if value:
            taint["value"] = value
        taints.append(taint)
    return taints


def check_node_name(name: str) -> None:
    from minikctl.api.rules.names import name_is_subdomain

    problems = name_is_subdomain(name)
    if problems:
        raise bad_flag("--node-name", name, problems[0])


def _loopback_range(flag: str, text: str, outside: str, smallest: int) -> ipaddress.IPv4Network:
    """A CIDR flag's value: a range inside 127.0.0.0/8 of at least /`smallest`."""
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise bad_flag(flag, text, f"invalid CIDR address: {text}") from None
    if not isinstance(network, ipaddress.IPv4Network) or not network.subnet_of(LOOPBACK):
        raise bad_flag(flag, text, outside)
    if network.prefixlen > smallest:
        raise bad_flag(flag, text, f"the range is too small{' for pods' if flag == '--pod-cidr' else ''}: "
                                   f"use a /{smallest} or larger")
    return network


def parse_service_range(text: str) -> ipaddress.IPv4Network:
    """--service-cluster-ip-range: a loopback range, big enough for a few Services and
    the cluster DNS address."""
    flag = "--service-cluster-ip-range"
    network = _loopback_range(flag, text, "Services are reached on this machine: the range must be inside 127.0.0.0/8", 28)
    if ipaddress.ip_address("127.0.0.1") in network:  # the API server's and NodePorts' address
        raise bad_flag(flag, text, "it holds 127.0.0.1, where the API server and NodePorts listen")
    return network


def parse_cidr(flag: str, text: str, services: ipaddress.IPv4Network | None = None) -> ipaddress.IPv4Network:
    network = _loopback_range(flag, text, "pods are local processes: their range must be inside 127.0.0.0/8", 29)
    services = services or ipaddress.ip_network(SERVICE_CIDR)
    if network.overlaps(services):  # a pod IP could equal a Service's
        raise bad_flag(flag, text, f"it overlaps the Service cluster IP range {services}")
    return network


def parse_eviction_hard(text: str) -> tuple:
    """--eviction-hard, in the kubelet's syntax: memory.available<100Mi,nodefs.available<10%,..."""
    try:
        return pressure.parse(text)
    except ValueError as exc:
        raise bad_flag("--eviction-hard", text, str(exc)) from None


def parse_cluster_dns(text: str) -> str:
    """--cluster-dns: the loopback address the daemon's DNS server listens on and pods'
    resolv.conf names (two daemons on one machine each need their own)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise bad_flag("--cluster-dns", text, f"invalid IP address: {text}") from None
    if not isinstance(address, ipaddress.IPv4Address) or address not in LOOPBACK:
        raise bad_flag("--cluster-dns", text, "the cluster DNS server listens on loopback: use an address in 127.0.0.0/8")
    return str(address)


def node_names(first: str, count: int) -> list[str]:
    """NAME, NAME-m02, NAME-m03...: minikube's names for the nodes of one profile."""
    return [first] + [f"{first}-m{i:02d}" for i in range(2, count + 1)]


def node_mask(cluster: ipaddress.IPv4Network, count: int = 1) -> int:
    """How big each node's slice is: a /24 as Kubernetes gives by default, smaller when
    the cluster range cannot hold `count` of those."""
    needed = cluster.prefixlen + max(1, math.ceil(math.log2(max(count, 2))))
    return min(29, max(DEFAULT_NODE_MASK, needed))


def free_slice(cluster: ipaddress.IPv4Network, taken: list[str], mask: int) -> str:
    """The first slice of the cluster range that overlaps no other node's podCIDR."""
    used = []
    for cidr in taken:
        try:
            used.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue
    for candidate in cluster.subnets(new_prefix=mask):
        if not any(candidate.overlaps(u) for u in used):
            return str(candidate)
    raise errors.MinikctlError(f"no free pod range left in {cluster} for another node: "
                               "give this node its own with --pod-cidr")
