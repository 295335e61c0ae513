"""`minikctl top node`: CPU and memory per node, as `kubectl top node` prints them.

    NAME    CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)
    vm      12m          0%       34Mi            0%

minikctl's nodes share one machine, so a node's usage is what its pods use: the process
trees of its running containers, measured now (runtime/procstat.py, CPU over a quarter
of a second), not the whole machine as metrics-server would report it. Percentages are
of the node's allocatable (of its capacity with --show-capacity). A node that is not
Ready has no metrics: `<unknown>`, as kubectl prints a node metrics-server has not scraped.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated, Any, Optional

import typer

from minikctl import errors

HELP = """Display resource (CPU/memory) usage of nodes.

The top-node command allows you to see the resource consumption of nodes.

In minikctl every node runs on this machine: a node's usage is that of the processes of its pods, measured when you ask.
"""
EXAMPLES = """
Examples:
  # Show metrics for all nodes
  minikctl top node

  # Show metrics for a given node
  minikctl top node NODE_NAME
"""
UNKNOWN = "<unknown>"


@dataclass
class NodeUsage:
    node: dict
    cpu: int | None = None  # millicores; None: no metrics
    memory: int | None = None  # bytes

    @property
    def name(self) -> str:
        return self.node["metadata"]["name"]


@dataclass
class TopNodeOptions:
    args: list[str]
    selector: str | None = None
    no_headers: bool = False
    sort_by: str = ""
    show_capacity: bool = False

    def validate(self) -> None:
        if len(self.args) > 1:
            raise errors.UsageError("node [NAME | -l label]", "top node")
        if self.sort_by and self.sort_by not in ("cpu", "memory"):
            raise errors.MinikctlError("--sort-by accepts only cpu or memory")
        if self.args and self.selector:
            raise errors.MinikctlError("only one of NAME or selector can be provided")

    def run(self) -> int:
        from minikctl.api import kinds
        from minikctl.cli import state

        client = state.client()
        if self.args:
            try:
                nodes = [client.get(kinds.by_kind("Node"), "", self.args[0])]
            except errors.NotFound:
                from minikctl.cli.top import NoMetrics

                raise NoMetrics(f'nodemetrics.metrics.k8s.io "{self.args[0]}" not found', kind="nodemetrics",
                                name=self.args[0]) from None
        else:
            nodes, _ = client.list(kinds.by_kind("Node"), label_selector=self.selector)
        if not nodes:
            raise errors.MinikctlError("metrics not available yet")
        pods, _ = client.list(kinds.by_kind("Pod"), None)
        sys.stdout.write(self.table(measure_nodes(nodes, pods)))
        return 0

    def table(self, usages: list[NodeUsage]) -> str:
        from minikctl.cli.printers import tabwriter

        if self.sort_by:
            key = (lambda u: -(u.cpu or 0)) if self.sort_by == "cpu" else (lambda u: -(u.memory or 0))
            usages = sorted(usages, key=key)
        lines = [] if self.no_headers else [["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]]
        for u in usages:
            if u.cpu is None or u.memory is None:
                lines.append([u.name, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN])
                continue
            cpu_total, memory_total = self._totals(u.node)
            lines.append([u.name, f"{u.cpu}m", _percent(u.cpu, cpu_total),
                          f"{u.memory // (1024 * 1024)}Mi", _percent(u.memory, memory_total)])
        # As `top pod`: every cell ends with a tab, so columns are padded to the end.
        return tabwriter.format_text("".join("".join(f"{c}\t" for c in line) + "\n" for line in lines),
                                     minwidth=tabwriter.TABLE_MINWIDTH, padding=tabwriter.TABLE_PADDING)

    def _totals(self, node: dict) -> tuple[int, int]:
        from minikctl.api.quantity import parse_quantity

        status = node.get("status") or {}
        values = (status.get("capacity") if self.show_capacity else status.get("allocatable")) or {}
        cpu, memory = values.get("cpu"), values.get("memory")
        return (parse_quantity(cpu).milli_value if cpu else 0, parse_quantity(memory).int_value if memory else 0)


def _percent(used: int, total: int) -> str:
    return f"{int(used * 100 / total)}%" if total else UNKNOWN


def _ready(node: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (node.get("status") or {}).get("conditions") or [])


def measure_nodes(nodes: list[dict], pods: list[dict]) -> list[NodeUsage]:
    """Each Ready node's usage: the sum over its running pods (one sampling for all)."""
    from minikctl.cli import top

    names = {n["metadata"]["name"] for n in nodes if _ready(n)}
    on_nodes = [p for p in pods if (p.get("spec") or {}).get("nodeName") in names]
    per_node: dict[str, list[int]] = {name: [0, 0] for name in names}
    for usage in top.measure(on_nodes):
        totals = per_node[usage.pod["spec"]["nodeName"]]
        totals[0] += usage.cpu
        totals[1] += usage.memory
    out = []
    for node in sorted(nodes, key=lambda n: n["metadata"]["name"]):
        totals = per_node.get(node["metadata"]["name"])
        out.append(NodeUsage(node, *(totals if totals is not None else (None, None))))
    return out


def register_command(top_app: Any, goflags: Any) -> None:
    """`top node` (aliases node, nodes, no) on the `top` group of cli/top.py."""
    from minikctl.cli.top import kept_layout

    @top_app.command("node", cls=goflags.GoFlagsCommand,
                     help=kept_layout(HELP + "\nAliases:\n  node, nodes, no\n" + EXAMPLES))
    def node(
        args: Annotated[Optional[list[str]], typer.Argument(metavar="[NAME | -l label]")] = None,
        selector: Annotated[Optional[str], typer.Option("--selector", "-l", help="Selector (label query) to filter on, supports '=', '==', '!=', 'in', 'notin'.(e.g. -l key1=value1,key2=value2).")] = None,
        no_headers: Annotated[bool, typer.Option("--no-headers", help="If present, print output without headers")] = False,
        sort_by: Annotated[str, typer.Option("--sort-by", help="If non-empty, sort nodes list using specified field. The field can be either 'cpu' or 'memory'.")] = "",
        show_capacity: Annotated[bool, typer.Option("--show-capacity", help="Print node resources based on Capacity instead of Allocatable(default) of the nodes.")] = False,
        use_protocol_buffers: Annotated[bool, typer.Option("--use-protocol-buffers", help="Accepted for kubectl compatibility.")] = True,
    ) -> None:
        from minikctl.cli import state

        opts = TopNodeOptions(list(args or []), selector, no_headers, sort_by, show_capacity)
        opts.validate()
        state.exit_code = opts.run()
