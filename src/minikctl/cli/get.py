"""`minikctl get`: list or fetch objects and print them as kubectl does."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Optional

if TYPE_CHECKING:
    import typer

EXAMPLES = """
Examples:
  # List all pods in the current namespace, then in every namespace with more columns
  minikctl get pods
  minikctl get pods -A -o wide

  # List deployments and services together; one deployment as YAML
  minikctl get deploy,svc
  minikctl get deployment web -o yaml

  # Names of the pods labelled app=web
  minikctl get pods -l app=web -o name

  # A field from every object
  minikctl get pods -o jsonpath='{.items[*].metadata.name}'

  # Events in the order they last happened
  minikctl get events --sort-by=.lastTimestamp
"""


@dataclass
class GetOptions:
    args: list[str]
    namespace: str | None = None
    all_namespaces: bool = False
    selector: str | None = None
    field_selector: str | None = None
    output: str | None = None
    show_labels: bool = False
    no_headers: bool = False
    ignore_not_found: bool = False
    watch: bool = False
    watch_only: bool = False
    filenames: list[str] | None = None
    recursive: bool = False
    sort_by: str | None = None

    def validate(self) -> None:
        from minikctl import errors

        if self.filenames and self.args:
            raise errors.UsageError("when passing -f, do not give resource types or names", "get")

    def targets(self):  # type: ignore[no-untyped-def]
        from minikctl.cli import targets

        if not self.filenames:
            return targets.parse(self.args, "get")
        from minikctl.api import validation  # (pathlib, schemas: only needed for -f)
        from minikctl.cli import manifests

        out = []
        for doc in manifests.read(self.filenames, self.recursive):
            kind = validation.kind_of(doc.obj)
            md = doc.obj.get("metadata") or {}  # type: ignore[union-attr]
            out.append(targets.Target(kind, md.get("name")))
            if kind.namespaced and md.get("namespace") and not self.namespace:
                self.namespace = md["namespace"]
        return out

    def run(self) -> int:
        from minikctl import errors
        from minikctl.cli import printers, state, targets
        from minikctl.cli.errors import report

        wanted = self.targets()
        client = state.client()
        objs: list[dict] = []
        failed = False
        named = any(t.name for t in wanted)
        for t in wanted:
            ns = targets.namespace_for(t.kind, self.namespace, self.all_namespaces and not t.name)
            try:
                if t.name:
                    if self.selector:
                        raise errors.UsageError("name cannot be provided when a selector is specified", "get")
                    objs.append(client.get(t.kind, ns or "", t.name))
                else:
                    items, self.revision = client.list(t.kind, ns, label_selector=self.selector,
                                                      field_selector=self.field_selector)
                    objs.extend(items)
            except errors.NotFound as exc:
                if not self.ignore_not_found:
                    report(exc)
                    failed = True
        kinds_seen = {t.kind for t in wanted}
        if self.sort_by and objs:
            from minikctl.cli.printers.sorting import sort_objects

            objs = sort_objects(objs, self.sort_by)
        if not self.watch_only:
            if objs or (self.output not in (None, "wide") and not named):
                printers.print_objects(
                    objs, output=self.output, out=sys.stdout, all_namespaces=self.all_namespaces,
                    show_labels=self.show_labels, no_headers=self.no_headers,
                    single=named and len(wanted) == 1, with_kind=len(kinds_seen) > 1 or None)
            elif not named:
                cluster = all(not t.kind.namespaced for t in wanted)
                print(targets.no_resources_message(self.namespace, self.all_namespaces, cluster), file=sys.stderr)
        if self.watch or self.watch_only:
            self._watch(client, wanted)
        return 1 if failed else 0

    def _watch(self, client, wanted) -> None:  # type: ignore[no-untyped-def]
        """-w: after the list, print each change as a row (no headers), until Ctrl-C."""
        from minikctl import errors
        from minikctl.cli import printers, targets

        if len({t.kind for t in wanted}) != 1:
            raise errors.UsageError("you may only specify a single resource type with --watch", "get")
        t = wanted[0]
        ns = targets.namespace_for(t.kind, self.namespace, self.all_namespaces)
        since = getattr(self, "revision", 0)
        field_selector = self.field_selector
        if t.name:
            field_selector = f"metadata.name={t.name}" + (f",{field_selector}" if field_selector else "")
        for _type, obj in client.watch(t.kind, ns, since, label_selector=self.selector, field_selector=field_selector):
            printers.print_objects([obj], output=self.output, out=sys.stdout, all_namespaces=self.all_namespaces,
                                   show_labels=self.show_labels, no_headers=True, single=True)
            sys.stdout.flush()


def register(app: "typer.Typer") -> None:
    # Imported here, not at the top, so cli/lean.py runs GetOptions without typer; global,
    # because typer resolves the annotations below in this module's namespace.
    global typer, options
    import typer

    from minikctl.cli import options

    from minikctl.cli import goflags

    @app.command("get", cls=goflags.GoFlagsCommand, help="Display one or many resources." + EXAMPLES)
    def get(
        args: Annotated[Optional[list[str]], typer.Argument(metavar="(TYPE[.VERSION][.GROUP] [NAME ...] | TYPE/NAME ...)")] = None,
        namespace: options.Namespace = None,
        all_namespaces: options.AllNamespaces = False,
        selector: options.Selector = None,
        field_selector: options.FieldSelector = None,
        output: options.Output = None,
        show_labels: Annotated[bool, typer.Option("--show-labels", help="When printing, show all labels as the last column.")] = False,
        no_headers: Annotated[bool, typer.Option("--no-headers", help="When using the default or custom-column output format, don't print headers.")] = False,
        ignore_not_found: Annotated[bool, typer.Option("--ignore-not-found", help="If the requested object does not exist the command will return exit code 0.")] = False,
        watch: Annotated[bool, typer.Option("--watch", "-w", help="After listing/getting the requested object, watch for changes.")] = False,
        watch_only: Annotated[bool, typer.Option("--watch-only", help="Watch for changes to the requested object(s), without listing/getting first.")] = False,
        filename: options.Filenames = None,
        recursive: options.Recursive = False,
        sort_by: Annotated[Optional[str], typer.Option("--sort-by", help="If non-empty, sort list types using this field specification. The field specification is expressed as a JSONPath expression (e.g. '{.metadata.name}').")] = None,
    ) -> None:
        from minikctl.cli import state

        opts = GetOptions(list(args or []), namespace, all_namespaces, selector, field_selector, output,
                          show_labels, no_headers, ignore_not_found, watch, watch_only, list(filename or []), recursive,
                          sort_by)
        opts.validate()
        try:
            state.exit_code = opts.run()
        except KeyboardInterrupt:
            state.exit_code = 0
