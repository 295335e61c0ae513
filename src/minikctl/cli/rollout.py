"""`minikctl rollout status|history|undo|restart|pause|resume`, as kubectl 1.32 has them.

`status` follows the object live through the store's watch and prints kubectl's
message on every change until the rollout is done, the progress deadline passes (exit
1) or --timeout ends the wait. `history`/`undo` work from a Deployment's ReplicaSets
(cli/rollout_history.py), a DaemonSet's or StatefulSet's ControllerRevisions
(cli/rollout_revisions.py); `restart` stamps the pod template with
`kubectl.kubernetes.io/restartedAt`; `pause`/`resume` flip spec.paused. Each command
acts on every object its arguments name and reports the ones it could not act on.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Optional

import typer

from minikctl.cli import goflags, options

HELP = """Manage the rollout of one or many resources.

Valid resource types include:

  *  deployments
  *  daemonsets
  *  statefulsets
"""
EXAMPLES = """
Examples:
  # Rollback to the previous deployment
  minikctl rollout undo deployment/abc

  # Check the rollout status of a daemonset
  minikctl rollout status daemonset/foo

  # Restart a deployment
  minikctl rollout restart deployment/abc

  # Restart deployments with the 'app=nginx' label
  minikctl rollout restart deployment --selector=app=nginx
"""
STATUS_HELP = """Show the status of the rollout.

By default 'rollout status' will watch the status of the latest rollout until it's done. If you don't want to wait
for the rollout to finish then you can use --watch=false. Note that if a new rollout starts in-between, then 'rollout
status' will continue watching the latest revision. If you want to pin to a specific revision and abort if it is
rolled over by another revision, use --revision=N where N is the revision you need to watch for.

Examples:
  # Watch the rollout status of a deployment
  minikctl rollout status deployment/nginx
"""
HISTORY_HELP = """View previous rollout revisions and configurations.

Examples:
  # View the rollout history of a deployment
  minikctl rollout history deployment/abc

  # View the details of deployment revision 3
  minikctl rollout history deployment/abc --revision=3
"""
UNDO_HELP = """Roll back to a previous rollout.

Examples:
  # Roll back to the previous deployment
  minikctl rollout undo deployment/abc

  # Roll back to deployment revision 3
  minikctl rollout undo deployment/abc --to-revision=3

  # Roll back to the previous deployment with dry-run
  minikctl rollout undo --dry-run=server deployment/abc
"""
RESTART_HELP = """Restart a resource.

Resource rollout will be restarted.

Examples:
  # Restart all deployments in the test-namespace namespace
  minikctl rollout restart deployment -n test-namespace

  # Restart a deployment
  minikctl rollout restart deployment/nginx

  # Restart a daemon set
  minikctl rollout restart daemonset/abc

  # Restart deployments with the app=nginx label
  minikctl rollout restart deployment --selector=app=nginx
"""
PAUSE_HELP = """Mark the provided resource as paused.

Paused resources will not be reconciled by a controller. Use "minikctl rollout resume" to resume a paused resource.
Currently only deployments support being paused.

Examples:
  # Mark the nginx deployment as paused
  # Any current state of the deployment will continue its function; new updates
  # to the deployment will not have an effect as long as the deployment is paused
  minikctl rollout pause deployment/nginx
"""
RESUME_HELP = """Resume a paused resource.

Paused resources will not be reconciled by a controller. By resuming a resource, we allow it to be reconciled again.
Currently only deployments support being resumed.

Examples:
  # Resume an already paused deployment
  minikctl rollout resume deployment/nginx
"""
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
RESTARTABLE = ("Deployment", "DaemonSet", "StatefulSet")


@dataclass
class Targets:
    """The objects a rollout subcommand names (always allowing `TYPE` alone: all of them)."""

    args: list[str]
    namespace: str | None = None
    selector: str | None = None
    filenames: list[str] | None = None
    recursive: bool = False

    def require(self) -> None:
        from minikctl import errors

        if not self.args and not self.filenames:
            raise errors.MinikctlError("required resource not specified")

    def find(self, client: Any, command: str) -> Any:
        from minikctl.cli import resolve

        return resolve.Request(self.args, self.namespace, selector=self.selector, allow_empty_selector=True,
                               filenames=self.filenames, recursive=self.recursive).find(client, command)


# --- status ----------------------------------------------------------------------------------

@dataclass
class StatusOptions:
    targets: Targets
    watch: bool = True
    revision: int = 0
    timeout: str = "0s"
    wait_seconds: float = 0.0

    def validate(self) -> None:
        from minikctl import errors
        from minikctl.cli import durations

        self.wait_seconds = durations.parse(self.timeout, "--timeout", "rollout status")
        self.targets.require()
        if self.revision < 0:
            raise errors.MinikctlError(f"revision must be a positive integer: {self.revision}")

    def run(self) -> int:
        from minikctl import errors
        from minikctl.cli import rollout_status, state

        client = state.client()
        result = self.targets.find(client, "rollout status")
        if result.missing:
            raise result.missing[0]
        if len({f.kind for f in result.found}) > 1:
            raise errors.MinikctlError("you may only specify a single resource type")
        if len(result.found) != 1:
            raise errors.MinikctlError("rollout status is only supported on individual resources and resource "
                                       f"collections - {len(result.found)} resources were found")
        found = result.found[0]
        view = rollout_status.viewer_for(found.kind, client)
        return self._follow(client, found, view)

    def _follow(self, client: Any, found: Any, view: Callable[[dict, int], tuple[str, bool]]) -> int:
        """UntilWithSync: judge the listed object, then every change, until done."""
        from minikctl import errors

        md = found.obj["metadata"]
        ns, name = md.get("namespace"), md["name"]
        items, revision = client.list(found.kind, ns, field_selector=f"metadata.name={name}")
        if not items:
            raise errors.NotFound(found.kind.resource, name)
        if self._show(items[0], view):
            return 0
        timeout = self.wait_seconds if self.wait_seconds > 0 else None
        for event_type, obj in client.watch(found.kind, ns, revision, field_selector=f"metadata.name={name}",
                                            timeout=timeout):
            if event_type == "DELETED":
                raise errors.MinikctlError("object has been deleted")
            if self._show(obj, view):
                return 0
        raise errors.MinikctlError("timed out waiting for the condition")

    def _show(self, obj: dict, view: Callable[[dict, int], tuple[str, bool]]) -> bool:
        message, done = view(obj, self.revision)
        sys.stdout.write(message)
        sys.stdout.flush()
        return done or not self.watch


# --- history and undo --------------------------------------------------------------------------

@dataclass
class HistoryOptions:
    targets: Targets
    revision: int = 0
    output: str | None = None

    def validate(self) -> None:
        from minikctl import errors
        from minikctl.cli import printers

        self.targets.require()
        if self.revision < 0:
            raise errors.MinikctlError(f"revision must be a positive integer: {self.revision}")
        printers.validate_output(self.output)

    def run(self) -> int:
        from minikctl.cli import resources, rollout_history, state

        client = state.client()
        result = self.targets.find(client, "rollout history")
        for found in result.found:
            rollout_history.check_kind(found.kind, "history viewer")
            if self.output:
                self._print_replicasets(client, found)
                continue
            text = rollout_history.view_history(client, found.obj, self.revision)
            with_revision = f"with revision #{self.revision}" if self.revision > 0 else ""
            sys.stdout.write(f"{resources.ref(found.kind, found.obj)} {with_revision}\n{text}\n")
        return _report_missing(result)

    def _print_replicasets(self, client: Any, found: Any) -> None:
        from minikctl import errors
        from minikctl.cli import printers, rollout_history

        history = rollout_history.by_revision(client, found.obj)
        if self.revision > 0:
            if self.revision not in history:
                raise errors.MinikctlError("unable to find the specified revision")
            chosen = [history[self.revision]]
        else:
            chosen = [history[r] for r in sorted(history)]
        for rs in chosen:
            printers.print_objects([rs], output=self.output, out=sys.stdout, single=True)


@dataclass
class UndoOptions:
    targets: Targets
    to_revision: int = 0
    dry_run: str = "none"
    output: str | None = None

    def validate(self) -> None:
        self.dry_run = options.dry_run_mode(self.dry_run, "rollout undo")
        self.targets.require()

    def run(self) -> int:
        from minikctl.cli import rollout_history, state

        client = state.client()
        result = self.targets.find(client, "rollout undo")
        for found in result.found:
            rollout_history.check_kind(found.kind, "rollbacker")
            operation = rollout_history.rollback(client, found.kind, found.obj, self.to_revision, self.dry_run)
            _print_result(found, operation + options.dry_run_suffix(self.dry_run), self.output)
        return _report_missing(result)


# --- restart, pause, resume -----------------------------------------------------------------

@dataclass
class PatchOptions:
    """restart/pause/resume: change each object, collect what could not be changed."""

    targets: Targets
    verb: str  # restart | pause | resume
    output: str | None = None

    def validate(self) -> None:
        from minikctl.cli import printers

        self.targets.require()
        printers.validate_output(self.output)

    def run(self) -> int:
        from minikctl import errors
        from minikctl.cli import state

        client = state.client()
        result = self.targets.find(client, f"rollout {self.verb}")
        problems: list[str] = [_message(exc) for exc in result.missing]  # "Error from server (NotFound): ..."
        done = {"restart": "restarted", "pause": "paused", "resume": "resumed"}[self.verb]
        for found in result.found:
            change = CHANGES[self.verb]
            try:
                change(found.kind, found.obj)  # check first, as kubectl computes its patch
                md = found.obj["metadata"]
                obj, _ = client.modify(found.kind, md.get("namespace", ""), md["name"],
                                       lambda o, k=found.kind: change(k, o))
            except _Refused as exc:
                problems.append(f'error: {found.kind.resource} "{found.obj["metadata"]["name"]}" {exc}')
                continue
            except _Unchanged:
                problems.append(f"error: failed to create patch for {found.obj['metadata']['name']}: if restart has already "
                                "been triggered within the past second, please wait before attempting to trigger "
                                "another")
                continue
            except errors.StatusError as exc:
                problems.append(f"error: failed to patch: {exc.message}")
                continue
            _print_result(found, done, self.output, obj)
        for line in problems:
            print(line, file=sys.stderr)
        return 1 if problems else 0


class _Refused(Exception):
    """The object cannot take this change (kubectl's patch function refused it)."""


class _Unchanged(Exception):
    """The change would change nothing (a second restart within the same second)."""


def _restart(kind: Any, obj: dict) -> None:
    if kind.kind not in RESTARTABLE:
        raise _Refused("restarting is not supported")
    if kind.kind == "Deployment" and (obj.get("spec") or {}).get("paused"):
        raise _Refused("can't restart paused deployment (run rollout resume first)")
    annotations = obj.setdefault("spec", {}).setdefault("template", {}).setdefault("metadata", {}) \
        .setdefault("annotations", {})
    now = _now_rfc3339()
    if annotations.get(RESTARTED_AT) == now:
        raise _Unchanged()
    annotations[RESTARTED_AT] = now


def _pause(kind: Any, obj: dict) -> None:
    if kind.kind != "Deployment":
        raise _Refused("pausing is not supported")
    if (obj.get("spec") or {}).get("paused"):
        raise _Refused("is already paused")
    obj.setdefault("spec", {})["paused"] = True


def _resume(kind: Any, obj: dict) -> None:
    if kind.kind != "Deployment":
        raise _Refused("resuming is not supported")
    if not (obj.get("spec") or {}).get("paused"):
        raise _Refused("is not paused")
    obj["spec"]["paused"] = False


CHANGES: dict[str, Callable[[Any, dict], None]] = {"restart": _restart, "pause": _pause, "resume": _resume}


def _now_rfc3339() -> str:
    """Go's time.Now().Format(time.RFC3339): local time, `Z` for UTC, else the offset."""
    from datetime import datetime, timedelta

    now = datetime.now().astimezone()
    if now.utcoffset() == timedelta(0):
        return now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return now.isoformat(timespec="seconds")


def _report_missing(result: Any) -> int:
    """Objects that were not found are reported after the others were handled (ContinueOnError)."""
    from minikctl.cli.errors import report

    for exc in result.missing:
        report(exc)
    return 1 if result.missing else 0


def _message(exc: Any) -> str:
    from minikctl.cli.errors import message_for

    return message_for(exc)


def _print_result(found: Any, operation: str, output: str | None, obj: dict | None = None) -> None:
    from minikctl.cli import printers, resources

    if output and output != "name":
        printers.print_objects([obj or found.obj], output=output, out=sys.stdout, single=True)
        return
    ref = resources.ref(found.kind, obj or found.obj)
    print(ref if output == "name" else f"{ref} {operation}")


# --- typer wiring ------------------------------------------------------------------------------

Filenames = Annotated[Optional[list[str]], typer.Option("--filename", "-f", help="Filename, directory, or URL to files identifying the resource to get from a server.")]
Output = Annotated[Optional[str], typer.Option("--output", "-o", help="Output format. One of: (json, yaml, name, jsonpath, jsonpath-as-json, jsonpath-file).")]
Args = Annotated[Optional[list[str]], typer.Argument(metavar="(TYPE NAME | TYPE/NAME)")]


def _targets(args: list[str] | None, namespace: str | None, selector: str | None, filename: list[str] | None,
             recursive: bool) -> Targets:
    return Targets(list(args or []), namespace, selector, list(filename or []), recursive)


def _run(opts: Any) -> None:
    from minikctl.cli import state

    opts.validate()
    state.exit_code = opts.run()


def register(app: typer.Typer) -> None:
    rollout = typer.Typer(help=HELP + EXAMPLES, no_args_is_help=True, rich_markup_mode=None)

    @rollout.command("status", cls=goflags.GoFlagsCommand, help=STATUS_HELP)
    def status(args: Args = None, namespace: options.Namespace = None, selector: options.Selector = None,
               filename: Filenames = None, recursive: options.Recursive = False,
               watch: Annotated[bool, typer.Option("--watch/--no-watch", "-w", help="Watch the status of the rollout until it's done.")] = True,
               revision: Annotated[int, typer.Option("--revision", help="Pin to a specific revision for showing its status. Defaults to 0 (last revision).")] = 0,
               timeout: Annotated[str, typer.Option("--timeout", help="The length of time to wait before ending watch, zero means never. Any other values should contain a corresponding time unit (e.g. 1s, 2m, 3h).")] = "0s",
               ) -> None:
        _run(StatusOptions(_targets(args, namespace, selector, filename, recursive), watch, revision, timeout))

    @rollout.command("history", cls=goflags.GoFlagsCommand, help=HISTORY_HELP)
    def history(args: Args = None, namespace: options.Namespace = None, selector: options.Selector = None,
                filename: Filenames = None, recursive: options.Recursive = False,
                revision: Annotated[int, typer.Option("--revision", help="See the details, including podTemplate of the revision specified")] = 0,
                output: Output = None) -> None:
        _run(HistoryOptions(_targets(args, namespace, selector, filename, recursive), revision, output))

    @rollout.command("undo", cls=goflags.GoFlagsCommand, help=UNDO_HELP)
    def undo(args: Args = None, namespace: options.Namespace = None, selector: options.Selector = None,
             filename: Filenames = None, recursive: options.Recursive = False,
             to_revision: Annotated[int, typer.Option("--to-revision", help="The revision to rollback to. Default to 0 (last revision).")] = 0,
             dry_run: options.DryRun = "none", output: Output = None) -> None:
        _run(UndoOptions(_targets(args, namespace, selector, filename, recursive), to_revision, dry_run, output))

    def patcher(verb: str, help_text: str) -> None:
        @rollout.command(verb, cls=goflags.GoFlagsCommand, help=help_text)
        def patch(args: Annotated[Optional[list[str]], typer.Argument(metavar="RESOURCE")] = None,
                  namespace: options.Namespace = None, selector: options.Selector = None,
                  filename: Filenames = None, recursive: options.Recursive = False, output: Output = None,
                  field_manager: Annotated[str, typer.Option("--field-manager", help="Name of the manager used to track field ownership.")] = "kubectl-rollout",
                  ) -> None:
            _run(PatchOptions(_targets(args, namespace, selector, filename, recursive), verb, output))

    patcher("restart", RESTART_HELP)
    patcher("pause", PAUSE_HELP)
    patcher("resume", RESUME_HELP)
    app.add_typer(rollout, name="rollout", help=HELP + EXAMPLES)
