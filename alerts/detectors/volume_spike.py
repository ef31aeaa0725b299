"""Volume spike: a brand's mentions (or unique authors) far from what its own rhythm predicts.

The expected value of a bucket is the median of the same time of day on previous days and the
same time of week on previous weeks (pooled with neighbouring buckets, so sparse series still
have enough samples), corrected by how far the last day ran above or below that profile. Medians
keep past spikes out of the baseline. Counts are compared on a variance-stabilised scale, so the
noise of 3 posts and of 3,000 posts is judged fairly, and a bucket needs `min_count` posts before
it can be a spike at all (low-count protection).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from alerts.detectors import stats
from trendwatch.config import PluginOptions
from trendwatch.models import Alert, Direction, Series, SeriesQuery, Severity
from trendwatch.timeutil import Duration, parse_duration


class VolumeSpikeOptions(PluginOptions):
    brand: str | None = Field(None, description="Watch only this brand (default: every brand).")
    platform: str | None = Field(None, description="Count only posts from this platform.")
    lang: str | None = Field(None, description="Count only posts in this language (fa, en, ...).")
    metric: Literal["count", "authors"] = Field("count", description="Posts, or unique authors.")
    direction: Literal["up", "down", "both"] = Field("up", description="Spikes, dips, or both.")
    step: Duration = Field(parse_duration("5m"), description="Bucket width.")
    interval: Duration = Field(parse_duration("5m"), description="How often the detector runs.")
    lookback: Duration = Field(parse_duration("28d"), description="History the baseline is learnt from.")
    min_history: Duration = Field(parse_duration("1d"), description="No alert before this much history.")
    threshold: float = Field(4.5, gt=0, description="Standard score at which a bucket is unusual.")
    min_count: int = Field(5, ge=0, description="A spike needs at least this many; a dip, this many expected.")
    critical: float = Field(8.0, gt=0, description="Standard score from which the alert is critical.")


@dataclass(frozen=True, slots=True)
class Assessment:
    """How the buckets at `positions` compare with the baseline (arrays aligned with them)."""

    positions: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    z: np.ndarray


def assess(x: np.ndarray, positions: np.ndarray, per_day: int, *, spread: int = 2) -> Assessment:
    """Seasonal baseline and standard score for the counts `x` at `positions` (causal: each
    position is judged on the buckets before it only)."""
    y = stats.anscombe(x)
    per_week = 7 * per_day
    lags = sorted(
        {k * per_day + j for k in range(1, 8) for j in range(-spread, spread + 1)}
        | {k * per_week + j for k in range(1, 5) for j in range(-spread, spread + 1)}
    )
    lags = [lag for lag in lags if lag > 0]
    window = per_day
    first = max(0, int(positions.min()) - window)
    need = np.arange(first, int(positions.max()) + 1, dtype=np.int64)
    samples = stats.lagged(y, lags, need)
    centre = stats.nanmedian_rows(samples)
    recent = stats.lagged(y, range(1, min(per_day, 48) + 1), need)
    centre = np.where(np.isnan(centre), stats.nanmedian_rows(recent), centre)
    spread_ = stats.nanmedian_rows(np.abs(samples - centre[:, None])) * stats.MAD_TO_SIGMA
    residual = y[need] - centre
    # Level correction: the median residual over the previous day (robust to a short spike).
    at = positions - first
    offsets = stats.lagged(residual, range(1, window + 1), at)
    level = np.nan_to_num(stats.nanmedian_rows(offsets))
    expected_y = centre[at] + level
    scale = np.maximum(np.nan_to_num(spread_[at], nan=1.0), 1.0)
    z = (y[positions] - expected_y) / scale
    return Assessment(positions, x[positions], stats.inverse_anscombe(expected_y), np.nan_to_num(z))


class VolumeSpike:
    """Mentions or unique authors per brand, against a seasonal baseline."""

    Options: ClassVar[type[VolumeSpikeOptions]] = VolumeSpikeOptions
    description: ClassVar[str] = "Spikes (or dips) in a brand's mentions against its daily and weekly rhythm."

    def __init__(self, name: str, options: VolumeSpikeOptions) -> None:
        self.name = name
        self.options = options
        self.interval: timedelta = options.interval
        self.lookback: timedelta = options.lookback
        self.query = SeriesQuery(
            kind="brand", step=options.step, subject=options.brand, platform=options.platform, lang=options.lang
        )
        self._per_day = max(1, int(timedelta(days=1) / options.step))
        self._min_buckets = max(1, int(options.min_history / options.step))
        self._signs: tuple[int, ...] = {"up": (1,), "down": (-1,), "both": (1, -1)}[options.direction]

    def evaluate(self, series: Sequence[Series], now: datetime) -> list[Alert]:
        start, n = stats.grid(now, self.options.step, self.lookback)
        alerts = []
        for s in series:
            alert = self._evaluate_one(s, start, n, now)
            if alert is not None:
                alerts.append(alert)
        return alerts

    def _evaluate_one(self, series: Series, start: datetime, n: int, now: datetime) -> Alert | None:
        x = stats.dense(series, start, n, self.options.metric)[self.options.metric]
        seen = np.flatnonzero(x)
        if n == 0 or not seen.size or n - 1 - seen[0] < self._min_buckets:
            return None
        first = int(seen[0])
        recent = np.arange(max(first, n - self._per_day), n, dtype=np.int64)
        a = assess(x[first:], recent - first, self._per_day)
        z, observed, expected = float(a.z[-1]), float(a.observed[-1]), float(a.expected[-1])
        for sign in self._signs:
            if sign * z < self.options.threshold:
                continue
            if sign > 0 and observed < self.options.min_count:
                continue
            if sign < 0 and expected < self.options.min_count:
                continue
            # The episode started where the standard score last crossed half the threshold.
            calm = np.flatnonzero(sign * a.z < self.options.threshold / 2)
            began = int(a.positions[calm[-1] + 1]) if calm.size else int(a.positions[0])
            direction: Direction = "up" if sign > 0 else "down"
            severity: Severity = "critical" if abs(z) >= self.options.critical else "warning"
            return Alert(
                rule=self.name,
                kind="volume_spike",
                subject=series.subject,
                metric="posts" if self.options.metric == "count" else "authors",
                status="open",
                severity=severity,
                direction=direction,
                started_at=start + (first + began) * self.options.step,
                at=now,
                expected=round(expected, 3),
                observed=observed,
                score=stats.surprise_score(abs(z)),
                z=round(z, 3),
                platform=series.platform or self.options.platform,
                lang=series.lang or self.options.lang,
            )
        return None
