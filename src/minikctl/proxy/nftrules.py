"""The nftables ruleset of the proxy's nftables mode, rendered as text: pure, no sockets.

Laid out as kube-proxy's nftables proxier lays out its `kube-proxy` table
(pkg/proxy/nftables/proxier.go), reduced to locally generated traffic (cluster IPs are
loopback addresses: only this host reaches them):

    nat-output (nat hook output, priority -100)
        ip daddr . meta l4proto . th dport vmap @service-ips
    service-ips: clusterIP . proto . port : goto service-<hash>-<ns>/<name>/<proto>/<port name>
    service chain: with ClientIP affinity, `ip saddr @affinity-X goto endpoint-X` per
        endpoint first; then `numgen inc mod N vmap { i : goto endpoint-i }` (round robin)
    endpoint chain: (affinity: `update @affinity-X { ip saddr timeout Ns }`)
        `meta l4proto tcp dnat to IP:PORT`
    filter-output (filter hook output, priority 0)
        ip daddr . meta l4proto . th dport vmap @no-endpoint-services
    no-endpoint-services: clusterIP . proto . port : goto reject-no-endpoints
        (TCP: reset, UDP: ICMP port unreachable: refused at once, not hung)

Chain and set names are stable (a hash of what they stand for, with a readable suffix),
so an update is one transaction that `add`s (idempotent) and flushes what stays, refills
the maps, and deletes what is no longer pointed at: established connections keep their
conntrack entries, and affinity sets of surviving endpoints keep their contents. An
affinity set's name covers its timeout too: a new timeout is a new set.
"""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from minikctl.proxy import table

NAT_OUTPUT = "nat-output"
FILTER_OUTPUT = "filter-output"
SERVICE_IPS = "service-ips"
NO_ENDPOINTS = "no-endpoint-services"
REJECT_CHAIN = "reject-no-endpoints"
MAP_TYPE = "type ipv4_addr . inet_proto . inet_service : verdict"


@dataclass(frozen=True)
class ServicePort:
    """One cluster-IP service port and its ready backends (in balancing order)."""
    key: table.PortKey
    cluster_ip: str
    port: int
    endpoints: tuple[tuple[str, int], ...]
    affinity_timeout: int | None = None


@dataclass
class Ruleset:
    """What the table should hold, besides its fixed skeleton."""
    chains: dict[str, list[str]] = field(default_factory=dict)  # name: rules
    sets: dict[str, int] = field(default_factory=dict)  # affinity set name: timeout (s)
    service_ips: list[str] = field(default_factory=list)  # map elements
    no_endpoints: list[str] = field(default_factory=list)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ruleset) and (self.chains, self.sets, self.service_ips, self.no_endpoints) == \
            (other.chains, other.sets, other.service_ips, other.no_endpoints)


def table_name(pid: int) -> str:
    """One table per daemon process: owned by it, gone with it."""
    return f"minikctl-{pid}"


def _hash(text: str) -> str:
    """kube-proxy's hashAndTruncate: base32 of sha256, 8 characters."""
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:8]


def _port_base(key: table.PortKey) -> str:
    return f"{key.namespace}/{key.name}/{key.protocol.lower()}/{key.port_name}"


def service_chain(key: table.PortKey) -> str:
    base = _port_base(key)
    return f"service-{_hash(base)}-{base}"


def endpoint_chain(key: table.PortKey, endpoint: tuple[str, int]) -> str:
    base = f"{_port_base(key)}__{endpoint[0]}/{endpoint[1]}"
    return f"endpoint-{_hash(base)}-{base}"


def affinity_set(key: table.PortKey, endpoint: tuple[str, int], timeout: int) -> str:
    base = f"{_port_base(key)}__{endpoint[0]}/{endpoint[1]}"
    return f"affinity-{_hash(f'{base}@{timeout}')}-{base}"


def ruleset(ports: Iterable[ServicePort]) -> Ruleset:
    """The chains, sets and map elements for these service ports (sorted: same input, same text)."""
    rs = Ruleset()
    for sp in sorted(ports, key=lambda p: (p.cluster_ip, p.key.protocol, p.port, str(p.key))):
        proto = sp.key.protocol.lower()
        element = f"{sp.cluster_ip} . {proto} . {sp.port}"
        if not sp.endpoints:
            rs.no_endpoints.append(f"{element} : goto {REJECT_CHAIN}")
            continue
        svc_chain = service_chain(sp.key)
        rs.service_ips.append(f"{element} : goto {svc_chain}")
        rules: list[str] = []
        ep_chains = []
        for ep in sp.endpoints:
            ep_chain = endpoint_chain(sp.key, ep)
            ep_chains.append(ep_chain)
            ep_rules = []
            if sp.affinity_timeout is not None:
                aff = affinity_set(sp.key, ep, sp.affinity_timeout)
                rs.sets[aff] = sp.affinity_timeout
                # A client seen within the timeout goes back to its endpoint.
                rules.append(f"ip saddr @{aff} goto {ep_chain}")
                ep_rules.append(f"update @{aff} {{ ip saddr timeout {sp.affinity_timeout}s }}")
            ep_rules.append(f"meta l4proto {proto} dnat to {ep[0]}:{ep[1]}")
            rs.chains[ep_chain] = ep_rules
        if len(ep_chains) == 1:
            rules.append(f"goto {ep_chains[0]}")
        else:
            choices = ", ".join(f"{i} : goto {c}" for i, c in enumerate(ep_chains))
            rules.append(f"numgen inc mod {len(ep_chains)} vmap {{ {choices} }}")
        rs.chains[svc_chain] = rules
    return rs


def transaction(table_name: str, desired: Ruleset, previous: Ruleset | None = None) -> str:
    """One nft buffer taking the table from `previous` (what the last transaction made,
    None: nothing yet) to `desired`, atomically."""
    t = f"ip {table_name}"
    lines = [
        f"add table {t} {{ flags owner; }}",
        f"add map {t} {SERVICE_IPS} {{ {MAP_TYPE}; }}",
        f"add map {t} {NO_ENDPOINTS} {{ {MAP_TYPE}; }}",
        f"add chain {t} {NAT_OUTPUT} {{ type nat hook output priority -100; policy accept; }}",
        f"add chain {t} {FILTER_OUTPUT} {{ type filter hook output priority 0; policy accept; }}",
        f"add chain {t} {REJECT_CHAIN}",
    ]
    if previous is None:  # the skeleton's rules, once
        lines += [
            f"flush chain {t} {NAT_OUTPUT}",
            f"add rule {t} {NAT_OUTPUT} ip daddr . meta l4proto . th dport vmap @{SERVICE_IPS}",
            f"flush chain {t} {FILTER_OUTPUT}",
            f"add rule {t} {FILTER_OUTPUT} ip daddr . meta l4proto . th dport vmap @{NO_ENDPOINTS}",
            f"flush chain {t} {REJECT_CHAIN}",
            f"add rule {t} {REJECT_CHAIN} meta l4proto tcp reject with tcp reset",
            f"add rule {t} {REJECT_CHAIN} reject",
        ]
    for name, timeout in desired.sets.items():
        lines.append(f"add set {t} {name} {{ type ipv4_addr; flags dynamic,timeout; timeout {timeout}s; }}")
    # Endpoint chains first: service chains jump to them.
    for name in sorted(desired.chains, key=lambda n: (not n.startswith("endpoint-"), n)):
        lines += [f"add chain {t} {name}", f"flush chain {t} {name}"]
        lines += [f"add rule {t} {name} {rule}" for rule in desired.chains[name]]
    for map_name, elements in ((SERVICE_IPS, desired.service_ips), (NO_ENDPOINTS, desired.no_endpoints)):
        lines.append(f"flush map {t} {map_name}")
        if elements:
            lines.append(f"add element {t} {map_name} {{ {', '.join(elements)} }}")
    if previous is not None:
        # Nothing points at these any more once the maps and surviving chains are refilled;
        # flushed before deleted, as stale chains may still jump to each other.
        stale = sorted(set(previous.chains) - set(desired.chains))
        lines += [f"flush chain {t} {name}" for name in stale]
        lines += [f"delete chain {t} {name}" for name in stale]
        lines += [f"delete set {t} {name}" for name in sorted(set(previous.sets) - set(desired.sets))]
    return "\n".join(lines) + "\n"


def departed_udp(before: dict[table.PortKey, ServicePort],
                 after: dict[table.PortKey, ServicePort]) -> list[tuple[str, int, str]]:
    """UDP (cluster IP, port, endpoint IP) whose endpoint left: their conntrack entries
    must go, or clients keep sending to the endpoint that left (kube-proxy's
    conntrack cleanup of stale UDP endpoints)."""
    out = []
    for key, old in before.items():
        if key.protocol != "UDP":
            continue
        new = after.get(key)
        kept = set(new.endpoints) if new is not None and new.cluster_ip == old.cluster_ip else set()
        for ep in old.endpoints:
            if ep not in kept:
                out.append((old.cluster_ip, old.port, ep[0]))
    return out
