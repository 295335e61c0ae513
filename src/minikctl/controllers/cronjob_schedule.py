"""When a CronJob runs: its schedule as robfig/cron reads it (croniter does the cron
arithmetic), and the CronJob controller's missed-run rules (cronjob/utils.go).

- `spec.timeZone` (or a CRON_TZ=/TZ= prefix) picks the zone the fields are read in;
  without either, UTC, the zone kube-controller-manager runs in.
- `@every <go duration>` is robfig's ConstantDelaySchedule: the previous time plus the
  delay (at least 1 s, whole seconds), not aligned to the clock.
- most_recent_schedule_time: of all the times missed since the last run (or creation),
  only the latest is run, and none older than startingDeadlineSeconds; more than 100
  missed is reported ("too many missed start times").
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

from minikctl.api import durations

UTC = _dt.timezone.utc
MANY_MISSED = 100
_DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


class Schedule:
    """next(t): the first activation strictly after t."""

    def __init__(self, expr: str, zone: _dt.tzinfo) -> None:
        self.every: float | None = None
        self.zone = zone
        if expr.startswith("@every "):
            delay = durations.seconds(expr[len("@every "):].strip())
            self.every = float(max(1, math.floor(delay)))  # robfig.Every: >= 1 s, whole seconds
            self.expr = ""
        else:
            self.expr = _DESCRIPTORS.get(expr, expr)

    def next(self, after: _dt.datetime) -> _dt.datetime:
        if self.every is not None:
            return after.replace(microsecond=0) + _dt.timedelta(seconds=self.every)
        from croniter import croniter  # lazily: only the controller needs it

        start = after.astimezone(self.zone)
        return croniter(self.expr, start).get_next(_dt.datetime).astimezone(UTC)


def parse(schedule: str, time_zone: str | None) -> Schedule:
    """The schedule of a CronJob; ValueError when it cannot be read (validation should
    have caught it, but a CronJob stored before that, or a removed zone, may not)."""
    import zoneinfo

    expr = schedule.strip()
    zone_name = time_zone
    if expr.startswith(("CRON_TZ=", "TZ=")):
        prefix, _, expr = expr.partition(" ")
        zone_name = zone_name or prefix.split("=", 1)[1]
        expr = expr.strip()
    zone: _dt.tzinfo = UTC
    if zone_name:
        try:
            zone = zoneinfo.ZoneInfo(zone_name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {zone_name}") from exc
    sched = Schedule(expr, zone)
    if sched.every is None:
        from croniter import croniter

        if not croniter.is_valid(sched.expr):
            raise ValueError(f"unparseable schedule {schedule!r}")
    return sched


def known_zone(name: str) -> bool:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
        return True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False


@dataclass
class Missed:
    earliest: _dt.datetime
    most_recent: _dt.datetime | None
    count: int  # an approximation, as Kubernetes': enough to tell "many"


def most_recent_schedule_time(cronjob: dict, now: _dt.datetime, sched: Schedule, *,
                              with_deadline: bool) -> Missed:
    """mostRecentScheduleTime: the latest activation in (earliest, now], where earliest is
    the last schedule time (else creation), moved up to now - startingDeadlineSeconds."""
    from minikctl.api import meta

    md, spec, status = cronjob["metadata"], cronjob.get("spec") or {}, cronjob.get("status") or {}
    earliest = meta.parse_time(status.get("lastScheduleTime") or md["creationTimestamp"])
    deadline = spec.get("startingDeadlineSeconds")
    if with_deadline and deadline is not None:
        earliest = max(earliest, now - _dt.timedelta(seconds=int(deadline)))
    t1 = sched.next(earliest)
    if now < t1:
        return Missed(earliest, None, 0)
    t2 = sched.next(t1)
    if now < t2:
        return Missed(earliest, t1, 1)
    between = round((t2 - t1).total_seconds())
    if between < 1:
        raise ValueError("time difference between two schedules is less than 1 second")
    missed = int((now - t1).total_seconds()) // between + 1
    # Jump close to now, then let the schedule find the exact latest time (irregular
    # schedules such as "30 6-16/4 * * 1-5" make the jump an estimate only).
    t = sched.next(t1 + _dt.timedelta(seconds=(missed - 2) * between))
    most_recent = None
    while t <= now:
        most_recent = t
        t = sched.next(t)
    return Missed(earliest, most_recent, missed)


def next_schedule_delay(cronjob: dict, now: _dt.datetime, sched: Schedule) -> float:
    """nextScheduleTimeDuration: seconds until the next activation (+100 ms)."""
    try:
        missed = most_recent_schedule_time(cronjob, now, sched, with_deadline=False)
    except ValueError:
        return 0.0
    base = missed.most_recent or missed.earliest
    return max(0.0, (sched.next(base) - now).total_seconds()) + 0.1


def job_name(cronjob_name: str, scheduled: _dt.datetime) -> str:
    """getJobName: the CronJob's name and the scheduled time in unix minutes."""
    return f"{cronjob_name}-{int(scheduled.timestamp()) // 60}"
