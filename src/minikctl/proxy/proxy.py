"""The service proxy: kube-proxy for one machine, in user space or in the kernel.

Two modes, as kube-proxy's --proxy-mode:
- "userspace" (the constructor's default): every service port is a socket of this
  process, and connections are relayed (below).
- "nftables": cluster-IP ports (TCP and UDP) are DNAT'd by the kernel, with the rules of
  nftrules.py in a table this process owns (nft.py: the kernel deletes it when the
  process ends, killed or not), so traffic to a Service costs what direct traffic costs.
  NodePorts keep their userspace listener on node_ip (whatever address the daemon is
  told: the rules only see this host's own traffic to cluster IPs). Rules are rewritten in
  one transaction, only when they change; established connections keep their conntrack
  entries, UDP ones to an endpoint that left are deleted (`conntrack -D`, from the
  conntrack package, when installed; without it a UDP client keeps its flow to the old
  endpoint until conntrack's UDP timeout, 30-120 s). A transaction nft refuses is logged
  and kept in `errors` for each cluster-IP port, and retried on the next resync.

The rest of this docstring is the userspace mode (and NodePorts in nftables mode).

Every Service with a cluster IP gets a listening socket on clusterIP:port for each of its
ports (TCP and UDP), and NodePort/LoadBalancer Services one on node_ip:nodePort too.
Cluster IPs are loopback addresses (127.96.0.0/16), so binding them needs no set-up on
Linux: all of 127.0.0.0/8 is local. NodePorts are opened on node_ip, 127.0.0.1 unless
the daemon is told another address (`minikctl daemon --address`): a NodePort is reached
from this host, not from the network, by default.

New TCP connections are spliced to a ready endpoint chosen round robin (or by client IP
affinity, table.Balancer); a backend that refuses is skipped for the next one, as the
userspace proxier did. A connection to a service port with no ready endpoint is reset at
once (SO_LINGER 0): the listener is kept so the address stays ours, but nothing hangs.
TCP is relayed by tcprelay.TcpRelay, a thread of its own on epoll (a quarter to a third
less CPU per new connection than asyncio transports); this module's asyncio loop follows
the API and carries UDP.
UDP datagrams are relayed per client address through a connected socket to the chosen
endpoint; a session ends after `udp_idle_timeout` seconds without traffic.

Endpoints changes only change where new connections go: established connections and UDP
sessions keep their backend until they end (as conntrack keeps them under iptables).
When a Service goes, its listeners close; connections already spliced go on.

Each spliced connection holds two descriptors of the daemon's process, which the API
server and the kubelet need too: past `max_connections` (by default half of what
RLIMIT_NOFILE leaves after a reserve) new connections are reset at once, and the proxy
and the daemon carry on.

Shutdown runs on the loop, in order: no new sync or listener after it starts, listener
tasks still starting are cancelled and awaited, then listeners and connections close
(the TCP relay's thread ends); LoopThread cancels whatever else is pending before it
closes the loop.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from minikctl.proxy import nftrules, table
from minikctl.proxy.loop import LoopThread, raise_nofile_limit
from minikctl.proxy.tcprelay import TcpRelay

log = logging.getLogger(__name__)

DEFAULT_NODE_IP = "127.0.0.1"
UDP_IDLE_TIMEOUT = 30.0  # seconds; conntrack's nf_conntrack_udp_timeout
RESYNC_EVERY = 5.0  # seconds: retry listeners that could not bind, expire UDP sessions
BACKLOG = 4096
FD_RESERVE = 1024  # descriptors kept for the rest of the daemon (API server, kubelet, store)
MODES = ("userspace", "nftables")
_tables = itertools.count(1)  # a second proxy in one process gets a table of its own


@dataclass
class _Listener:
    listen: table.Listen
    key: table.PortKey
    handle: Any = None  # the TCP relay's listener, or a DatagramTransport (UDP)
    closed: bool = False
    udp: "_UdpListener | None" = None
    tcp: TcpRelay | None = None

    def close(self) -> None:
        self.closed = True
        if self.udp is not None:
            self.udp.close()
        elif self.tcp is not None and self.handle is not None:
            self.tcp.remove_listener(self.handle)


class ServiceProxy:
    def __init__(self, client: Any, *, node_ip: str = DEFAULT_NODE_IP, services: Any = None, endpoints: Any = None,
                 udp_idle_timeout: float = UDP_IDLE_TIMEOUT, connect_timeout: float = 5.0,
                 max_connections: int | None = None, mode: str = "userspace") -> None:
        from minikctl.api import kinds
        from minikctl.machinery.informer import Informer

        if mode not in MODES:
            raise ValueError(f"unknown proxy mode {mode!r}: one of {', '.join(MODES)}")
        self.mode = mode
        self.client = client
        self.node_ip = node_ip
        self.udp_idle_timeout = udp_idle_timeout
        self.connect_timeout = connect_timeout
        self._own_informers = services is None or endpoints is None
        self.services = services or Informer(client, kinds.by_kind("Service"))
        self.endpoints = endpoints or Informer(client, kinds.by_kind("Endpoints"))
        self._loop = LoopThread("service-proxy")
        self._listeners: dict[table.Listen, _Listener] = {}
        self._balancers: dict[table.PortKey, table.Balancer] = {}
        self._sync_pending = False
        self._resync_handle: asyncio.TimerHandle | None = None
        self.errors: dict[table.Listen, str] = {}  # listeners that could not bind, and why
        self._tasks: set[asyncio.Task] = set()  # UDP listeners being opened
        self._closing = False
        self.max_connections = max_connections
        self._tcp: TcpRelay | None = None
        self.synced_generation = 0
        # nftables mode: the context (owning the table), what the last transaction made.
        self._nft: Any = None
        self.table_name = ""
        self._rules: nftrules.Ruleset | None = None
        self._ruled: dict[table.PortKey, nftrules.ServicePort] = {}

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if self.mode == "nftables":
            from minikctl.proxy import nft

            self._nft = nft.Nft()
            n = next(_tables)
            self.table_name = nftrules.table_name(os.getpid()) + (f"-{n}" if n > 1 else "")
        raise_nofile_limit()
        if self.max_connections is None:
            self.max_connections = _connection_budget()
        self._tcp = TcpRelay(self._pick_tcp, max_connections=self.max_connections,
                             connect_timeout=self.connect_timeout)
        self._tcp.start()
        self._loop.start()
        self.services.add_handler(self._on_change)
        self.endpoints.add_handler(self._on_change)
        if self._own_informers:
            self.services.start()
            self.endpoints.start()
        self._loop.call(self._periodic)

    def stop(self) -> None:
        if self._own_informers:
            self.services.stop()
            self.endpoints.stop()
        if self._loop.loop is not None:
            try:
                self._loop.run(self._close_all(), timeout=10)
            except Exception:  # noqa: BLE001 - the loop is going anyway
                log.exception("closing proxy listeners")
        self._loop.stop()
        if self._tcp is not None:
            self._tcp.stop()
        if self._nft is not None:
            self._nft.close()  # the kernel deletes the table this context owned

    async def _close_all(self) -> None:
        self._closing = True  # from here on no sync runs and no listener opens
        if self._resync_handle is not None:
            self._resync_handle.cancel()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        for lst in list(self._listeners.values()):
            lst.close()
        self._listeners.clear()
        if self._tcp is not None:  # the daemon is going: so are the connections it carried
            self._tcp.stop()
        await asyncio.sleep(0)

    def wait_synced(self, timeout: float = 10.0) -> bool:
        """The informers have listed and the proxy has acted on what they hold."""
        deadline = time.monotonic() + timeout
        for inf in (self.services, self.endpoints):
            if not inf.synced.wait(max(0.0, deadline - time.monotonic())):
                return False
        self._loop.run(self._sync_now(), timeout=max(0.1, deadline - time.monotonic()))
        return True

    async def _sync_now(self) -> None:
        self._sync()

    # -- what the proxy holds, for tests and describe ----------------------------------------------

    def backends(self, namespace: str, name: str, port_name: str = "", protocol: str = "TCP") -> list[tuple[str, int]]:
        """Where new connections to a service port go now (in nftables mode: what the
        kernel's rules hold, once applied)."""
        key = table.PortKey(namespace, name, port_name, protocol)
        if self.mode == "nftables":
            sp = self._ruled.get(key)
            return list(sp.endpoints) if sp else []
        bal = self._balancers.get(key)
        return list(bal.endpoints) if bal else []

    @property
    def connections(self) -> int:
        """TCP connections currently spliced."""
        return self._tcp.connections if self._tcp is not None else 0

    @property
    def refused(self) -> int:
        """TCP connections reset because max_connections were open."""
        return self._tcp.refused if self._tcp is not None else 0

    def listening(self) -> list[table.Listen]:
        """Where the proxy serves: its sockets, and in nftables mode the cluster-IP ports
        its rules carry (those with ready endpoints and those refused for want of one)."""
        ruled = [table.Listen(sp.cluster_ip, sp.port, sp.key.protocol) for sp in self._ruled.values()]
        return ruled + [lst.listen for lst in self._listeners.values() if lst.handle is not None and not lst.closed]

    # -- following the API --------------------------------------------------------------------------

    def _on_change(self, _etype: str, _obj: dict, _old: dict | None) -> None:
        self._loop.call(self._schedule_sync)

    def _schedule_sync(self) -> None:
        if not self._sync_pending and not self._closing:
            self._sync_pending = True
            asyncio.get_running_loop().call_soon(self._sync)

    def _periodic(self) -> None:
        if self._closing:
            return
        self._schedule_sync()
        self._expire_udp()
        self._resync_handle = asyncio.get_running_loop().call_later(RESYNC_EVERY, self._periodic)

    def _sync(self) -> None:
        self._sync_pending = False
        if self._closing:
            return
        desired = table.desired_listeners(self.services.list(), self.node_ip)
        infos = {info.key: info for info in desired.values()}
        for key, info in infos.items():
            ep = self.endpoints.get(f"{key.namespace}/{key.name}")
            bal = self._balancers.setdefault(key, table.Balancer())
            before = list(bal.endpoints)
            bal.update(table.endpoints_for(ep, key.port_name, key.protocol), info.affinity_timeout)
            if before != bal.endpoints:
                log.info("service port %s: endpoints %s", key,
                         ", ".join(f"{h}:{p}" for h, p in bal.endpoints) or "(none)")
        for key in set(self._balancers) - set(infos):
            del self._balancers[key]
        rule_errors: dict[table.Listen, str] = {}
        if self.mode == "nftables":
            rule_errors = self._apply_rules(infos)
            # Cluster-IP ports are the kernel's: only NodePorts get a socket.
            desired = {listen: info for listen, info in desired.items()
                       if (listen.ip, listen.port) != (info.cluster_ip, info.port)}
        for listen in list(self._listeners):
            if listen not in desired:
                log.info("closing %s:%d/%s", listen.ip, listen.port, listen.protocol)
                self._listeners.pop(listen).close()
        for listen, info in desired.items():
            current = self._listeners.get(listen)
            if current is not None:
                current.key = info.key
                if current.tcp is not None and current.handle is not None:
                    current.tcp.set_key(current.handle, info.key)
                continue
            self._open(listen, info.key)
        self.errors = {k: v for k, v in self.errors.items() if k in desired and k not in self._listeners}
        self.errors.update(rule_errors)
        self.synced_generation += 1

    # -- nftables ---------------------------------------------------------------------------------------

    def _apply_rules(self, infos: dict[table.PortKey, table.ServicePortInfo]) -> dict[table.Listen, str]:
        """Program the cluster-IP ports (if anything changed); the errors, per port."""
        ports = {key: nftrules.ServicePort(key, info.cluster_ip, info.port, tuple(self._balancers[key].endpoints),
                                           info.affinity_timeout)
                 for key, info in infos.items()}
        desired = nftrules.ruleset(ports.values())
        if desired == self._rules and self._nft is not None:
            return {}
        from minikctl.proxy.nft import NftError

        try:
            if self._nft is None:
                raise NftError("nftables context not open (proxy not started)")
            self._nft.run(nftrules.transaction(self.table_name, desired, self._rules))
        except NftError as exc:
            msg = f"cannot program nftables table {self.table_name}: {exc}"
            log.warning("%s", msg)
            return {table.Listen(sp.cluster_ip, sp.port, sp.key.protocol): msg for sp in ports.values()}
        for key in ports.keys() - self._ruled.keys():
            sp = ports[key]
            log.info("service port %s: DNAT %s:%d/%s (nftables)", key, sp.cluster_ip, sp.port, key.protocol)
        for key in self._ruled.keys() - ports.keys():
            log.info("service port %s: no more DNAT (nftables)", key)
        gone = nftrules.departed_udp(self._ruled, ports)
        self._rules, self._ruled = desired, ports
        if gone:
            asyncio.get_running_loop().run_in_executor(None, _forget_udp_flows, gone)
        return {}

    # -- listeners --------------------------------------------------------------------------------------

    def _open(self, listen: table.Listen, key: table.PortKey) -> None:
        loop = asyncio.get_running_loop()
        try:
            sock = _bind(listen)
        except OSError as exc:
            msg = f"cannot listen on {listen.ip}:{listen.port}/{listen.protocol}: {exc.strerror or exc}"
            if self.errors.get(listen) != msg:
                log.warning("service port %s: %s", key, msg)
            self.errors[listen] = msg
            return
        self.errors.pop(listen, None)
        lst = _Listener(listen, key)
        self._listeners[listen] = lst
        log.info("service port %s: listening on %s:%d/%s", key, listen.ip, listen.port, listen.protocol)
        if listen.protocol == "TCP":
            assert self._tcp is not None
            lst.tcp = self._tcp
            lst.handle = self._tcp.add_listener(sock, key)
            return
        lst.udp = _UdpListener(self, lst)
        task = loop.create_task(lst.udp.start(sock))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- TCP ------------------------------------------------------------------------------------------

    def _pick_tcp(self, key: table.PortKey, client_ip: str) -> Iterator[tuple[str, int]] | None:
        """For the TCP relay's thread: the backends to try for a new connection, or None
        (no ready endpoint: refuse). Balancers are replaced, never mutated unlocked."""
        bal = self._balancers.get(key)
        if bal is None:
            return None
        first = bal.next(client_ip if bal.affinity_timeout is not None else None)
        return None if first is None else _candidates(bal, first)

    def _pick(self, key: table.PortKey, client_ip: str | None) -> tuple[table.Balancer | None, tuple[str, int] | None]:
        bal = self._balancers.get(key)
        if bal is None:
            return None, None
        return bal, bal.next(client_ip)

    # -- UDP ---------------------------------------------------------------------------------------------

    def _expire_udp(self) -> None:
        now = time.monotonic()
        for lst in self._listeners.values():
            if lst.udp is not None:
                lst.udp.expire(now, self.udp_idle_timeout)


# -- UDP ------------------------------------------------------------------------------------------------

class _UdpListener(asyncio.DatagramProtocol):
    def __init__(self, proxy: ServiceProxy, lst: _Listener) -> None:
        self.proxy = proxy
        self.lst = lst
        self.transport: asyncio.DatagramTransport | None = None
        self.sessions: dict[tuple, _UdpSession] = {}

    async def start(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, sock=sock)
        if self.lst.closed:
            self.close()
        else:
            self.lst.handle = self.transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        session = self.sessions.get(addr)
        if session is not None and not session.closed:
            session.last = time.monotonic()
            session.send(data)
            return
        bal, backend = self.proxy._pick(self.lst.key, addr[0])
        if backend is None:
            return  # no endpoint: dropped (iptables REJECTs with ICMP port unreachable)
        session = _UdpSession(self, addr, backend)
        self.sessions[addr] = session
        session.queue.append(data)
        asyncio.get_running_loop().create_task(session.open())

    def expire(self, now: float, idle: float) -> None:
        for addr, s in list(self.sessions.items()):
            if s.closed or now - s.last > idle:
                s.close()
                self.sessions.pop(addr, None)

    def close(self) -> None:
        for s in self.sessions.values():
            s.close()
        self.sessions.clear()
        if self.transport is not None:
            self.transport.close()


class _UdpSession(asyncio.DatagramProtocol):
    def __init__(self, listener: _UdpListener, client: tuple, backend: tuple[str, int]) -> None:
        self.listener = listener
        self.client = client
        self.backend = backend
        self.transport: asyncio.DatagramTransport | None = None
        self.queue: list[bytes] = []
        self.last = time.monotonic()
        self.closed = False

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_datagram_endpoint(lambda: self, remote_addr=self.backend)
        except OSError as exc:
            log.debug("udp backend %s: %s", self.backend, exc)
            self.closed = True
            return
        if self.closed:
            self.transport.close()  # type: ignore[union-attr]
            return
        for data in self.queue:
            self.transport.sendto(data)  # type: ignore[union-attr]
        self.queue.clear()

    def send(self, data: bytes) -> None:
        if self.transport is None:
            self.queue.append(data)
        else:
            self.transport.sendto(data)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.last = time.monotonic()
        if self.listener.transport is not None and not self.listener.transport.is_closing():
            self.listener.transport.sendto(data, self.client)

    def error_received(self, exc: Exception) -> None:
        log.debug("udp session %s -> %s: %s", self.client, self.backend, exc)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _candidates(bal: table.Balancer, first: tuple[str, int]) -> Iterator[tuple[str, int]]:
    """The chosen backend, then (only if it refuses) the others; with affinity, the
    pinned backend or nothing."""
    yield first
    if bal.affinity_timeout is None:
        yield from bal.alternatives({first})


def _forget_udp_flows(flows: list[tuple[str, int, str]]) -> None:
    """Delete the conntrack entries of UDP flows to endpoints that left, so that their
    clients' next datagrams are balanced again (kube-proxy does the same)."""
    tool = shutil.which("conntrack")
    if tool is None:
        log.debug("conntrack not installed: UDP flows to endpoints that left stay until they time out")
        return
    for cluster_ip, port, endpoint_ip in flows:
        try:
            # Exit status 1 with "0 flow entries have been deleted" when there were none.
            subprocess.run([tool, "-D", "-p", "udp", "--orig-dst", cluster_ip, "--dport", str(port),
                            "--reply-src", endpoint_ip], capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("conntrack -D for %s:%d/UDP -> %s: %s", cluster_ip, port, endpoint_ip, exc)


def _connection_budget() -> int:
    """How many connections the proxy may splice: two descriptors each, out of what the
    process may open less a reserve for the rest of the daemon."""
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        soft = 1 << 20
    return max(64, (soft - FD_RESERVE) // 2)


def _bind(listen: table.Listen) -> socket.socket:
    family = socket.AF_INET6 if ":" in listen.ip else socket.AF_INET
    kind = socket.SOCK_STREAM if listen.protocol == "TCP" else socket.SOCK_DGRAM
    sock = socket.socket(family, kind)
    try:
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((listen.ip, listen.port))
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it
            sock.listen(BACKLOG)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
