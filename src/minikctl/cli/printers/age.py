"""Ages and timestamps as kubectl prints them.

`human_duration` is a port of apimachinery's `duration.HumanDuration`, which every AGE,
LAST SEEN and DURATION cell uses: seconds below two minutes, then minutes and seconds
below ten minutes, and so on up to years, keeping two or three significant figures.
A missing timestamp prints as `<unknown>`.
"""
from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone

UNKNOWN = "<unknown>"

_FRACTION = re.compile(r"\.(\d+)")


def human_duration(seconds: float | timedelta) -> str:
    """`45s`, `5m30s`, `95m`, `3h45m`, `40h`, `3d4h`, `400d`, `2y30d`, `9y`."""
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    s = int(seconds)  # truncates toward zero, as Go's int(d.Seconds()) does
    # A clock up to a second ahead of ours still counts as "now".
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if hours < 24 * 365 * 2:
        return f"{days}d"
    years = days // 365
    if hours < 24 * 365 * 8:
        rest = days % 365
        return f"{years}y{rest}d" if rest else f"{years}y"
    return f"{years}y"


@functools.lru_cache(maxsize=8192)
def _parse(value: str) -> datetime | None:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python before 3.11 accepts at most six fractional digits; RFC 3339 allows nine.
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 timestamp (or a datetime) as an aware datetime; None when absent or bad."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not value or not isinstance(value, str):
        return None
    return _parse(value)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def since(value: object, now: datetime) -> str:
    """kubectl's translateTimestampSince: the age of a timestamp, `<unknown>` when missing."""
    parsed = parse_time(value)
    if parsed is None:
        return UNKNOWN
    return human_duration((now - parsed).total_seconds())


def between(start: object, end: object) -> str:
    """HumanDuration of end - start (a Job's DURATION), or "" when start is missing."""
    first, last = parse_time(start), parse_time(end)
    if first is None or last is None:
        return ""
    return human_duration((last - first).total_seconds())


def rfc1123z(value: object) -> str:
    """`Mon, 15 Jan 2024 10:00:00 +0000` in the local zone, as kubectl describe prints times.

    kubectl decodes API timestamps into local time, so describe output follows $TZ.
    A missing time prints as Go's zero time does.
    """
    parsed = parse_time(value)
    if parsed is None:
        return "Mon, 01 Jan 0001 00:00:00 +0000"
    return parsed.astimezone().strftime("%a, %d %b %Y %H:%M:%S %z")
