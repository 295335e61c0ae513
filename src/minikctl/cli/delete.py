"""`minikctl delete`: delete objects by name, by file, by label selector or all of a type."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Optional

import typer

from minikctl.cli import options

EXAMPLES = """
Examples:
  # Delete what web.yaml describes
  minikctl delete -f web.yaml

  # Delete a deployment and a service by name, and every pod labelled app=web
  minikctl delete deploy/web svc/web
  minikctl delete pods -l app=web

  # Delete every configmap in the namespace
  minikctl delete configmaps --all
"""

CASCADE = {"background": "Background", "foreground": "Foreground", "orphan": "Orphan",
           "true": "Background", "false": "Orphan"}


@dataclass
class DeleteOptions:
    args: list[str]
    namespace: str | None = None
    all_namespaces: bool = False
    selector: str | None = None
    all: bool = False
    filenames: list[str] | None = None
    recursive: bool = False
    cascade: str = "background"
    grace_period: int = -1
    now: bool = False
    force: bool = False
    ignore_not_found: bool = False
    dry_run: str = "none"
    output: str | None = None

    def validate(self) -> None:
        from minikctl import errors

        if self.all and self.selector:
            raise errors.UsageError("cannot set --all and --selector at the same time", "delete")
        if self.cascade not in CASCADE:
            raise errors.UsageError(
                f'invalid cascade value ({self.cascade}). Must be "background", "foreground", or "orphan".', "delete")
        if self.now:
            if self.grace_period >= 0:
                raise errors.UsageError("--now and --grace-period cannot be specified together", "delete")
            self.grace_period = 1
        if self.force and self.grace_period < 0:
            self.grace_period = 0
        if self.filenames and self.args:
            raise errors.UsageError("when passing -f, do not give resource types or names", "delete")
        if not self.filenames and self.args and "/" not in self.args[0] and len(self.args) == 1 \
                and not self.all and not self.selector:
            raise errors.UsageError(
                "resource(s) were provided, but no name was specified", "delete")
        self.dry_run = options.dry_run_mode(self.dry_run, "delete")

    def run(self) -> int:
        from minikctl import errors
        from minikctl.cli import get, resources, state, targets
        from minikctl.cli.errors import report

        finder = get.GetOptions(self.args, self.namespace, filenames=self.filenames, recursive=self.recursive)
        wanted = finder.targets()
        self.namespace = finder.namespace
        client = state.client()
        failed, deleted = False, 0
        for t in wanted:
            ns = targets.namespace_for(t.kind, self.namespace, self.all_namespaces)
            try:
                names = [t.name] if t.name else [
                    (o["metadata"]["name"], o["metadata"].get("namespace", ""))
                    for o in client.list(t.kind, ns, label_selector=self.selector)[0]]
                for entry in names:
                    name, obj_ns = entry if isinstance(entry, tuple) else (entry, ns or "")
                    try:
                        if self.dry_run == "client":  # kubectl only looks the object up
                            client.get(t.kind, obj_ns, name)
                        else:
                            client.delete(t.kind, obj_ns, name, dry_run=self.dry_run == "server",
                                          propagation=CASCADE[self.cascade],
                                          grace_period=None if self.grace_period < 0 else self.grace_period)
                    except errors.NotFound:
                        if self.ignore_not_found:
                            continue
                        raise
                    deleted += 1
                    ref = resources.ref(t.kind, {"metadata": {"name": name}})
                    print(ref if self.output == "name" else
                          f'{t.kind.type_name()} "{name}" deleted{options.dry_run_suffix(self.dry_run)}')
            except errors.NotFound as exc:
                report(exc)
                failed = True
        if not deleted and not failed and not any(t.name for t in wanted):
            import sys

            print(targets.no_resources_message(self.namespace, self.all_namespaces,
                                               all(not t.kind.namespaced for t in wanted)), file=sys.stderr)
        return 1 if failed else 0


def register(app: typer.Typer) -> None:
    from minikctl.cli.goflags import GoFlagsCommand

    @app.command("delete", cls=GoFlagsCommand, help="Delete resources by file names, stdin, resources and names, or by resources and label selector." + EXAMPLES)
    def delete(
        args: Annotated[Optional[list[str]], typer.Argument(metavar="([-f FILENAME] | TYPE [(NAME | -l label | --all)])")] = None,
        namespace: options.Namespace = None,
        all_namespaces: options.AllNamespaces = False,
        selector: options.Selector = None,
        all: Annotated[bool, typer.Option("--all", help="Delete all resources, in the namespace of the specified resource types.")] = False,
        filename: options.Filenames = None,
        recursive: options.Recursive = False,
        cascade: Annotated[str, typer.Option("--cascade", help='Must be "background", "orphan", or "foreground".', flag_value="background")] = "background",
        grace_period: Annotated[int, typer.Option("--grace-period", help="Period of time in seconds given to the resource to terminate gracefully. Ignored if negative.")] = -1,
        now: Annotated[bool, typer.Option("--now", help="If true, resources are signaled for immediate shutdown (same as --grace-period=1).")] = False,
        force: Annotated[bool, typer.Option("--force", help="If true, immediately remove resources from API and bypass graceful deletion.")] = False,
        ignore_not_found: Annotated[bool, typer.Option("--ignore-not-found", help="Treat \"resource not found\" as a successful delete.")] = False,
        dry_run: options.DryRun = "none",
        output: options.Output = None,
    ) -> None:
        from minikctl.cli import state

        opts = DeleteOptions(list(args or []), namespace, all_namespaces, selector, all, list(filename or []),
                             recursive, cascade, grace_period, now, force, ignore_not_found, dry_run, output)
        opts.validate()
        state.exit_code = opts.run()
