"""`minikctl exec`: run a command inside a running container, as `kubectl exec` does.

Here a container is a local process, so "inside" means its environment, as the runtime
recorded it (config.json, sandbox.json): the same environment variables and working
directory, the pod's IP through the bind shim, and, when the container has its own
mount namespace (volumes), that namespace and root too (and its user namespace first,
when it has one), joined with setns(2). The runtime's own exec does this (the one exec
probes use), so `minikctl exec` sees exactly what the container sees. The command's
exit status becomes ours, with kubectl's `command terminated with exit code N`.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated, Any, Optional

import typer

from minikctl.cli import goflags, options

HELP = "Execute a command in a container."
EXAMPLES = """
Examples:
  # Get output from running the 'date' command from pod mypod, using the first container by default
  minikctl exec mypod -- date

  # Get output from running the 'date' command in ruby-container from pod mypod
  minikctl exec mypod -c ruby-container -- date

  # Switch to raw terminal mode; sends stdin to 'bash' in ruby-container from pod mypod
  # and sends stdout/stderr from 'bash' back to the client
  minikctl exec mypod -c ruby-container -i -t -- bash -il

  # Get output from running 'date' command from the first pod of the deployment mydeployment
  minikctl exec deploy/mydeployment -- date

  # Get output from running 'date' command from the first pod of the service myservice
  minikctl exec svc/myservice -- date
"""
DEPRECATED_FORM = ("minikctl exec [POD] [COMMAND] is DEPRECATED and will be removed in a future version. "
                   "Use minikctl exec [POD] -- [COMMAND] instead.")


@dataclass
class ExecOptions:
    args: list[str]
    args_at_dash: int = -1  # how many positional arguments came before `--` (-1: no `--`)
    namespace: str | None = None
    container: str | None = None
    stdin: bool = False
    tty: bool = False
    quiet: bool = False
    filenames: list[str] | None = None
    pod_running_timeout: str = "1m0s"
    resource: str = ""
    command: tuple[str, ...] = ()
    timeout: float = 60.0

    def complete(self) -> None:
        if self.args and self.args_at_dash != 0:
            self.resource = self.args[0]
        if self.args_at_dash > -1:
            self.command = tuple(self.args[self.args_at_dash:])
        elif len(self.args) > 1:
            if not self.quiet:
                print(DEPRECATED_FORM, file=sys.stderr)
            self.command = tuple(self.args[1:])
        elif self.args and self.filenames:
            if not self.quiet:
                print(DEPRECATED_FORM, file=sys.stderr)
            self.command, self.resource = tuple(self.args), ""

    def validate(self) -> None:
        from minikctl import errors
        from minikctl.cli import durations

        self.timeout = durations.parse(self.pod_running_timeout, "--pod-running-timeout", "exec")
        if self.timeout <= 0:
            raise errors.UsageError("--pod-running-timeout must be higher than zero", "exec")
        if not self.resource and not self.filenames:
            raise errors.MinikctlError("pod, type/name or --filename must be specified")
        if not self.command:
            raise errors.MinikctlError("you must specify at least one command for the container")

    # -- which pod and container ----------------------------------------------------------------

    def pod(self, client: Any) -> dict:
        from minikctl.api import kinds
        from minikctl.cli import podselect

        ns = self.namespace or "default"
        obj = self._from_file() if not self.resource else None
        if obj is None:
            kind_name, slash, name = self.resource.partition("/")
            kind = kinds.resolve(kind_name) if slash else kinds.by_kind("Pod")
            obj = client.get(kind, ns if kind.namespaced else "", name if slash else self.resource)
        else:
            from minikctl.api import validation

            kind = validation.kind_of(obj)
            md = obj.get("metadata") or {}
            obj = client.get(kind, md.get("namespace") or ns, md.get("name", ""))
        if obj.get("kind") == "Pod":
            return obj
        self._check_attachable(obj)
        pod, _count = podselect.first_pod(client, obj, self.timeout, podselect.most_active_first)
        return pod

    def _from_file(self) -> dict | None:
        from minikctl import errors
        from minikctl.cli import manifests

        docs = manifests.read(self.filenames or [], False)
        if len(docs) != 1:
            raise errors.MinikctlError(f"expected a resource, found {len(docs)}")
        return docs[0].obj  # type: ignore[return-value]

    def _check_attachable(self, obj: dict) -> None:
        from minikctl import errors
        from minikctl.cli import podselect

        if obj.get("kind") not in podselect.SELECTOR_KINDS + ("Service",):
            raise errors.MinikctlError(f"cannot attach to {podselect.go_type(obj)}: selector for "
                                       f"{podselect.go_type(obj)} not implemented")

    def container_of(self, pod: dict) -> str:
        from minikctl import errors
        from minikctl.cli import podselect

        name = pod["metadata"]["name"]
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            raise errors.MinikctlError(f"cannot exec into a container in a completed pod; current phase is {phase}")
        container = self.container or podselect.default_container(pod, quiet=self.quiet)
        if podselect.find_container(pod, container) is None:
            raise errors.BadRequest(f"container {container} is not valid for pod {name}")
        if not (pod.get("spec") or {}).get("nodeName"):
            raise errors.BadRequest(f"pod {name} does not have a host assigned")
        return container

    # -- run ----------------------------------------------------------------------------

    def run(self) -> int:
        from minikctl.cli import state

        pod = self.pod(state.client())
        container = self.container_of(pod)
        self._setup_tty()
        code = run_in_container(pod, container, list(self.command), stdin=self.stdin)
        if code:
            print(f"command terminated with exit code {code}", file=sys.stderr)
        return code

    def _setup_tty(self) -> None:
        if not self.stdin:
            self.tty = False
        elif self.tty and not sys.stdin.isatty():
            self.tty = False
            if not self.quiet:
                print("Unable to use a TTY - input is not a terminal or the right kind of file", file=sys.stderr)


def run_in_container(pod: dict, container: str, command: list[str], *, stdin: bool) -> int:
    """Run `command` in the container through the runtime; its exit status (128+N if
    killed by signal N). Errors worded as the API server words a failed exec."""
    import subprocess

    from minikctl import errors, home
    from minikctl.cli import podfiles
    from minikctl.runtime import records
    from minikctl.runtime.interface import ExecError
    from minikctl.runtime.process import ProcessRuntime

    not_found = errors.MinikctlError(f'unable to upgrade connection: container not found ("{container}")')
    sandbox = records.load_sandbox(podfiles.pod_dir(pod))
    config = records.load_config(podfiles.container_dir(pod, container))
    if sandbox is None or config is None or podfiles.process(pod, container) is None:
        raise not_found
    runtime = ProcessRuntime(home.home())
    try:
        return runtime.exec(sandbox, config, command, stdin=None if stdin else subprocess.DEVNULL)
    except ExecError as exc:
        if exc.reason == "ContainerNotRunning":
            raise not_found from None
        raise errors.MinikctlError(
            f"Internal error occurred: error executing command in container: {exc.message}") from None
    finally:
        runtime.close()


def register(app: typer.Typer) -> None:
    @app.command("exec", cls=goflags.GoFlagsCommand, help=HELP + "\n" + EXAMPLES)
    def exec_(
        ctx: typer.Context,
        args: Annotated[Optional[list[str]], typer.Argument(metavar="(POD | TYPE/NAME) [-c CONTAINER] [flags] -- COMMAND [args...]")] = None,
        namespace: options.Namespace = None,
        container: Annotated[Optional[str], typer.Option("--container", "-c", help="Container name. If omitted, use the kubectl.kubernetes.io/default-container annotation for selecting the container to be attached or the first container in the pod will be chosen")] = None,
        stdin: Annotated[bool, typer.Option("--stdin", "-i", help="Pass stdin to the container")] = False,
        tty: Annotated[bool, typer.Option("--tty", "-t", help="Stdin is a TTY")] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print output from the remote session")] = False,
        filename: Annotated[Optional[list[str]], typer.Option("--filename", "-f", help="to use to exec into the resource")] = None,
        pod_running_timeout: Annotated[str, typer.Option("--pod-running-timeout", help="The length of time (like 5s, 2m, or 3h, higher than zero) to wait until at least one pod is running")] = "1m0s",
    ) -> None:
        from minikctl.cli import state

        raw = ctx.meta.get(goflags.RAW_ARGS) or []
        positional = list(args or [])
        at_dash = len(positional) - len(raw[raw.index("--") + 1:]) if "--" in raw else -1
        opts = ExecOptions(positional, at_dash, namespace, container, stdin, tty, quiet, list(filename or []),
                           pod_running_timeout)
        opts.complete()
        opts.validate()
        state.exit_code = opts.run()
