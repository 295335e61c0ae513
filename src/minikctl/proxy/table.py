"""The proxy's view of the cluster: Services and Endpoints turned into service ports and
their backends, and the choice of a backend for a new connection.

Pure data, no sockets: kube-proxy's ServicePortMap/EndpointsMap and the userspace
proxier's round-robin load balancer (pkg/proxy/userspace/roundrobin.go), reduced to what
one machine needs.

- A service port is (namespace, name, port name, protocol); it is served on
  clusterIP:port and, for NodePort/LoadBalancer Services, on node_ip:nodePort.
- Its backends are the Endpoints object's `subsets[].addresses` (ready only:
  `notReadyAddresses` never get traffic) crossed with the subset port of the same name
  (and protocol). Endpoints list each ready pod's real port, so `targetPort` (named or
  not) has already been resolved by the Endpoints controller.
- New connections go round robin over the backends, in a stable order (sorted), the
  cursor surviving Endpoints changes. `sessionAffinity: ClientIP` sends a client IP back
  to the backend it last used while that backend stays ready and the affinity has not
  been idle longer than `sessionAffinityConfig.clientIP.timeoutSeconds` (10800 s).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

DEFAULT_AFFINITY_TIMEOUT = 10800  # seconds, v1.DefaultClientIPServiceAffinitySeconds
PROTOCOLS = ("TCP", "UDP")  # SCTP is not proxied


@dataclass(frozen=True)
class PortKey:
    namespace: str
    name: str
    port_name: str
    protocol: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}:{self.port_name}/{self.protocol}" if self.port_name \
            else f"{self.namespace}/{self.name}/{self.protocol}"


@dataclass(frozen=True)
class Listen:
    """One socket the proxy holds: ip:port/protocol, for one service port."""
    ip: str
    port: int
    protocol: str


@dataclass(frozen=True)
class ServicePortInfo:
    key: PortKey
    cluster_ip: str
    port: int
    node_port: int | None
    affinity_timeout: int | None  # None: no session affinity


def service_ports(svc: dict) -> list[ServicePortInfo]:
    """The proxied ports of a Service: none for headless (clusterIP None) or ExternalName
    Services, nor while no cluster IP has been allocated yet."""
    md, spec = svc.get("metadata") or {}, svc.get("spec") or {}
    ip = spec.get("clusterIP")
    if not ip or ip == "None" or spec.get("type") == "ExternalName":
        return []
    affinity = None
    if spec.get("sessionAffinity") == "ClientIP":
        cfg = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {})
        affinity = int(cfg.get("timeoutSeconds") or DEFAULT_AFFINITY_TIMEOUT)
    with_node_port = spec.get("type") in ("NodePort", "LoadBalancer")
    out = []
    for p in spec.get("ports") or []:
        proto = (p.get("protocol") or "TCP").upper()
        if proto not in PROTOCOLS or not p.get("port"):
            continue
        key = PortKey(md.get("namespace") or "default", md.get("name", ""), p.get("name") or "", proto)
        node_port = int(p["nodePort"]) if with_node_port and p.get("nodePort") else None
        out.append(ServicePortInfo(key, ip, int(p["port"]), node_port, affinity))
    return out


def endpoints_for(ep: dict | None, port_name: str, protocol: str) -> list[tuple[str, int]]:
    """Ready (ip, port) backends of one service port in an Endpoints object, sorted."""
    out: set[tuple[str, int]] = set()
    for subset in (ep or {}).get("subsets") or []:
        port = None
        for p in subset.get("ports") or []:
            if (p.get("name") or "") == port_name and (p.get("protocol") or "TCP").upper() == protocol:
                port = p.get("port")
                break
        if not port:
            continue
        for a in subset.get("addresses") or []:
            if a.get("ip"):
                out.add((a["ip"], int(port)))
    return sorted(out, key=lambda e: (_ip_key(e[0]), e[1]))


def _ip_key(ip: str) -> tuple:
    try:
        return tuple(int(x) for x in ip.split("."))
    except ValueError:
        return (ip,)


@dataclass
class Balancer:
    """The backends of one service port and the round-robin/affinity state."""
    endpoints: list[tuple[str, int]] = field(default_factory=list)
    affinity_timeout: int | None = None
    _index: int = 0
    _affinity: dict[str, tuple[tuple[str, int], float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def update(self, endpoints: list[tuple[str, int]], affinity_timeout: int | None) -> None:
        with self._lock:
            if endpoints != self.endpoints:
                alive = set(endpoints)
                # Affinity to a backend that left is forgotten (kube-proxy removeSessionAffinityByEndpoint).
                self._affinity = {c: v for c, v in self._affinity.items() if v[0] in alive}
                self.endpoints = list(endpoints)
                if self.endpoints:
                    self._index %= len(self.endpoints)
                else:
                    self._index = 0
            if affinity_timeout != self.affinity_timeout:
                self.affinity_timeout = affinity_timeout
                if affinity_timeout is None:
                    self._affinity.clear()

    def next(self, client_ip: str | None = None, now: float | None = None) -> tuple[str, int] | None:
        """The backend for a new connection from client_ip, or None with no ready endpoints."""
        with self._lock:
            if not self.endpoints:
                return None
            if self.affinity_timeout is not None and client_ip:
                now = time.monotonic() if now is None else now
                held = self._affinity.get(client_ip)
                if held is not None and now - held[1] < self.affinity_timeout:
                    self._affinity[client_ip] = (held[0], now)
                    return held[0]
            chosen = self.endpoints[self._index % len(self.endpoints)]
            self._index = (self._index + 1) % len(self.endpoints)
            if self.affinity_timeout is not None and client_ip:
                self._affinity[client_ip] = (chosen, time.monotonic() if now is None else now)
            return chosen

    def alternatives(self, tried: set[tuple[str, int]]) -> list[tuple[str, int]]:
        with self._lock:
            return [e for e in self.endpoints if e not in tried]


def desired_listeners(services: list[dict], node_ip: str) -> dict[Listen, ServicePortInfo]:
    """Every socket the proxy should hold, and the service port each one serves."""
    out: dict[Listen, ServicePortInfo] = {}
    for svc in services:
        for info in service_ports(svc):
            out[Listen(info.cluster_ip, info.port, info.key.protocol)] = info
            if info.node_port:
                out[Listen(node_ip, info.node_port, info.key.protocol)] = info
    return out
