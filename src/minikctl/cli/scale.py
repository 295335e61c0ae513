"""`minikctl scale`: set spec.replicas of deployments, replica sets and stateful sets, as
`kubectl scale` does through their scale subresource: optional preconditions
(`--current-replicas`, `--resource-version`), `--timeout` to wait until the new size is
reached, `--dry-run`, and `-o`. Kinds without a scale subresource (pods, jobs since
Kubernetes 1.26...) get the API server's answer: the server could not find the
requested resource.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Annotated, Any, Optional

import typer

from minikctl import errors
from minikctl.cli import options

HELP = """Set a new size for a deployment, replica set, replication controller, or stateful set.

Scale also allows users to specify one or more preconditions for the scale action.

If --current-replicas or --resource-version is specified, it is validated before the scale is attempted, and it is
guaranteed that the precondition holds true when the scale is sent to the server.
"""
EXAMPLES = """
Examples:
  # Scale a replica set named 'foo' to 3
  minikctl scale --replicas=3 rs/foo

  # Scale a resource identified by type and name specified in "foo.yaml" to 3
  minikctl scale --replicas=3 -f foo.yaml

  # If the deployment named mysql's current size is 2, scale mysql to 3
  minikctl scale --current-replicas=2 --replicas=3 deployment/mysql

  # Scale multiple deployments
  minikctl scale --replicas=5 deploy/example1 deploy/example2

  # Scale stateful set named 'web' to 3
  minikctl scale --replicas=3 statefulset/web
"""
SCALABLE = ("Deployment", "ReplicaSet", "StatefulSet")
WAIT_POLL_SECONDS = 0.2


@dataclass
class ScaleOptions:
    args: list[str]
    replicas: int | None = None
    namespace: str | None = None
    current_replicas: int = -1
    resource_version: str = ""
    selector: str | None = None
    all: bool = False
    filenames: list[str] | None = None
    recursive: bool = False
    timeout: str = "0s"
    dry_run: str = "none"
    output: str | None = None
    wait_seconds: float = 0.0

    def validate(self) -> None:
        from minikctl.cli import durations, printers

        if self.replicas is None:
            raise errors.MinikctlError('required flag(s) "replicas" not set')
        if self.replicas < 0:
            raise errors.MinikctlError(
                "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
        if self.current_replicas < -1:
            raise errors.MinikctlError("The --current-replicas must specify an integer of -1 or greater")
        self.dry_run = options.dry_run_mode(self.dry_run, "scale")
        self.wait_seconds = durations.parse(self.timeout, "--timeout", "scale")
        if self.output not in (None, "name"):
            printers.validate_output(self.output)

    def run(self) -> int:
        from minikctl.cli import resolve, state
        from minikctl.cli.errors import report

        client = state.client()
        result = resolve.Request(self.args, self.namespace, selector=self.selector, allow_empty_selector=self.all,
                                 filenames=self.filenames, recursive=self.recursive).find(client, "scale")
        if self.resource_version and len(result.found) > 1:
            raise errors.MinikctlError("cannot use --resource-version with multiple resources")
        if not result.found:
            if result.missing:
                raise errors.MinikctlError(f"no objects passed to scale {result.missing[0].message}")
            raise errors.MinikctlError("no objects passed to scale")
        for found in result.found:
            obj = self._scale(client, found)
            self._print(found, obj)
        for exc in result.missing:
            report(exc)
        return 1 if result.missing else 0

    def _scale(self, client: Any, found: Any) -> dict:
        import copy

        kind, md = found.kind, found.obj["metadata"]
        if self.dry_run == "client":
            obj = copy.deepcopy(found.obj)
            obj.setdefault("spec", {})["replicas"] = self.replicas
            return obj
        if kind.kind not in SCALABLE:
            raise NoScaleSubresource("the server could not find the requested resource", kind=kind.plural)
        obj, _ = client.modify(kind, md.get("namespace", ""), md["name"], self._change,
                               dry_run=self.dry_run == "server")
        if self.wait_seconds > 0 and self.dry_run == "none":
            self._wait(client, found)
        return obj

    def _change(self, obj: dict) -> None:
        """Preconditions are checked against the object being written (no lost update)."""
        spec = obj.setdefault("spec", {})
        current = int(spec.get("replicas", 1))
        if self.current_replicas != -1 and current != self.current_replicas:
            raise errors.MinikctlError(f"Expected replicas to be {self.current_replicas}, was {current}")
        rv = obj["metadata"].get("resourceVersion", "")
        if self.resource_version and rv != self.resource_version:
            raise errors.MinikctlError(f"Expected resource version to be {self.resource_version}, was {rv}")
        spec["replicas"] = self.replicas

    def _wait(self, client: Any, found: Any) -> None:
        """WaitForScaleHasDesiredReplicas: status.replicas reaches the new size."""
        md = found.obj["metadata"]
        deadline = time.monotonic() + self.wait_seconds
        while True:
            obj = client.get(found.kind, md.get("namespace", ""), md["name"])
            wanted = int((obj.get("spec") or {}).get("replicas", 1))
            have = int((obj.get("status") or {}).get("replicas") or 0)
            if wanted != self.replicas or have == wanted:
                return
            if time.monotonic() >= deadline:
                raise errors.MinikctlError(f'timed out waiting for "{md["name"]}" to be synced')
            time.sleep(WAIT_POLL_SECONDS)

    def _print(self, found: Any, obj: dict) -> None:
        from minikctl.cli import printers, resources

        if self.output and self.output != "name":
            printers.print_objects([obj], output=self.output, out=sys.stdout, single=True)
            return
        ref = resources.ref(found.kind, obj)
        print(ref if self.output == "name" else f"{ref} scaled{options.dry_run_suffix(self.dry_run)}")


class NoScaleSubresource(errors.StatusError):
    """404 for `<kind>/<name>/scale` where the kind has no scale subresource."""

    code = 404
    reason = "NotFound"


def register(app: typer.Typer) -> None:
    from minikctl.cli.goflags import GoFlagsCommand

    @app.command("scale", cls=GoFlagsCommand, help=HELP + EXAMPLES)
    def scale(
        args: Annotated[Optional[list[str]], typer.Argument(metavar="(-f FILENAME | TYPE NAME)")] = None,
        replicas: Annotated[Optional[int], typer.Option("--replicas", help="The new desired number of replicas. Required.")] = None,
        namespace: options.Namespace = None,
        current_replicas: Annotated[int, typer.Option("--current-replicas", help="Precondition for current size. Requires that the current size of the resource match this value in order to scale. -1 (default) for no condition.")] = -1,
        resource_version: Annotated[str, typer.Option("--resource-version", help="Precondition for resource version. Requires that the current resource version match this value in order to scale.")] = "",
        selector: options.Selector = None,
        all: Annotated[bool, typer.Option("--all", help="Select all resources in the namespace of the specified resource types")] = False,
        filename: options.Filenames = None,
        recursive: options.Recursive = False,
        timeout: Annotated[str, typer.Option("--timeout", help="The length of time to wait before giving up on a scale operation, zero means don't wait. Any other values should contain a corresponding time unit (e.g. 1s, 2m, 3h).")] = "0s",
        dry_run: options.DryRun = "none",
        output: Annotated[Optional[str], typer.Option("--output", "-o", help="Output format. One of: (json, yaml, name, jsonpath, jsonpath-as-json, jsonpath-file).")] = None,
    ) -> None:
        from minikctl.cli import state

        opts = ScaleOptions(list(args or []), replicas, namespace, current_replicas, resource_version, selector, all,
                            list(filename or []), recursive, timeout, dry_run, output)
        opts.validate()
        state.exit_code = opts.run()
