"""The lean start: `minikctl get ...` with plain flags runs without importing typer.

Importing typer and building a click command from the verb's signature costs ~45 ms of a
~100 ms `get pods`; kubectl itself answers in ~60 ms. So for the verbs listed here a
small parser reads the command line when every token is one it knows for certain, and
builds the same options object the typer command would. Anything else (help, an unknown
or misspelt flag, a missing value, a value that looks like a flag, combined short flags,
`--`) returns None and the full typer app runs: its help and its error messages stay the
only ones. tests/integration/server/test_lean_start.py checks that every flag here exists in the typer command
with the same arity, and that both paths print the same.
"""
from __future__ import annotations

from collections.abc import Callable

# flag -> (destination, takes a value). Only options whose typer form is a plain string
# or a bool flag; list options (-f) and the rest go through typer.
GET_FLAGS: dict[str, tuple[str, bool]] = {
    "-n": ("namespace", True), "--namespace": ("namespace", True),
    "-A": ("all_namespaces", False), "--all-namespaces": ("all_namespaces", False),
    "-l": ("selector", True), "--selector": ("selector", True),
    "--field-selector": ("field_selector", True),
    "-o": ("output", True), "--output": ("output", True),
    "--show-labels": ("show_labels", False),
    "--no-headers": ("no_headers", False),
    "--ignore-not-found": ("ignore_not_found", False),
    "-w": ("watch", False), "--watch": ("watch", False),
    "--watch-only": ("watch_only", False),
    "--sort-by": ("sort_by", True),
}


def parse(args: list[str], flags: dict[str, tuple[str, bool]]) -> tuple[list[str], dict] | None:
    """(positional arguments, {destination: value}) or None when typer must decide."""
    positional: list[str] = []
    values: dict = {}
    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if not token.startswith("-"):
            positional.append(token)
            continue
        name, eq, inline = token.partition("=")
        if name not in flags:
            return None  # unknown, -h/--help, `--`, a lone `-`
        dest, takes_value = flags[name]
        if dest in values:
            return None  # repeated: leave the precedence rules to click
        if not takes_value:
            if eq:
                return None
            values[dest] = True
            continue
        if eq:
            value = inline
        elif i < len(args):
            value = args[i]
            i += 1
        else:
            return None  # missing value: typer's error message
        if value.startswith("-"):
            return None
        values[dest] = value
    return positional, values


def _run_get(args: list[str], values: dict) -> None:
    """What get.py's typer command does with the same options."""
    from minikctl.cli import state
    from minikctl.cli.get import GetOptions

    opts = GetOptions(args, **values)
    opts.validate()
    try:
        state.exit_code = opts.run()
    except KeyboardInterrupt:
        state.exit_code = 0


def runner(argv: list[str]) -> Callable[[], None] | None:
    """A function running `argv` without typer, or None when typer must run it."""
    if not argv or argv[0] != "get":
        return None
    parsed = parse(argv[1:], GET_FLAGS)
    if parsed is None:
        return None
    args, values = parsed
    return lambda: _run_get(args, values)
