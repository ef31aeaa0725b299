"""The NAB-style corpus backtest: layout, columns, causality, the alert column, bad files, CLI."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from alerts.backtest import BacktestError, find_corpus, read_series_csv, rows_per_day, run_corpus, score_file
from alerts.detectors.surprise import score_series
from tests.conftest import shared_path
from trendwatch.service.cli import app

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def write_csv(path: Path, values: np.ndarray, step: timedelta = timedelta(minutes=5)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "value"])
        for i, v in enumerate(values):
            writer.writerow([(T0 + i * step).strftime("%Y-%m-%d %H:%M:%S"), f"{v:g}"])
    return path


def rhythm(days: int, *, seed: int = 0, spike_at: int | None = None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(days * 288)
    x = 40 + 20 * np.sin(2 * np.pi * t / 288) + rng.normal(0, 2, t.size)
    if spike_at is not None:
        x[spike_at : spike_at + 6] += 120
    return x


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "nab"
    write_csv(root / "data" / "calm" / "quiet.csv", rhythm(8, seed=1))
    write_csv(root / "data" / "loud" / "spike.csv", rhythm(8, seed=2, spike_at=7 * 288))
    write_csv(root / "data" / "loud" / "hourly.csv", rhythm(3, seed=3)[::12], step=timedelta(hours=1))
    return root


def read_result(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_results_follow_the_nab_layout_and_columns(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    results, failures = run_corpus(corpus, out)
    assert failures == []
    assert sorted(r.file.label for r in results) == ["calm/quiet.csv", "loud/hourly.csv", "loud/spike.csv"]
    for r in results:
        path = out / "trendwatch" / r.file.category / f"trendwatch_{r.file.name}"
        assert r.output == path
        rows = read_result(path)
        assert list(rows[0]) == ["timestamp", "value", "anomaly_score", "alert"]
        source = read_series_csv(r.file.path)
        assert [row["timestamp"] for row in rows] == list(source.stamps)
        assert [row["value"] for row in rows] == list(source.raw_values)
        scores = np.array([float(row["anomaly_score"]) for row in rows])
        assert ((scores >= 0) & (scores < 1)).all()
        assert {row["alert"] for row in rows} <= {"0", "1"}
    assert not list(out.rglob("*.partial"))


def test_the_spike_scores_high_and_alerts_where_the_quiet_file_does_not(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "results"
    run_corpus(corpus, out)
    spike = read_result(out / "trendwatch" / "loud" / "trendwatch_spike.csv")
    quiet = read_result(out / "trendwatch" / "calm" / "trendwatch_quiet.csv")
    s_spike = np.array([float(r["anomaly_score"]) for r in spike])
    s_quiet = np.array([float(r["anomaly_score"]) for r in quiet])
    onset = 7 * 288
    assert s_spike[onset : onset + 6].max() > 0.5
    assert s_spike[onset : onset + 6].max() > 2 * s_quiet[288:].max()
    alerts = [i for i, r in enumerate(spike) if r["alert"] == "1"]
    assert alerts
    assert onset <= alerts[0] < onset + 6
    assert [r for r in quiet[288:] if r["alert"] == "1"] == []


def test_no_alert_before_the_detectors_minimum_history(tmp_path: Path) -> None:
    """As in the service (min_history 1 day), a spike in the first day is scored but not alerted."""
    x = rhythm(3, seed=5, spike_at=200)
    data = read_series_csv(write_csv(tmp_path / "early.csv", x))
    scores, alerts, per_day = score_file(data, "early")
    assert per_day == 288
    assert scores[200:206].max() > 0.5
    assert not alerts[:288].any()
    late = read_series_csv(write_csv(tmp_path / "late.csv", rhythm(3, seed=5, spike_at=288 + 200)))
    assert score_file(late, "late")[1][288 + 200 : 288 + 206].any()


def test_scores_are_strictly_causal(tmp_path: Path) -> None:
    """Changing rows after k changes nothing at or before k: not the surprise, not the reported
    score, not the alert column (while the later rows do change)."""
    x = rhythm(8, seed=4, spike_at=6 * 288)
    base = read_series_csv(write_csv(tmp_path / "a.csv", x))
    s1, a1, per_day = score_file(base, "a")
    d1 = score_series(base.values, per_day).digits
    for k in (300, 5 * 288 + 17, 6 * 288 + 2, len(x) - 40):
        y = x.copy()
        y[k + 1 :] = np.random.default_rng(k).normal(500, 300, len(y) - k - 1)  # a wild future
        other = read_series_csv(write_csv(tmp_path / f"b{k}.csv", y))
        s2, a2, _ = score_file(other, "a")
        d2 = score_series(other.values, per_day).digits
        assert np.array_equal(d1[: k + 1], d2[: k + 1])
        assert np.array_equal(s1[: k + 1], s2[: k + 1])
        assert np.array_equal(a1[: k + 1], a2[: k + 1])
        assert not np.array_equal(d1[k + 1 :], d2[k + 1 :])


def test_rows_per_day_comes_from_the_typical_spacing() -> None:
    five = [T0 + i * timedelta(minutes=5) for i in range(50)]
    assert rows_per_day(five) == 288
    gappy = [*five[:20], *(t + timedelta(hours=6) for t in five[20:])]
    assert rows_per_day(gappy) == 288
    with pytest.raises(BacktestError, match="same timestamp"):
        rows_per_day([T0, T0, T0])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("time,val\n2026-01-01 00:00:00,1\n", "expected columns timestamp,value"),
        ("timestamp,value\n2026-01-01 00:00:00,1\nyesterday,2\n", r"bad\.csv:3: 'yesterday' is not a timestamp"),
        ("timestamp,value\n2026-01-01 00:00:00,1\n2026-01-01 00:05:00,lots\n", r"bad\.csv:3: 'lots' is not a number"),
        ("timestamp,value\n2026-01-01 00:00:00,nan\n2026-01-01 00:05:00,1\n", r"bad\.csv:2: 'nan' is not a finite"),
        ("timestamp,value\n2026-01-01 00:00:00\n", r"bad\.csv:2: expected 2 columns"),
        ("timestamp,value\n2026-01-01 00:00:00,1\n", "at least two rows"),
    ],
)
def test_a_bad_file_is_reported_with_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BacktestError, match=message):
        read_series_csv(path)


def test_non_utf8_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"timestamp,value\n2026-01-01 00:00:00,\xff\xfe\n")
    with pytest.raises(BacktestError, match="not UTF-8"):
        read_series_csv(path)


def test_one_bad_file_does_not_stop_the_others(corpus: Path, tmp_path: Path) -> None:
    (corpus / "data" / "loud" / "broken.csv").write_text("timestamp,value\nsoon,1\n", encoding="utf-8")
    seen: list[str] = []
    results, failures = run_corpus(corpus, tmp_path / "out", on_file=lambda f, r: seen.append(f.label))
    assert len(results) == 3
    assert len(failures) == 1
    assert "broken.csv:2" in str(failures[0])
    assert seen == ["calm/quiet.csv", "loud/broken.csv", "loud/hourly.csv", "loud/spike.csv"]


def test_a_missing_or_empty_corpus_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BacktestError, match="no such directory"):
        find_corpus(tmp_path / "nope")
    (tmp_path / "empty" / "data").mkdir(parents=True)
    with pytest.raises(BacktestError, match=r"no <category>/\*\.csv files"):
        find_corpus(tmp_path / "empty")


def test_the_command_writes_results_and_reports_failures(corpus: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli"
    result = runner.invoke(app, ["backtest", "--nab-dir", str(corpus), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "trendwatch" / "loud" / "trendwatch_spike.csv").exists()
    assert "loud" in result.output
    (corpus / "data" / "loud" / "broken.csv").write_text("nothing here\n", encoding="utf-8")
    result = runner.invoke(app, ["backtest", "--nab-dir", str(corpus), "--out", str(out)])
    assert result.exit_code == 1
    assert "broken.csv" in result.output
    assert "could not be scored" in result.output


def test_the_command_explains_wrong_usage(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["backtest"])
    assert result.exit_code == 2
    assert "either --nab-dir" in result.output
    result = runner.invoke(app, ["backtest", "--nab-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--out" in result.output
    result = runner.invoke(app, ["backtest", "--nab-dir", str(tmp_path), "-c", "x.yaml"])
    assert result.exit_code == 2


def test_on_the_nab_development_corpus_the_alert_column_fires_inside_windows(tmp_path: Path) -> None:
    """A smoke check on the shared NAB pack (one category): the step in `art_daily_jumpsup`
    is alerted inside its labelled window and the spike-free files stay quiet."""
    nab = shared_path("data", "nab-dev")
    labels = json.loads((nab / "labels" / "combined_windows.json").read_text())
    corpus = tmp_path / "nab"
    for category in ("artificialWithAnomaly", "artificialNoAnomaly"):
        (corpus / "data" / category).mkdir(parents=True)
        for name in ("art_daily_jumpsup.csv", "art_daily_no_noise.csv", "art_daily_small_noise.csv"):
            source = nab / "data" / category / name
            if source.exists():
                (corpus / "data" / category / name).symlink_to(source)
    results, failures = run_corpus(corpus, tmp_path / "out")
    assert failures == []
    assert len(results) == 3
    jumps = read_result(tmp_path / "out" / "trendwatch" / "artificialWithAnomaly" / "trendwatch_art_daily_jumpsup.csv")
    [(begin, end)] = labels["artificialWithAnomaly/art_daily_jumpsup.csv"]
    fired = [r["timestamp"] for r in jumps if r["alert"] == "1"]
    assert any(begin[:19] <= t <= end[:19] for t in fired)
    for name in ("art_daily_no_noise.csv", "art_daily_small_noise.csv"):
        quiet = read_result(tmp_path / "out" / "trendwatch" / "artificialNoAnomaly" / f"trendwatch_{name}")
        assert sum(r["alert"] == "1" for r in quiet[len(quiet) // 4 :]) <= 1
