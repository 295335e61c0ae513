"""Go duration flags (`--timeout=30s`, `--since=1h30m`, `--pod-running-timeout=20s`).

kubectl declares these with pflag's DurationVar, so they take Go's time.ParseDuration
syntax (`300ms`, `1.5h`, `2h45m`, `0`, `-1s`) and a bad value is rejected with pflag's
message: `invalid argument "5x" for "--since" flag: time: unknown unit "x" in duration "5x"`.
"""
from __future__ import annotations

import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_TERM = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")


def parse(text: str, flag: str, command: str = "") -> float:
    """Seconds for a Go duration; UsageError worded as pflag words it."""
    from minikctl import errors

    problem = _error(text)
    if problem:
        raise errors.UsageError(f'invalid argument "{text}" for "{flag}" flag: {problem}', command)
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if body == "0":
        return 0.0
    total = 0.0
    for number, unit in _TERM.findall(body):
        if number:
            total += float(number) * _UNITS[unit]
    return sign * total


def _error(text: str) -> str:
    """time.ParseDuration's error for `text`, or "" when it parses."""
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    body = text[1:] if text[:1] in "+-" else text
    if body == "0":
        return ""
    if not body:
        return f"time: invalid duration {quoted}"
    while body:
        number = re.match(r"[0-9]*(\.[0-9]*)?", body).group(0)  # type: ignore[union-attr]
        if number in ("", "."):
            return f"time: invalid duration {quoted}"
        body = body[len(number):]
        unit = re.match(r"[^0-9.]*", body).group(0)  # type: ignore[union-attr]
        if not unit:
            return f"time: missing unit in duration {quoted}"
        if unit not in _UNITS:
            return f'time: unknown unit "{unit}" in duration {quoted}'
        body = body[len(unit):]
    return ""


def go_string(seconds: float) -> str:
    """time.Duration.String(): `5m3.5s`, `30s`, `1h0m0s`, `250ms`."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    ns = round(abs(seconds) * 1e9)
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
