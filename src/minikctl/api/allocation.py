"""Service cluster IPs and node ports, allocated in the api layer on create and update
as the API server's service registry does (pkg/registry/core/service: ipallocator,
portallocator, and the storage's allocation "transaction").

Ranges (one machine, no real network, so everything lives on loopback):

- cluster IPs: 127.96.0.0/16 unless the daemon is started with another
  --service-cluster-ip-range (as kube-apiserver's flag), SEPARATE from pod IPs (each
  node's pod CIDR is carved from 127.16.0.0/12 by default). The range in force is the
  record's (below): the in-process CLI allocates from it too. Its last usable address is
  kept for the cluster DNS server. Linux routes all of 127/8 to `lo`,
  so the proxy can bind every cluster IP without configuring anything. As in
  Kubernetes the network and broadcast addresses are never handed out; dynamic picks
  prefer the upper part of the range (above min(max(16, size/16), 256) addresses), so
  the lower band stays free for users asking for a fixed IP (ServiceIPStaticSubrange).
- node ports: 30000-32767, dynamic picks above min(max(16, size/32), 128) likewise.

What is allocated lives in the store, in one record object (Kubernetes keeps a bitmap
per range in etcd, a "RangeAllocation"): resource `minikctl.allocations`, name
`services`, cluster scoped. No Kind maps to that resource, so the API never serves it.
Every change is a compare-and-swap on the record's resourceVersion, retried on
Conflict: two processes creating Services at once can never get the same IP or port.

Each entry names its owner (namespace/name and uid) and when it was taken. An entry
whose owner no longer exists or no longer holds the value (a process that died between
allocating and storing the Service) is stale once older than STALE_AFTER seconds and is
reclaimed when somebody needs it: the job Kubernetes' repair controllers do.

The flow, from handler.Api:

    create:  validate -> default -> allocate (fills spec.clusterIP(s), nodePorts)
             -> store.create; a failed store write releases what was allocated
    update:  patch_update (keep allocated values the client omitted; drop values a
             type change makes meaningless) -> validate -> allocate what is new
             -> store.update -> release what the old version held and the new does not
    delete:  store.delete -> release
"""
from __future__ import annotations

import contextlib
import copy
import ipaddress
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from minikctl import errors

SERVICE_CIDR = "127.96.0.0/16"
# The cluster DNS server listens here (as kube-dns' Service does on a real cluster):
# never handed to a Service.
CLUSTER_DNS_IP = "127.96.255.254"
NODE_PORT_RANGE = (30000, 32767)
RESOURCE = "minikctl.allocations"
RECORD = "services"
STALE_AFTER = 60.0
_RETRIES = 200
_rng = random.Random()

# -- the ranges ----------------------------------------------------------------------

def _static_band(size: int, lo: int, hi: int, step: int) -> int:
    """calculateRangeOffset: min(max(lo, size/step), hi), 0 for tiny ranges."""
    if size <= lo:
        return 0
    return min(max(lo, size // step), hi)


def dns_ip(cidr: str) -> str:
    """The cluster DNS server's address in a service range: its last usable address."""
    return str(ipaddress.ip_network(cidr).broadcast_address - 1)


class _IPRange:
    def __init__(self, cidr: str) -> None:
        self.net = ipaddress.ip_network(cidr)
        self.base = int(self.net.network_address) + 1  # network address never used
        self.size = self.net.num_addresses - 2          # nor the broadcast address
        self.band = _static_band(self.net.num_addresses, 16, 256, 16)
        self.reserved = dns_ip(cidr)

    def contains(self, value: str) -> bool:
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            return False
        return ip.version == self.net.version and 0 <= int(ip) - self.base < self.size

    def at(self, offset: int) -> str:
        return str(ipaddress.ip_address(self.base + offset))

    def describe(self) -> str:
        return str(self.net)


class _PortRange:
    reserved = None

    def __init__(self, lo: int, hi: int) -> None:
        self.base, self.size = lo, hi - lo + 1
        self.band = _static_band(self.size, 16, 128, 32)

    def contains(self, value: str) -> bool:
        return value.isdigit() and 0 <= int(value) - self.base < self.size

    def at(self, offset: int) -> str:
        return str(self.base + offset)

    def describe(self) -> str:
        return f"{self.base}-{self.base + self.size - 1}"


IPS = _IPRange(SERVICE_CIDR)  # the default range; the record says which one is in force
PORTS = _PortRange(*NODE_PORT_RANGE)


def _ips_of_record(rec: dict) -> _IPRange:
    cidr = rec["serviceIPs"].get("range") or SERVICE_CIDR
    return IPS if cidr == SERVICE_CIDR else _IPRange(cidr)


# -- what a Service needs and holds ---------------------------------------------------

def _type(spec: dict) -> str:
    return spec.get("type") or "ClusterIP"


def needs_cluster_ip(spec: dict) -> bool:
    return _type(spec) != "ExternalName"


def needs_node_ports(spec: dict) -> bool:
    return _type(spec) in ("NodePort", "LoadBalancer")


def _allocates_node_ports(spec: dict) -> bool:
    """shouldAllocateNodePorts: NodePort always, LoadBalancer unless told not to."""
    if _type(spec) == "NodePort":
        return True
    return _type(spec) == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is not False


def _ips_of(spec: dict) -> list[str]:
    ips = [ip for ip in spec.get("clusterIPs") or [] if isinstance(ip, str) and ip]
    if not ips and isinstance(spec.get("clusterIP"), str) and spec["clusterIP"]:
        ips = [spec["clusterIP"]]
    return ips


def held_ips(svc: dict | None) -> set[str]:
    spec = (svc or {}).get("spec") or {}
    if not needs_cluster_ip(spec):
        return set()
    return {ip for ip in _ips_of(spec) if ip != "None"}


def held_ports(svc: dict | None) -> set[str]:
    spec = (svc or {}).get("spec") or {}
    if not needs_node_ports(spec):
        return set()
    return {str(p["nodePort"]) for p in spec.get("ports") or []
            if isinstance(p, dict) and isinstance(p.get("nodePort"), int) and p["nodePort"]}


# -- update preparation (PrepareForUpdate's dropTypeDependentFields, patchAllocatedValues)

def patch_update(obj: Any, old: dict) -> Any:
    """The object a Service update really asks for, before validation: allocated
    values the client left out are kept, and values only a previous type needed are
    dropped when the client did not touch them (so `type: ExternalName` alone works)."""
    if not isinstance(obj, dict) or obj.get("kind") != "Service" or not isinstance(obj.get("spec"), dict):
        return obj
    new = copy.deepcopy(obj)
    spec, old_spec = new["spec"], old.get("spec") or {}
    if needs_cluster_ip(old_spec) and not needs_cluster_ip(spec):
        if _same(spec, old_spec, "clusterIP") and _same(spec, old_spec, "clusterIPs"):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        for f in ("ipFamilies", "ipFamilyPolicy"):
            if _same(spec, old_spec, f):
                spec.pop(f, None)
    if needs_node_ports(old_spec) and not needs_node_ports(spec) and _node_ports(spec) == _node_ports(old_spec):
        for p in spec.get("ports") or []:
            if isinstance(p, dict):
                p.pop("nodePort", None)
    if _type(old_spec) == "LoadBalancer" and _type(spec) != "LoadBalancer" \
            and spec.get("allocateLoadBalancerNodePorts") is not None \
            and spec.get("allocateLoadBalancerNodePorts") == old_spec.get("allocateLoadBalancerNodePorts"):
        spec.pop("allocateLoadBalancerNodePorts")
    if _externally_accessible(old_spec) and not _externally_accessible(spec) and _same(spec, old_spec, "externalTrafficPolicy"):
        spec.pop("externalTrafficPolicy", None)
    # patchAllocatedValues
    if needs_cluster_ip(old_spec) and needs_cluster_ip(spec):
        if not spec.get("clusterIP") and old_spec.get("clusterIP"):
            spec["clusterIP"] = old_spec["clusterIP"]
        if not spec.get("clusterIPs") and old_spec.get("clusterIPs"):
            spec["clusterIPs"] = list(old_spec["clusterIPs"])
    if needs_node_ports(old_spec) and needs_node_ports(spec):
        used = set(_node_ports(old_spec)) & set(_node_ports(spec))
        by_name = {p.get("name") or "": p.get("nodePort") for p in old_spec.get("ports") or [] if isinstance(p, dict)}
        for p in spec.get("ports") or []:
            if isinstance(p, dict) and not p.get("nodePort"):
                previous = by_name.get(p.get("name") or "")
                if previous and previous not in used:
                    p["nodePort"] = previous
    return new


def _same(a: dict, b: dict, field: str) -> bool:
    return (a.get(field) or None) == (b.get(field) or None)


def _node_ports(spec: dict) -> list:
    return [p.get("nodePort") for p in spec.get("ports") or [] if isinstance(p, dict) and p.get("nodePort")]


def _externally_accessible(spec: dict) -> bool:
    return _type(spec) in ("LoadBalancer", "NodePort") or (_type(spec) == "ClusterIP" and bool(spec.get("externalIPs")))


# -- the record ----------------------------------------------------------------------

def _owner(svc: dict) -> dict:
    md = svc.get("metadata") or {}
    return {"service": f"{md.get('namespace') or 'default'}/{md.get('name', '')}", "uid": md.get("uid", ""),
            "since": round(time.time(), 3)}


def _fresh_record(store) -> dict:  # type: ignore[no-untyped-def]
    """A new record, seeded from the Services already stored (so a store from before
    allocation existed, or a lost record, starts from the truth)."""
    ips: dict[str, dict] = {}
    ports: dict[str, dict] = {}
    services, _ = store.list("services")
    for svc in services:
        for ip in held_ips(svc):
            if IPS.contains(ip):
                ips.setdefault(ip, _owner(svc))
        for port in held_ports(svc):
            ports.setdefault(port, _owner(svc))
    return {"apiVersion": "minikctl.io/v1", "kind": "RangeAllocation", "metadata": {"name": RECORD},
            "serviceIPs": {"range": IPS.describe(), "allocated": ips},
            "nodePorts": {"range": PORTS.describe(), "allocated": ports}}


def _load(store) -> dict:  # type: ignore[no-untyped-def]
    for _ in range(_RETRIES):
        try:
            return store.get(RESOURCE, "", RECORD)
        except errors.NotFound:
            pass
        try:
            return store.create(RESOURCE, "", RECORD, _fresh_record(store))
        except errors.AlreadyExists:
            continue
    raise errors.Conflict(RESOURCE, RECORD)


def _change(store, change: Callable[[dict], Any], *, dry_run: bool = False) -> Any:  # type: ignore[no-untyped-def]
    """Apply `change` to the record with compare-and-swap, retrying on Conflict.
    `change` may run several times: it must only depend on the record it is given."""
    for _ in range(_RETRIES):
        current = _load(store)
        wanted = copy.deepcopy(current)
        result = change(wanted)
        if dry_run or wanted == current:
            return result
        try:
            store.update(RESOURCE, "", RECORD, wanted, expect_rv=current["metadata"]["resourceVersion"])
            return result
        except (errors.Conflict, errors.NotFound):
            continue
    raise errors.Conflict(RESOURCE, RECORD)


def service_range(store) -> str:  # type: ignore[no-untyped-def]
    """The cluster IP range in force on this store."""
    return _ips_of_record(_load(store)).describe()


def set_service_range(store, cidr: str) -> None:  # type: ignore[no-untyped-def]
    """Make `cidr` the cluster IP range (the daemon's --service-cluster-ip-range). Refused
    while a Service holds an IP outside it: those addresses would be handed out twice."""
    new = _IPRange(cidr)

    def change(rec: dict) -> None:
        if rec["serviceIPs"].get("range") == new.describe():
            return
        table = rec["serviceIPs"]["allocated"]
        for ip in [ip for ip, e in table.items() if not new.contains(ip) and _stale(store, e, ip, held_ips)]:
            del table[ip]  # its Service is gone: nothing to keep
        outside = sorted(f"{e.get('service')} ({ip})" for ip, e in table.items() if not new.contains(ip))
        if outside:
            raise errors.MinikctlError(
                f"cannot change the Service cluster IP range to {new.describe()}: "
                f"{len(outside)} Service(s) hold cluster IPs outside it: {', '.join(outside[:3])}"
                f"{', ...' if len(outside) > 3 else ''}; delete them first, or keep "
                f"--service-cluster-ip-range {_ips_of_record(rec).describe()}")
        rec["serviceIPs"]["range"] = new.describe()

    _change(store, change)


def allocated(store) -> tuple[dict[str, dict], dict[str, dict]]:  # type: ignore[no-untyped-def]
    """(cluster IPs, node ports) currently recorded, each value -> its owner."""
    rec = _load(store)
    return dict(rec["serviceIPs"]["allocated"]), dict(rec["nodePorts"]["allocated"])


def _stale(store, entry: dict, value: str, held: Callable[[dict], set[str]]) -> bool:  # type: ignore[no-untyped-def]
    if time.time() - float(entry.get("since") or 0) < STALE_AFTER:
        return False  # maybe a create or update still in flight
    namespace, _, name = str(entry.get("service", "")).partition("/")
    try:
        svc = store.get("services", namespace, name)
    except errors.NotFound:
        return True
    return svc["metadata"].get("uid") != entry.get("uid") or value not in held(svc)


class _Taken(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _take(store, table: dict, rng, value: str | None, owner: dict,  # type: ignore[no-untyped-def]
          held: Callable[[dict], set[str]]) -> str:
    """Take `value` (or, with None, a free one) in a record table; _Taken says why not."""
    allocated_ = table["allocated"]

    def free(v: str) -> bool:
        if v == rng.reserved:
            return False
        entry = allocated_.get(v)
        return entry is None or entry.get("uid") == owner["uid"] or _stale(store, entry, v, held)

    if value is not None:
        if not rng.contains(value):
            raise _Taken(f"provided {_what(rng)} is not in the valid range. The range of valid "
                         f"{_what(rng)}s is {rng.describe()}")
        if not free(value):
            raise _Taken(f"provided {_what(rng)} is already allocated")
        allocated_[value] = owner
        return value
    # Random start in the upper band, scanning forward; then the lower band.
    for lo, hi in ((rng.band, rng.size), (0, rng.band)):
        if hi <= lo:
            continue
        start = _rng.randrange(lo, hi)
        for i in range(hi - lo):
            candidate = rng.at(lo + (start - lo + i) % (hi - lo))
            if candidate not in allocated_ and candidate != rng.reserved:
                allocated_[candidate] = owner
                return candidate
    for candidate, entry in list(allocated_.items()):  # full: reclaim a stale entry
        if rng.contains(candidate) and _stale(store, entry, candidate, held):
            allocated_[candidate] = owner
            return candidate
    raise _Taken("range is full")


def _what(rng) -> str:  # type: ignore[no-untyped-def]
    return "IP" if isinstance(rng, _IPRange) else "port"


# -- planning one Service write ---------------------------------------------------------

def _plan(new: dict, old: dict | None) -> tuple[list, list]:
    """What must be taken for `new`: ([ip request], [(port index, requested or None)]).
    An ip request is the requested IP or None for "any"."""
    spec = new.get("spec") or {}
    old_ips, old_ports = held_ips(old), held_ports(old)
    ip_requests = []
    if needs_cluster_ip(spec):
        ips = _ips_of(spec)
        if not ips:
            ip_requests.append(None)
        elif ips[0] != "None" and ips[0] not in old_ips:
            ip_requests.append(ips[0])
    port_requests = []
    if needs_node_ports(spec):
        for i, p in enumerate(spec.get("ports") or []):
            if not isinstance(p, dict):
                continue
            np = p.get("nodePort") or 0
            if not np and not _allocates_node_ports(spec):
                continue  # a LoadBalancer without node ports: only explicit ones
            if np and str(np) in old_ports:
                continue
            port_requests.append((i, str(np) if np else None))
    return ip_requests, port_requests


def _invalid(new: dict, field: str, value: Any, message: str) -> errors.Invalid:
    from minikctl.api.rules.common import invalid  # the rules package is heavy: not on a read's path

    return errors.Invalid("Service", (new.get("metadata") or {}).get("name", ""), [invalid(field, value, message)])


def _allocate(store, new: dict, old: dict | None, *, dry_run: bool) -> tuple[set[str], set[str]]:  # type: ignore[no-untyped-def]
    """Take what `new` needs, write the values into it; returns what was taken."""
    ip_requests, port_requests = _plan(new, old)
    if not ip_requests and not port_requests:
        return set(), set()
    spec = new["spec"]
    owner = _owner(new)
    creating = old is None

    def change(rec: dict) -> tuple[list[str], dict[int, str]]:
        ips = []
        for requested in ip_requests:
            try:
                ips.append(_take(store, rec["serviceIPs"], _ips_of_record(rec), requested, owner, held_ips))
            except _Taken as exc:
                if requested is None:
                    raise errors.StatusError(f"Internal error occurred: failed to allocate a serviceIP: {exc.message}") from None
                from minikctl.api.rules.common import go_string_slice

                raise _invalid(new, "spec.clusterIPs", go_string_slice(_ips_of(spec)),
                               f"failed to allocate IP {requested}: {exc.message}") from None
        ports: dict[int, str] = {}
        by_number: dict[Any, str] = {}  # initNodePorts: one node port per service port number
        for i, requested in port_requests:
            number = spec["ports"][i].get("port")
            if creating and number in by_number and (requested is None or requested == by_number[number]):
                ports[i] = by_number[number]
                continue
            if requested is None and creating:
                requested = _requested_for(spec["ports"], number)
            try:
                if requested is not None and requested in ports.values():
                    ports[i] = requested  # the same explicit port twice (TCP and UDP)
                else:
                    ports[i] = _take(store, rec["nodePorts"], PORTS, requested, owner, held_ports)
            except _Taken as exc:
                if requested is None:
                    raise errors.StatusError(f"Internal error occurred: failed to allocate a nodePort: {exc.message}") from None
                raise _invalid(new, f"spec.ports[{i}].nodePort", int(requested), exc.message) from None
            by_number.setdefault(number, ports[i])
        return ips, ports

    ips, ports = _change(store, change, dry_run=dry_run)
    if ips:
        spec["clusterIP"] = ips[0]
        spec["clusterIPs"] = list(ips)
    for i, port in ports.items():
        spec["ports"][i]["nodePort"] = int(port)
    return set(ips), set(ports.values())


def _requested_for(ports: list, number: Any) -> str | None:
    """findRequestedNodePort: a node port given for the same port number elsewhere."""
    for p in ports:
        if isinstance(p, dict) and p.get("port") == number and p.get("nodePort"):
            return str(p["nodePort"])
    return None


def _release(store, ips: set[str], ports: set[str], uid: str) -> None:  # type: ignore[no-untyped-def]
    if not ips and not ports:
        return

    def change(rec: dict) -> None:
        for table, values in ((rec["serviceIPs"]["allocated"], ips), (rec["nodePorts"]["allocated"], ports)):
            for v in values:
                if v in table and table[v].get("uid") == uid:
                    del table[v]

    _change(store, change)


@contextlib.contextmanager
def service_write(store, new: dict, old: dict | None = None, *, dry_run: bool = False) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Around a Service's store write (a no-op for other kinds): allocate what `new`
    needs first (filling it in), release it if the write fails, and release what `old`
    held and `new` no longer does once the write succeeded."""
    if new.get("kind") != "Service":
        yield
        return
    taken_ips, taken_ports = _allocate(store, new, old, dry_run=dry_run)
    uid = (new.get("metadata") or {}).get("uid", "")
    try:
        yield
    except BaseException:
        if not dry_run:
            _release(store, taken_ips, taken_ports, uid)
        raise
    if not dry_run and old is not None:
        _release(store, held_ips(old) - held_ips(new), held_ports(old) - held_ports(new),
                 (old.get("metadata") or {}).get("uid", ""))


def released(store, deleted: dict) -> dict:  # type: ignore[no-untyped-def]
    """After a Service left the store: give back what it held. Returns `deleted`."""
    if deleted.get("kind") == "Service":
        _release(store, held_ips(deleted), held_ports(deleted), (deleted.get("metadata") or {}).get("uid", ""))
    return deleted


def repair(store) -> int:  # type: ignore[no-untyped-def]
    """Drop stale entries (owners gone, or not holding the value any more, for longer
    than STALE_AFTER) and record values stored Services hold but the record lacks (the
    repair controllers' job). Returns how many entries changed."""
    services, _ = store.list("services")

    def change(rec: dict) -> int:
        n = 0
        for table, held in ((rec["serviceIPs"]["allocated"], held_ips), (rec["nodePorts"]["allocated"], held_ports)):
            for value, entry in list(table.items()):
                if _stale(store, entry, value, held):
                    del table[value]
                    n += 1
            for svc in services:
                for value in held(svc):
                    if value not in table:
                        table[value] = _owner(svc)
                        n += 1
        return n

    return int(_change(store, change))
