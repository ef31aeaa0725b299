"""Statistics every detector shares: dense arrays from series, window totals, shifts of a
proportion or a mean judged against the subject's own history, tail probabilities, and the
mapping from surprise to a [0, 1) score.

Detectors compare what the latest window holds with what the subject's own history leads one to
expect. Social-media posts are not independent draws (a pile-on, a retweet storm), so a shift in
a proportion or a mean is judged against how much that quantity has actually varied from window
to window in the subject's history (an overdispersion estimated from the history, never tighter
than pure sampling noise), not against a fixed threshold. A surprise is reported both as a
signed standard score `z` and as a score in [0, 1) (`score_of(digits(z))`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator

from trendwatch.config import PluginOptions
from trendwatch.models import Bucket, Series
from trendwatch.timeutil import Duration, floor_time, parse_duration

Array = npt.NDArray[np.float64]

CHI2_1_MEDIAN = 0.4549364
"""Median of a chi-square variable with one degree of freedom (robust variance estimates)."""

SCORE_HALF = 5.0
"""A surprise of SCORE_HALF digits (a one-sided tail probability of 10**-5, z about 4.3) scores 0.5."""

METRICS: dict[str, Callable[[Bucket], float]] = {
    "count": lambda b: float(b.count),
    "authors": lambda b: float(b.authors),
    "negative": lambda b: float(b.negative),
    "positive": lambda b: float(b.positive),
    "sentiment_sum": lambda b: float(b.sentiment_sum),
}


def grid(now: datetime, step: timedelta, lookback: timedelta) -> tuple[datetime, int]:
    """The bucket grid a detector evaluates at `now`: (start of the first bucket, bucket count).

    Buckets are aligned to the epoch like the store's (`floor_time`); the last one is the last
    *complete* bucket, the one that ends at or before `now`.
    """
    end = floor_time(now, step)
    n = max(0, int(lookback / step))
    return end - n * step, n


def dense(series: Series, start: datetime, n: int, *fields: str) -> dict[str, Array]:
    """Zero-filled arrays of the named bucket fields on the grid [start, start + n*step).

    Missing buckets are zeros (nothing was posted). Buckets outside the grid — from before the
    lookback, or "from the future" after a clock jump — are ignored; a bucket whose start is off
    the grid (a store with another alignment) is counted in the grid bucket it falls into.
    """
    out = {f: np.zeros(n) for f in fields}
    if n == 0 or not series.buckets:
        return out
    step = series.step.total_seconds()
    origin = start.timestamp()
    starts = np.fromiter((b.start.timestamp() for b in series.buckets), float, len(series.buckets))
    index = np.floor((starts - origin) / step).astype(np.int64)
    keep = (index >= 0) & (index < n)
    if not keep.any():
        return out
    index = index[keep]
    for f in fields:
        get = METRICS[f]
        values = np.fromiter((get(b) for b in series.buckets), float, len(series.buckets))[keep]
        np.add.at(out[f], index, values)
    return out


def normal_logsf(z: float) -> float:
    """log P(Z >= z) for a standard normal, accurate far into the tail (no underflow)."""
    if z < 5.0:
        return math.log(max(0.5 * math.erfc(z / math.sqrt(2.0)), 1e-300))
    # Asymptotic expansion of the Mills ratio.
    return -0.5 * z * z - math.log(z * math.sqrt(2.0 * math.pi)) + math.log1p(-1.0 / (z * z) + 3.0 / z**4)


def digits(z: float) -> float:
    """-log10 of the one-sided tail probability of a standard score (0 for z <= 0)."""
    if not z > 0.0:
        return 0.0
    return max(0.0, -normal_logsf(z) / math.log(10.0))


def score_of(digit: float) -> float:
    """A surprise in digits mapped to [0, 1): d / (d + SCORE_HALF)."""
    return digit / (digit + SCORE_HALF) if digit > 0 else 0.0


def digits_for_score(score: float) -> float:
    """The inverse of `score_of`."""
    return SCORE_HALF * score / (1.0 - score)


def z_for_digits(digit: float) -> float:
    """The standard score whose one-sided tail probability is 10**-digit (0 for digit <= 0): how
    a surprise measured some other way is stated as a z, so "how unusual" reads the same."""
    if not digit > 0.0:
        return 0.0
    lo, hi = 0.0, 60.0
    for _ in range(60):
        mid = (lo + hi) / 2.0
        if digits(mid) < digit:
            lo = mid
        else:
            hi = mid
    return hi


def window_totals(x: Array, width: int) -> tuple[float, Array]:
    """(total of the last `width` rows, totals of the non-overlapping `width`-row windows before
    them, oldest first). Rows that do not fill a whole window at the start are dropped."""
    width = max(1, width)
    recent = float(x[-width:].sum()) if len(x) else 0.0
    past = x[: max(0, len(x) - width)]
    whole = (len(past) // width) * width
    history = past[len(past) - whole :].reshape(-1, width).sum(axis=1) if whole else np.zeros(0)
    return recent, history


@dataclass(frozen=True, slots=True)
class Shift:
    """A ratio (share or mean per post) now against the same ratio over the subject's history."""

    expected: float
    observed: float
    z: float
    windows: int

    @property
    def score(self) -> float:
        return score_of(digits(abs(self.z)))


def ratio_shift(
    num: float, den: float, hist_num: Array, hist_den: Array, *, floor: Callable[[float], float], min_windows: int = 5
) -> Shift | None:
    """How far num/den is from the history's pooled ratio, in standard errors.

    Each history window j gives a ratio y_j = hist_num_j / hist_den_j. The variance of a window's
    ratio is taken to be tau^2 / den_j (sampling noise shrinks with more posts), with tau^2
    estimated robustly from the history (median of den_j * (y_j - mean)^2, scaled) and never
    below `floor(mean)` (pure sampling noise, e.g. p(1-p) for a proportion). None when the
    history has fewer than `min_windows` windows with posts, or the window has none.
    """
    used = hist_den > 0
    if den <= 0 or int(used.sum()) < min_windows:
        return None
    hn, hd = hist_num[used], hist_den[used]
    mean = float(hn.sum() / hd.sum())
    y = hn / hd
    tau2 = max(float(np.median(hd * (y - mean) ** 2)) / CHI2_1_MEDIAN, floor(mean), 1e-12)
    observed = num / den
    z = (observed - mean) / math.sqrt(tau2 / den)
    return Shift(expected=mean, observed=observed, z=z, windows=int(used.sum()))


def binomial_variance(p: float) -> float:
    """Sampling variance of one post's yes/no indicator at share p (a share never seen off 0 or
    1 is treated as 1% away from it, so the first few posts are not infinitely surprising)."""
    p = min(max(p, 0.01), 0.99)
    return p * (1.0 - p)


class WindowedOptions(PluginOptions):
    """Options every windowed brand detector shares (tone shift, share of voice): a recent
    `window` of `step` buckets judged against the same windows over `lookback`."""

    platform: str | None = Field(None, description="Only posts from this platform.")
    lang: str | None = Field(None, description="Only posts in this language.")
    step: Duration = Field(parse_duration("1h"), description="Bucket width.")
    window: Duration = Field(parse_duration("3h"), description="The recent window judged against history.")
    interval: Duration = Field(parse_duration("15m"), description="How often the detector runs.")
    lookback: Duration = Field(parse_duration("14d"), description="History the baseline is learnt from.")
    min_windows: int = Field(8, ge=3, description="History windows with posts needed before alerting.")
    threshold: float = Field(0.45, gt=0, lt=1, description="Surprise score at which a shift is reported.")

    @model_validator(mode="after")
    def _window_fits(self) -> WindowedOptions:
        if self.window < self.step:
            raise ValueError("window must be at least one step long")
        if self.lookback < 2 * self.window:
            raise ValueError("lookback must cover at least two windows")
        return self
