"""Emerging term: a hashtag or topic that many more people use than its own history predicts.

For every term the store reports (the `limit` terms with most unique authors over the
lookback, across sources, optionally for one language or platform; spelling variants are
merged upstream by the NLP stage), the detector counts unique authors per bucket and keeps:

- **observed**: a *decaying peak* of the authors in the last `window`: it jumps up as soon as a
  window holds more people, and otherwise halves every `half_life`. A trend therefore rises as
  fast as people join and fades smoothly when they leave, instead of flickering between
  "trending" and "normal" from one bucket to the next.
- **expected**: authors per window in the term's own history before the current episode (a
  trimmed mean, so one old burst does not raise the bar forever; a small prior keeps brand-new
  terms from dividing by zero), at the time of day the peak was reached: the hour-of-day rhythm
  of all terms together (learnt from the same history, shrunk towards none when few people make
  it) scales it, so a busy afternoon, busy for every term, is no trend. History starts where the
  store starts hearing: leading buckets in which no term had anyone are "not watched yet", as in
  the volume detector, so a store a few days old does not read its empty first days as a quiet
  week; nothing is reported until it has heard for `min_history` (2 days: the rhythm seen
  twice) before the current episode.

The surprise is the Poisson tail probability of observed given expected, widened by how bursty
the term has been (its window-to-window overdispersion) and by the peak being the largest of the
episode's windows (about episode / window independent draws). A term needs `min_authors` people
and `min_lift` times its usual level to be reported. Each alert names its related terms: other terms
rising at the same time whose recent series move with it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from alerts.detectors import stats
from trendwatch.config import PluginOptions
from trendwatch.models import Alert, Series, SeriesQuery, Severity
from trendwatch.timeutil import Duration, parse_duration

DAY = timedelta(days=1)
RHYTHM_PRIOR = 50.0
"""Authors' worth of evidence that the time of day makes no difference (see `_rhythm`)."""


class EmergingTermOptions(PluginOptions):
    kind: Literal["hashtag", "topic"] = Field("hashtag", description="Hashtags or topic terms.")
    platform: str | None = Field(None, description="Only posts from this platform (default: every source).")
    lang: str | None = Field(None, description="Only posts in this language (run one detector per language).")
    step: Duration = Field(parse_duration("1h"), description="Bucket width.")
    window: Duration = Field(parse_duration("3h"), description="Window whose unique authors are counted.")
    half_life: Duration = Field(parse_duration("6h"), description="How fast a faded trend's peak decays.")
    interval: Duration = Field(parse_duration("15m"), description="How often the detector runs.")
    lookback: Duration = Field(parse_duration("7d"), description="History each term's baseline is learnt from.")
    limit: int = Field(200, ge=1, le=10_000, description="Terms considered (most unique authors first).")
    threshold: float = Field(0.45, gt=0, lt=1, description="Surprise score at which a term is emerging.")
    critical: float = Field(0.8, gt=0, lt=1, description="Surprise score from which the alert is critical.")
    min_authors: int = Field(10, ge=1, description="Unique authors (in the decaying peak) a term needs.")
    min_lift: float = Field(3.0, ge=1, description="Observed must be at least this many times expected.")
    related: int = Field(5, ge=0, le=50, description="Related terms named in each alert.")
    min_history: Duration = Field(
        parse_duration("2d"), description="No alert until the store has heard this long before the current episode."
    )

    @model_validator(mode="after")
    def _spans_fit(self) -> EmergingTermOptions:
        if self.window < self.step:
            raise ValueError("window must be at least one step long")
        if self.lookback < 4 * self.window + 2 * self.half_life:
            raise ValueError("lookback must cover the recent episode and some history (>= 4 windows + 2 half-lives)")
        return self


@dataclass(frozen=True, slots=True)
class Heat:
    """One term's state now: the decaying peak, its baseline, the surprise, the episode start."""

    term: str
    observed: float
    expected: float
    digits: float
    z: float
    began: int
    recent: np.ndarray


class EmergingTerm:
    """Hashtags or topic terms whose unique authors surge against their own baseline."""

    Options: ClassVar[type[EmergingTermOptions]] = EmergingTermOptions
    description: ClassVar[str] = "Hashtags and topics whose unique authors surge against their own baseline."

    def __init__(self, name: str, options: EmergingTermOptions) -> None:
        self.name = name
        self.options = options
        self.interval: timedelta = options.interval
        self.lookback: timedelta = options.lookback
        self.query = SeriesQuery(
            kind=options.kind, step=options.step, platform=options.platform, lang=options.lang, limit=options.limit
        )
        self._width = max(1, round(options.window / options.step))
        self._decay = 0.5 ** (options.step / options.half_life)
        # The episode the peak remembers: until its contribution falls under 1/16 (4 half-lives).
        self._episode = self._width + max(1, math.ceil(4 * options.half_life / options.step))
        self._open = stats.digits_for_score(options.threshold)
        self._windows = max(1.0, self._episode / self._width)
        self._min_history = max(1, int(options.min_history / options.step))

    def evaluate(self, series: Sequence[Series], now: datetime) -> list[Alert]:
        start, n = stats.grid(now, self.options.step, self.lookback)
        counts = [(s.subject, stats.dense(s, start, n, "authors")["authors"]) for s in series]
        # Leading buckets in which no term had anyone are "not watched yet" (a new store, a new
        # query), not "nobody posted": they would dilute every baseline.
        active = np.flatnonzero(np.any([a for _, a in counts], axis=0)) if counts else np.empty(0, int)
        watched = int(active[0]) if active.size else n
        if n - self._episode - watched < self._min_history:
            return []
        rhythm = self._rhythm(np.sum([a for _, a in counts], axis=0), watched)
        heats = [h for subject, a in counts if (h := self._heat(subject, a, watched, rhythm)) is not None]
        alerts = []
        for h in heats:
            if h.digits < self._open or h.observed < self.options.min_authors:
                continue
            if h.observed < self.options.min_lift * h.expected:
                continue
            score = stats.score_of(h.digits)
            severity: Severity = "critical" if score >= self.options.critical else "warning"
            alerts.append(
                Alert(
                    rule=self.name,
                    kind="emerging_term",
                    subject=h.term,
                    metric="authors",
                    status="open",
                    severity=severity,
                    direction="up",
                    started_at=start + h.began * self.options.step,
                    at=now,
                    expected=round(h.expected, 3),
                    observed=round(h.observed, 3),
                    score=round(score, 4),
                    z=round(h.z, 3),
                    platform=self.options.platform,
                    lang=self.options.lang,
                    related=self._related(h, heats),
                )
            )
        return alerts

    def _rhythm(self, total: np.ndarray, watched: int) -> np.ndarray:
        """Per bucket, how busy the time of day of the window ending there is against the day's
        mean: every term's authors summed, by time of day, over the watched history before the
        episode. Ones where the step does not divide a day or less than a day was heard."""
        n = len(total)
        per_day = int(DAY / self.options.step) if DAY % self.options.step == timedelta(0) else 0
        split = n - self._episode
        history = total[watched:split]
        if per_day < 2 or len(history) < per_day or history.mean() <= 0:
            return np.ones(n)
        phase = (np.arange(watched, split)) % per_day
        sums = np.bincount(phase, weights=history, minlength=per_day)
        days = np.bincount(phase, minlength=per_day)
        level = history.mean()
        # by time of day, 1 = the day's mean; shrunk towards 1 by RHYTHM_PRIOR authors, so a
        # rhythm read from few people (one quiet term) is no rhythm
        profile = (sums + RHYTHM_PRIOR) / (days * level + RHYTHM_PRIOR)
        by_bucket = profile[np.arange(n) % per_day]
        return np.convolve(by_bucket, np.ones(self._width) / self._width, "full")[:n]

    def _heat(self, subject: str, authors: np.ndarray, watched: int, rhythm: np.ndarray) -> Heat | None:
        """The term's state from its authors per bucket, watched from bucket `watched` on."""
        n = len(authors)
        if n < self._episode + 2 * self._width or not authors.any():
            return None
        sums = np.convolve(authors, np.ones(self._width), "full")[: len(authors)]  # authors in the window ending at t
        split = n - self._episode
        recent = sums[split:]
        peaks = _decaying_peak(recent, self._decay)
        observed = float(peaks[-1])
        usual, dispersion = _baseline(authors[min(watched, split) : split], self._width)
        # The usual level at the time of day the peak was reached (a busy afternoon is busy for
        # every term, and no trend): the window whose decayed value is the peak now.
        ages = np.arange(len(recent))[::-1]
        reached = int(np.argmax(recent * self._decay**ages))
        usual_then = usual * rhythm[split:]
        expected = max(float(usual_then[reached]), 0.5)
        # The peak is the largest of the episode's windows, about `_windows` independent draws:
        # its tail is that many times fatter than one window's.
        digits = max(0.0, _poisson_digits(observed / dispersion, expected / dispersion) - math.log10(self._windows))
        z = stats.z_for_digits(digits)
        # The episode began where the windowed count last sat below twice its usual level then.
        calm = np.flatnonzero(recent < np.maximum(2.0 * usual_then, 1.0))
        began_at = int(calm[-1]) + 1 if calm.size else 0
        began = split + min(began_at, len(recent) - 1)
        return Heat(subject, observed, expected, digits, z, max(0, began), authors[n - self._episode :])

    def _related(self, h: Heat, heats: Sequence[Heat]) -> tuple[str, ...]:
        """Other rising terms whose recent series move with this one, best first."""
        if not self.options.related or h.recent.std() == 0:
            return ()
        scored = []
        for other in heats:
            if other.term == h.term or other.recent.std() == 0 or other.observed < 2 * other.expected:
                continue
            r = float(np.corrcoef(h.recent, other.recent)[0, 1])
            if r >= 0.5:
                scored.append((r, other.term))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return tuple(term for _, term in scored[: self.options.related])


def _decaying_peak(sums: np.ndarray, decay: float) -> np.ndarray:
    """level[t] = max(sums[t], level[t-1] * decay), from 0 before the first value: the largest
    earlier value, decayed by its age (computed in log space, so long series cannot overflow)."""
    steps = np.arange(len(sums))
    log_decay = math.log(decay)
    with np.errstate(divide="ignore"):
        logs = np.log(np.maximum(sums, 0.0))
    return np.exp(np.maximum.accumulate(logs - steps * log_decay) + steps * log_decay)


def _baseline(history: np.ndarray, width: int) -> tuple[float, float]:
    """(expected authors per window, overdispersion >= 1) from a term's earlier buckets."""
    if not len(history):
        return 0.5, 1.0
    cut = np.quantile(history, 0.98)
    kept = history[history <= cut]  # the top 2% of buckets: old bursts, not the usual level
    per_bucket = (float(kept.sum()) + 0.5) / (len(kept) + 1)
    _, windows = stats.window_totals(history, width)
    expected = per_bucket * width
    dispersion = 1.0
    if len(windows) >= 5 and windows.mean() > 0:
        trimmed = windows[windows <= np.quantile(windows, 0.98)]
        dispersion = max(1.0, float(trimmed.var()) / max(float(trimmed.mean()), 1e-9))
    return max(expected, 0.5), min(dispersion, 25.0)


def _poisson_digits(k: float, lam: float) -> float:
    """-log10 P(X >= k) for X ~ Poisson(lam) (0 when k <= lam); k may be fractional."""
    if k <= lam:
        return 0.0
    kk = math.floor(k)
    log_terms = []
    log_pmf = kk * math.log(lam) - lam - math.lgamma(kk + 1)
    i = kk
    while True:
        log_terms.append(log_pmf)
        i += 1
        log_pmf += math.log(lam) - math.log(i)
        if log_pmf < log_terms[0] - 40 or i > kk + 10_000:
            break
    top = max(log_terms)
    log_sf = top + math.log(sum(math.exp(t - top) for t in log_terms))
    return max(0.0, -log_sf / math.log(10))
