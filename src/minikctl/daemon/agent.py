"""Node agents: one node's Node/Lease keeper and its kubelet (NodeUnit), and a process that
runs only that (`minikctl daemon --join`: no API server, controllers, scheduler or proxy),
so one node can be stopped on its own, as a machine of a cluster can.

    daemon --nodes 3        one process, three NodeUnits sharing one process runtime
    daemon --join --node-name worker-2
                            one process, one NodeUnit, on the same store (the same
                            $MINIKCTL_HOME, or another one with MINIKCTL_STORE_URL)

Every node's pods live under $MINIKCTL_HOME/pods/ (a pod's directory carries its uid, so
nodes never collide there); each kubelet's records name its node and it adopts only its own.
"""
from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from minikctl import errors
from minikctl.daemon import process
from minikctl.daemon.node import LEASE_SECONDS, NodeAgent
from minikctl.daemon.nodeconfig import NodeConfig

log = logging.getLogger("minikctl.daemon")

CLUSTER_CIDR_ANNOTATION = "minikctl.io/cluster-cidr"  # where a joining node finds the range to slice


class NodeUnit:
    """One node: its NodeAgent (Node, Lease, status) and its Kubelet."""

    def __init__(self, client: Any, runtime: Any, config: NodeConfig, *, home: str,
                 lease_seconds: int = LEASE_SECONDS, cluster_cidr: str | None = None,
                 nodes_in_range: int = 1, primary: bool = True) -> None:
        self.client, self.runtime, self.home = client, runtime, home
        self.primary = primary
        self.agent = NodeAgent(client, config, lease_seconds=lease_seconds, cluster_cidr=cluster_cidr,
                               nodes_in_range=nodes_in_range, home=home)
        self.cluster_cidr = cluster_cidr
        self.kubelet: Any = None

    @property
    def name(self) -> str:
        return self.agent.name

    def start(self) -> None:
        """Register the node (choosing its pod range), then start its kubelet: the
        kubelet hands out IPs from the range the node got."""
        from minikctl.kubelet.kubelet import Kubelet

        node = self.agent.register()
        if self.cluster_cidr:
            self._annotate(node)
        self.kubelet = Kubelet(self.client, self.runtime, node_name=self.name, home=self.home,
                               pod_cidr=self.agent.pod_cidr, adopt_unmarked=self.primary,
                               allocatable=(node.get("status") or {}).get("allocatable"),
                               cluster_dns=self.agent.config.cluster_dns)
        self.kubelet.start()

    def _annotate(self, node: dict) -> None:
        if ((node.get("metadata") or {}).get("annotations") or {}).get(CLUSTER_CIDR_ANNOTATION) == self.cluster_cidr:
            return
        from minikctl.api import kinds

        def put(n: dict) -> None:
            n["metadata"].setdefault("annotations", {})[CLUSTER_CIDR_ANNOTATION] = self.cluster_cidr
        self.client.modify(kinds.by_kind("Node"), "", self.name, put)

    def start_heartbeat(self) -> None:
        self.agent.start()

    def stop(self, *, stop_pods: bool = False) -> None:
        self.agent.stop()
        if self.kubelet is not None:
            if stop_pods:
                self.kubelet.stop_all_pods()
            self.kubelet.stop()


def cluster_cidr_of(client: Any) -> str | None:
    """The range the daemon's nodes slice (recorded on their Node objects), if any."""
    from minikctl.api import kinds

    nodes, _ = client.list(kinds.by_kind("Node"))
    for node in nodes:
        cidr = ((node.get("metadata") or {}).get("annotations") or {}).get(CLUSTER_CIDR_ANNOTATION)
        if cidr:
            return str(cidr)
    return None


class JoinAgent:
    """`minikctl daemon --join`: this process is one node of the cluster whose store it
    opens. It stops on SIGTERM/SIGINT (pods keep running) or SIGUSR1 (pods stopped)."""

    def __init__(self, config: NodeConfig, *, home: str, explicit_cidr: bool,
                 lease_seconds: int = LEASE_SECONDS) -> None:
        from minikctl.client.local import LocalClient

        self.home = home
        self.config = config
        self.client = LocalClient.open(path=home)
        self.explicit_cidr = explicit_cidr
        self.lease_seconds = lease_seconds
        self.state_file = process.agent_state_file(config.name)
        self._stop = threading.Event()
        self.stop_pods = False
        self.unit: NodeUnit | None = None

    def request_stop(self, *, stop_pods: bool = False) -> None:
        self.stop_pods = self.stop_pods or stop_pods
        self._stop.set()

    def run(self) -> int:
        from minikctl.runtime.process import ProcessRuntime

        daemon = process.read_state(self.home) or {}
        if self.config.name in (daemon.get("nodes") or [daemon.get("node")]):
            raise errors.MinikctlError(f'node "{self.config.name}" is run by the daemon (pid {daemon["pid"]}) '
                                       "already: give the joining node another --node-name")
        cluster = None if self.explicit_cidr else (cluster_cidr_of(self.client) or self.config.pod_cidr)
        runtime = ProcessRuntime(self.home)
        self.unit = NodeUnit(self.client, runtime, self.config, home=self.home, lease_seconds=self.lease_seconds,
                             cluster_cidr=cluster, primary=False)
        self.unit.start()
        self.unit.start_heartbeat()
        process.write_state(self.home, self.state_file, node=self.config.name, pod_cidr=self.unit.agent.pod_cidr,
                            join=True)
        log.info("node agent ready: node %s joined, pod CIDR %s, store %s", self.config.name,
                 self.unit.agent.pod_cidr, self.client.store.url)
        try:
            self._stop.wait()
        finally:
            process.clear_state(self.home, self.state_file)
            self.unit.stop(stop_pods=self.stop_pods)
            runtime.close()
            log.info("node agent %s stopped%s", self.config.name, "" if self.stop_pods else " (pods keep running)")
        return 0


def run_join(config: NodeConfig, *, home: str, explicit_cidr: bool, lease_seconds: int) -> int:
    agent = JoinAgent(config, home=home, explicit_cidr=explicit_cidr, lease_seconds=lease_seconds)
    signal.signal(signal.SIGTERM, lambda *_: agent.request_stop())
    signal.signal(signal.SIGINT, lambda *_: agent.request_stop())
    signal.signal(signal.SIGUSR1, lambda *_: agent.request_stop(stop_pods=True))
    if process.read_state(home, agent.state_file):
        raise errors.MinikctlError(f"a node agent for {config.name} is already running on this store")
    return agent.run()


__all__ = ["NodeUnit", "JoinAgent", "run_join", "cluster_cidr_of"]
