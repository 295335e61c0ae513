"""`minikctl daemon`: run the control plane and node agent (foreground), or manage a
background one with `daemon start|stop|status`."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

HELP = """Run the control plane and this machine's node agent.

With no subcommand the daemon runs in the foreground until Ctrl-C or SIGTERM; pods keep
running after it stops and are adopted when it starts again.

Examples:
  # Run in the foreground
  minikctl daemon

  # Run in the background, check it, stop it (pods keep running)
  minikctl daemon start
  minikctl daemon status
  minikctl daemon stop
"""

NodeName = Annotated[Optional[str], typer.Option("--node-name", help="The name of this node (default: the host name).")]
PodCidr = Annotated[str, typer.Option("--pod-cidr", help="The loopback range this node's pod IPs come from.")]
Address = Annotated[str, typer.Option("--address", help="The address the API server listens on (loopback unless you say otherwise).")]
ApiPort = Annotated[int, typer.Option("--api-port", help="The API server's port (0: the last one used, else any free port).")]
DEFAULT_CIDR = "127.16.0.0/16"


def _args(node_name: str | None, pod_cidr: str, address: str, api_port: int) -> list[str]:
    args = ["--node-name", node_name] if node_name else []
    return args + ["--pod-cidr", pod_cidr, "--address", address, "--api-port", str(api_port)]


def register(app: typer.Typer) -> None:
    daemon_app = typer.Typer(help=HELP, rich_markup_mode=None,
                             context_settings={"help_option_names": ["-h", "--help"]})

    @daemon_app.callback(invoke_without_command=True)
    def daemon(ctx: typer.Context, node_name: NodeName = None, pod_cidr: PodCidr = DEFAULT_CIDR,
               address: Address = "127.0.0.1", api_port: ApiPort = 0) -> None:
        if ctx.invoked_subcommand:
            return
        from minikctl.cli import state
        from minikctl.daemon import runner

        state.exit_code = runner.run_foreground(node_name=node_name, verbose=state.verbose, pod_cidr=pod_cidr,
                                                address=address, api_port=api_port)

    @daemon_app.command("start", help="Start the daemon in the background and wait until it is ready.")
    def start(node_name: NodeName = None, pod_cidr: PodCidr = DEFAULT_CIDR, address: Address = "127.0.0.1",
              api_port: ApiPort = 0) -> None:
        from minikctl import home
        from minikctl.daemon import process

        info = process.start_background(home.home(), _args(node_name, pod_cidr, address, api_port))
        typer.echo(f"minikctl daemon started (pid {info['pid']}, node {info['node']}, API {info['api_url']})\n"
                   f"log: {home.home()}/{process.LOG_FILE}\n"
                   f"kubectl: export KUBECONFIG={info['kubeconfig']}")

    @daemon_app.command("stop", help="Stop the background daemon; pods keep running unless --all.")
    def stop(
        all_pods: Annotated[bool, typer.Option("--all", help="Also stop every pod, gracefully (as `minikctl down`).")] = False,
    ) -> None:
        from minikctl import home
        from minikctl.daemon import process

        info = process.stop(home.home(), all_pods=all_pods)
        if info is None:
            typer.echo("minikctl daemon is not running")
            return
        typer.echo(f"minikctl daemon stopped (pid {info['pid']})" + ("; every pod stopped" if all_pods else
                                                                        "; pods keep running"))

    @daemon_app.command("status", help="Say whether the daemon runs: pid, uptime, node, pods.")
    def status() -> None:
        from minikctl import home
        from minikctl.cli import state
        from minikctl.cli.printers import human_duration
        from minikctl.daemon import process

        info = process.read_state(home.home())
        if info is None:
            typer.echo("minikctl daemon is not running")
            state.exit_code = 3  # as `systemctl status` / LSB: program is not running
            return
        import time

        from minikctl.api import kinds

        pods, _ = state.client().list(kinds.by_kind("Pod"), None, field_selector=f"spec.nodeName={info['node']}")
        running = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Running")
        typer.echo(f"minikctl daemon is running\n  pid:      {info['pid']}\n"
                   f"  uptime:   {human_duration(time.time() - info['started_at'])}\n"
                   f"  node:     {info['node']} (pod CIDR {info.get('pod_cidr', '')})\n"
                   f"  pods:     {len(pods)} on this node, {running} running\n"
                   f"  API:      {info.get('api_url', '')} (kubeconfig {info.get('kubeconfig', '')})\n"
                   f"  log:      {home.home()}/{process.LOG_FILE}")

    app.add_typer(daemon_app, name="daemon")
