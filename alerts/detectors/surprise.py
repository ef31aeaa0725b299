"""How surprising each bucket of a series is, judged only on the buckets before it.

This is the model behind the volume-spike detector and the NAB backtest (one model, one set of
parameters, `SurpriseModel()`'s defaults). It is causal: the result for row t depends on rows
< t and row t itself, never on later rows. It is vectorised, so one call scores a whole series.

What it measures, per row:

1. **Residual surprise.** Two predictors of the value: the recent level (median of the last
   quarter day) and the daily profile (median of the same time on the previous days, shifted
   by how far the last quarter day ran above or below it). Whichever has predicted this series
   better over the history window is used. Its residual, averaged over 1, 6, 24 and 96 buckets,
   is compared with the distribution of the same quantity over the history window: a spike, a
   dip, a missing daily peak, a level shift.
2. **Range surprise.** The value against the median of the whole history window (catches a slow
   slide to a level never seen before, which the recent-level predictor follows).
3. **Shape novelty.** The distance from the last 8, 32 and 128 buckets (compressed to 8 points),
   and from the changes between the last 8 and 64, to their nearest neighbour among earlier
   windows: a pattern never seen before, even when every single value is ordinary (a burst of
   activity, spikes arriving faster than usual). What has been seen, even once, is not new.

Each measure becomes a tail probability against its own history (empirical, with an
exponential tail beyond the largest values seen), expressed as `digits` = -log10(p). The value
surprise (residual or range, whichever is larger) and the shape surprise are combined with
Fisher's method, so evidence from both adds up; the result is capped and passed through a
**decaying peak**: a row reports its surprise only when it beats the recent peak, so an episode
rises fast, is reported once, and fades without re-firing. `score = digits / (digits + half)`
maps that to [0, 1).

The reference distributions are refreshed once per `block` rows (blocks aligned to absolute
bucket numbers), so the service can score only the last rows of its lookback and get what a
continuous run would have produced for them.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from threadpoolctl import ThreadpoolController

from alerts.detectors.stats import Array

IntArray = np.ndarray


@dataclass(frozen=True, slots=True)
class SurpriseModel:
    """The one parameter set (tuned once on the NAB development corpus, used everywhere)."""

    history_days: float = 14.0
    """Reference window for tail probabilities and predictor choice, in days ..."""
    history_min: int = 1000
    """... but never fewer rows than this (hourly series need more than 14 days of rows)."""
    level_days: float = 0.5
    """The recent-level predictor's window (and the seasonal offset's)."""
    seasonal_days: int = 5
    """Previous days the seasonal profile takes its median over (needs at least 3)."""
    residual_scales: tuple[int, ...] = (1, 6, 24, 96)
    range_scales: tuple[int, ...] = (1, 6, 24, 96)
    range_penalty: float = 0.5
    """Digits subtracted from range surprise: a value far from the long-run median is common."""
    shapes: tuple[tuple[int, int], ...] = ((8, 8), (32, 8), (128, 8))
    """(window length, points after compression) of the shape-novelty measures."""
    change_shapes: tuple[tuple[int, int], ...] = ((8, 8), (64, 8))
    """The same on the absolute changes between consecutive buckets (a new rhythm of bursts)."""
    shape_history: int = 4000
    shape_reference: int = 4000
    """Rows of earlier nearest-window distances that shape surprise is judged against ..."""
    shape_stride: int = 1
    bank_thinning: int = 0
    """Compare a window with every k-th earlier one, k = window // (points * bank_thinning), for
    the long windows whose neighbours barely differ (0: every earlier window)."""
    """Shape surprise is judged against the distances of every `shape_stride`-th earlier row
    (absolute positions), which is what keeps scoring the last rows of a long series cheap."""
    median_every: int = 96
    shape_chunk: int = 64
    """Rows whose nearest windows are searched together (against the bank before the chunk)."""
    """Rows between refreshes of the long-run median the range surprise is measured from."""
    tail_fraction: float = 0.005
    tail_min: int = 10
    tail_floor: float = 0.3
    """The exponential tail's scale is at least this fraction of its threshold (no wild
    extrapolation from a tight cluster of past values)."""
    min_reference: int = 100
    block: int = 96
    cap: float = 20.0
    peak_ratio: float = 3.0
    peak_decay_days: float = 0.5
    track_decay_days: float = 0.1
    half: float = 5.0

    def rows(self, per_day: int) -> dict[str, int]:
        """Window sizes in rows for a series with `per_day` rows per day."""
        return {
            "history": max(int(self.history_days * per_day), self.history_min),
            "level": max(3, int(self.level_days * per_day)),
        }

    def warmup(self, per_day: int) -> int:
        """Rows before the first scored one that the decaying peak needs to have settled."""
        return int(3 * max(self.peak_decay_days, self.track_decay_days) * per_day) + 1

    def lookback_rows(self, per_day: int) -> int:
        """Rows of history before the scored ones that make a score exactly what a continuous
        run would give: the value references (with their predictors' own history), and the
        shape references (each with its bank of earlier windows)."""
        value = self.rows(per_day)["history"] + self.block + self.seasonal_days * per_day
        widest = max(w for w, _ in (*self.shapes, *self.change_shapes))
        shape = self.shape_reference + self.shape_history + widest + self.shape_chunk + self.block
        return max(value, shape)


@dataclass(frozen=True, slots=True)
class Trace:
    """Per-row results for rows [first, n) of the scored series (arrays of length n - first)."""

    first: int
    digits: Array
    """Surprise before the decaying peak, in digits (-log10 of a tail probability)."""
    reported: Array
    """Digits after the decaying peak (0 where the row did not beat the recent peak)."""
    score: Array
    """`reported` mapped to [0, 1)."""
    expected: Array
    """What the row usually looks like: the median of the same time on previous days."""
    z: Array
    """How far the row is from `expected`, in typical deviations (signed: + above, - below)."""


def score_series(
    x: Array,
    per_day: int,
    model: SurpriseModel | None = None,
    *,
    first: int = 0,
    origin: int = 0,
    report: bool = True,
) -> Trace:
    """Score rows [first, len(x)) of `x` (rows before `first` are history only).

    `per_day` is the number of rows per day (the seasonal period); `origin` is the absolute
    number of row 0 (the bucket index since the epoch in the service), which aligns the blocks
    at which reference distributions are refreshed. With `report=False` the decaying peak is
    skipped (`reported`/`score` are zeros): the service alerts on `digits` and leaves "report
    once per episode" to the alert lifecycle, so it needs no warm-up rows.
    """
    m = model or SurpriseModel()
    x = np.asarray(x, dtype=float)
    n = len(x)
    first = min(max(0, first), n)
    rows = m.rows(per_day)
    history, level = rows["history"], rows["level"]
    start = max(0, first - m.warmup(per_day)) if report else first

    # Rows before `need` influence no scored row: the service skips them.
    widest = max((*m.residual_scales, *m.range_scales, 1))
    need = max(0, _aligned(start, m.block, origin) - history - widest - 1)

    # 1. residual surprise under the better of two predictors
    level_pred = rolling_median(x, level, first=need)
    seasonal = lag_median(x, per_day, m.seasonal_days, 3, first=max(0, need - level))
    offset = np.nan_to_num(rolling_median(x - seasonal, level, first=need))
    seasonal_pred = seasonal + offset
    preds = [level_pred, seasonal_pred]
    surprise, quality = [], []
    for pred in preds:
        r = x - pred
        q, count = rolling_mean(np.abs(r), history)
        quality.append(np.where(count >= m.min_reference, q, np.inf))
        best = np.zeros(n)
        for w in m.residual_scales:
            d = tail_digits(np.abs(window_mean(r, w)), history, m, start, origin)
            best = np.fmax(best, d - math.log10(len(m.residual_scales)))
        surprise.append(best)
    qual = np.array(quality)
    pick = np.argmin(qual, axis=0)
    idx = np.arange(n)
    stat = np.nan_to_num(np.array(surprise)[pick, idx])
    stat[np.all(np.isinf(qual), axis=0)] = 0.0
    # 2. range surprise
    long_run = block_median(x, history, m.median_every, origin, first=need)
    if m.range_scales:
        r = x - long_run
        for w in m.range_scales:
            d = tail_digits(np.abs(window_mean(r, w)), history, m, start, origin)
            stat = np.fmax(stat, np.nan_to_num(d) - math.log10(len(m.range_scales)) - m.range_penalty)
    # 3. shape novelty (nearest earlier window), on the values and on their changes
    shape = np.zeros(n)
    shapes = [(x, w, p) for w, p in m.shapes]
    if m.change_shapes:
        change = np.concatenate(([0.0], np.abs(np.diff(x))))
        shapes += [(change, w, p) for w, p in m.change_shapes]
    wanted = _shape_rows(n, start, m, origin)
    # Many small matrix products: BLAS threads only fight each other (and the service) here.
    with _blas().limit(limits=1, user_api="blas"):
        for values, w, points in shapes:
            thin = max(1, w // (points * m.bank_thinning)) if m.bank_thinning else 1
            dist = nearest_distance(
                paa(values, w, points), m.shape_history, w, wanted, origin, chunk=m.shape_chunk, thin=thin
            )
            d = tail_digits(dist, m.shape_reference, m, start, origin, stride=m.shape_stride)
            shape = np.fmax(shape, np.nan_to_num(d) - math.log10(len(shapes)))

    # Fisher's combination of the two surprises (value and shape): p1 * p2 * (1 - ln(p1 * p2)),
    # so evidence from both adds up, and one of them alone needs to be stronger.
    both = np.maximum(stat, 0.0) + np.maximum(shape, 0.0)
    digits = np.clip(both - np.log10(1.0 + math.log(10.0) * both), 0.0, m.cap)
    if report:
        reported = decaying_peak(
            digits[start:],
            math.exp(-1.0 / max(m.peak_decay_days * per_day, 1.0)),
            math.exp(-1.0 / max(m.track_decay_days * per_day, 1.0)),
            m.peak_ratio,
        )[first - start :]
    else:
        reported = np.zeros(n - first)
    # Explanation: what this time of day usually looks like (the seasonal profile, or the
    # long-run median before there are three days of history), and how far off the row is.
    usual = np.where(np.isnan(seasonal), long_run, seasonal)
    gap = x - usual
    typical, count = rolling_mean(np.abs(gap), history)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where((count >= 3) & (typical > 0), gap / (typical * 1.2533), 0.0)
    sl = slice(first, n)
    return Trace(
        first=first,
        digits=digits[sl],
        reported=reported,
        score=reported / (reported + m.half),
        expected=usual[sl],
        z=np.nan_to_num(z)[sl],
    )


# --------------------------------------------------------------------------- building blocks


def rolling_median(x: Array, window: int, first: int = 0) -> Array:
    """Median of x[t-window : t] (the rows before t), ignoring NaN; NaN where there are none
    (and for rows before `first`, which are not computed)."""
    n = len(x)
    out = np.full(n, np.nan)
    if n - first < 1 or n < 2:
        return out
    padded = np.concatenate((np.full(window, np.nan), x))
    views = sliding_window_view(padded[:-1], window)[first:]
    gaps = np.isnan(padded[:-1]).astype(float)
    nan_rows = np.convolve(gaps, np.ones(window), "valid")[first:] > 0
    rows = np.arange(first, n)
    if (~nan_rows).any():
        out[rows[~nan_rows]] = np.median(views[~nan_rows], axis=1)
    some = nan_rows & ~np.all(np.isnan(views), axis=1)
    if some.any():
        out[rows[some]] = np.nanmedian(views[some], axis=1)
    return out


def lag_median(x: Array, period: int, lags: int, min_lags: int, first: int = 0) -> Array:
    """Median of x[t - k*period] for k = 1..lags; NaN until `min_lags` of them exist (and for
    rows before `first`, which are not computed)."""
    n = len(x)
    rows = np.arange(first, n)
    index = rows[:, None] - period * np.arange(1, lags + 1)[None, :]
    values = np.where(index >= 0, x[np.clip(index, 0, None)], np.nan)
    out = np.full(n, np.nan)
    have = np.sum(index >= 0, axis=1) >= min_lags
    if have.any():
        out[rows[have]] = np.nanmedian(values[have], axis=1)
    return out


def rolling_mean(a: Array, window: int) -> tuple[Array, IntArray]:
    """Mean and count of the non-NaN values of a[t-window : t]."""
    valid = ~np.isnan(a)
    sums = np.concatenate(([0.0], np.cumsum(np.where(valid, a, 0.0))))
    counts = np.concatenate(([0], np.cumsum(valid)))
    t = np.arange(len(a))
    lo = np.maximum(0, t - window)
    s, c = sums[t] - sums[lo], counts[t] - counts[lo]
    return np.where(c > 0, s / np.maximum(c, 1), np.nan), c


def window_mean(r: Array, width: int) -> Array:
    """Mean of r[t-width+1 .. t]; NaN when any of them is NaN."""
    valid = ~np.isnan(r)
    sums = np.concatenate(([0.0], np.cumsum(np.where(valid, r, 0.0))))
    counts = np.concatenate(([0], np.cumsum(valid)))
    out = np.full(len(r), np.nan)
    if len(r) >= width:
        c = counts[width:] - counts[:-width]
        out[width - 1 :] = np.where(c == width, (sums[width:] - sums[:-width]) / width, np.nan)
    return out


def block_median(x: Array, window: int, every: int, origin: int, first: int = 0) -> Array:
    """Median of the `window` rows before each block of `every` rows (blocks aligned to origin),
    for the blocks from the one holding `first` on."""
    n = len(x)
    out = np.full(n, np.nan)
    for b0, b1 in _blocks(first, n, every, origin):
        ref = _aligned(b0, every, origin)
        past = x[max(0, ref - window) : ref]
        if len(past):
            out[b0:b1] = np.median(past)
    return out


def tail_digits(a: Array, window: int, m: SurpriseModel, start: int, origin: int, stride: int = 1) -> Array:
    """-log10 P(A >= a[t]) against the values of `a` in the `window` rows before t's block.

    Empirical within the observed range; beyond the top `tail_fraction` an exponential tail
    fitted to the largest values (its scale floored at `tail_floor` times its threshold). With
    `stride` > 1 only the rows at absolute positions divisible by it form the reference. Rows
    before `start` are not computed (NaN); rows with too little history are NaN too.
    """
    n = len(a)
    out = np.full(n, np.nan)
    for b0, b1 in _blocks(start, n, m.block, origin):
        ref = _aligned(b0, m.block, origin)
        lo = max(0, ref - window)
        past = a[lo + (-(origin + lo)) % stride : ref : stride] if stride > 1 else a[lo:ref]
        past = past[~np.isnan(past)]
        size = len(past)
        if size < m.min_reference:
            continue
        ordered = np.sort(past)
        k = max(m.tail_min, int(m.tail_fraction * size))
        threshold = ordered[size - k]
        scale = max(
            float(np.mean(ordered[size - k :] - threshold)),
            1e-12 * max(1.0, abs(threshold)),
            m.tail_floor * threshold,
        )
        cur = a[b0:b1]
        above = size - np.searchsorted(ordered, cur, side="left")
        with np.errstate(divide="ignore", invalid="ignore"):
            log_emp = np.log10((above + 1) / (size + 1))
            log_tail = math.log10(k / (size + 1)) - (cur - threshold) / scale / math.log(10)
            log_p = np.where(cur > threshold, np.maximum(log_tail, np.where(above > 0, log_emp, -np.inf)), log_emp)
        out[b0:b1] = np.where(np.isnan(cur), np.nan, np.maximum(-log_p, 0.0))
    return out


def paa(x: Array, width: int, points: int) -> Array:
    """Row t -> the last `width` values up to t, averaged into `points` equal segments."""
    n = len(x)
    seg = width // points
    sums = np.concatenate(([0.0], np.cumsum(x)))
    out = np.full((n, points), np.nan)
    for k in range(points):
        end = np.arange(n) - width + 1 + (k + 1) * seg
        begin = end - seg
        ok = begin >= 0
        out[ok, k] = (sums[end[ok]] - sums[begin[ok]]) / seg
    return out


def nearest_distance(
    emb: Array, window: int, exclusion: int, rows: IntArray, origin: int, chunk: int = 64, thin: int = 1
) -> Array:
    """Euclidean distance from each embedded row in `rows` to its nearest earlier one, among the
    `window` rows before its chunk and at least `exclusion` rows back (no trivial self-matches);
    NaN for rows not asked for."""
    n = len(emb)
    out = np.full(n, np.nan)
    if not len(rows):
        return out
    valid = ~np.isnan(emb[:, 0])
    groups = (origin + rows) // chunk
    cuts = np.flatnonzero(np.diff(groups)) + 1
    for group in np.split(rows, cuts):
        ref = _aligned(int(group[0]), chunk, origin)
        lo, hi = max(0, ref - window), ref - exclusion + 1
        if thin > 1:
            lo += (-(origin + lo)) % thin
        if hi - lo < 1:
            continue
        ok = valid[lo:hi:thin]
        if not ok.any():
            continue
        # Single precision is ten times faster here; centring on a value from the bank (the
        # past only, so the result stays causal) keeps it accurate: distances do not move.
        bank64 = emb[lo:hi:thin][ok]
        centre = float(bank64[-1, 0])
        bank = (bank64 - centre).astype(np.float32)
        query = np.where(valid[group, None], emb[group] - centre, 0.0).astype(np.float32)
        bank_norms = np.einsum("ij,ij->i", bank, bank)
        query_norms = np.einsum("ij,ij->i", query, query)
        d2 = ((bank_norms[None, :] - 2.0 * (query @ bank.T)).min(axis=1) + query_norms).astype(np.float64)
        out[group] = np.where(valid[group], np.sqrt(np.maximum(d2, 0.0)), np.nan)
    return out


def _shape_rows(n: int, start: int, m: SurpriseModel, origin: int) -> IntArray:
    """Rows whose nearest-window distance is needed: every row from `start` (to be scored), and
    the reference rows (every `shape_stride`-th) of the history the first scored block reads."""
    if start == 0:
        return np.arange(n)
    ref = _aligned(start, m.block, origin)
    lo = max(0, ref - m.shape_reference)
    first_ref = lo + (-(origin + lo)) % m.shape_stride
    history = np.arange(first_ref, start, m.shape_stride)
    return np.concatenate((history, np.arange(start, n)))


def decaying_peak(digits: Array, peak_decay: float, track_decay: float, ratio: float) -> Array:
    """Report a row's surprise only when it beats both `ratio` times the last reported peak
    (decaying) and the running maximum of recent surprise (decaying): once per episode."""
    out = np.zeros(len(digits))
    peak = track = 0.0
    for t, v in enumerate(digits.tolist()):
        if v != v:
            v = 0.0
        if v > ratio * peak and v > track:
            out[t] = v
            peak = v
        else:
            peak *= peak_decay
        track = max(track * track_decay, v)
    return out


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def _aligned(row: int, size: int, origin: int) -> int:
    """The first row of the block `row` belongs to (blocks start at multiples of `size` of the
    absolute index origin + row); may be negative when the block began before row 0."""
    return row - (origin + row) % size


def _blocks(start: int, n: int, size: int, origin: int) -> list[tuple[int, int]]:
    """[b0, b1) spans covering [start, n) whose edges fall on multiples of `size` (absolute)."""
    spans = []
    b0 = start
    while b0 < n:
        b1 = min(n, b0 + size - (origin + b0) % size)
        spans.append((b0, b1))
        b0 = b1
    return spans
