"""The `kubectl get` columns of a kind as plain data, for the API server's Table responses.

The server renders every cell (kubectl prints Table cells verbatim) with the same column
functions the CLI prints with, so `kubectl get` against the daemon and `minikctl get`
show the same table. All columns are rendered; kubectl hides priority-1 ones unless
`-o wide`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from minikctl.cli.printers import columns


@dataclass(frozen=True)
class ColumnInfo:
    name: str  # as kubectl's server-side printers name it: "Name", "Ready", "Nominated Node"
    priority: int  # 1: only with -o wide
    is_name: bool  # the column kubectl prefixes with `kind.group/` when printing several kinds


def column_infos(kind: str) -> list[ColumnInfo]:
    return [ColumnInfo(c.header, c.priority, c.is_name) for c in columns.for_kind(kind)]


def cells(kind: str, obj: dict, now: datetime) -> list[str]:
    """Every column's cell for one object, in column order."""
    ctx = columns.Context(now=now, wide=True)
    return [c.fn(obj, ctx) for c in columns.for_kind(kind)]
