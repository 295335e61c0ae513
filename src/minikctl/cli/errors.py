"""Turning any error into what the user reads: one message on stderr, exit code 1.

Worded as kubectl words them. A traceback appears only with -v.
"""
from __future__ import annotations

import sys
import traceback

from minikctl import errors

EXIT_ERROR = 1


def message_for(exc: BaseException, *, source: str = "", action: str = "") -> str:
    """The message kubectl would print for this error (without the trailing newline)."""
    where = f' when {action} "{source}"' if source and action else ""
    if isinstance(exc, errors.Invalid):
        head = f'The {exc.kind} "{exc.name}" is invalid'
        if source:
            head += f" ({source})"
        if len(exc.causes) == 1:
            return f"{head}: {exc.causes[0].render()}"
        return head + ": \n" + "\n".join(f"* {c.render()}" for c in exc.causes)
    if isinstance(exc, errors.StatusError):
        # kubectl: `Error from server (AlreadyExists): error when creating "f.yaml": pods "x" already exists`
        return f"Error from server ({exc.reason}): {'error' + where + ': ' if where else ''}{exc.message}"
    if isinstance(exc, errors.NoKindMatch) and source:
        return f'error: resource mapping not found for "{source}": {exc}\nensure CRDs are installed first'
    if isinstance(exc, errors.UsageError):
        hint = f"\nSee 'minikctl {exc.command} -h' for help and examples" if exc.command else ""
        return f"error: {exc}{hint}"
    if isinstance(exc, errors.MinikctlError):
        return f"error: {exc}"
    return f"error: {type(exc).__name__}: {exc}"


def report(exc: BaseException, *, verbose: bool = False, **context: str) -> None:
    if verbose:
        traceback.print_exception(exc, file=sys.stderr)
    print(message_for(exc, **context), file=sys.stderr)


def warn(message: str) -> None:
    print(f"Warning: {message}", file=sys.stderr)
