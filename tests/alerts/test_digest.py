"""Digest windows: local-midnight aligned when they divide a day, epoch aligned otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.digest import digest_id, window_end
from trendwatch.timeutil import DisplayClock

TEHRAN = DisplayClock(tz="Asia/Tehran")


def test_daily_digest_ends_at_local_midnight() -> None:
    at = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 15:30 in Tehran (UTC+3:30)
    assert window_end(at, timedelta(days=1), TEHRAN) == datetime(2026, 11, 20, 20, 30, tzinfo=UTC)


def test_six_hour_digest_follows_the_local_clock() -> None:
    at = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 15:30 local -> window 12:00-18:00 local
    assert window_end(at, timedelta(hours=6), TEHRAN) == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    assert window_end(at, timedelta(hours=1), DisplayClock()) == datetime(2026, 11, 20, 13, 0, tzinfo=UTC)


def test_a_window_boundary_belongs_to_the_next_window() -> None:
    at = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    assert window_end(at, timedelta(hours=1), DisplayClock()) == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def test_odd_windows_are_epoch_aligned() -> None:
    at = datetime(2026, 11, 20, 12, 0, 5, tzinfo=UTC)
    end = window_end(at, timedelta(minutes=7), TEHRAN)
    assert end > at
    assert end - at <= timedelta(minutes=7)
    assert int(end.timestamp()) % 420 == 0
    weekly = window_end(at, timedelta(days=7), TEHRAN)
    assert int(weekly.timestamp()) % (7 * 86400) == 0
    with pytest.raises(ValueError):
        window_end(at, timedelta(0), TEHRAN)


def test_digest_id_depends_on_the_items_not_their_order() -> None:
    assert digest_id("slack", ["b", "a"]) == digest_id("slack", ["a", "b"])
    assert digest_id("slack", ["a"]) != digest_id("slack", ["a", "b"])
    assert digest_id("slack", ["a"]) != digest_id("email", ["a"])
