"""CronJob schedules and time zones, judged as Kubernetes judges them: robfig/cron v3's
standard parser (5 fields, day-of-week 0-6, descriptors such as @hourly and "@every 5m",
messages that name the bad value rather than the field), Go's time.ParseDuration for
@every, and time.LoadLocation for spec.timeZone and CRON_TZ=/TZ= prefixes.
"""
from __future__ import annotations

import re
from typing import Any

from minikctl.api.rules.common import go_quote, invalid
from minikctl.errors import Cause


def schedule_errors(schedule: str, path: str, allow_tz: bool, time_zone: Any) -> list[Cause]:
    causes = []
    error = cron_error(schedule)
    if error:
        causes.append(invalid(path, schedule, error))
    if "TZ" in schedule:
        if not allow_tz:
            causes.append(invalid(path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
        elif time_zone is not None:
            causes.append(invalid(path, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
    return causes


_TZ_PART = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")


def time_zone_errors(tz: Any, path: str) -> list[Cause]:
    if not isinstance(tz, str):
        return []
    if tz == "":
        return [invalid(path, tz, "timeZone must be nil or non-empty string")]
    for part in tz.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_PART.fullmatch(part):
            return [invalid(path, tz, f"unknown time zone {tz}")]
    if tz.lower() == "local":
        return [invalid(path, tz, "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")]
    return [] if _load_location(tz) else [invalid(path, tz, f"unknown time zone {tz}")]


def _load_location(tz: str) -> bool:
    import zoneinfo  # lazily: only CronJobs with a timeZone need the tz database

    try:
        zoneinfo.ZoneInfo(tz)
        return True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False


# robfig/cron v3's standard parser (minute hour day-of-month month day-of-week).
_CRON_FIELDS = (
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun",
                                             "jul", "aug", "sep", "oct", "nov", "dec"))}),
    (0, 6, {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}),
)
_DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


def cron_error(spec: str) -> str:
    """cron.ParseStandard's error message for `spec`, or "" when it parses."""
    if not spec:
        return "empty spec string"
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space, eq = spec.find(" "), spec.find("=")
        location = spec[eq + 1:space] if space >= 0 else spec[eq + 1:]
        if space < 0 or not _load_location(location):
            return f"provided bad location {location}: unknown time zone {location}"
        spec = spec[space:].strip()
    if spec.startswith("@"):
        return _descriptor_error(spec)
    fields = spec.split()
    if len(fields) != 5:
        return f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"
    for text, (lo, hi, names) in zip(fields, _CRON_FIELDS):
        for expr in (e for e in text.split(",") if e):
            error = _cron_range_error(expr, lo, hi, names)
            if error:
                return error
    return ""


def _descriptor_error(spec: str) -> str:
    if spec in _DESCRIPTORS:
        return ""
    if spec.startswith("@every "):
        error = go_duration_error(spec[len("@every "):])
        return f"failed to parse duration {spec}: {error}" if error else ""
    return f"unrecognized descriptor: {spec}"


def _cron_range_error(expr: str, lo: int, hi: int, names: dict[str, int]) -> str:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    try:
        if low_and_high[0] in ("*", "?"):
            start, end = lo, hi
        else:
            start = _cron_int(low_and_high[0], names)
            if len(low_and_high) == 1:
                end = start
            elif len(low_and_high) == 2:
                end = _cron_int(low_and_high[1], names)
            else:
                return f"too many hyphens: {expr}"
        if len(range_and_step) == 2:
            step = _cron_int(range_and_step[1], {})
            if len(low_and_high) == 1:
                end = hi  # "N/step" means "N-max/step"
        elif len(range_and_step) > 2:
            return f"too many slashes: {expr}"
        else:
            step = 1
    except ValueError as exc:
        return str(exc)
    if start < lo:
        return f"beginning of range ({start}) below minimum ({lo}): {expr}"
    if end > hi:
        return f"end of range ({end}) above maximum ({hi}): {expr}"
    if start > end:
        return f"beginning of range ({start}) beyond end of range ({end}): {expr}"
    if step == 0:
        return f"step of range should be a positive number: {expr}"
    return ""


def _cron_int(text: str, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ValueError(f'failed to parse int from {text}: strconv.Atoi: parsing {go_quote(text)}: invalid syntax')
    value = int(text)
    if value < 0:
        raise ValueError(f"negative number ({value}) not allowed: {text}")
    return value


def go_duration_error(text: str) -> str:
    """time.ParseDuration's error for `text`, or "" when it parses."""
    from minikctl.api import durations

    return durations.error(text, go_quote)
    if not s:
        return f"time: invalid duration {quoted}"
    while s:
        number = re.match(r"[0-9]*(\.[0-9]*)?", s).group(0)
        if number in ("", "."):
            return f"time: invalid duration {quoted}"
        s = s[len(number):]
        unit = re.match(r"[^0-9.]*", s).group(0)
        if not unit:
            return f"time: missing unit in duration {quoted}"
        if unit not in _DURATION_UNITS:
            return f"time: unknown unit {go_quote(unit)} in duration {quoted}"
        s = s[len(unit):]
    return ""
