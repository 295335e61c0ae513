"""`minikctl port-forward`: forward local ports to a pod, as `kubectl port-forward` does.

A pod here is local processes on the pod's own loopback IP, so forwarding is a TCP
splice from LOCAL on --address to podIP:REMOTE; only the pod's IP comes from the API, so
it works with the daemon running or not. svc/NAME and deploy/NAME (any workload) stand
for one of their pods, the most active (ready first), as kubectl picks it; for a Service
REMOTE is a service port, translated to its targetPort (named ones against the pod's
container ports), and LOCAL defaults to the service port. A named REMOTE of a pod is
its container port of that name. `:REMOTE` picks a free local port.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Optional

import typer

from minikctl.cli import options

HELP = "Forward one or more local ports to a pod."
EXAMPLES = """
Examples:
  # Listen on ports 5000 and 6000 locally, forwarding data to/from ports 5000 and 6000 in the pod
  minikctl port-forward pod/mypod 5000 6000

  # Listen on port 8888 locally, forwarding to 5000 in the pod
  minikctl port-forward pod/mypod 8888:5000

  # Listen on a random port locally, forwarding to 5000 in the pod
  minikctl port-forward pod/mypod :5000

  # Listen on port 8443 locally, forwarding to the targetPort of the service's port named "https" in a pod selected by the service
  minikctl port-forward service/myservice 8443:https

  # Listen on port 8888 on all addresses, forwarding to 5000 in a pod of the deployment
  minikctl port-forward --address 0.0.0.0 deployment/mydeployment 8888:5000
"""


@dataclass
class PortPair:
    local: int  # 0: any free port
    remote: str  # a number, or a port name to resolve

    @classmethod
    def parse(cls, text: str) -> "PortPair":
        from minikctl import errors

        local, colon, remote = text.partition(":")
        if not colon:
            local, remote = text, text
        if not remote:
            raise errors.MinikctlError(f"invalid port format '{text}'")
        if local == "":
            lp = 0
        else:
            try:
                lp = int(local)
            except ValueError:
                raise errors.MinikctlError(f"Error parsing local port '{local}': invalid syntax") from None
            if not 0 <= lp <= 65535:
                raise errors.MinikctlError(f"Error parsing local port '{local}': value out of range")
        if remote.isdigit() and not 0 < int(remote) <= 65535:
            raise errors.MinikctlError(f"Error parsing remote port '{remote}': value out of range")
        return cls(lp, remote)


@dataclass
class PortForwardOptions:
    resource: str
    ports: list[str]
    namespace: str | None = None
    addresses: list[str] = field(default_factory=lambda: ["localhost"])
    pod_running_timeout: str = "1m0s"

    def target(self, client: Any) -> tuple[dict, list[tuple[int, int, str]]]:
        """(the pod, [(local port, remote port, as the user named it)])."""
        from minikctl import errors
        from minikctl.api import kinds
        from minikctl.cli import durations, podselect

        timeout = durations.parse(self.pod_running_timeout, "--pod-running-timeout", "port-forward")
        ns = self.namespace or "default"
        kind_name, slash, name = self.resource.partition("/")
        kind = kinds.resolve(kind_name) if slash else kinds.by_kind("Pod")
        obj = client.get(kind, ns, name if slash else self.resource)
        pairs = [(p, text) for text in self.ports for p in [PortPair.parse(text)]]
        if obj.get("kind") == "Pod":
            pod = obj
        elif obj.get("kind") in podselect.SELECTOR_KINDS + ("Service",):
            pod, _ = podselect.first_pod(client, obj, timeout, podselect.most_active_first)
        else:
            raise errors.MinikctlError(f"cannot attach to {podselect.go_type(obj)}: selector for "
                                       f"{podselect.go_type(obj)} not implemented")
        out = []
        for pair, text in pairs:
            if obj.get("kind") == "Service":
                local, remote = _service_port(obj, pod, pair, text)
            else:
                remote = _numeric(pair.remote, pod)
                local = pair.local if ":" in text else remote
            out.append((local, remote, text))
        phase = (pod.get("status") or {}).get("phase")
        if phase != "Running":
            raise errors.MinikctlError(f"unable to forward port because pod is not running. Current status={phase}")
        if not (pod.get("status") or {}).get("podIP"):
            raise errors.MinikctlError(f"pod {pod['metadata']['name']} has no IP yet")
        return pod, out


def _numeric(remote: str, pod: dict) -> int:
    from minikctl import errors

    if remote.isdigit():
        return int(remote)
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == remote:
                return int(p["containerPort"])
    raise errors.MinikctlError(f"Pod '{pod['metadata']['name']}' does not have a named port '{remote}'")


def _service_port(svc: dict, pod: dict, pair: PortPair, text: str) -> tuple[int, int]:
    """translateServicePortToTargetPort: LOCAL defaults to the service port."""
    from minikctl import errors

    for sp in (svc.get("spec") or {}).get("ports") or []:
        if str(sp.get("port")) == pair.remote or (sp.get("name") and sp.get("name") == pair.remote):
            target = sp.get("targetPort") or sp.get("port")
            remote = _numeric(str(target), pod)
            local = pair.local if ":" in text else int(sp["port"])
            return local, remote
    raise errors.MinikctlError(f"Service {svc['metadata']['name']} does not have a service port {pair.remote}")


def run(opts: PortForwardOptions) -> int:
    from minikctl import errors
    from minikctl.cli import state

    pod, forwards = opts.target(state.client())
    from minikctl.proxy import forward, loop

    try:
        loop.run(forward.forward(pod["status"]["podIP"], forwards, opts.addresses))
    except forward.BindError as exc:
        raise errors.MinikctlError(str(exc)) from None
    except KeyboardInterrupt:
        return 0
    return 0


def register(app: typer.Typer) -> None:
    @app.command("port-forward", help=HELP + "\n" + EXAMPLES)
    def port_forward(
        resource: Annotated[str, typer.Argument(metavar="TYPE/NAME")],
        ports: Annotated[list[str], typer.Argument(metavar="[LOCAL_PORT:]REMOTE_PORT...")],
        namespace: options.Namespace = None,
        address: Annotated[Optional[list[str]], typer.Option("--address", help="Addresses to listen on (comma separated). Only accepts IP addresses or localhost as a value. When localhost is supplied, minikctl will try to bind on both 127.0.0.1 and ::1 and will fail if neither of these addresses are available to bind.")] = None,
        pod_running_timeout: Annotated[str, typer.Option("--pod-running-timeout", help="The length of time (like 5s, 2m, or 3h, higher than zero) to wait until at least one pod is running")] = "1m0s",
    ) -> None:
        from minikctl.cli import state

        addrs = [a.strip() for item in (address or ["localhost"]) for a in item.split(",") if a.strip()]
        state.exit_code = run(PortForwardOptions(resource, list(ports), namespace, addrs, pod_running_timeout))
