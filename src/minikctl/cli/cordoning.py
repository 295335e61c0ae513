"""What `cordon`, `uncordon` and `drain` share: the nodes named (or selected with -l),
and marking them (un)schedulable as kubectl's CordonHelper does, printing
`node/x cordoned`, `node/x already cordoned`, `node/x uncordoned`..."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated, Any, Optional

from minikctl import errors


@dataclass
class NodeTargets:
    args: list[str]
    selector: str | None
    verb: str

    def validate(self) -> None:
        if not self.args and not self.selector:
            raise errors.UsageError(f"USAGE: {self.verb} NODE [flags]", self.verb)
        if self.args and self.selector:
            raise errors.UsageError("error: cannot specify both a node name and a --selector option", self.verb)

    def nodes(self, client: Any) -> list[dict]:
        """The nodes, as the builder finds them: by name (NotFound for a missing one),
        else by label selector; `node/x` and `nodes x` spellings are accepted."""
        from minikctl.api import kinds

        kind = kinds.by_kind("Node")
        if self.selector:
            found, _ = client.list(kind, label_selector=self.selector)
            if not found:
                raise errors.MinikctlError("No resources found")
            return sorted(found, key=lambda n: n["metadata"]["name"])
        names = list(self.args)
        if names and names[0].lower() in ("node", "nodes", "no"):
            names = names[1:]
        out = []
        for name in names:
            kind_part, slash, bare = name.partition("/")
            if slash:
                if kind_part.lower() not in ("node", "nodes", "no"):
                    raise errors.MinikctlError(f'error: expected resource of type node, got "{kind_part}"')
                name = bare
            out.append(client.get(kind, "", name))
        return out


def set_unschedulable(client: Any, node: dict, desired: bool, *, dry_run: str = "none") -> dict:
    """Cordon (True) or uncordon (False) one node; print what kubectl prints. Returns
    the node as it is now."""
    from minikctl.api import kinds
    from minikctl.cli import options

    name = node["metadata"]["name"]
    verb = "cordoned" if desired else "uncordoned"
    if bool((node.get("spec") or {}).get("unschedulable")) == desired:
        print(f"node/{name} already {verb}")
        return node
    if dry_run == "none":
        def mark(n: dict) -> None:
            spec = n.setdefault("spec", {})
            if desired:
                spec["unschedulable"] = True
            else:
                spec.pop("unschedulable", None)
        node, _ = client.modify(kinds.by_kind("Node"), "", name, mark)
    print(f"node/{name} {verb}{options.dry_run_suffix(dry_run)}")
    sys.stdout.flush()
    return node


def run_cordon(args: list[str], selector: str | None, dry_run: str, *, desired: bool) -> int:
    from minikctl.cli import options, state

    verb = "cordon" if desired else "uncordon"
    targets = NodeTargets(args, selector, verb)
    targets.validate()
    mode = options.dry_run_mode(dry_run, verb)
    client = state.client()
    for node in targets.nodes(client):
        set_unschedulable(client, node, desired, dry_run=mode)
    return 0


def register_verb(app, command: str, help_text: str, *, desired: bool) -> None:  # type: ignore[no-untyped-def]
    """The `cordon` or `uncordon` command: the same flags, the same run_cordon()."""
    # global: typer resolves the annotations below in this module's namespace, and drain
    # imports this module without wanting typer at import time.
    global typer, options
    import typer

    from minikctl.cli import options

    def mark(
        args: Annotated[Optional[list[str]], typer.Argument(metavar="NODE")] = None,
        selector: Annotated[Optional[str], typer.Option("--selector", "-l", help="Selector (label query) to filter on")] = None,
        dry_run: options.DryRun = "none",
    ) -> None:
        from minikctl.cli import state

        state.exit_code = run_cordon(list(args or []), selector, dry_run, desired=desired)

    from minikctl.cli.goflags import GoFlagsCommand

    app.command(command, cls=GoFlagsCommand, help=help_text)(mark)
