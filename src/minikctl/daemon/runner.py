"""Wiring the daemon: one client on the store, the controller manager, the
scheduler, and one or more nodes (--nodes N: each a Node with its heartbeat and a kubelet,
sharing one process runtime; see daemon/agent.py). Runs in the foreground until
SIGTERM/SIGINT (pods keep running) or SIGUSR1 (pods are stopped gracefully first:
`minikctl down`)."""
from __future__ import annotations

import dataclasses
import logging
import signal
import socket
import threading
import time

from minikctl import claimdirs
from minikctl import home as homedir
from minikctl.daemon import nodeconfig, process
from minikctl.daemon.nodeconfig import NodeConfig

log = logging.getLogger("minikctl.daemon")

COMPACT_EVERY = 300.0  # seconds, as the Kubernetes API server compacts etcd
COMPACT_KEEP = 10000  # revisions kept for watchers that fall behind
DEFAULT_POD_CIDR = "127.16.0.0/16"


def default_node_name() -> str:
    return socket.gethostname().lower().split(".")[0] or "minikctl"


class Daemon:
    def __init__(self, *, node_name: str | None = None, pod_cidr: str = DEFAULT_POD_CIDR,
                 home: str | None = None, api_host: str = "127.0.0.1", api_port: int = 0,
                 nodes: int = 1, node_template: NodeConfig | None = None,
                 lifecycle: dict | None = None, proxy_mode: str = "auto") -> None:
        from minikctl.client.local import LocalClient

        self.home = home or homedir.home()
        self.node_name = node_name or default_node_name()
        self.pod_cidr = pod_cidr  # the cluster range: each node gets a slice of it
        self.node_names = nodeconfig.node_names(self.node_name, nodes)
        self.node_template = node_template or NodeConfig(name=self.node_name, pod_cidr=pod_cidr)
        # Node lifecycle and DefaultTolerationSeconds settings (the daemon's flags).
        self.lifecycle = dict(lifecycle or {})
        self.proxy_mode = proxy_mode  # --proxy-mode: auto, nftables or userspace
        self.units: list = []
        self.api_host, self.api_port = api_host, api_port
        self.api_server = None
        self.client = LocalClient.open(path=self.home)
        self._stop = threading.Event()
        self.stop_pods = False
        self.parts: list = []

    def build(self) -> None:
        from minikctl.controllers import manager as controllers
        from minikctl.daemon.agent import NodeUnit
        from minikctl.runtime.process import ProcessRuntime
        from minikctl.scheduler import scheduler as scheduling

        self.runtime = ProcessRuntime(self.home)
        lease = int(self.lifecycle.get("node_lease_seconds") or 40)
        for i, name in enumerate(self.node_names):
            config = dataclasses.replace(self.node_template, name=name, pod_cidr=self.pod_cidr,
                                         capacity=dict(self.node_template.capacity),
                                         labels=dict(self.node_template.labels),
                                         taints=[dict(t) for t in self.node_template.taints])
            self.units.append(NodeUnit(self.client, self.runtime, config, home=self.home, lease_seconds=lease,
                                       cluster_cidr=self.pod_cidr, nodes_in_range=len(self.node_names),
                                       primary=i == 0))
        self.client.default_toleration_seconds = (self.lifecycle.get("not_ready_toleration_seconds", 300),
                                                  self.lifecycle.get("unreachable_toleration_seconds", 300))
        self.manager = controllers.build(self.client, node_lifecycle=self.lifecycle,
                                         volumes_root=claimdirs.root_of(self.home))
        # The proxy and DNS share the manager's Service and Endpoints caches; informers
        # must be asked for before the manager starts.
        from minikctl.proxy import ServiceProxy
        from minikctl.proxy.dns import DnsServer

        services, endpoints = self.manager.informer("Service"), self.manager.informer("Endpoints")
        mode = self.proxy_mode if self.proxy_mode != "auto" else resolve_proxy_mode("auto")
        self.proxy = ServiceProxy(self.client, node_ip=self.api_host, services=services, endpoints=endpoints,
                                  mode=mode)
        self.dns = DnsServer(self.client, address=self.node_template.cluster_dns, services=services,
                             endpoints=endpoints)
        self.scheduler = scheduling.build(self.client, self.manager)  # on the shared informers

    @property
    def kubelet(self):  # type: ignore[no-untyped-def]
        """The first node's kubelet (the daemon's own node)."""
        return self.units[0].kubelet

    @property
    def node(self):  # type: ignore[no-untyped-def]
        return self.units[0].agent

    def run(self) -> int:
        from minikctl.server import ApiServer

        self.build()
        # The API server comes up first and is announced last (write_state): the CLI
        # switches to HTTP only once it answers.
        self.api_server = ApiServer(self.client, home=self.home, host=self.api_host, port=self.api_port)
        self.api_server.start()
        for unit in self.units:
            unit.start()  # registers the node (choosing its pod range), then its kubelet
        self.manager.start()
        self.proxy.start()
        try:
            self.dns.start()
        except OSError as exc:  # port 53 needs root, and the address may be taken
            log.warning("cluster DNS not started on %s:53: %s", self.dns.address, exc)
        self.scheduler.start()
        for unit in self.units:
            unit.start_heartbeat()
        process.write_state(self.home, node=self.node_name, pod_cidr=self.units[0].agent.pod_cidr,
                            cluster_cidr=self.pod_cidr, nodes=[u.name for u in self.units],
                            api_url=self.api_server.url, kubeconfig=self.api_server.kubeconfig)
        log.info("minikctl daemon ready: node(s) %s, pod CIDR %s, API %s, store %s",
                 ", ".join(f"{u.name} ({u.agent.pod_cidr})" for u in self.units), self.pod_cidr,
                 self.api_server.url, self.client.store.url)
        last_compact = time.monotonic()
        try:
            while not self._stop.wait(1.0):
                if time.monotonic() - last_compact > COMPACT_EVERY:
                    self.client.store.compact(keep=COMPACT_KEEP)
                    last_compact = time.monotonic()
        finally:
            self.shutdown()
        return 0

    def request_stop(self, *, stop_pods: bool = False) -> None:
        self.stop_pods = self.stop_pods or stop_pods
        self._stop.set()

    def shutdown(self) -> None:
        log.info("stopping%s", " and stopping every pod" if self.stop_pods else " (pods keep running)")
        process.clear_state(self.home)  # from here on the CLI works in-process
        if self.api_server is not None:
            self.api_server.stop()
        for unit in self.units:
            unit.agent.stop()
        self.scheduler.stop()
        self.dns.stop()
        self.proxy.stop()
        self.manager.stop()
        threads = [threading.Thread(target=unit.stop, kwargs={"stop_pods": self.stop_pods}, daemon=True)
                   for unit in self.units]  # every node's pods stop at once
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        process.clear_state(self.home)
        log.info("stopped")


def resolve_proxy_mode(requested: str) -> str:
    """--proxy-mode: auto is nftables when this process may program it, else userspace;
    nftables when it may not is an error, before anything starts."""
    if requested == "userspace":
        log.info("Using userspace Proxier (--proxy-mode userspace)")
        return "userspace"
    from minikctl.proxy import nft

    why_not = nft.available()
    if why_not is None:
        log.info("Using nftables Proxier (--proxy-mode %s)", requested)
        return "nftables"
    if requested == "nftables":
        from minikctl import errors

        raise errors.MinikctlError(f"--proxy-mode nftables: {why_not}")
    log.info("Using userspace Proxier: nftables not usable (%s)", why_not)
    return "userspace"


def configure_logging(verbose: int) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose > 1 else logging.INFO,
        format="%(levelname).1s%(asctime)s.%(msecs)03d %(name)s] %(message)s",
        datefmt="%m%d %H:%M:%S",
    )


def run_foreground(*, node_name: str | None, verbose: int, pod_cidr: str = DEFAULT_POD_CIDR,
                   address: str = "127.0.0.1", api_port: int = 0, nodes: int = 1,
                   node_template: NodeConfig | None = None, lifecycle: dict | None = None,
                   proxy_mode: str = "auto", service_cidr: str | None = None) -> int:
    configure_logging(verbose)
    proxy_mode = resolve_proxy_mode(proxy_mode)  # before the store is opened: an error leaves nothing
    daemon = Daemon(node_name=node_name, pod_cidr=pod_cidr, api_host=address, api_port=api_port, nodes=nodes,
                    node_template=node_template, lifecycle=lifecycle, proxy_mode=proxy_mode)
    signal.signal(signal.SIGTERM, lambda *_: daemon.request_stop())
    signal.signal(signal.SIGINT, lambda *_: daemon.request_stop())
    signal.signal(signal.SIGUSR1, lambda *_: daemon.request_stop(stop_pods=True))
    existing = process.read_state(daemon.home)
    if existing:
        from minikctl import errors

        raise errors.MinikctlError(f"a daemon is already running on this store (pid {existing['pid']})")
    for name in daemon.node_names:  # one node, one kubelet: a joined agent may hold the name
        agent = process.read_state(daemon.home, process.agent_state_file(name))
        if agent:
            from minikctl import errors

            raise errors.MinikctlError(f'node "{name}" is run by a joined node agent (pid {agent["pid"]}): '
                                       "stop it first (daemon stop --node-name NAME) or choose another --node-name")
    apply_service_range(daemon, service_cidr)
    return daemon.run()


def apply_service_range(daemon: Daemon, requested: str | None) -> None:
    """--service-cluster-ip-range: kept in the store (the in-process CLI allocates from it
    too); without the flag the store's range stays. The pod range must not overlap it,
    and the cluster DNS address defaults to its last address."""
    import ipaddress

    from minikctl import errors
    from minikctl.api import allocation

    if requested:
        allocation.set_service_range(daemon.client.store, requested)
    services = allocation.service_range(daemon.client.store)
    if ipaddress.ip_network(daemon.pod_cidr).overlaps(ipaddress.ip_network(services)):
        raise errors.MinikctlError(f"the pod CIDR {daemon.pod_cidr} overlaps the Service cluster IP range {services}")
    if daemon.node_template.cluster_dns == allocation.CLUSTER_DNS_IP:  # the default: the range's own
        daemon.node_template.cluster_dns = allocation.dns_ip(services)
