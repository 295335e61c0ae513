"""The cluster DNS server: CoreDNS's `kubernetes` plugin for one machine.

Answers, under the `cluster.local` zone, from the Service and Endpoints informers
(the records of the Kubernetes DNS specification, schema 1.1.0):

- `svc.ns.svc.cluster.local` A: the cluster IP; for a headless Service (clusterIP None)
  every ready endpoint address; ExternalName Services a CNAME to their externalName.
- `_port._proto.svc.ns.svc.cluster.local` SRV (and `svc.ns.svc.cluster.local` SRV for
  every port): target `svc.ns.svc.cluster.local.` for a cluster-IP Service; for a headless
  one a target per ready endpoint, `hostname.svc.ns.svc.cluster.local.` (the Endpoints
  address's hostname: StatefulSet pods `web-0` under their governing Service) or
  `1-2-3-4.svc.ns...` by its IP, with the A records in the additional section.
- `hostname.svc.ns.svc.cluster.local` / `1-2-3-4.svc.ns.svc.cluster.local` A: that endpoint.
- `1-2-3-4.ns.pod.cluster.local` A: 1.2.3.4 (CoreDNS `pods insecure`).
- A name that exists without a record of the asked type: NOERROR, no answer (NODATA);
  anything else in the zone NXDOMAIN, with the zone's SOA in the authority section.
- Names outside cluster.local: REFUSED. Nothing is forwarded: no network is used.

Listens on UDP and TCP at DNS_IP:53 by default. DNS_IP, 127.96.255.254, is the last
usable address of the Service range: the ClusterIP allocator must never hand it out.
TTL 5 s, as CoreDNS's default. The wire format is dnspython's.
"""
from __future__ import annotations

import asyncio
import logging
import struct
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from minikctl.api import allocation
from minikctl.kubelet import dnsfiles
from minikctl.proxy.loop import LoopThread

log = logging.getLogger(__name__)

DNS_IP = allocation.CLUSTER_DNS_IP
DNS_PORT = 53
DOMAIN = dnsfiles.DOMAIN
TTL = 5


# -- answering -------------------------------------------------------------------------------------

def _dashed(ip: str) -> str:
    return ip.replace(".", "-").replace(":", "-")


def _ready_addresses(ep: dict | None) -> list[dict]:
    out, seen = [], set()
    for subset in (ep or {}).get("subsets") or []:
        for a in subset.get("addresses") or []:
            if a.get("ip") and a["ip"] not in seen:
                seen.add(a["ip"])
                out.append(a)
    return out


def _endpoint_label(addr: dict) -> str:
    return addr.get("hostname") or _dashed(addr["ip"])


class Resolver:
    """The records, computed from listers (anything with get(key) and list())."""

    def __init__(self, services: Any, endpoints: Any, *, domain: str = DOMAIN) -> None:
        self.services = services
        self.endpoints = endpoints
        self.zone = dns.name.from_text(domain)
        self.soa = dns.rrset.from_text(self.zone, TTL, "IN", "SOA",
                                       f"ns.dns.{domain}. hostmaster.{domain}. 1 7200 1800 86400 {TTL}")

    def resolve(self, query: dns.message.Message) -> dns.message.Message:
        resp = dns.message.make_response(query)
        resp.flags |= dns.flags.AA
        resp.flags &= ~dns.flags.RA
        if query.opcode() != 0 or len(query.question) != 1:
            resp.set_rcode(dns.rcode.NOTIMP if query.opcode() != 0 else dns.rcode.FORMERR)
            return resp
        q = query.question[0]
        if q.rdclass != dns.rdataclass.IN or not q.name.is_subdomain(self.zone):
            resp.flags &= ~dns.flags.AA
            resp.set_rcode(dns.rcode.REFUSED)
            return resp
        exists, answers, additional = self.lookup(q.name, q.rdtype)
        if not exists:
            resp.set_rcode(dns.rcode.NXDOMAIN)
        if answers:
            resp.answer.extend(answers)
            resp.additional.extend(additional)
        elif q.rdtype == dns.rdatatype.SOA and q.name == self.zone:
            resp.answer.append(self.soa)
        else:
            resp.authority.append(self.soa)
        return resp

    def lookup(self, qname: dns.name.Name, rdtype: int) -> tuple[bool, list, list]:
        """(whether the name exists, answer rrsets, additional rrsets)."""
        labels = [lab.decode().lower() for lab in qname.relativize(self.zone).labels]
        if not labels or labels == ["@"]:
            return True, [], []
        # ... .svc / ... .pod, the rest read right to left
        if labels[-1] == "pod":
            return self._pod(qname, labels[:-1], rdtype)
        if labels[-1] != "svc":
            return False, [], []
        rest = labels[:-1]
        if len(rest) <= 1:  # svc.cluster.local, ns.svc.cluster.local: empty non-terminals
            return (not rest or self._namespace_exists(rest[0])), [], []
        ns, svc_name = rest[-1], rest[-2]
        svc = self.services.get(f"{ns}/{svc_name}")
        if svc is None:
            return False, [], []
        front = rest[:-2]
        if not front:
            return True, *self._service_records(qname, svc, rdtype, None)
        if len(front) == 2 and front[0].startswith("_") and front[1].startswith("_"):
            return self._srv_port(qname, svc, rdtype, front[0][1:], front[1][1:])
        if len(front) == 1:
            return self._endpoint(qname, svc, rdtype, front[0])
        return False, [], []

    def _namespace_exists(self, ns: str) -> bool:
        return any((s.get("metadata") or {}).get("namespace") == ns for s in self.services.list())

    def _service_records(self, qname: dns.name.Name, svc: dict, rdtype: int,
                         ports: list[dict] | None) -> tuple[list, list]:
        spec = svc.get("spec") or {}
        md = svc["metadata"]
        name = dns.name.from_text(f"{md['name']}.{md.get('namespace', 'default')}.svc", self.zone)
        ports = (spec.get("ports") or []) if ports is None else ports
        if spec.get("type") == "ExternalName":
            target = dns.name.from_text(spec.get("externalName") or ".")
            if rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.CNAME, dns.rdatatype.ANY):
                return [dns.rrset.from_text(qname, TTL, "IN", "CNAME", target.to_text())], []
            return [], []
        ip = spec.get("clusterIP")
        headless = not ip or ip == "None"
        if not headless:
            if rdtype == dns.rdatatype.A and ":" not in ip:
                return [dns.rrset.from_text(qname, TTL, "IN", "A", ip)], []
            if rdtype == dns.rdatatype.SRV:
                rrs = [f"0 100 {p['port']} {name.to_text()}" for p in ports]
                return ([dns.rrset.from_text_list(qname, TTL, "IN", "SRV", rrs)] if rrs else []), []
            return [], []
        ep = self.endpoints.get(f"{md.get('namespace', 'default')}/{md['name']}")
        addrs = _ready_addresses(ep)
        if rdtype == dns.rdatatype.A:
            ips = [a["ip"] for a in addrs if ":" not in a["ip"]]
            return ([dns.rrset.from_text_list(qname, TTL, "IN", "A", ips)] if ips else []), []
        if rdtype == dns.rdatatype.SRV:
            rrs, extra = [], []
            wanted = {(p.get("name") or "", (p.get("protocol") or "TCP").upper()) for p in ports}
            for subset in (ep or {}).get("subsets") or []:
                for p in subset.get("ports") or []:
                    if (p.get("name") or "", (p.get("protocol") or "TCP").upper()) not in wanted:
                        continue
                    for a in subset.get("addresses") or []:
                        target = dns.name.from_text(_endpoint_label(a), name)
                        rrs.append(f"0 {100 // max(1, len(subset.get('addresses') or []))} {p['port']} "
                                   f"{target.to_text()}")
                        extra.append(dns.rrset.from_text(target, TTL, "IN", "A", a["ip"]))
            return ([dns.rrset.from_text_list(qname, TTL, "IN", "SRV", rrs)] if rrs else []), extra
        return [], []

    def _srv_port(self, qname: dns.name.Name, svc: dict, rdtype: int, port: str, proto: str) -> tuple[bool, list, list]:
        ports = [p for p in (svc.get("spec") or {}).get("ports") or []
                 if (p.get("name") or "") == port and (p.get("protocol") or "TCP").lower() == proto]
        if not ports:
            return False, [], []
        if rdtype != dns.rdatatype.SRV:
            return True, [], []
        return True, *self._service_records(qname, svc, rdtype, ports)

    def _endpoint(self, qname: dns.name.Name, svc: dict, rdtype: int, label: str) -> tuple[bool, list, list]:
        md = svc["metadata"]
        ep = self.endpoints.get(f"{md.get('namespace', 'default')}/{md['name']}")
        ips = [a["ip"] for a in _ready_addresses(ep) if _endpoint_label(a) == label or _dashed(a["ip"]) == label]
        if not ips:
            return False, [], []
        if rdtype == dns.rdatatype.A:
            return True, [dns.rrset.from_text_list(qname, TTL, "IN", "A", ips)], []
        return True, [], []

    def _pod(self, qname: dns.name.Name, rest: list[str], rdtype: int) -> tuple[bool, list, list]:
        if len(rest) != 2:
            return len(rest) <= 1, [], []
        parts = rest[0].split("-")
        if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
            return False, [], []
        if rdtype == dns.rdatatype.A:
            return True, [dns.rrset.from_text(qname, TTL, "IN", "A", ".".join(parts))], []
        return True, [], []


# -- serving ---------------------------------------------------------------------------------------

class DnsServer:
    """UDP and TCP on address:port, answering from Service and Endpoints informers."""

    def __init__(self, client: Any, *, address: str = DNS_IP, port: int = DNS_PORT, services: Any = None,
                 endpoints: Any = None, domain: str = DOMAIN) -> None:
        from minikctl.api import kinds
        from minikctl.machinery.informer import Informer

        self.address = address
        self.port = port
        self._own_informers = services is None or endpoints is None
        self.services = services or Informer(client, kinds.by_kind("Service"))
        self.endpoints = endpoints or Informer(client, kinds.by_kind("Endpoints"))
        self.resolver = Resolver(self.services, self.endpoints, domain=domain)
        self._loop = LoopThread("dns")
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.AbstractServer | None = None

    def start(self) -> None:
        if self._own_informers:
            self.services.start()
            self.endpoints.start()
        self._loop.start()
        try:
            self._loop.run(self._listen())
        except BaseException:  # e.g. port 53 without root, or the address taken: nothing left behind
            self._loop.stop()
            if self._own_informers:
                self.services.stop()
                self.endpoints.stop()
            raise
        log.info("cluster DNS on %s:%d (udp, tcp)", self.address, self.port)

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        self._udp, _ = await loop.create_datagram_endpoint(lambda: _Udp(self.resolver),
                                                           local_addr=(self.address, self.port))
        self.port = self._udp.get_extra_info("sockname")[1]
        self._tcp = await asyncio.start_server(self._serve_tcp, self.address, self.port, reuse_address=True)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                size = struct.unpack("!H", await reader.readexactly(2))[0]
                wire = await reader.readexactly(size)
                out = _answer(self.resolver, wire, 65535)
                if out is None:
                    break
                writer.write(struct.pack("!H", len(out)) + out)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def wait_synced(self, timeout: float = 10.0) -> bool:
        return all(inf.synced.wait(timeout) for inf in (self.services, self.endpoints))

    def stop(self) -> None:
        if self._own_informers:
            self.services.stop()
            self.endpoints.stop()

        async def close() -> None:
            if self._udp is not None:
                self._udp.close()
            if self._tcp is not None:
                self._tcp.close()

        if self._loop.loop is not None:
            try:
                self._loop.run(close(), timeout=5)
            except Exception:  # noqa: BLE001
                log.exception("closing the DNS server")
        self._loop.stop()


def _answer(resolver: Resolver, wire: bytes, max_size: int) -> bytes | None:
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        if len(wire) >= 12:  # answer FORMERR with the query's id
            return wire[:2] + b"\x81\x01" + b"\x00" * 8
        return None
    try:
        resp = resolver.resolve(query)
    except Exception:  # noqa: BLE001 - one bad question must not take the server down
        log.exception("answering %s", query.question)
        resp = dns.message.make_response(query)
        resp.set_rcode(dns.rcode.SERVFAIL)
    if query.edns >= 0:
        max_size = max(512, min(max_size, query.payload))
    elif max_size != 65535:
        max_size = 512
    try:
        return resp.to_wire(max_size=max_size)
    except dns.exception.TooBig:
        resp.answer.clear()
        resp.additional.clear()
        resp.flags |= dns.flags.TC
        return resp.to_wire()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        out = _answer(self.resolver, data, 512)
        if out is not None and self.transport is not None:
            self.transport.sendto(out, addr)
