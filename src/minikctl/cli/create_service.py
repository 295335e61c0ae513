"""`minikctl create service clusterip|nodeport|loadbalancer|externalname NAME
--tcp=port[:targetPort]...`, as kubectl's create service: label and selector app=NAME,
one TCP port per --tcp named after it (`5678:8080` is port 5678-8080)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Annotated, Optional

import typer

from minikctl.cli import options
from minikctl.cli.create import SharedFlags, generator
from minikctl.cli.goflags import GoFlagsCommand

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_PORT_NAME_CHARS = re.compile(r"^[-a-z0-9]+$")
_DECIMAL = re.compile(r"^[+-]?[0-9]+$")

Tcp = Annotated[Optional[list[str]], typer.Option("--tcp", help="Port pairs can be specified as '<port>:<targetPort>'.")]
# kubectl's help for each type, and its example.
TYPES = {
    "clusterip": ("ClusterIP", "Create a ClusterIP service with the specified name.",
                  "  # Create a new ClusterIP service named my-cs\n  minikctl create service clusterip my-cs --tcp=5678:8080\n\n"
                  "  # Create a new ClusterIP service named my-cs (in headless mode)\n"
                  "  minikctl create service clusterip my-cs --clusterip=\"None\""),
    "nodeport": ("NodePort", "Create a NodePort service with the specified name.",
                 "  # Create a new NodePort service named my-ns\n  minikctl create service nodeport my-ns --tcp=5678:8080"),
    "loadbalancer": ("LoadBalancer", "Create a LoadBalancer service with the specified name.",
                     "  # Create a new LoadBalancer service named my-lbs\n"
                     "  minikctl create service loadbalancer my-lbs --tcp=5678:8080"),
    "externalname": ("ExternalName", "Create an ExternalName service with the specified name.\n\n ExternalName "
                     "service references to an external DNS address instead of only pods, which will allow application "
                     "authors to reference services that exist off platform, on other clusters, or locally.",
                     "  # Create a new ExternalName service named my-ns\n"
                     "  minikctl create service externalname my-ns --external-name bar.com"),
}


def port_num(text: str) -> int:
    """utilnet.ParsePort(text, allowZero=true): strconv.ParseUint(text, 10, 16)."""
    from minikctl import errors

    if not text.isascii() or not text.isdigit():
        raise errors.MinikctlError(f'strconv.ParseUint: parsing "{text}": invalid syntax')
    if int(text) > 65535:
        raise errors.MinikctlError(f'strconv.ParseUint: parsing "{text}": value out of range')
    return int(text)


def port_name_errors(name: str) -> list[str]:
    """k8s validation.IsValidPortName (an IANA_SVC_NAME)."""
    errs = []
    if len(name) > 15:
        errs.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS.match(name):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", name):
        errs.append("must contain at least one letter (a-z)")
    if "--" in name:
        errs.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def parse_ports(spec: str) -> tuple[int, int | str]:
    """`port` or `port:targetPort`, the target a number or a port name."""
    from minikctl import errors

    parts = spec.split(":")
    port = port_num(parts[0])
    if len(parts) == 1:
        return port, port
    target = parts[1]
    if _DECIMAL.match(target) and abs(int(target)) < 1 << 63:  # what strconv.Atoi accepts
        if not 1 <= int(target) <= 65535:
            raise errors.MinikctlError("must be between 1 and 65535, inclusive")
        return port, int(target)
    errs = port_name_errors(target)
    if errs:
        raise errors.MinikctlError(",".join(errs))
    return port, target


@dataclass
class CreateServiceOptions:
    name: str
    type_: str
    tcp: list[str] = field(default_factory=list)
    cluster_ip: str = ""
    node_port: int = 0
    external_name: str = ""

    def validate(self) -> None:
        from minikctl import errors

        if self.cluster_ip == "None" and self.type_ != "ClusterIP":
            raise errors.MinikctlError("ClusterIP=None can only be used with ClusterIP service type")
        if self.cluster_ip != "None" and not self.tcp and self.type_ != "ExternalName":
            raise errors.MinikctlError("at least one tcp port specifier must be provided")
        if self.type_ == "ExternalName" and not (len(self.external_name) <= 253
                                                 and _DNS1123_SUBDOMAIN.match(self.external_name)):
            raise errors.MinikctlError(f"invalid service external name {self.external_name}")

    def service(self) -> dict:
        ports = []
        for spec in self.tcp:
            port, target = parse_ports(spec)
            entry: dict = {"name": spec.replace(":", "-"), "protocol": "TCP", "port": port, "targetPort": target}
            if self.node_port:
                entry["nodePort"] = self.node_port
            ports.append(entry)
        spec_: dict = {"type": self.type_, "selector": {"app": self.name}}
        if ports:
            spec_["ports"] = ports
        if self.external_name:
            spec_["externalName"] = self.external_name
        if self.cluster_ip:
            spec_["clusterIP"] = self.cluster_ip
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": self.name, "labels": {"app": self.name}},
                "spec": spec_}


def _run(ctx: typer.Context, args: list[str] | None, sub: str, tcp: list[str] | None, shared: SharedFlags,
         **extra: object) -> None:
    from minikctl.cli import create, state
    from minikctl.cli.create_configmap import split_slice

    verb = "create service " + sub
    name, _, flags = create.complete(ctx, args, verb, shared)
    type_ = TYPES[sub][0]
    opts = CreateServiceOptions(name, type_, split_slice(tcp), **extra)  # type: ignore[arg-type]
    opts.validate()
    state.exit_code = create.create_generated(opts.service(), flags, f"{type_} service")


def _help(sub: str) -> str:
    from minikctl.cli.create_job import keep_layout

    return TYPES[sub][1] + "\n\n" + keep_layout("Examples:\n" + TYPES[sub][2])


def register(create_app: typer.Typer) -> None:
    from minikctl.cli.create_job import keep_layout

    service_app = typer.Typer(short_help="Create a service using a specified subcommand", help="Create a service using a specified subcommand.\n\n" + keep_layout(
        "Examples:\n" + "\n\n".join(TYPES[s][2] for s in TYPES)), rich_markup_mode=None, no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"]})

    @service_app.command("clusterip", cls=GoFlagsCommand, short_help="Create a ClusterIP service", help=_help("clusterip"))
    @generator()
    def clusterip(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME [--tcp=<port>:<targetPort>]")] = None,
        tcp: Tcp = None,
        clusterip: Annotated[str, typer.Option("--clusterip", help="Assign your own ClusterIP or set to 'None' for a 'headless' service (no loadbalancing).")] = "",
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        _run(ctx, args, "clusterip", tcp, shared, cluster_ip=clusterip)

    @service_app.command("nodeport", cls=GoFlagsCommand, short_help="Create a NodePort service", help=_help("nodeport"))
    @generator()
    def nodeport(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME [--tcp=port:targetPort]")] = None,
        tcp: Tcp = None,
        node_port: Annotated[str, typer.Option("--node-port", help="Port used to expose the service on each node in a cluster.")] = "0",
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        from minikctl.cli.create_deployment import parse_go_int

        port = parse_go_int(node_port, "--node-port", 64, "create service nodeport")
        _run(ctx, args, "nodeport", tcp, shared, node_port=port)

    @service_app.command("loadbalancer", cls=GoFlagsCommand, short_help="Create a LoadBalancer service", help=_help("loadbalancer"))
    @generator()
    def loadbalancer(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME [--tcp=port:targetPort]")] = None,
        tcp: Tcp = None,
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        _run(ctx, args, "loadbalancer", tcp, shared)

    @service_app.command("externalname", cls=GoFlagsCommand, short_help="Create an ExternalName service", help=_help("externalname"))
    @generator()
    def externalname(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NAME --external-name external.name")] = None,
        tcp: Tcp = None,
        external_name: Annotated[Optional[str], typer.Option("--external-name", help="External name of service")] = None,
        shared: SharedFlags = SharedFlags(),
    ) -> None:
        from minikctl import errors

        if external_name is None:  # kubectl marks it required: given at all, even empty
            raise errors.MinikctlError('required flag(s) "external-name" not set')
        _run(ctx, args, "externalname", tcp, shared, external_name=external_name)

    create_app.add_typer(service_app, name="service")
    create_app.add_typer(service_app, name="svc", hidden=True)
