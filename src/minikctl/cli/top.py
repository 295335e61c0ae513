"""`minikctl top pod`: CPU and memory of running pods, as `kubectl top pod` prints them.

There is no metrics server: each container's usage is measured here and now from its
process tree (runtime/procstat.py), CPU over a quarter of a second. Pods that are not
running have no metrics and are left out, as metrics-server leaves them out; when
nothing matching runs, the errors are kubectl's (`metrics not available yet`).

    NAME      CPU(cores)   MEMORY(bytes)
    web-abc   12m          34Mi
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from minikctl import errors
from minikctl.cli import goflags, options

HELP = """Display resource (CPU/memory) usage of pods.

The 'top pod' command allows you to see the resource consumption of pods.

In minikctl every container is a local process: its usage is measured from its process tree when you ask.
"""
EXAMPLES = """
Examples:
  # Show metrics for all pods in the default namespace
  minikctl top pod

  # Show metrics for all pods in the given namespace
  minikctl top pod --namespace=NAMESPACE

  # Show metrics for a given pod and its containers
  minikctl top pod POD_NAME --containers

  # Show metrics for the pods defined by label name=myLabel
  minikctl top pod -l name=myLabel
"""
TOP_HELP = "Display resource (CPU/memory) usage.\n\nThe top command allows you to see the resource consumption for nodes or pods."
METRICS_DELAY_SECONDS = 120  # kubectl's metricsCreationDelay: younger pods may simply not be measured yet


@dataclass
class PodUsage:
    pod: dict
    containers: dict[str, tuple[int, int]] = field(default_factory=dict)  # name -> (millicores, bytes)

    @property
    def namespace(self) -> str:
        return self.pod["metadata"].get("namespace", "")

    @property
    def name(self) -> str:
        return self.pod["metadata"]["name"]

    @property
    def cpu(self) -> int:
        return sum(c for c, _ in self.containers.values())

    @property
    def memory(self) -> int:
        return sum(m for _, m in self.containers.values())


@dataclass
class TopPodOptions:
    args: list[str]
    namespace: str | None = None
    all_namespaces: bool = False
    selector: str | None = None
    field_selector: str | None = None
    containers: bool = False
    no_headers: bool = False
    sort_by: str = ""
    sum: bool = False
    name: str = ""

    def validate(self) -> None:
        if len(self.args) > 1:
            raise errors.UsageError("pod [NAME | -l label]", "top pod")
        self.name = self.args[0] if self.args else ""
        if self.sort_by and self.sort_by not in ("cpu", "memory"):
            raise errors.MinikctlError("--sort-by accepts only cpu or memory")
        if self.name and (self.selector or self.field_selector):
            raise errors.MinikctlError("only one of NAME or selector can be provided")

    def run(self) -> int:
        from minikctl.cli import state

        client = state.client()
        pods = self._pods(client)
        usages = measure(pods)
        if not usages:
            self._explain_no_metrics(pods)
            return 0
        sys.stdout.write(self._table(usages))
        return 0

    def _pods(self, client: Any) -> list[dict]:
        from minikctl.api import kinds

        ns = self.namespace or "default"
        if self.name:
            try:
                return [client.get(kinds.by_kind("Pod"), ns, self.name)]
            except errors.NotFound:
                raise _no_pod_metrics(ns, self.name) from None
        pods, _ = client.list(kinds.by_kind("Pod"), None if self.all_namespaces else ns,
                              label_selector=self.selector, field_selector=self.field_selector)
        return pods

    def _explain_no_metrics(self, pods: list[dict]) -> None:
        """verifyEmptyMetrics: nothing to show; say why as kubectl would."""
        from minikctl.cli import durations
        from minikctl.cli.printers.age import parse_time

        ns = self.namespace or "default"
        if self.name:
            raise _no_pod_metrics(ns, self.name)
        if not pods:
            print("No resources found" if self.all_namespaces else f"No resources found in {ns} namespace.",
                  file=sys.stderr)
            return
        for pod in pods:
            created = parse_time(pod["metadata"].get("creationTimestamp"))
            pod_age = time.time() - created.timestamp() if created else 0.0
            if pod_age > METRICS_DELAY_SECONDS:
                raise errors.MinikctlError(f"Metrics not available for pod {pod['metadata'].get('namespace', '')}/"
                                           f"{pod['metadata']['name']}, age: {durations.go_string(pod_age)}")
        raise errors.MinikctlError("metrics not available yet")

    def _table(self, usages: list[PodUsage]) -> str:
        from minikctl.cli.printers import tabwriter

        usages = sort_pods(usages, self.sort_by, self.all_namespaces)
        lines = []
        if not self.no_headers:
            head = (["NAMESPACE"] if self.all_namespaces else []) + (["POD"] if self.containers else [])
            lines.append(head + ["NAME", "CPU(cores)", "MEMORY(bytes)"])
        for u in usages:
            prefix = [u.namespace] if self.all_namespaces else []
            if self.containers:
                for name, (cpu, mem) in sort_containers(u.containers, self.sort_by):
                    lines.append(prefix + [u.name, name, f"{cpu}m", f"{mem // (1024 * 1024)}Mi"])
            else:
                lines.append(prefix + [u.name, f"{u.cpu}m", f"{u.memory // (1024 * 1024)}Mi"])
        if self.sum:
            # kubectl counts the NAMESPACE and POD columns only when it printed their headers.
            width = 3 + (0 if self.no_headers else int(self.all_namespaces) + int(self.containers))
            lines.extend(self._sum_lines(usages, width))
        # kubectl ends every cell with a tab, the last one too: columns are padded to the end.
        return tabwriter.format_text("".join("".join(f"{c}\t" for c in line) + "\n" for line in lines),
                                     minwidth=tabwriter.TABLE_MINWIDTH, padding=tabwriter.TABLE_PADDING)

    def _sum_lines(self, usages: list[PodUsage], width: int) -> list[list[str]]:
        cpu, mem = sum(u.cpu for u in usages), sum(u.memory for u in usages)
        return [[""] * (width - 2) + ["________", "________"],
                [""] * (width - 3) + ["", f"{cpu}m", f"{mem // (1024 * 1024)}Mi"]]


class NoMetrics(errors.StatusError):
    """What metrics-server answers for a pod it has no metrics for (404)."""

    code = 404
    reason = "NotFound"


def _no_pod_metrics(namespace: str, name: str) -> errors.StatusError:
    return NoMetrics(f'podmetrics.metrics.k8s.io "{namespace}/{name}" not found', kind="podmetrics", name=name)


def measure(pods: list[dict]) -> list[PodUsage]:
    """Usage of every running pod whose containers have live processes."""
    from minikctl.cli import podfiles
    from minikctl.runtime import procstat

    roots: dict[str, int] = {}
    for i, pod in enumerate(pods):
        if (pod.get("status") or {}).get("phase") != "Running":
            continue
        for c in (pod.get("spec") or {}).get("containers") or []:
            proc = podfiles.process(pod, c.get("name", ""))
            if proc is not None:
                roots[f"{i}\0{c.get('name', '')}"] = proc.pid
    if not roots:
        return []
    measured = procstat.sample(roots)
    usages: dict[int, PodUsage] = {}
    for key, usage in measured.items():
        index, _, container = key.partition("\0")
        pod_usage = usages.setdefault(int(index), PodUsage(pods[int(index)]))
        pod_usage.containers[container] = (usage.cpu_millicores, usage.memory_bytes)
    return [usages[i] for i in sorted(usages)]


def sort_pods(usages: list[PodUsage], sort_by: str, with_namespace: bool) -> list[PodUsage]:
    if sort_by == "cpu":
        return sorted(usages, key=lambda u: -u.cpu)
    if sort_by == "memory":
        return sorted(usages, key=lambda u: -u.memory)
    return sorted(usages, key=lambda u: (u.namespace if with_namespace else "", u.name))


def sort_containers(containers: dict[str, tuple[int, int]], sort_by: str) -> list[tuple[str, tuple[int, int]]]:
    items = list(containers.items())
    if sort_by == "cpu":
        return sorted(items, key=lambda kv: -kv[1][0])
    if sort_by == "memory":
        return sorted(items, key=lambda kv: -kv[1][1])
    return sorted(items)


def kept_layout(text: str) -> str:
    """Subcommands' help is not seen by main.py's layout keeper: keep the examples as written."""
    from minikctl.cli import main

    return main._keep_layout(text) or text


class _TopGroup(TyperGroup):
    """`top pods`/`top po` are `top pod`, `top nodes`/`top no` are `top node` (kubectl's
    aliases), resolved without extra commands."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        aliases = {"pods": "pod", "po": "pod", "nodes": "node", "no": "node"}
        return super().get_command(ctx, aliases.get(cmd_name, cmd_name))


def register(app: typer.Typer) -> None:
    top = typer.Typer(help=TOP_HELP, no_args_is_help=True, rich_markup_mode=None, cls=_TopGroup)

    @top.command("pod", cls=goflags.GoFlagsCommand, help=kept_layout(HELP + "\nAliases:\n  pod, pods, po\n" + EXAMPLES))
    def pod(
        args: Annotated[Optional[list[str]], typer.Argument(metavar="[NAME | -l label]")] = None,
        namespace: options.Namespace = None,
        all_namespaces: options.AllNamespaces = False,
        selector: options.Selector = None,
        field_selector: options.FieldSelector = None,
        containers: Annotated[bool, typer.Option("--containers", help="If present, print usage of containers within a pod.")] = False,
        no_headers: Annotated[bool, typer.Option("--no-headers", help="If present, print output without headers.")] = False,
        sort_by: Annotated[str, typer.Option("--sort-by", help="If non-empty, sort pods list using specified field. The field can be either 'cpu' or 'memory'.")] = "",
        sum_: Annotated[bool, typer.Option("--sum", help="Print the sum of the resource usage")] = False,
        use_protocol_buffers: Annotated[bool, typer.Option("--use-protocol-buffers", help="Accepted for kubectl compatibility.")] = True,
    ) -> None:
        from minikctl.cli import state

        opts = TopPodOptions(list(args or []), namespace, all_namespaces, selector, field_selector, containers,
                             no_headers, sort_by, sum_)
        opts.validate()
        state.exit_code = opts.run()

    from minikctl.cli import top_node

    top_node.register_command(top, goflags)
    app.add_typer(top, name="top", help=TOP_HELP, cls=_TopGroup)
