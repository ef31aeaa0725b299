"""Share of voice: a brand's share of all brand mentions changing beyond what its history explains.

Share of voice is the brand's mentions over the mentions of every watched brand (the own brand
and the competitors) in the same window. The latest `window` is compared with the windows of the
history like the tone detector does: against how much the share has actually varied from window
to window, never less than sampling noise, tighter as the window holds more posts. A competitor
taking voice from the brand shows up as one brand up and another down.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from alerts.detectors import stats
from alerts.detectors.stats import WindowedOptions
from trendwatch.models import Alert, Direction, Series, SeriesQuery, Severity
from trendwatch.timeutil import Duration, parse_duration


class ShareOfVoiceOptions(WindowedOptions):
    brand: str | None = Field(None, description="Report only this brand's share (default: every brand's).")
    direction: Literal["up", "down", "both"] = Field("both", description="Gains, losses, or both.")
    window: Duration = Field(parse_duration("6h"), description="The recent window judged against history.")
    interval: Duration = Field(parse_duration("30m"), description="How often the detector runs.")
    critical: float = Field(0.7, gt=0, lt=1, description="Surprise score from which the alert is critical.")
    min_posts: int = Field(30, ge=1, description="Mentions of all brands the window needs.")


class ShareOfVoice:
    """Each brand's share of the mentions of all watched brands, against its own history."""

    Options: ClassVar[type[ShareOfVoiceOptions]] = ShareOfVoiceOptions
    description: ClassVar[str] = "A brand's share of voice against its competitors changing significantly."

    def __init__(self, name: str, options: ShareOfVoiceOptions) -> None:
        self.name = name
        self.options = options
        self.interval: timedelta = options.interval
        self.lookback: timedelta = options.lookback
        self.query = SeriesQuery(kind="brand", step=options.step, platform=options.platform, lang=options.lang)
        self._width = max(1, round(options.window / options.step))
        self._open = stats.digits_for_score(options.threshold)
        self._signs = {"up": (1,), "down": (-1,), "both": (1, -1)}[options.direction]

    def evaluate(self, series: Sequence[Series], now: datetime) -> list[Alert]:
        brands = [s for s in series if s.kind == "brand"]
        if len(brands) < 2:
            return []  # a share of one brand is always 100%
        start, n = stats.grid(now, self.options.step, self.lookback)
        counts = {s.subject: stats.dense(s, start, n, "count")["count"] for s in brands}
        total = np.sum(list(counts.values()), axis=0)
        recent_total, hist_total = stats.window_totals(total, self._width)
        if recent_total < self.options.min_posts:
            return []
        alerts = []
        for s in brands:
            if self.options.brand is not None and s.subject != self.options.brand:
                continue
            mine, hist_mine = stats.window_totals(counts[s.subject], self._width)
            shift = stats.ratio_shift(
                mine,
                recent_total,
                hist_mine,
                hist_total,
                floor=stats.binomial_variance,
                min_windows=self.options.min_windows,
            )
            if shift is None or stats.digits(abs(shift.z)) < self._open:
                continue
            sign = 1 if shift.z > 0 else -1
            if sign not in self._signs:
                continue
            score = shift.score
            direction: Direction = "up" if sign > 0 else "down"
            severity: Severity = "critical" if score >= self.options.critical else "warning"
            alerts.append(
                Alert(
                    rule=self.name,
                    kind="share_of_voice",
                    subject=s.subject,
                    metric="share_of_voice",
                    status="open",
                    severity=severity,
                    direction=direction,
                    started_at=start + (n - self._width) * self.options.step,
                    at=now,
                    expected=round(shift.expected, 4),
                    observed=round(shift.observed, 4),
                    score=round(score, 4),
                    z=round(shift.z, 3),
                    platform=s.platform or self.options.platform,
                    lang=s.lang or self.options.lang,
                )
            )
        return alerts
