"""The surprise model itself: causal, the same whether a row is scored in a full run or at the
end of a short stretch (as the service does), bounded, and sensible on awkward inputs."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from alerts.detectors.surprise import SurpriseModel, decaying_peak, score_series
from alerts.detectors.volume_spike import MODEL, VolumeSpike
from tests.alerts.detectors.series import END, daily, series

PER_DAY = 288


def five_minute(days: int = 20, seed: int = 1) -> np.ndarray:
    return daily(days, step=timedelta(minutes=5), base=8, weekend=0.6, seed=seed)


def test_a_row_depends_only_on_the_rows_before_it() -> None:
    x = five_minute()
    full = score_series(x, PER_DAY)
    for k in (PER_DAY, 9 * PER_DAY + 5, len(x) - 3):
        y = x.copy()
        y[k + 1 :] = 10_000.0
        other = score_series(y, PER_DAY)
        assert np.array_equal(full.digits[: k + 1], other.digits[: k + 1])
        assert np.array_equal(full.score[: k + 1], other.score[: k + 1])


def test_the_service_path_scores_the_last_rows_like_a_full_run() -> None:
    """Scoring only the last rows (no decaying peak, as `VolumeSpike.evaluate` does) gives the
    very surprise a continuous run computes for those rows, blocks aligned by absolute index."""
    x = five_minute()
    x[-5:] += 60
    origin = 123_457  # an absolute bucket number that is not a multiple of the block size
    full = score_series(x, PER_DAY, origin=origin)
    tail = score_series(x, PER_DAY, first=len(x) - 72, origin=origin, report=False)
    assert np.allclose(tail.digits, full.digits[-72:], rtol=0, atol=1e-12)
    assert np.allclose(tail.z, full.z[-72:])
    assert not tail.score.any()
    assert full.digits[-5:].max() > 4


def test_the_detector_reports_the_models_surprise() -> None:
    """With its default lookback the detector sees all the model needs: its score for the last
    bucket is the one a continuous run over a longer history gives that bucket."""
    step = timedelta(minutes=5)
    x = five_minute(days=36)
    x[-1] += 80
    s = series(x, step=step)
    det = VolumeSpike("v", VolumeSpike.Options())
    assert det.lookback >= MODEL.lookback_rows(PER_DAY) * step
    [alert] = det.evaluate([s], END)
    origin = int((END - len(x) * step).timestamp() // step.total_seconds())
    full = score_series(x, PER_DAY, MODEL, origin=origin)
    d = float(full.digits[-1])
    assert alert.score == pytest.approx(d / (d + MODEL.half), abs=1e-4)


def test_scores_stay_in_range_on_awkward_series() -> None:
    cases = {
        "flat": np.full(3000, 7.0),
        "zeros": np.zeros(3000),
        "one post": np.r_[np.zeros(2999), 1.0],
        "negative and tiny": np.sin(np.arange(3000)) * 1e-9 - 5,
        "huge": np.r_[np.ones(2000), np.full(1000, 1e15)],
        "short": np.array([1.0, 2.0, 3.0]),
        "empty": np.zeros(0),
    }
    for name, x in cases.items():
        t = score_series(x, PER_DAY)
        assert len(t.score) == len(x), name
        assert np.isfinite(t.digits).all(), name
        assert ((t.score >= 0) & (t.score < 1)).all(), name
        assert (t.digits <= SurpriseModel().cap).all(), name


def test_a_flat_series_that_jumps_is_surprising_once() -> None:
    x = np.r_[np.full(3000, 10.0), np.full(500, 30.0)]
    t = score_series(x, PER_DAY)
    assert t.score[:3000].max() == 0
    reported = np.flatnonzero(t.score > 0.3)
    assert reported.size >= 1
    assert reported[0] == 3000
    assert reported.size <= 3  # reported once (a bigger surprise may follow as the step settles)


def test_the_decaying_peak_reports_an_episode_once_and_a_bigger_one_again() -> None:
    digits = np.array([0, 0, 6, 7, 6.5, 5, 0, 0, 0, 20, 19, 0], dtype=float)
    out = decaying_peak(digits, peak_decay=0.9, track_decay=0.9, ratio=2.0)
    assert np.flatnonzero(out).tolist() == [2, 9]
    assert out[2] == 6
    assert out[9] == 20
