"""What /proc says about a process: its start time in clock ticks (the half of a
container's identity that a reused pid does not share) and whether it is still running.

Read straight from /proc/<pid>/stat: one small read, exact, no dependency.
"""
from __future__ import annotations

import os


def read_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start ticks) of pid, or None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    except OSError:
        return None
    # comm (field 2) may hold spaces and parentheses: split after the last ')'.
    rest = data[data.rfind(b")") + 2:].split()
    # rest[0] is field 3 (state); field 22 (starttime) is rest[19].
    try:
        return rest[0].decode(), int(rest[19])
    except (IndexError, ValueError):
        return None


def start_ticks(pid: int) -> int | None:
    stat = read_stat(pid)
    return stat[1] if stat else None


def is_running(pid: int, ticks: int) -> bool:
    """pid exists, is the process that started at `ticks`, and has not exited (a zombie
    has exited: only its parent has not collected it yet)."""
    stat = read_stat(pid)
    return stat is not None and stat[1] == ticks and stat[0] not in ("Z", "X", "x")


def mount_namespace(pid: int | str = "self") -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt")
    except OSError:
        return None
