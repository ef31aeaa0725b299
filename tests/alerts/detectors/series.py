"""Literal series for detector tests: counts in, `Series` out, on the store's bucket grid."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from trendwatch.models import Bucket, Series, SeriesKind

END = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # a Monday, 00:00 UTC


def series(
    counts: Sequence[float],
    *,
    step: timedelta = timedelta(hours=1),
    end: datetime = END,
    subject: str = "Acme",
    kind: SeriesKind = "brand",
    authors: Sequence[float] | None = None,
    negative: Sequence[float] | None = None,
    positive: Sequence[float] | None = None,
    sentiment: Sequence[float] | None = None,
    keep_zeros: bool = False,
) -> Series:
    """Buckets for `counts`, the last one ending at `end`. Zero buckets are left out (as the
    store leaves them out) unless `keep_zeros`."""
    n = len(counts)
    start = end - n * step
    buckets = []
    for i, c in enumerate(counts):
        if c == 0 and not keep_zeros:
            continue
        buckets.append(
            Bucket(
                start=start + i * step,
                count=int(c),
                authors=int(authors[i]) if authors is not None else int(c),
                negative=int(negative[i]) if negative is not None else 0,
                positive=int(positive[i]) if positive is not None else 0,
                sentiment_sum=float(sentiment[i]) if sentiment is not None else 0.0,
            )
        )
    return Series(subject=subject, kind=kind, step=step, start=start, end=end, buckets=tuple(buckets))


def daily(
    days: int,
    *,
    step: timedelta = timedelta(hours=1),
    base: float = 20.0,
    amp: float = 0.6,
    weekend: float = 1.0,
    seed: int = 7,
    noise: bool = True,
) -> np.ndarray:
    """`days` of counts with a daily rhythm (peak mid-afternoon UTC), optionally quieter weekends,
    Poisson noise from a fixed seed. The last bucket ends at END (a Monday 00:00)."""
    per_day = int(timedelta(days=1) / step)
    n = days * per_day
    t = np.arange(n)
    start = END - n * step
    hours = (t * step.total_seconds() / 3600.0) % 24
    weekday = np.array([(start + int(i) * step).weekday() for i in t])
    rate = base * (1 + amp * np.sin((hours - 9) / 24 * 2 * np.pi))
    rate = np.where(weekday >= 5, rate * weekend, rate)
    if not noise:
        return np.round(rate)
    return np.random.default_rng(seed).poisson(rate).astype(float)
