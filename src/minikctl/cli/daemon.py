"""`minikctl daemon`: run the control plane and node agents (foreground), or manage a
background one with `daemon start|stop|status`; `--join` runs one node agent only."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Optional

import typer

HELP = """Run the control plane and this machine's node agent(s).

With no subcommand the daemon runs in the foreground until Ctrl-C or SIGTERM; pods keep
running after it stops and are adopted when it starts again.

--nodes N runs N nodes in the one process, named as minikube names them (NAME, NAME-m02,
NAME-m03...), each with its own slice of --pod-cidr (a /24 by default). --join runs a node
agent only (Node, Lease and kubelet: no API server, controllers, scheduler or proxy) for a
cluster whose store is this $MINIKCTL_HOME (or MINIKCTL_STORE_URL), so that one node can be
stopped on its own; without --pod-cidr it takes a free slice of the cluster's range.

Examples:
  # Run in the foreground
  minikctl daemon

  # Run in the background, check it, stop it (pods keep running)
  minikctl daemon start
  minikctl daemon status
  minikctl daemon stop

  # Three nodes in one process (every one with the same flags), and a smaller fourth one
  minikctl daemon start --nodes 3 --node-capacity cpu=4,memory=8Gi
  minikctl daemon start --join --node-name small --node-capacity cpu=1,memory=2Gi,pods=10

  # A node agent with labels and a taint; stop it alone
  minikctl daemon start --join --node-name gpu-1 --node-labels gpu=true --register-with-taints gpu=true:NoSchedule
  minikctl daemon stop --node-name gpu-1

  # Notice a silent node after 10s and evict its pods 20s later
  minikctl daemon start --node-monitor-grace-period 10s --default-unreachable-toleration-seconds 20

  # Relay Services in the daemon rather than with the kernel's nftables rules
  minikctl daemon start --proxy-mode userspace
"""

NodeName = Annotated[Optional[str], typer.Option("--node-name", help="The name of this node, the first of --nodes (default: the host name).")]
PodCidr = Annotated[Optional[str], typer.Option("--pod-cidr", help="The loopback range pod IPs come from: the daemon gives each node a slice of it; with --join, this node's own range.")]
Address = Annotated[str, typer.Option("--address", help="The address the API server listens on (loopback unless you say otherwise).")]
ApiPort = Annotated[int, typer.Option("--api-port", help="The API server's port (0: the last one used, else any free port).")]
Nodes = Annotated[int, typer.Option("--nodes", help="How many nodes this daemon runs (NAME, NAME-m02, ...).")]
Join = Annotated[bool, typer.Option("--join", help="Run only a node agent (Node, Lease, kubelet) for the cluster on this store.")]
Capacity = Annotated[Optional[str], typer.Option("--node-capacity", help="Simulated capacity, e.g. cpu=4,memory=8Gi,pods=110 (default: this machine's).")]
Reserved = Annotated[Optional[str], typer.Option("--kube-reserved", help="Resources kept from pods: allocatable = capacity - these (e.g. cpu=500m,memory=1Gi).")]
Labels = Annotated[Optional[str], typer.Option("--node-labels", help="Labels to add when registering the node, key=value,...")]
Taints = Annotated[Optional[str], typer.Option("--register-with-taints", help="Taints to register the node with, key=value:Effect,... (NoSchedule, PreferNoSchedule, NoExecute).")]
Grace = Annotated[str, typer.Option("--node-monitor-grace-period", help="How long a node may stay silent before it is marked NotReady (Ready=Unknown).")]
Monitor = Annotated[Optional[str], typer.Option("--node-monitor-period", help="How often node health is checked (default: 5s, or a quarter of the grace period if shorter).")]
NotReadySeconds = Annotated[int, typer.Option("--default-not-ready-toleration-seconds", help="tolerationSeconds of the not-ready:NoExecute toleration every pod gets.")]
UnreachableSeconds = Annotated[int, typer.Option("--default-unreachable-toleration-seconds", help="tolerationSeconds of the unreachable:NoExecute toleration every pod gets.")]
ClusterDns = Annotated[Optional[str], typer.Option("--cluster-dns", help="The loopback address of the cluster DNS server that pods' resolv.conf names (default: the last address of --service-cluster-ip-range, 127.96.255.254).")]
EvictionHard = Annotated[Optional[str], typer.Option("--eviction-hard", help="The kubelet's hard eviction thresholds, which set the MemoryPressure, DiskPressure and PIDPressure conditions (a node under pressure is tainted NoSchedule; running pods are not evicted). Default: memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%.")]
ServiceRange = Annotated[Optional[str], typer.Option("--service-cluster-ip-range", help="The loopback range Services' cluster IPs come from, kept in the store (default: the store's, 127.96.0.0/16 for a new one); a second daemon on this machine needs its own, as it needs its own --pod-cidr.")]
LeaseSeconds = Annotated[Optional[int], typer.Option("--node-lease-duration-seconds", help="Node lease duration; renewed every quarter of it (default 40, or the grace period if shorter).")]
ProxyMode = Annotated[str, typer.Option("--proxy-mode", help="How Services are proxied: nftables (cluster IPs DNAT'd by the kernel; needs libnftables and CAP_NET_ADMIN), userspace (a relay in the daemon), or auto: nftables when usable, else userspace. NodePorts are relayed in either mode.")]
PROXY_MODES = ("auto", "nftables", "userspace")
DEFAULT_CIDR = "127.16.0.0/16"
MAX_NODES = 100


@dataclass
class DaemonOptions:
    """Every flag of `daemon` and `daemon start`, checked at once (Complete/Validate)."""

    node_name: str | None = None
    pod_cidr: str | None = None
    address: str = "127.0.0.1"
    api_port: int = 0
    nodes: int = 1
    join: bool = False
    capacity: str | None = None
    reserved: str | None = None
    labels: str | None = None
    taints: str | None = None
    grace: str = "40s"
    monitor: str | None = None
    not_ready_seconds: int = 300
    unreachable_seconds: int = 300
    lease_seconds: int | None = None
    cluster_dns: str | None = None
    proxy_mode: str = "auto"
    service_cidr: str | None = None
    eviction_hard: str | None = None

    def validate(self) -> dict:
        """The parsed settings; a UsageError in pflag's words for any bad value."""
        from minikctl import errors
        from minikctl.cli import durations
        from minikctl.daemon import nodeconfig

        if self.proxy_mode not in PROXY_MODES:
            raise errors.UsageError(f'invalid argument "{self.proxy_mode}" for "--proxy-mode" flag: '
                                    f"must be one of {', '.join(PROXY_MODES)}", "daemon")
        if self.nodes < 1 or self.nodes > MAX_NODES:
            raise errors.UsageError(f'invalid argument "{self.nodes}" for "--nodes" flag: must be between 1 and {MAX_NODES}',
                                    "daemon")
        if self.join and self.nodes != 1:
            raise errors.UsageError("--join and --nodes cannot be used together: a joining agent is one node", "daemon")
        if self.join and not self.node_name:
            raise errors.UsageError("--join needs --node-name: the name of the node this agent registers", "daemon")
        if self.node_name:
            nodeconfig.check_node_name(self.node_name)
        services = nodeconfig.parse_service_range(self.service_cidr) if self.service_cidr else None
        nodeconfig.parse_cidr("--pod-cidr", self.pod_cidr or DEFAULT_CIDR, services)
        grace = durations.parse(self.grace, "--node-monitor-grace-period", "daemon")
        if grace <= 0:
            raise errors.UsageError(f'invalid argument "{self.grace}" for "--node-monitor-grace-period" flag: '
                                    "must be greater than 0", "daemon")
        lifecycle: dict = {"grace_period": grace, "not_ready_toleration_seconds": self.not_ready_seconds,
                           "unreachable_toleration_seconds": self.unreachable_seconds}
        if self.monitor is not None:
            lifecycle["monitor_period"] = durations.parse(self.monitor, "--node-monitor-period", "daemon")
            if lifecycle["monitor_period"] <= 0:
                raise errors.UsageError(f'invalid argument "{self.monitor}" for "--node-monitor-period" flag: '
                                        "must be greater than 0", "daemon")
        for flag, value in (("--default-not-ready-toleration-seconds", self.not_ready_seconds),
                            ("--default-unreachable-toleration-seconds", self.unreachable_seconds),
                            ("--node-lease-duration-seconds", self.lease_seconds)):
            if value is not None and value < (1 if flag == "--node-lease-duration-seconds" else 0):
                raise errors.UsageError(f'invalid argument "{value}" for "{flag}" flag: must not be negative'
                                        if value < 0 else f'invalid argument "{value}" for "{flag}" flag: must be at least 1',
                                        "daemon")
        # A heartbeat must come well within the grace period, or healthy nodes flap.
        lifecycle["node_lease_seconds"] = self.lease_seconds or max(1, min(40, int(grace)))
        template = nodeconfig.NodeConfig(
            name=self.node_name or "", pod_cidr=self.pod_cidr or DEFAULT_CIDR,
            capacity=nodeconfig.parse_resources("--node-capacity", self.capacity),
            reserved=nodeconfig.parse_resources("--kube-reserved", self.reserved),
            labels=nodeconfig.parse_labels(self.labels), taints=nodeconfig.parse_taints(self.taints))
        if self.cluster_dns is not None:
            template.cluster_dns = nodeconfig.parse_cluster_dns(self.cluster_dns)
        if self.eviction_hard is not None:
            template.eviction_hard = nodeconfig.parse_eviction_hard(self.eviction_hard)
        return {"lifecycle": lifecycle, "template": template, "service_cidr": str(services) if services else None}

    def args(self) -> list[str]:
        """The same flags for the background process (`daemon start`)."""
        out: list[str] = []
        for flag, value in (("--node-name", self.node_name), ("--pod-cidr", self.pod_cidr),
                            ("--node-capacity", self.capacity), ("--kube-reserved", self.reserved),
                            ("--node-labels", self.labels), ("--register-with-taints", self.taints),
                            ("--node-monitor-period", self.monitor), ("--node-lease-duration-seconds", self.lease_seconds),
                            ("--cluster-dns", self.cluster_dns), ("--service-cluster-ip-range", self.service_cidr),
                            ("--eviction-hard", self.eviction_hard)):
            if value is not None:
                out += [flag, str(value)]
        out += ["--node-monitor-grace-period", self.grace,
                "--default-not-ready-toleration-seconds", str(self.not_ready_seconds),
                "--default-unreachable-toleration-seconds", str(self.unreachable_seconds)]
        if self.join:
            return out + ["--join"]
        return out + ["--nodes", str(self.nodes), "--address", self.address, "--api-port", str(self.api_port),
                      "--proxy-mode", self.proxy_mode]


def register(app: typer.Typer) -> None:
    daemon_app = typer.Typer(help=HELP, rich_markup_mode=None,
                             context_settings={"help_option_names": ["-h", "--help"]})

    @daemon_app.callback(invoke_without_command=True)
    def daemon(ctx: typer.Context, node_name: NodeName = None, pod_cidr: PodCidr = None,
               address: Address = "127.0.0.1", api_port: ApiPort = 0, nodes: Nodes = 1, join: Join = False,
               node_capacity: Capacity = None, kube_reserved: Reserved = None, node_labels: Labels = None,
               register_with_taints: Taints = None, node_monitor_grace_period: Grace = "40s",
               node_monitor_period: Monitor = None, default_not_ready_toleration_seconds: NotReadySeconds = 300,
               default_unreachable_toleration_seconds: UnreachableSeconds = 300,
               node_lease_duration_seconds: LeaseSeconds = None, cluster_dns: ClusterDns = None,
               proxy_mode: ProxyMode = "auto", service_cluster_ip_range: ServiceRange = None,
              eviction_hard: EvictionHard = None) -> None:
        if ctx.invoked_subcommand:
            return
        from minikctl import home
        from minikctl.cli import state

        opts = DaemonOptions(node_name, pod_cidr, address, api_port, nodes, join, node_capacity, kube_reserved,
                             node_labels, register_with_taints, node_monitor_grace_period, node_monitor_period,
                             default_not_ready_toleration_seconds, default_unreachable_toleration_seconds,
                             node_lease_duration_seconds, cluster_dns, proxy_mode, service_cluster_ip_range,
                             eviction_hard)
        settings = opts.validate()
        if join:
            from minikctl.daemon import agent, runner

            runner.configure_logging(state.verbose)
            template = settings["template"]
            state.exit_code = agent.run_join(template, home=home.home(), explicit_cidr=pod_cidr is not None,
                                             lease_seconds=settings["lifecycle"]["node_lease_seconds"])
            return
        from minikctl.daemon import runner

        state.exit_code = runner.run_foreground(node_name=node_name, verbose=state.verbose,
                                                pod_cidr=pod_cidr or DEFAULT_CIDR, address=address,
                                                api_port=api_port, nodes=nodes, node_template=settings["template"],
                                                lifecycle=settings["lifecycle"], proxy_mode=proxy_mode,
                                                service_cidr=settings["service_cidr"])

    @daemon_app.command("start", help="Start the daemon (or, with --join, a node agent) in the background and wait until it is ready.")
    def start(node_name: NodeName = None, pod_cidr: PodCidr = None, address: Address = "127.0.0.1",
              api_port: ApiPort = 0, nodes: Nodes = 1, join: Join = False,
              node_capacity: Capacity = None, kube_reserved: Reserved = None, node_labels: Labels = None,
              register_with_taints: Taints = None, node_monitor_grace_period: Grace = "40s",
              node_monitor_period: Monitor = None, default_not_ready_toleration_seconds: NotReadySeconds = 300,
              default_unreachable_toleration_seconds: UnreachableSeconds = 300,
              node_lease_duration_seconds: LeaseSeconds = None, cluster_dns: ClusterDns = None,
              proxy_mode: ProxyMode = "auto", service_cluster_ip_range: ServiceRange = None,
              eviction_hard: EvictionHard = None) -> None:
        from minikctl import home
        from minikctl.daemon import process

        opts = DaemonOptions(node_name, pod_cidr, address, api_port, nodes, join, node_capacity, kube_reserved,
                             node_labels, register_with_taints, node_monitor_grace_period, node_monitor_period,
                             default_not_ready_toleration_seconds, default_unreachable_toleration_seconds,
                             node_lease_duration_seconds, cluster_dns, proxy_mode, service_cluster_ip_range,
                             eviction_hard)
        opts.validate()
        _check_names(home.home(), opts)
        if join:
            state_file = process.agent_state_file(str(node_name))
            info = process.start_background(home.home(), opts.args(), state_file=state_file,
                                            log_file=state_file[:-len(".json")] + ".log")
            typer.echo(f"minikctl node agent started (pid {info['pid']}, node {info['node']}, "
                       f"pod CIDR {info['pod_cidr']})\nlog: {home.home()}/{state_file[:-len('.json')]}.log")
            return
        info = process.start_background(home.home(), opts.args())
        names = ", ".join(info.get("nodes") or [info["node"]])
        typer.echo(f"minikctl daemon started (pid {info['pid']}, node{'s' if len(info.get('nodes') or []) > 1 else ''} "
                   f"{names}, API {info['api_url']})\n"
                   f"log: {home.home()}/{process.LOG_FILE}\n"
                   f"kubectl: export KUBECONFIG={info['kubeconfig']}")

    @daemon_app.command("stop", help="Stop the background daemon (or the node agent --node-name joined); pods keep running unless --all.")
    def stop(
        all_pods: Annotated[bool, typer.Option("--all", help="Also stop every pod, gracefully (as `minikctl down`).")] = False,
        node_name: Annotated[Optional[str], typer.Option("--node-name", help="Stop the node agent started with --join --node-name NAME instead.")] = None,
    ) -> None:
        from minikctl import home
        from minikctl.daemon import process

        if node_name:
            info = process.stop(home.home(), all_pods=all_pods, state_file=process.agent_state_file(node_name))
            if info is None:
                typer.echo(f"no node agent for {node_name} is running")
                return
            typer.echo(f"minikctl node agent {node_name} stopped (pid {info['pid']})" +
                       ("; its pods stopped" if all_pods else "; its pods keep running"))
            return
        info = process.stop(home.home(), all_pods=all_pods)
        if info is None:
            typer.echo("minikctl daemon is not running")
            return
        typer.echo(f"minikctl daemon stopped (pid {info['pid']})" + ("; every pod stopped" if all_pods else
                                                                        "; pods keep running"))

    @daemon_app.command("status", help="Say whether the daemon runs: pid, uptime, nodes, pods, joined node agents.")
    def status() -> None:
        from minikctl import home
        from minikctl.cli import state
        from minikctl.cli.printers import human_duration
        from minikctl.daemon import process

        info = process.read_state(home.home())
        agents = _agents(home.home())
        if info is None:
            typer.echo("minikctl daemon is not running")
            for agent in agents:
                typer.echo(f"  node agent: {agent['node']} (pid {agent['pid']}, pod CIDR {agent.get('pod_cidr', '')})")
            state.exit_code = 3  # as `systemctl status` / LSB: program is not running
            return
        import time

        from minikctl.api import kinds

        names = list(info.get("nodes") or [info["node"]])
        pods, _ = state.client().list(kinds.by_kind("Pod"), None)
        mine = [p for p in pods if (p.get("spec") or {}).get("nodeName") in names]
        running = sum(1 for p in mine if (p.get("status") or {}).get("phase") == "Running")
        node_line = (f"{info['node']} (pod CIDR {info.get('pod_cidr', '')})" if len(names) == 1 else
                     f"{', '.join(names)} (pod CIDR {info.get('cluster_cidr', '')})")
        typer.echo(f"minikctl daemon is running\n  pid:      {info['pid']}\n"
                   f"  uptime:   {human_duration(time.time() - info['started_at'])}\n"
                   f"  {'nodes:' if len(names) > 1 else 'node:':<10}{node_line}\n"
                   f"  pods:     {len(mine)} on {'these nodes' if len(names) > 1 else 'this node'}, {running} running\n"
                   f"  API:      {info.get('api_url', '')} (kubeconfig {info.get('kubeconfig', '')})\n"
                   f"  log:      {home.home()}/{process.LOG_FILE}")
        for agent in agents:
            typer.echo(f"  joined:   {agent['node']} (pid {agent['pid']}, pod CIDR {agent.get('pod_cidr', '')})")

    app.add_typer(daemon_app, name="daemon", help=HELP)  # here too: main.py keeps the examples' layout


def _check_names(home: str, opts: DaemonOptions) -> None:
    """One node, one kubelet: refuse (before starting anything) a name a running daemon
    or joined agent already runs, as the started process itself would."""
    from minikctl import errors
    from minikctl.daemon import nodeconfig, process, runner

    daemon = process.read_state(home) or {}
    if opts.join:
        if opts.node_name in (daemon.get("nodes") or [daemon.get("node")]):
            raise errors.MinikctlError(f'node "{opts.node_name}" is run by the daemon (pid {daemon["pid"]}) '
                                       "already: give the joining node another --node-name")
        return
    for name in nodeconfig.node_names(opts.node_name or runner.default_node_name(), opts.nodes):
        agent = process.read_state(home, process.agent_state_file(name))
        if agent:
            raise errors.MinikctlError(f'node "{name}" is run by a joined node agent (pid {agent["pid"]}): '
                                       "stop it first (daemon stop --node-name NAME) or choose another --node-name")


def _agents(home: str) -> list[dict]:
    """The node agents started with --join that still run."""
    import os

    from minikctl.daemon import process

    out = []
    try:
        names = sorted(n for n in os.listdir(os.path.join(home, "agents")) if n.endswith(".json"))
    except OSError:
        return out
    for name in names:
        info = process.read_state(home, os.path.join("agents", name))
        if info is not None:
            out.append(info)
    return out
