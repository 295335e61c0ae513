"""Go duration flags (`--timeout=30s`, `--since=1h30m`, `--pod-running-timeout=20s`).

kubectl declares these with pflag's DurationVar, so they take Go's time.ParseDuration
syntax (`300ms`, `1.5h`, `2h45m`, `0`, `-1s`) and a bad value is rejected with pflag's
message: `invalid argument "5x" for "--since" flag: time: unknown unit "x" in duration "5x"`.
"""
from __future__ import annotations

from minikctl.api import durations


def parse(text: str, flag: str, command: str = "") -> float:
    """Seconds for a Go duration; UsageError worded as pflag words it."""
    from minikctl import errors

    try:
        return durations.seconds(text)
    except ValueError as exc:
        raise errors.UsageError(f'invalid argument "{text}" for "{flag}" flag: {exc}', command) from None


go_string = durations.format
