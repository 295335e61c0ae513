"""Wiring the daemon: one client on the store, the controller manager, the
scheduler, the kubelet with the process runtime, and the node heartbeat. Runs in the
foreground until SIGTERM/SIGINT (pods keep running) or SIGUSR1 (pods are stopped
gracefully first: `minikctl down`)."""
from __future__ import annotations

import logging
import signal
import socket
import threading
import time

from minikctl import home as homedir
from minikctl.daemon import process

log = logging.getLogger("minikctl.daemon")

COMPACT_EVERY = 300.0  # seconds, as the Kubernetes API server compacts etcd
COMPACT_KEEP = 10000  # revisions kept for watchers that fall behind
DEFAULT_POD_CIDR = "127.16.0.0/16"


def default_node_name() -> str:
    return socket.gethostname().lower().split(".")[0] or "minikctl"


class Daemon:
    def __init__(self, *, node_name: str | None = None, pod_cidr: str = DEFAULT_POD_CIDR,
                 home: str | None = None, api_host: str = "127.0.0.1", api_port: int = 0) -> None:
        from minikctl.client.local import LocalClient

        self.home = home or homedir.home()
        self.node_name = node_name or default_node_name()
        self.pod_cidr = pod_cidr
        self.api_host, self.api_port = api_host, api_port
        self.api_server = None
        self.client = LocalClient.open(path=self.home)
        self._stop = threading.Event()
        self.stop_pods = False
        self.parts: list = []

    def build(self) -> None:
        from minikctl.controllers import manager as controllers
        from minikctl.daemon.node import NodeAgent
        from minikctl.kubelet.kubelet import Kubelet
        from minikctl.runtime.process import ProcessRuntime
        from minikctl.scheduler import scheduler as scheduling

        self.node = NodeAgent(self.client, self.node_name, self.pod_cidr)
        self.manager = controllers.build(self.client)
        # The proxy and DNS share the manager's Service and Endpoints caches; informers
        # must be asked for before the manager starts.
        from minikctl.proxy import ServiceProxy
        from minikctl.proxy.dns import DnsServer

        services, endpoints = self.manager.informer("Service"), self.manager.informer("Endpoints")
        self.proxy = ServiceProxy(self.client, node_ip=self.api_host, services=services, endpoints=endpoints)
        self.dns = DnsServer(self.client, services=services, endpoints=endpoints)
        self.scheduler = scheduling.build(self.client, self.manager)  # on the shared informers
        self.runtime = ProcessRuntime(self.home)
        self.kubelet = Kubelet(self.client, self.runtime, node_name=self.node_name, home=self.home,
                               pod_cidr=self.pod_cidr)

    def run(self) -> int:
        from minikctl.server import ApiServer

        self.build()
        # The API server comes up first and is announced last (write_state): the CLI
        # switches to HTTP only once it answers.
        self.api_server = ApiServer(self.client, home=self.home, host=self.api_host, port=self.api_port)
        self.api_server.start()
        self.node.register()
        self.kubelet.start()
        self.manager.start()
        self.proxy.start()
        try:
            self.dns.start()
        except OSError as exc:  # port 53 needs root, and the address may be taken
            log.warning("cluster DNS not started on %s:53: %s", self.dns.address, exc)
        self.scheduler.start()
        self.node.start()
        process.write_state(self.home, node=self.node_name, pod_cidr=self.pod_cidr,
                            api_url=self.api_server.url, kubeconfig=self.api_server.kubeconfig)
        log.info("minikctl daemon ready: node %s, pod CIDR %s, API %s, store %s", self.node_name, self.pod_cidr,
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
        self.node.stop()
        self.scheduler.stop()
        self.dns.stop()
        self.proxy.stop()
        self.manager.stop()
        if self.stop_pods:
            self.kubelet.stop_all_pods()
        self.kubelet.stop()
        process.clear_state(self.home)
        log.info("stopped")


def configure_logging(verbose: int) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose > 1 else logging.INFO,
        format="%(levelname).1s%(asctime)s.%(msecs)03d %(name)s] %(message)s",
        datefmt="%m%d %H:%M:%S",
    )


def run_foreground(*, node_name: str | None, verbose: int, pod_cidr: str = DEFAULT_POD_CIDR,
                   address: str = "127.0.0.1", api_port: int = 0) -> int:
    configure_logging(verbose)
    daemon = Daemon(node_name=node_name, pod_cidr=pod_cidr, api_host=address, api_port=api_port)
    signal.signal(signal.SIGTERM, lambda *_: daemon.request_stop())
    signal.signal(signal.SIGINT, lambda *_: daemon.request_stop())
    signal.signal(signal.SIGUSR1, lambda *_: daemon.request_stop(stop_pods=True))
    existing = process.read_state(daemon.home)
    if existing:
        from minikctl import errors

        raise errors.MinikctlError(f"a daemon is already running on this store (pid {existing['pid']})")
    return daemon.run()
