"""AGE cells: apimachinery's duration.HumanDuration, and timestamps as kubectl shows them."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from minikctl.cli.printers import age, human_duration

NOW = datetime(2024, 1, 15, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        pytest.param(-5, "<invalid>", id="clock-far-ahead"),
        pytest.param(-1.5, "0s", id="clock-slightly-ahead"),
        pytest.param(0, "0s", id="zero"),
        pytest.param(45.9, "45s", id="truncated-seconds"),
        pytest.param(119, "119s", id="seconds-below-two-minutes"),
        pytest.param(120, "2m", id="two-minutes"),
        pytest.param(130, "2m10s", id="minutes-and-seconds"),
        pytest.param(330, "5m30s", id="five-and-a-half-minutes"),
        pytest.param(599, "9m59s", id="below-ten-minutes"),
        pytest.param(600, "10m", id="ten-minutes"),
        pytest.param(95 * 60 + 59, "95m", id="minutes-only"),
        pytest.param(179 * 60, "179m", id="below-three-hours"),
        pytest.param(3 * 3600, "3h", id="three-hours"),
        pytest.param(3 * 3600 + 45 * 60, "3h45m", id="hours-and-minutes"),
        pytest.param(8 * 3600, "8h", id="eight-hours"),
        pytest.param(40 * 3600 + 59 * 60, "40h", id="hours-only"),
        pytest.param(48 * 3600, "2d", id="two-days"),
        pytest.param(3 * 86400 + 4 * 3600, "3d4h", id="days-and-hours"),
        pytest.param(8 * 86400, "8d", id="eight-days"),
        pytest.param(400 * 86400, "400d", id="days-only"),
        pytest.param(730 * 86400, "2y", id="two-years"),
        pytest.param(760 * 86400, "2y30d", id="years-and-days"),
        pytest.param(9 * 365 * 86400 + 100 * 86400, "9y", id="years-only"),
    ],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_human_duration_accepts_timedelta() -> None:
    assert human_duration(timedelta(minutes=5, seconds=30)) == "5m30s"


@pytest.mark.parametrize("value", [None, "", "not a time", 42])
def test_since_missing_or_bad_timestamp_is_unknown(value: object) -> None:
    assert age.since(value, NOW) == "<unknown>"


@pytest.mark.parametrize(
    "value",
    ["2024-01-15T11:55:00Z", "2024-01-15T11:54:59.123456789Z", "2024-01-15T12:55:00+01:00"],
)
def test_since_parses_rfc3339(value: str) -> None:
    assert age.since(value, NOW) == "5m"


def test_between_is_empty_without_a_start() -> None:
    assert age.between(None, "2024-01-15T11:55:00Z") == ""
    assert age.between("2024-01-15T11:55:00Z", "2024-01-15T11:55:42Z") == "42s"


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_rfc1123z_in_local_time(utc: None, monkeypatch: pytest.MonkeyPatch) -> None:
    assert age.rfc1123z("2024-01-15T11:55:00Z") == "Mon, 15 Jan 2024 11:55:00 +0000"
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    assert age.rfc1123z("2024-01-15T11:55:00Z") == "Mon, 15 Jan 2024 17:25:00 +0530"


def test_rfc1123z_of_a_missing_time_is_go_zero_time(utc: None) -> None:
    assert age.rfc1123z(None) == "Mon, 01 Jan 0001 00:00:00 +0000"
