"""Backtesting: see what the detectors would have said, before trusting them with a channel.

Two uses:

- **A labelled corpus** (`run_nab`): every CSV of a corpus laid out like the Numenta Anomaly
  Benchmark (`DIR/data/<category>/<file>.csv` with `timestamp,value` columns) is scored by the
  volume-spike model and written to `OUT/trendwatch/<category>/trendwatch_<file>.csv` with
  columns `timestamp,value,anomaly_score,alert`. `anomaly_score` is the model's surprise in
  [0, 1) after its decaying peak (reported once per episode); `alert` is 1 where the service,
  with the volume-spike detector's and the lifecycle's defaults, would have sent a message (an
  alert opened, or updated: escalated, grown or reminded). The run is strictly causal: a row's
  score depends on that row and the rows before it, never on later ones. NAB values are not post
  counts, so the low-count guard (`min_count`) is off for the `alert` column; everything else is
  the service default.
- **Stored history** (`replay`): the configured detectors are run through the real alert
  engine at every interval of a past window, against the store's data, with the lifecycle state
  kept in memory (the live state is never read or written) and no notifier, and the events they
  would have produced are returned, so a rule can be tuned before it is enabled.
"""

from __future__ import annotations

import bisect
import csv
import dataclasses
import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from alerts.detector import Detector
from alerts.detectors.surprise import score_series
from alerts.detectors.volume_spike import MODEL, VolumeSpike
from alerts.engine import AlertContext, AlertEngine
from alerts.lifecycle import DEFAULT_POLICY, LifecyclePolicy, State, step
from trendwatch.errors import TrendwatchError
from trendwatch.models import Alert, Drivers, Series, SeriesQuery

DETECTOR_NAME = "trendwatch"
COLUMNS = ("timestamp", "value", "anomaly_score", "alert")
FIRED = ("open", "updated")


class BacktestError(TrendwatchError):
    """A backtest cannot run as asked: a missing corpus, a malformed file, a bad time window."""


# ------------------------------------------------------------------------------ the NAB corpus


@dataclass(frozen=True, slots=True)
class CorpusFile:
    category: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def label(self) -> str:
        return f"{self.category}/{self.name}"


@dataclass(frozen=True, slots=True)
class SeriesFile:
    """One corpus CSV as read: timestamps as written, as instants, and the values."""

    stamps: tuple[str, ...]
    times: tuple[datetime, ...]
    raw_values: tuple[str, ...]
    values: np.ndarray


@dataclass(frozen=True, slots=True)
class FileResult:
    file: CorpusFile
    rows: int
    alerts: int
    per_day: int
    seconds: float
    output: Path


def find_corpus(nab_dir: Path) -> list[CorpusFile]:
    """The CSVs of a NAB-style corpus: `DIR/data/<category>/*.csv` (or `DIR/<category>/*.csv`)."""
    if not nab_dir.is_dir():
        raise BacktestError(f"{nab_dir}: no such directory (expected a NAB-style corpus with data/<category>/*.csv)")
    root = nab_dir / "data" if (nab_dir / "data").is_dir() else nab_dir
    files = [
        CorpusFile(category.name, path)
        for category in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        for path in sorted(category.glob("*.csv"))
    ]
    if not files:
        raise BacktestError(f"{root}: no <category>/*.csv files found (expected the NAB layout data/<category>/*.csv)")
    return files


def read_series_csv(path: Path) -> SeriesFile:
    """Read a `timestamp,value` CSV; every problem is reported with the file and line."""
    stamps: list[str] = []
    times: list[datetime] = []
    raw: list[str] = []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise BacktestError(f"{path}: the file is empty (expected a header timestamp,value)")
            columns = [h.strip().lower() for h in header]
            if "timestamp" not in columns or "value" not in columns:
                raise BacktestError(f"{path}:1: expected columns timestamp,value, found {','.join(header)}")
            t_col, v_col = columns.index("timestamp"), columns.index("value")
            for line, row in enumerate(reader, start=2):
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(row) <= max(t_col, v_col):
                    raise BacktestError(f"{path}:{line}: expected {len(columns)} columns, found {len(row)}")
                stamp, value = row[t_col].strip(), row[v_col].strip()
                try:
                    moment = datetime.fromisoformat(stamp)
                except ValueError:
                    raise BacktestError(
                        f"{path}:{line}: {stamp!r} is not a timestamp (e.g. 2014-04-01 00:05:00)"
                    ) from None
                try:
                    number = float(value)
                except ValueError:
                    raise BacktestError(f"{path}:{line}: {value!r} is not a number") from None
                if not math.isfinite(number):
                    raise BacktestError(f"{path}:{line}: {value!r} is not a finite number")
                stamps.append(stamp)
                times.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
                raw.append(value)
    except UnicodeDecodeError as exc:
        raise BacktestError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise BacktestError(f"{path}: cannot read the file ({exc.strerror})") from None
    if len(times) < 2:
        raise BacktestError(f"{path}: needs at least two rows of data, found {len(times)}")
    return SeriesFile(tuple(stamps), tuple(times), tuple(raw), np.array([float(v) for v in raw]))


def rows_per_day(times: Sequence[datetime]) -> int:
    """The series' rows per day, from its typical (median) spacing."""
    gaps = np.diff(np.array([t.timestamp() for t in times]))
    gaps = gaps[gaps > 0]
    if not gaps.size:
        raise BacktestError("every row has the same timestamp: cannot tell the sampling interval")
    return max(1, round(86400.0 / float(np.median(gaps))))


def nab_detector() -> VolumeSpike:
    """The service's volume-spike detector with its defaults, minus the post-count guard."""
    return VolumeSpike("volume_spike", VolumeSpike.Options(min_count=0))


def score_file(
    data: SeriesFile, subject: str, detector: VolumeSpike | None = None, policy: LifecyclePolicy | None = None
) -> tuple[np.ndarray, np.ndarray, int]:
    """(anomaly_score, alert, rows per day) for every row of `data`, causally."""
    detector = detector or nab_detector()
    policy = policy or getattr(detector, "policy", None) or DEFAULT_POLICY
    per_day = rows_per_day(data.times)
    trace = score_series(data.values, per_day, MODEL)
    fired = np.zeros(len(data.values), dtype=np.int8)
    recent = min(per_day, 72)
    # As in the service, no alert before `min_history` of the series has been seen.
    min_rows = max(1, int(detector.options.min_history / timedelta(days=1) * per_day))
    state: State | None = None
    for i, now in enumerate(data.times):
        if i + 1 < min_rows:
            continue
        lo = max(0, i - recent + 1)
        time_of: Callable[[int], datetime] = functools.partial(_offset_time, data.times, lo)
        candidate = detector.candidate(
            subject,
            data.values[lo : i + 1],
            trace.digits[lo : i + 1],
            trace.z[lo : i + 1],
            trace.expected[lo : i + 1],
            i - lo,
            time_of,
            now,
        )
        if candidate is None and state is None:
            continue
        result = step(state, candidate, now, policy)
        state = result.state
        if result.event is not None and result.event.status in FIRED:
            fired[i] = 1
    return trace.score, fired, per_day


def _offset_time(times: Sequence[datetime], lo: int, j: int) -> datetime:
    return times[lo + j]


def write_result(out_dir: Path, file: CorpusFile, data: SeriesFile, scores: np.ndarray, fired: np.ndarray) -> Path:
    """`OUT/trendwatch/<category>/trendwatch_<file>.csv` (written to a temporary name first)."""
    target = out_dir / DETECTOR_NAME / file.category / f"{DETECTOR_NAME}_{file.name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".csv.partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for stamp, value, score, alert in zip(
            data.stamps, data.raw_values, scores.tolist(), fired.tolist(), strict=True
        ):
            writer.writerow((stamp, value, repr(float(score)), int(alert)))
    partial.replace(target)
    return target


def run_corpus(
    nab_dir: Path,
    out_dir: Path,
    *,
    on_file: Callable[[CorpusFile, FileResult | BacktestError], None] | None = None,
) -> tuple[list[FileResult], list[BacktestError]]:
    """Score every file of the corpus; a file that cannot be read is reported, the rest go on."""
    results: list[FileResult] = []
    failures: list[BacktestError] = []
    for file in find_corpus(nab_dir):
        began = time.perf_counter()
        try:
            data = read_series_csv(file.path)
            scores, fired, per_day = score_file(data, file.path.stem)
            output = write_result(out_dir, file, data, scores, fired)
        except BacktestError as exc:
            failures.append(exc)
            if on_file is not None:
                on_file(file, exc)
            continue
        result = FileResult(file, len(data.values), int(fired.sum()), per_day, time.perf_counter() - began, output)
        results.append(result)
        if on_file is not None:
            on_file(file, result)
    return results, failures


# ------------------------------------------------------------------------------ stored history


class ReplayStore:
    """The engine's view of a store during a replay: series and drivers come from the real
    store (series fetched once per query for the whole window and cut per evaluation), while
    lifecycle state and the alert history stay in memory, so the live service is untouched."""

    def __init__(self, store: Any, since: datetime, until: datetime, *, drivers: bool = False) -> None:
        self._store = store
        self._since, self._until = since, until
        self._drivers = drivers
        self._series: dict[tuple[SeriesQuery, datetime], list[Series]] = {}
        self.state: dict[str, Any] = {}
        self.history: list[Alert] = []

    async def prefetch(self, query: SeriesQuery, lookback: timedelta) -> None:
        key = (query, self._since - lookback)
        if key not in self._series:
            self._series[key] = await self._store.series(query, self._since - lookback, self._until)

    async def series(self, query: SeriesQuery, since: datetime, until: datetime) -> list[Series]:
        for (known, start), full in self._series.items():
            if known == query and start <= since:
                return [_cut(s, since, until) for s in full]
        result: list[Series] = await self._store.series(query, since, until)
        return result

    async def drivers(
        self, query: SeriesQuery, subject: str, since: datetime, until: datetime, limit: int = 5
    ) -> Drivers:
        if not self._drivers:
            return Drivers()
        result: Drivers = await self._store.drivers(query, subject, since, until, limit)
        return result

    async def get_state(self, key: str) -> Any | None:
        return self.state.get(key)

    async def set_state(self, key: str, value: Any) -> None:
        if value is None:
            self.state.pop(key, None)
        else:
            self.state[key] = value

    async def record_alert(self, alert: Alert) -> None:
        self.history.append(alert)


def _cut(series: Series, since: datetime, until: datetime) -> Series:
    starts = [b.start for b in series.buckets]
    lo, hi = bisect.bisect_left(starts, since), bisect.bisect_left(starts, until)
    return dataclasses.replace(series, start=since, end=until, buckets=series.buckets[lo:hi])


def evaluation_times(detector: Detector, since: datetime, until: datetime) -> list[datetime]:
    """Where the service would have evaluated `detector` in [since, until): at the end of each
    of its runs' slots (the larger of interval and bucket width, on the epoch grid)."""
    every = max(detector.interval, detector.query.step)
    seconds = every.total_seconds()
    first = datetime.fromtimestamp(math.ceil(since.timestamp() / seconds) * seconds, UTC)
    out = []
    t = first
    while t < until:
        out.append(t)
        t += every
    return out


async def replay(
    store: Any,
    detectors: Sequence[Detector],
    since: datetime,
    until: datetime,
    *,
    context: AlertContext | None = None,
    policy: LifecyclePolicy = DEFAULT_POLICY,
    drivers: bool = False,
    on_step: Callable[[int, int], None] | None = None,
) -> list[Alert]:
    """The lifecycle events the detectors would have produced over [since, until), in time
    order, through the real alert engine (no notifier; state in memory)."""
    if until <= since:
        raise BacktestError(f"--until ({until.isoformat()}) must be after --since ({since.isoformat()})")
    if not detectors:
        raise BacktestError("no detector to replay: the configuration enables none")
    overlay = ReplayStore(store, since, until, drivers=drivers)
    for detector in detectors:
        await overlay.prefetch(detector.query, detector.lookback)
    engine = AlertEngine(overlay, detectors, [], context or AlertContext(), policy=policy)
    plan = sorted((t, i) for i, d in enumerate(detectors) for t in evaluation_times(d, since, until))
    events: list[Alert] = []
    for done, (now, index) in enumerate(plan, start=1):
        events.extend(await engine.run(detectors[index], now))
        if on_step is not None:
            on_step(done, len(plan))
    return events
