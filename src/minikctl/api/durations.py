"""Go durations, as Kubernetes and kubectl read and print them: time.ParseDuration
(`300ms`, `1.5h`, `2h45m`, `-1s`) with its exact errors, and time.Duration.String()
(`5m3.5s`, `1h0m0s`, `250ms`). Used by flag parsing, cron validation and back-off
messages alike."""
from __future__ import annotations

import re
from collections.abc import Callable

UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_NUMBER = re.compile(r"[0-9]*(\.[0-9]*)?")
_UNIT = re.compile(r"[^0-9.]*")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def error(text: str, quote: Callable[[str], str] = _quote) -> str:
    """time.ParseDuration's error for `text`, or "" when it parses."""
    quoted = quote(text)
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return ""
    if not body:
        return f"time: invalid duration {quoted}"
    while body:
        number = _NUMBER.match(body).group(0)  # type: ignore[union-attr]
        if number in ("", "."):
            return f"time: invalid duration {quoted}"
        body = body[len(number):]
        unit = _UNIT.match(body).group(0)  # type: ignore[union-attr]
        if not unit:
            return f"time: missing unit in duration {quoted}"
        if unit not in UNITS:
            return f"time: unknown unit {quote(unit)} in duration {quoted}"
        body = body[len(unit):]
    return ""


def seconds(text: str) -> float:
    """The duration in seconds; ValueError with Go's message when it does not parse."""
    problem = error(text)
    if problem:
        raise ValueError(problem)
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    total = 0.0
    while body and body != "0":
        number = _NUMBER.match(body).group(0)  # type: ignore[union-attr]
        body = body[len(number):]
        unit = _UNIT.match(body).group(0)  # type: ignore[union-attr]
        body = body[len(unit):]
        total += float(number) * UNITS[unit]
    return sign * total


def format(value: float) -> str:  # noqa: A001 - the name Go gives it (String)
    """time.Duration.String(): `5m3.5s`, `30s`, `1h0m0s`, `250ms`."""
    if value == 0:
        return "0s"
    sign = "-" if value < 0 else ""
    ns = round(abs(value) * 1e9)
    if ns < 1_000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return f"{sign}{_trim(ns / 1e3)}µs"
    if ns < 1_000_000_000:
        return f"{sign}{_trim(ns / 1e6)}ms"
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    secs = _trim(rest / 1e9)
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{sign}{minutes}m{secs}s"
    return f"{sign}{secs}s"


def _trim(value: float) -> str:
    return f"{value:.9f}".rstrip("0").rstrip(".") or "0"
