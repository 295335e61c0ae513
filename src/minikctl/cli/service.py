"""`minikctl service NAME --url`: the URLs a browser can open for a Service (minikube's
`service` command). Cluster IPs are loopback addresses on this machine, so a ClusterIP
Service is reachable from the host as http://clusterIP:port; a NodePort (or
LoadBalancer) Service is shown on its NodePort on the node address, 127.0.0.1."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from minikctl.cli import options

HELP = "Print the URLs of a Service, reachable from this machine."
EXAMPLES = """
Examples:
  # The URL of each port of the service web
  minikctl service web --url

  # The same, in namespace shop, with https
  minikctl service web -n shop --url --https
"""
NODE_IP = "127.0.0.1"


def urls(svc: dict, *, https: bool = False, node_ip: str = NODE_IP) -> list[tuple[dict, str]]:
    from minikctl import errors

    spec = svc.get("spec") or {}
    md = svc.get("metadata") or {}
    scheme = "https" if https else "http"
    ip = spec.get("clusterIP")
    out = []
    for p in spec.get("ports") or []:
        if spec.get("type") in ("NodePort", "LoadBalancer") and p.get("nodePort"):
            out.append((p, f"{scheme}://{node_ip}:{p['nodePort']}"))
        elif ip and ip != "None":
            host = f"[{ip}]" if ":" in ip else ip
            out.append((p, f"{scheme}://{host}:{p['port']}"))
    if not out:
        why = "is headless (clusterIP None)" if ip == "None" else \
            "has no ports" if not spec.get("ports") else "has no cluster IP yet"
        raise errors.MinikctlError(f"service {md.get('namespace', 'default')}/{md.get('name', '')} {why}: "
                                   "no URL to open")
    return out


def register(app: typer.Typer) -> None:
    @app.command("service", help=HELP + "\n" + EXAMPLES)
    def service(
        name: Annotated[str, typer.Argument(metavar="NAME")],
        namespace: options.Namespace = None,
        url: Annotated[bool, typer.Option("--url", help="Display the URLs only, one a line.")] = False,
        https: Annotated[bool, typer.Option("--https", help="Use https:// rather than http:// in the URLs.")] = False,
    ) -> None:
        from minikctl.api import kinds
        from minikctl.cli import state

        ns = namespace or "default"
        svc = state.client().get(kinds.by_kind("Service"), ns, name)
        found = urls(svc, https=https)
        if url:
            for _p, u in found:
                print(u)
            return
        rows = [("NAMESPACE", "NAME", "TARGET PORT", "URL")]
        for p, u in found:
            target = str(p.get("targetPort") or p.get("port"))
            rows.append((ns, name, f"{p['name']}/{target}" if p.get("name") else target, u))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for r in rows:
            print("   ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
