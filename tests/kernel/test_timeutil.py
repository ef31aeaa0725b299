from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trendwatch.timeutil import DisplayClock, OutOfRange, ago, floor_time, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("5m", 300),
        ("1h30m", 5400),
        ("7d", 604800),
        ("2w", 1209600),
        (45, 45),
        ("120", 120),
        ("500ms", 0.5),
    ],
)
def test_parse_duration(text: object, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", ["", "5x", "m5", "1h 2", -1, True, None])
def test_parse_duration_rejects(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_format_duration_round_trips() -> None:
    for text in ("1h30m", "7d", "5m", "1d2h3m4s", "300ms", "1m30s500ms"):
        assert format_duration(parse_duration(text)) == text


def test_floor_time_aligns_to_epoch() -> None:
    t = datetime(2026, 11, 26, 10, 7, 31, tzinfo=UTC)
    assert floor_time(t, timedelta(minutes=5)) == datetime(2026, 11, 26, 10, 5, tzinfo=UTC)
    assert floor_time(t, timedelta(hours=1)) == datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_tehran_jalali_persian_digits() -> None:
    clock = DisplayClock(tz="Asia/Tehran", calendar="jalali", digits="persian")
    # 2026-03-20 20:30 UTC is 2026-03-21 00:00 in Tehran (UTC+3:30): Nowruz, 1 Farvardin 1405.
    assert clock.format(datetime(2026, 3, 20, 20, 30, tzinfo=UTC)) == "۱۴۰۵-۰۱-۰۱ ۰۰:۰۰"
    assert DisplayClock().format(datetime(2026, 3, 20, 20, 30, tzinfo=UTC)) == "2026-03-20 20:30"


@pytest.mark.parametrize("huge", ["99999999999999d", "99999999999999999999", 1e300, float("inf")])
def test_parse_duration_too_long_is_out_of_range_not_overflow(huge: object) -> None:
    with pytest.raises(OutOfRange, match="too long a duration"):
        parse_duration(huge)


def test_parse_duration_rejects_nan() -> None:
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(float("nan"))


def test_ago_before_year_one_is_out_of_range() -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    assert ago(now, timedelta(days=1)) == datetime(2026, 11, 25, tzinfo=UTC)
    with pytest.raises(OutOfRange, match="before year 1"):
        ago(now, timedelta(days=999999))
