"""What `label` and `annotate` share: parsing KEY=VALUE / KEY- arguments and applying
them to one metadata map with kubectl's --overwrite rules."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Annotated, Optional

import typer

from minikctl import errors
from minikctl.cli import options


@dataclass
class Changes:
    set: dict[str, str] = field(default_factory=dict)
    remove: list[str] = field(default_factory=list)


def split_args(args: list[str], command: str) -> tuple[list[str], Changes]:
    """`pods web api app=x tier-` -> (['pods', 'web', 'api'], changes)."""
    resources: list[str] = []
    changes = Changes()
    for arg in args:
        if "=" in arg:
            key, _, value = arg.partition("=")
            if not key:
                raise errors.UsageError(f"invalid {command} format: {arg}", command)
            changes.set[key] = value
        elif arg.endswith("-") and len(arg) > 1 and resources:
            changes.remove.append(arg[:-1])
        else:
            if changes.set or changes.remove:
                raise errors.UsageError(f"all resources must be specified before {command} changes: {arg}", command)
            resources.append(arg)
    if not changes.set and not changes.remove:
        raise errors.UsageError(f"at least one {command} update is required", command)
    return resources, changes


def change_map(current: dict, changes: Changes, *, overwrite: bool, command: str, resource_version: str | None):  # type: ignore[no-untyped-def]
    """A function that edits an object's labels or annotations in place."""
    map_name = "labels" if command == "label" else "annotations"

    def apply(obj: dict) -> None:
        md = obj.setdefault("metadata", {})
        values = dict(md.get(map_name) or {})
        if resource_version and md.get("resourceVersion") != resource_version:
            raise errors.Conflict("", md.get("name", ""))
        for key, value in changes.set.items():
            if key in values and values[key] != value and not overwrite:
                if command == "label":
                    raise errors.MinikctlError(f"'{key}' already has a value ({values[key]}), and --overwrite is false")
                raise errors.MinikctlError(
                    f"--overwrite is false but found the following declared annotation(s): "
                    f"'{key}' already has a value ({values[key]})")
            values[key] = value
        for key in changes.remove:
            values.pop(key, None)
        if values:
            md[map_name] = values
        else:
            md.pop(map_name, None)

    return apply


def run(args: list[str], *, command: str, namespace: str | None, all_namespaces: bool, selector: str | None,
        all_: bool, overwrite: bool, dry_run: str, output: str | None, resource_version: str | None) -> int:
    from minikctl.cli import options, resources, state, targets

    names, changes = split_args(args, command)
    if not names:
        raise errors.UsageError("one or more resources must be specified as <resource> <name> or <resource>/<name>", command)
    wanted = targets.parse(names, command)
    if any(t.name is None for t in wanted) and not (selector or all_):
        raise errors.UsageError("resource(s) were provided, but no name was specified", command)
    client = state.client()
    done = {"label": ("labeled", "unlabeled", "not labeled"), "annotate": ("annotated", "annotated", "annotated")}[command]
    for t in wanted:
        ns = targets.namespace_for(t.kind, namespace, all_namespaces)
        objs = [client.get(t.kind, ns or "", t.name)] if t.name else client.list(t.kind, ns, label_selector=selector)[0]
        for obj in objs:
            md = obj["metadata"]
            edit = change_map(obj, changes, overwrite=overwrite, command=command, resource_version=resource_version)
            result, changed = client.modify(t.kind, md.get("namespace", ""), md["name"], edit,
                                            dry_run=dry_run != "none")
            word = done[2] if not changed else (done[1] if not changes.set else done[0])
            if output and output != "name":
                from minikctl.cli import printers

                printers.print_objects([result], output=output, out=sys.stdout, single=True)
            else:
                print(resources.ref(t.kind, result) + ("" if output == "name" else f" {word}{options.dry_run_suffix(dry_run)}"))
    return 0


def register_verb(app: typer.Typer, command: str, help_text: str) -> None:
    """The `label` or `annotate` command: the same flags, the same run()."""

    def edit(
        args: Annotated[list[str], typer.Argument(metavar="(-f FILENAME | TYPE NAME | TYPE/NAME) KEY_1=VAL_1 ... KEY_N=VAL_N")],
        namespace: options.Namespace = None,
        all_namespaces: options.AllNamespaces = False,
        selector: options.Selector = None,
        all: Annotated[bool, typer.Option("--all", help="Select all resources, in the namespace of the specified resource types.")] = False,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="If true, allow existing values to be overwritten.")] = False,
        resource_version: Annotated[Optional[str], typer.Option("--resource-version", help="If non-empty, the update will only succeed if this is the current resource-version for the object.")] = None,
        dry_run: options.DryRun = "none",
        output: options.Output = None,
    ) -> None:
        from minikctl.cli import state

        state.exit_code = run(
            args, command=command, namespace=namespace, all_namespaces=all_namespaces, selector=selector,
            all_=all, overwrite=overwrite, dry_run=options.dry_run_mode(dry_run, command), output=output,
            resource_version=resource_version)

    from minikctl.cli.goflags import GoFlagsCommand

    app.command(command, cls=GoFlagsCommand, help=help_text)(edit)
