"""`kubectl get` tables: one per kind, decorated the way kubectl decorates them.

kubectl's table printer adds a NAMESPACE column first with `-A` (namespaced kinds only),
a LABELS column last with `--show-labels`, and prefixes the name cell with
`deployment.apps/` when several kinds are printed (`get all`, `get deploy,svc`).
Tables are separated by a blank line unless headers are off; a table with no rows
prints nothing at all (the caller says "No resources found").
"""
from __future__ import annotations

from datetime import datetime
from typing import TextIO

from minikctl import errors
from minikctl.api import kinds
from minikctl.cli.printers import columns, tabwriter
from minikctl.cli.printers.values import format_labels

_BREAK_CHARS = ("\f", "\n", "\r")


def type_name(obj: dict) -> str:
    """`deployment.apps` for a Deployment, `pod` for a Pod (also for unregistered kinds)."""
    api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
    try:
        return kinds.for_object(api_version, kind).type_name()
    except errors.NoKindMatch:  # an unregistered kind still prints, as kubectl prints CRDs
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        return f"{kind.lower()}.{group}" if group else kind.lower()


def _namespaced(obj: dict) -> bool:
    try:
        return kinds.for_object(obj.get("apiVersion", ""), obj.get("kind", "")).namespaced
    except errors.NoKindMatch:
        return bool((obj.get("metadata") or {}).get("namespace"))


def group_by_kind(objs: list[dict]) -> list[list[dict]]:
    """Objects grouped by apiVersion and kind, in order of first appearance."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for obj in objs:
        groups.setdefault((obj.get("apiVersion", ""), obj.get("kind", "")), []).append(obj)
    return list(groups.values())


def _clean(cell: str) -> str:
    # kubectl cuts a cell at its first line break (marking the cut with "...") and
    # escapes terminal control characters.
    cut = min((i for i in (cell.find(c) for c in _BREAK_CHARS) if i >= 0), default=-1)
    if cut >= 0:
        return tabwriter.escape_terminal(cell[:cut]) + "..."
    return tabwriter.escape_terminal(cell)


def table_rows(objs: list[dict], *, wide: bool, all_namespaces: bool, show_labels: bool,
               with_kind: bool, no_headers: bool, now: datetime) -> list[list[str]]:
    """Header (unless no_headers) and one row per object, for objects of one kind."""
    first = objs[0]
    cols = [c for c in columns.for_kind(first.get("kind", "")) if c.priority == 0 or wide]
    fns = [c.fn for c in cols]
    name_index = next((i for i, c in enumerate(cols) if c.is_name), -1) if with_kind else -1
    prefix = type_name(first) + "/"
    with_namespace = all_namespaces and _namespaced(first)
    ctx = columns.Context(now=now, wide=wide)

    rows: list[list[str]] = []
    if not no_headers:
        header = [c.header.upper() for c in cols]
        rows.append((["NAMESPACE"] if with_namespace else []) + header + (["LABELS"] if show_labels else []))
    for obj in objs:
        cells = [fn(obj, ctx) for fn in fns]
        if name_index >= 0:
            cells[name_index] = prefix + cells[name_index]
        meta = obj.get("metadata") or {}
        if with_namespace:
            cells.insert(0, meta.get("namespace", ""))
        if show_labels:
            cells.append(format_labels(meta.get("labels")))
        joined = "".join(cells)
        if "\x1b" in joined or "\f" in joined or "\n" in joined or "\r" in joined:
            cells = [_clean(c) for c in cells]
        rows.append(cells)
    return rows


def print_tables(objs: list[dict], out: TextIO, *, wide: bool, all_namespaces: bool, show_labels: bool,
                 no_headers: bool, with_kind: bool | None, now: datetime) -> None:
    groups = group_by_kind(objs)
    if with_kind is None:
        with_kind = len(groups) > 1
    written = False
    for group in groups:
        rows = table_rows(group, wide=wide, all_namespaces=all_namespaces, show_labels=show_labels,
                          with_kind=with_kind, no_headers=no_headers, now=now)
        if written and not no_headers:
            out.write("\n")
        out.write(tabwriter.format_rows(rows))
        written = True


def render(headers: list[str], rows: list[list[str]], *, no_headers: bool = False) -> str:
    """A kubectl-style table of ready-made cells, for commands with their own columns
    (`api-resources`): headers as given, columns padded by 3, no trailing spaces."""
    body = rows if no_headers else [list(headers), *rows]
    return tabwriter.format_rows([[_clean(str(cell)) for cell in row] for row in body])
