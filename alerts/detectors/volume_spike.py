"""Volume spike: a brand's mentions (or unique authors) behaving as they never have before.

Each bucket is scored by `alerts.detectors.surprise` against the brand's own history: its
recent level, its daily rhythm (same time on previous days; the weekly rhythm shows up through
the reference window), the range it has moved in, and the shapes its series has drawn. The score
is a tail probability turned into [0, 1); the detector reports a brand while its latest complete
bucket scores at or above `threshold`, with what was expected, what was observed, the standard
score, and when the episode started. The alert engine's lifecycle turns that into one alert per
episode (open -> updated -> resolved), so the detector itself keeps no state.

Low-count protection: a spike needs at least `min_count` posts in the bucket and a dip needs at
least `min_count` expected, so a brand going from 1 post to 3 never pages anyone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from alerts.detectors import stats
from alerts.detectors.surprise import SurpriseModel, score_series
from trendwatch.config import PluginOptions
from trendwatch.models import Alert, Direction, Series, SeriesQuery, Severity
from trendwatch.timeutil import Duration, parse_duration

MODEL = SurpriseModel()
"""The one parameter set of the surprise model (tuned on the NAB development corpus)."""


class VolumeSpikeOptions(PluginOptions):
    brand: str | None = Field(None, description="Watch only this brand (default: every brand).")
    platform: str | None = Field(None, description="Count only posts from this platform.")
    lang: str | None = Field(None, description="Count only posts in this language (fa, en, ...).")
    metric: Literal["count", "authors"] = Field("count", description="Posts, or unique authors.")
    direction: Literal["up", "down", "both"] = Field("both", description="Spikes, dips, or both.")
    step: Duration = Field(parse_duration("5m"), description="Bucket width.")
    interval: Duration = Field(parse_duration("5m"), description="How often the detector runs.")
    lookback: Duration = Field(
        parse_duration("30d"), description="History the model reads (30d covers it fully at 5-minute buckets)."
    )
    min_history: Duration = Field(parse_duration("1d"), description="No alert before this much history.")
    threshold: float = Field(0.4, gt=0, lt=1, description="Surprise score at which a bucket is unusual.")
    critical: float = Field(0.7, gt=0, lt=1, description="Surprise score from which the alert is critical.")
    min_count: int = Field(5, ge=0, description="A spike needs this many; a dip, this many expected.")


def digits_for(score: float, model: SurpriseModel = MODEL) -> float:
    """The surprise (in digits, -log10 p) whose score is `score`."""
    return model.half * score / (1.0 - score)


class VolumeSpike:
    """Mentions or unique authors per brand, against the brand's own history."""

    Options: ClassVar[type[VolumeSpikeOptions]] = VolumeSpikeOptions
    description: ClassVar[str] = "Spikes and dips in a brand's mentions that its own rhythm and history do not explain."

    def __init__(self, name: str, options: VolumeSpikeOptions) -> None:
        self.name = name
        self.options = options
        self.interval: timedelta = options.interval
        self.lookback: timedelta = options.lookback
        self.query = SeriesQuery(
            kind="brand", step=options.step, subject=options.brand, platform=options.platform, lang=options.lang
        )
        self._per_day = max(1, round(timedelta(days=1) / options.step))
        self._min_rows = max(1, int(options.min_history / options.step))
        self._recent = min(self._per_day, 72)
        self._open = digits_for(options.threshold)
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
        # Leading empty buckets are "not watched yet", not "nobody posted".
        if not seen.size or n - seen[0] < self._min_rows:
            return None
        first = int(seen[0])
        x = x[first:]
        step = self.options.step
        origin = int(start.timestamp() // step.total_seconds()) + first
        trace = score_series(x, self._per_day, MODEL, first=len(x) - self._recent, origin=origin, report=False)
        return self.candidate(
            series.subject,
            x[trace.first :],
            trace.digits,
            trace.z,
            trace.expected,
            len(x) - 1 - trace.first,
            lambda i: start + (first + trace.first + i) * step,
            now,
            platform=series.platform,
            lang=series.lang,
        )

    def candidate(
        self,
        subject: str,
        observed: np.ndarray,
        digits: np.ndarray,
        z: np.ndarray,
        expected: np.ndarray,
        i: int,
        time_of: Callable[[int], datetime],
        now: datetime,
        *,
        platform: str | None = None,
        lang: str | None = None,
    ) -> Alert | None:
        """The alert for row `i` of a scored stretch (arrays aligned), or None when the row is
        not unusual, goes the wrong way, or is too small to matter (low-count protection).
        `time_of(j)` is the start of row j; the episode started where the surprise last fell
        below half the threshold (searched within the stretch). The alert's `z` states the
        model's surprise as a standard score (same tail probability), its sign the direction
        of `observed` against `expected`."""
        d = float(digits[i])
        if not d >= self._open:
            return None
        zi, obs, exp = float(z[i]), float(observed[i]), float(np.nan_to_num(expected[i]))
        sign = 1 if zi >= 0 else -1
        if sign not in self._signs:
            return None
        if sign > 0 and obs < self.options.min_count:
            return None
        if sign < 0 and exp < self.options.min_count:
            return None
        calm = np.flatnonzero(digits[: i + 1] < self._open / 2)
        began = int(calm[-1]) + 1 if calm.size else 0
        score = d / (d + MODEL.half)
        direction: Direction = "up" if sign > 0 else "down"
        severity: Severity = "critical" if score >= self.options.critical else "warning"
        return Alert(
            rule=self.name,
            kind="volume_spike",
            subject=subject,
            metric="posts" if self.options.metric == "count" else "authors",
            status="open",
            severity=severity,
            direction=direction,
            started_at=time_of(began),
            at=now,
            expected=round(max(exp, 0.0), 3),
            observed=obs,
            score=round(score, 4),
            z=round(sign * stats.z_for_digits(d), 3),
            platform=platform or self.options.platform,
            lang=lang or self.options.lang,
        )
