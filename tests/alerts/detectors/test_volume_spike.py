"""Volume spike on literal series: spike, dip, plateau, slow trend, weekly rhythm, sparse counts,
missing buckets and clock jumps."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import numpy as np
import pytest

from alerts.detectors.volume_spike import VolumeSpike
from alerts.lifecycle import DEFAULT_POLICY, State, step
from tests.alerts.detectors.series import END, daily, series
from trendwatch.models import Alert, Bucket, Series

HOUR = timedelta(hours=1)


def detector(**options: Any) -> VolumeSpike:
    base: dict[str, Any] = {"step": "1h", "interval": "1h", "lookback": "28d"}
    base.update(options)
    return VolumeSpike("spikes", VolumeSpike.Options(**base))


def alerts_over(det: VolumeSpike, s: Series, hours: int) -> list[Alert]:
    """Evaluate at every hour of the last `hours` of the series (each sees only its past)."""
    out = []
    for h in range(hours - 1, -1, -1):
        out += det.evaluate([s], END - h * HOUR)
    return out


def test_quiet_daily_rhythm_raises_nothing() -> None:
    s = series(daily(28))
    assert alerts_over(detector(direction="both"), s, 72) == []


def test_a_spike_fires_with_expected_observed_and_start() -> None:
    counts = daily(28)
    counts[-1] = counts[-1] * 4 + 40
    [alert] = detector().evaluate([series(counts)], END)
    assert alert.direction == "up"
    assert alert.status == "open"
    assert alert.kind == "volume_spike"
    assert alert.subject == "Acme"
    assert alert.metric == "posts"
    assert alert.observed == counts[-1]
    assert 0.5 * daily(28, noise=False)[-1] < alert.expected < 1.5 * daily(28, noise=False)[-1]
    assert alert.z > 4.5
    assert 0 < alert.score <= 1
    assert alert.started_at == END - HOUR
    assert alert.at == END


def test_a_spike_that_began_earlier_reports_its_start() -> None:
    counts = daily(28)
    counts[-3:] += 60
    [alert] = detector().evaluate([series(counts)], END)
    assert alert.started_at == END - 3 * HOUR


def test_bigger_spikes_score_higher_and_turn_critical() -> None:
    counts = daily(28)
    small, big = counts.copy(), counts.copy()
    small[-1] += 45
    big[-1] += 400
    [a] = detector().evaluate([series(small)], END)
    [b] = detector().evaluate([series(big)], END)
    assert b.score > a.score
    assert b.z > a.z
    assert b.severity == "critical"


def test_a_dip_fires_only_when_dips_are_watched() -> None:
    counts = daily(28, base=60)
    counts[-10:-6] = 0  # four silent hours in the afternoon
    at = END - 6 * HOUR
    assert detector(direction="up").evaluate([series(counts)], at) == []
    [alert] = detector(direction="down").evaluate([series(counts)], at)
    assert alert.direction == "down"
    assert alert.z < 0
    assert alert.observed == 0
    assert alert.expected > 30
    assert alert.started_at == at - 4 * HOUR
    [both] = detector(direction="both").evaluate([series(counts)], at)
    assert both.direction == "down"


def test_a_plateau_alerts_at_its_onset_stays_elevated_then_becomes_the_new_normal() -> None:
    counts = daily(28)
    counts[-60:] = daily(28, seed=8)[-60:] * 4  # from Saturday noon on, four times the usual
    s = series(counts)
    det = detector()
    onset = [a for h in (59, 58, 57) for a in det.evaluate([s], END - h * HOUR)]
    assert onset
    assert {a.direction for a in onset} == {"up"}
    assert {a.started_at for a in onset} == {END - 60 * HOUR}
    # Two and a half days in, still unusual (the lifecycle keeps it open, "still elevated",
    # and keeps the episode's first start).
    still = alerts_over(det, s, 6)
    assert still
    assert {a.direction for a in still} == {"up"}
    assert min(a.started_at for a in still) >= END - 60 * HOUR
    # A week in, the higher level is what the recent history explains.
    longer = daily(28)
    longer[-7 * 24 :] = daily(28, seed=8)[-7 * 24 :] * 4
    assert alerts_over(det, series(longer), 6) == []


def test_a_plateau_is_one_message_and_a_daily_reminder_through_the_lifecycle() -> None:
    counts = daily(28)
    counts[-60:] = daily(28, seed=8)[-60:] * 4
    s = series(counts)
    det = detector()
    state: State | None = None
    events = []
    for h in range(59, -1, -1):
        now = END - h * HOUR
        [candidate] = det.evaluate([s], now)  # unusual at every hour of the plateau: no gap
        result = step(state, candidate, now, DEFAULT_POLICY)
        state = json.loads(json.dumps(result.state))
        if result.event is not None:
            events.append((h, result.event.status))
    # Sixty hourly evaluations: the opening message and a reminder each day it lasts; the
    # daily swings of the excess are not re-announced as growth.
    assert events == [(59, "open"), (35, "updated"), (11, "updated")]


def test_a_slow_trend_raises_nothing() -> None:
    counts = daily(28)
    growth = np.linspace(1.0, 2.0, counts.size)
    trended = np.random.default_rng(3).poisson(daily(28, noise=False) * growth).astype(float)
    del counts
    assert alerts_over(detector(direction="both"), series(trended), 72) == []


def test_weekly_rhythm_monday_and_weekend_are_not_news() -> None:
    counts = daily(28, weekend=0.3)
    assert alerts_over(detector(direction="both"), series(counts), 24 * 4) == []


def test_sparse_counts_need_min_count() -> None:
    rng = np.random.default_rng(11)
    counts = rng.poisson(0.2, 28 * 24).astype(float)
    det = detector(direction="both")
    assert alerts_over(det, series(counts), 72) == []
    counts[-1] = 3  # unusual for this brand, but three posts are not news
    assert det.evaluate([series(counts)], END) == []
    counts[-1] = 12
    [alert] = det.evaluate([series(counts)], END)
    assert alert.direction == "up"
    assert alert.observed == 12


def test_missing_buckets_are_zeros() -> None:
    counts = daily(28, base=3)
    counts[-1] = 30
    sparse, filled = series(counts), series(counts, keep_zeros=True)
    assert len(sparse.buckets) < len(filled.buckets)
    assert detector().evaluate([sparse], END) == detector().evaluate([filled], END)


def test_unique_authors_metric_ignores_one_account_flooding() -> None:
    counts = daily(28)
    authors = counts.copy()
    counts[-1] += 300  # one account posting 300 times
    authors[-1] += 1
    s = series(counts, authors=authors)
    assert detector(metric="count").evaluate([s], END) != []
    assert detector(metric="authors").evaluate([s], END) == []


def test_clock_jumped_back_ignores_buckets_from_the_future() -> None:
    counts = daily(28)
    counts[-1] += 300
    s = series(counts)
    earlier = END - 5 * HOUR
    truncated = series(counts[:-5], end=earlier)
    assert detector().evaluate([s], earlier) == detector().evaluate([truncated], earlier) == []


def test_now_between_bucket_edges_judges_the_last_complete_bucket() -> None:
    counts = daily(28)
    counts[-1] += 300
    [alert] = detector().evaluate([series(counts)], END + timedelta(minutes=37))
    assert alert.observed == counts[-1]


def test_clock_jumped_far_ahead_has_no_history_and_no_alert() -> None:
    counts = daily(28)
    assert detector(direction="both").evaluate([series(counts)], END + timedelta(days=40)) == []


def test_buckets_off_the_grid_fall_into_their_grid_bucket() -> None:
    counts = daily(28)
    counts[-1] += 300
    s = series(counts)
    moved = tuple(Bucket(start=b.start + timedelta(minutes=10), count=b.count) for b in s.buckets)
    shifted = Series(subject=s.subject, kind=s.kind, step=s.step, start=s.start, end=s.end, buckets=moved)
    [a] = detector().evaluate([shifted], END + timedelta(minutes=10))
    assert a.observed == counts[-1]


def test_a_brand_seen_for_the_first_time_waits_for_history() -> None:
    counts = np.zeros(28 * 24)
    counts[-5:] = [3, 4, 2, 50, 80]
    assert detector().evaluate([series(counts)], END) == []


@pytest.mark.parametrize("s", [series([]), series([0] * 48)])
def test_empty_series_raise_nothing(s: Series) -> None:
    assert detector(direction="both").evaluate([s], END) == []
    assert detector().evaluate([], END) == []


def test_each_brand_is_judged_on_its_own_history() -> None:
    big = daily(28, base=500)
    small = daily(28, base=5, seed=9)
    small[-1] += 40
    out = detector().evaluate([series(big, subject="Big"), series(small, subject="Small")], END)
    assert [a.subject for a in out] == ["Small"]


def test_query_and_schedule_follow_options() -> None:
    det = detector(brand="Acme", platform="mastodon", lang="fa", step="5m", interval="10m", lookback="14d")
    assert det.query.kind == "brand"
    assert det.query.subject == "Acme"
    assert det.query.platform == "mastodon"
    assert det.query.lang == "fa"
    assert det.query.step == timedelta(minutes=5)
    assert det.interval == timedelta(minutes=10)
    assert det.lookback == timedelta(days=14)
