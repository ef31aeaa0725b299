"""Statistics every detector shares: dense arrays from series, variance-stabilised counts,
robust location and scale, tail probabilities, and the mapping from surprise to a [0, 1] score.

Detectors compare what a bucket holds with what the subject's own history leads one to expect.
The helpers here keep that comparison honest for social-media counts: counts are put on a
variance-stabilised scale (so 3 posts against 1 and 300 against 100 are judged by their noise,
not their ratio), medians and MADs keep a past spike out of the baseline, and a surprise is
reported both as a signed standard score `z` and as `score = surprise_score(z)` in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

from trendwatch.models import Bucket, Series
from trendwatch.timeutil import floor_time

Array = npt.NDArray[np.float64]

MAD_TO_SIGMA = 1.4826
"""Scale factor that turns a median absolute deviation into a standard deviation (normal data)."""

SCORE_HALF = 5.0
"""`surprise_score` is 0.5 at a one-sided tail probability of 10**-SCORE_HALF (z about 4.3)."""

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


def anscombe(counts: Array) -> Array:
    """Variance-stabilising transform for counts: Poisson noise becomes roughly unit variance."""
    return 2.0 * np.sqrt(np.maximum(counts, 0.0) + 0.375)


def inverse_anscombe(values: Array | float) -> Array:
    """Back from the stabilised scale to counts (the simple algebraic inverse, never negative)."""
    return np.maximum(np.square(np.asarray(values, dtype=float) / 2.0) - 0.375, 0.0)


def lagged(x: Array, lags: Sequence[int], positions: npt.NDArray[np.int64]) -> Array:
    """Matrix M[i, j] = x[positions[i] - lags[j]], NaN where that reaches before the start."""
    lag = np.asarray(lags, dtype=np.int64)
    idx = positions[:, None] - lag[None, :]
    out = np.full(idx.shape, np.nan)
    ok = idx >= 0
    out[ok] = x[idx[ok]]
    return out


def nanmedian_rows(m: Array) -> Array:
    """Row-wise median ignoring NaN; NaN for a row with no values (no warning)."""
    out = np.full(m.shape[0], np.nan)
    have = ~np.all(np.isnan(m), axis=1)
    if have.any():
        out[have] = np.nanmedian(m[have], axis=1)
    return out


def normal_logsf(z: float) -> float:
    """log P(Z >= z) for a standard normal, accurate far into the tail (no underflow)."""
    if z < 5.0:
        return math.log(max(0.5 * math.erfc(z / math.sqrt(2.0)), 1e-300))
    # Asymptotic expansion of the Mills ratio.
    return -0.5 * z * z - math.log(z * math.sqrt(2.0 * math.pi)) + math.log1p(-1.0 / (z * z) + 3.0 / z**4)


def surprise_score(z: float) -> float:
    """A one-sided standard score mapped to [0, 1): with d = -log10 of its tail probability,
    d / (d + SCORE_HALF). Monotone and never saturating, so a bigger surprise always scores
    higher; z <= 0 (nothing unusual in that direction) scores 0."""
    if not z > 0.0:
        return 0.0
    digits = max(0.0, -normal_logsf(z) / math.log(10.0))
    return digits / (digits + SCORE_HALF)


def z_for_score(score: float) -> float:
    """The standard score whose `surprise_score` is `score` (for thresholds given as scores)."""
    if score <= 0.0:
        return 0.0
    lo, hi = 0.0, 40.0
    for _ in range(80):
        mid = (lo + hi) / 2.0
        if surprise_score(mid) < score:
            lo = mid
        else:
            hi = mid
    return hi
