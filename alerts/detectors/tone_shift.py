"""Tone shift: a brand's negative share or net sentiment moving beyond what its history explains.

Over the latest `window` the detector takes the share of the brand's posts that are negative and
its net sentiment ((positive - negative) / posts), and compares each with the same quantity over
the windows of the brand's own history. How far is "far" is learnt from that history: the
window-to-window variation the brand has actually shown (a brand that is often argued about
swings more), never less than sampling noise, shrinking as the window holds more posts. So a
quiet brand with 5 posts and a loud one with 5,000 are judged by one rule, not one threshold.

A significant rise in the negative share is the crisis alert (`metric: negative_share`); a drop
in net sentiment is the slower "tone is souring" alert (`net_sentiment`). By default only moves
for the worse are reported; `direction: both` also reports improvements.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from pydantic import Field

from alerts.detectors import stats
from alerts.detectors.stats import WindowedOptions
from trendwatch.models import Alert, Direction, Series, SeriesQuery, Severity


class ToneShiftOptions(WindowedOptions):
    brand: str | None = Field(None, description="Watch only this brand (default: every brand).")
    metric: Literal["negative_share", "net_sentiment", "both"] = Field("both", description="What to watch.")
    direction: Literal["worse", "better", "both"] = Field("worse", description="Which moves to report.")
    critical: float = Field(0.6, gt=0, lt=1, description="Score from which a negative-share alert is critical.")
    min_posts: int = Field(20, ge=1, description="Posts the window needs before its tone is judged.")
    min_negative: int = Field(10, ge=0, description="Negative posts a negative-share alert needs.")


class ToneShift:
    """Negative share and net sentiment per brand, against the brand's own history."""

    Options: ClassVar[type[ToneShiftOptions]] = ToneShiftOptions
    description: ClassVar[str] = "A brand's negative share or net sentiment moving beyond what its history explains."

    def __init__(self, name: str, options: ToneShiftOptions) -> None:
        self.name = name
        self.options = options
        self.interval: timedelta = options.interval
        self.lookback: timedelta = options.lookback
        self.query = SeriesQuery(
            kind="brand", step=options.step, subject=options.brand, platform=options.platform, lang=options.lang
        )
        self._width = max(1, round(options.window / options.step))
        self._open = stats.digits_for_score(options.threshold)
        self._metrics = ("negative_share", "net_sentiment") if options.metric == "both" else (options.metric,)

    def evaluate(self, series: Sequence[Series], now: datetime) -> list[Alert]:
        start, n = stats.grid(now, self.options.step, self.lookback)
        out = []
        for s in series:
            alert = self._evaluate_one(s, start, n, now)
            if alert is not None:
                out.append(alert)
        return out

    def _evaluate_one(self, series: Series, start: datetime, n: int, now: datetime) -> Alert | None:
        a = stats.dense(series, start, n, "count", "negative", "positive")
        posts, recent_hist = stats.window_totals(a["count"], self._width)
        if posts < self.options.min_posts:
            return None
        negative, neg_hist = stats.window_totals(a["negative"], self._width)
        positive, pos_hist = stats.window_totals(a["positive"], self._width)
        best: tuple[float, str, stats.Shift] | None = None
        for metric in self._metrics:
            if metric == "negative_share":
                if negative < self.options.min_negative:
                    continue
                shift = stats.ratio_shift(
                    negative,
                    posts,
                    neg_hist,
                    recent_hist,
                    floor=stats.binomial_variance,
                    min_windows=self.options.min_windows,
                )
                worse = 1.0
            else:
                shift = stats.ratio_shift(
                    positive - negative,
                    posts,
                    pos_hist - neg_hist,
                    recent_hist,
                    floor=_net,
                    min_windows=self.options.min_windows,
                )
                worse = -1.0
            if shift is None:
                continue
            signed = worse * shift.z  # > 0: the tone got worse
            wanted = {"worse": signed > 0, "better": signed < 0, "both": True}[self.options.direction]
            if not wanted or stats.digits(abs(shift.z)) < self._open:
                continue
            if best is None or abs(shift.z) > abs(best[2].z):
                best = (signed, metric, shift)
        if best is None:
            return None
        signed, metric, shift = best
        score = shift.score
        direction: Direction = "up" if shift.z > 0 else "down"
        crisis = metric == "negative_share" and signed > 0 and score >= self.options.critical
        severity: Severity = "critical" if crisis else "warning"
        return Alert(
            rule=self.name,
            kind="tone_shift",
            subject=series.subject,
            metric=metric,
            status="open",
            severity=severity,
            direction=direction,
            started_at=start + (n - self._width) * self.options.step,
            at=now,
            expected=round(shift.expected, 4),
            observed=round(shift.observed, 4),
            score=round(score, 4),
            z=round(shift.z, 3),
            platform=series.platform or self.options.platform,
            lang=series.lang or self.options.lang,
        )


def _net(m: float) -> float:
    """A lower bound for the per-post variance of a -1/0/+1 score with mean m."""
    return 0.5 * (1.0 - m * m)
