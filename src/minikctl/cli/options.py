"""Flags shared by many verbs, declared once with kubectl's names and help."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

Namespace = Annotated[Optional[str], typer.Option("--namespace", "-n", help="If present, the namespace scope for this CLI request.")]
AllNamespaces = Annotated[bool, typer.Option("--all-namespaces", "-A", help="If present, list the requested object(s) across all namespaces.")]
Selector = Annotated[Optional[str], typer.Option("--selector", "-l", help="Selector (label query) to filter on, supports '=', '==', '!=', 'in', 'notin'.(e.g. -l key1=value1,key2=value2).")]
FieldSelector = Annotated[Optional[str], typer.Option("--field-selector", help="Selector (field query) to filter on, supports '=', '==', and '!='.")]
Output = Annotated[Optional[str], typer.Option("--output", "-o", help="Output format. One of: (json, yaml, name, wide, jsonpath=..., custom-columns=...).")]
Filenames = Annotated[Optional[list[str]], typer.Option("--filename", "-f", help="Filename, directory, or URL to files; '-' reads stdin.")]
Recursive = Annotated[bool, typer.Option("--recursive", "-R", help="Process the directory used in -f, --filename recursively.")]
DryRun = Annotated[str, typer.Option("--dry-run", help='Must be "none", "server", or "client".', flag_value="client")]


def dry_run_mode(value: str, command: str) -> str:
    """kubectl's --dry-run: none|client|server (bare --dry-run means client)."""
    from minikctl import errors

    value = value or "none"
    if value == "true":
        value = "client"
    if value == "false":
        value = "none"
    if value not in ("none", "client", "server"):
        raise errors.UsageError(f'Invalid dry-run value ({value}). Must be "none", "server", or "client".', command)
    return value


def dry_run_suffix(mode: str) -> str:
    return {"client": " (dry run)", "server": " (server dry run)"}.get(mode, "")
