"""`trendwatch backtest -c CONFIG --since --until`: stored history replayed through the configured
detectors and the real engine, on a real SQLite store, without touching the live alert state."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from alerts.backtest import BacktestError, evaluation_times, replay
from alerts.detectors.volume_spike import VolumeSpike
from indexer.plugins import STORES
from tests.indexer.factory import make
from trendwatch.models import EnrichedPost
from trendwatch.service.cli import app

START = datetime(2026, 11, 10, tzinfo=UTC)
DAYS = 10
BURST = START + timedelta(days=9, hours=14)  # a negative pile-on, 14:00-17:00 on the last day


def history() -> list[EnrichedPost]:
    rng = np.random.default_rng(12)
    posts = []
    n = 0
    for hour in range(DAYS * 24):
        t = START + timedelta(hours=hour)
        rate = 6 * (1 + 0.5 * np.sin((hour % 24 - 8) / 24 * 2 * np.pi))
        burst = BURST <= t < BURST + timedelta(hours=3)
        count = rng.poisson(rate) + (60 if burst else 0)
        for i in range(count):
            n += 1
            negative = burst or rng.random() < 0.15
            posts.append(
                make(
                    n,
                    "acme is down again" if negative else "acme is fine",
                    when=t + timedelta(minutes=int(i * 59 / max(count, 1))),
                    author=f"user{rng.integers(0, 5000)}",
                    brands=["Acme"],
                    sentiment=-0.7 if negative else 0.3,
                )
            )
    return posts


async def _fill(path: Path) -> None:
    store = STORES.get("sqlite")(STORES.options_model("sqlite")(path=path))
    await store.open()
    try:
        await store.upsert(history())
    finally:
        await store.close()


async def _live_alert_state(path: Path) -> tuple[dict[str, object], list[object]]:
    store = STORES.get("sqlite")(STORES.options_model("sqlite")(path=path))
    await store.open()
    try:
        return await store.get_states("alert"), list(await store.alerts())
    finally:
        await store.close()


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A real SQLite store with ten days of posts about Acme (the CLI runs its own event loop,
    so these tests are synchronous)."""
    path = tmp_path / "tw.db"
    asyncio.run(_fill(path))
    return path


def config(tmp_path: Path, db: Path) -> Path:
    path = tmp_path / "tw.yaml"
    path.write_text(
        f"""
brand: {{name: Acme}}
store: {{type: sqlite, path: "{db}"}}
detectors:
  - type: volume_spike
    name: spikes
    step: 1h
    interval: 1h
  - type: tone_shift
    name: tone
  - type: share_of_voice
    name: voice
    enabled: false
""",
        encoding="utf-8",
    )
    return path


def test_the_replay_lists_what_would_have_fired_and_leaves_the_store_alone(tmp_path: Path, store_path: Path) -> None:
    cfg = config(tmp_path, store_path)
    out = tmp_path / "events.jsonl"
    since, until = START + timedelta(days=8), START + timedelta(days=10)
    result = CliRunner().invoke(
        app,
        ["backtest", "-c", str(cfg), "--since", since.isoformat(), "--until", until.isoformat(), "--json", str(out)],
    )
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in out.read_text().splitlines()]
    opened = [e for e in events if e["status"] == "open"]
    assert {e["rule"] for e in opened} == {"spikes", "tone"}
    for e in opened:
        at = datetime.fromisoformat(e["at"])
        assert BURST < at <= BURST + timedelta(hours=4), e
        assert e["subject"] == "Acme"
    assert any(e["status"] == "resolved" for e in events)
    assert "Alerts that would have fired" in result.output
    assert "spikes" in result.output

    assert asyncio.run(_live_alert_state(store_path)) == ({}, [])


def test_replaying_one_detector_and_a_quiet_window(tmp_path: Path, store_path: Path) -> None:
    cfg = config(tmp_path, store_path)
    runner = CliRunner()
    quiet = ["--since", (START + timedelta(days=7)).isoformat(), "--until", (START + timedelta(days=8)).isoformat()]
    result = runner.invoke(app, ["backtest", "-c", str(cfg), "-d", "spikes", *quiet])
    assert result.exit_code == 0, result.output
    assert "No alert would have fired" in result.output
    result = runner.invoke(app, ["backtest", "-c", str(cfg), "-d", "nope", *quiet])
    assert result.exit_code == 2
    assert said(result.output, "no enabled detector named nope")
    assert said(result.output, "spikes, tone")


def said(output: str, text: str) -> bool:
    """`text` appears in the CLI output once rich's boxes and line wrapping are undone."""
    flat = " ".join(output.replace("│", " ").split())
    return " ".join(text.split()) in flat


def test_bad_times_are_explained(tmp_path: Path) -> None:
    cfg = tmp_path / "tw.yaml"
    cfg.write_text(f'brand: {{name: Acme}}\nstore: {{type: sqlite, path: "{tmp_path / "x.db"}"}}\n')
    runner = CliRunner()
    result = runner.invoke(app, ["backtest", "-c", str(cfg)])
    assert result.exit_code == 2
    assert said(result.output, "--since")
    result = runner.invoke(app, ["backtest", "-c", str(cfg), "--since", "last tuesday"])
    assert result.exit_code == 2
    assert said(result.output, "neither a date or time")
    result = runner.invoke(app, ["backtest", "-c", str(cfg), "--since", "1d", "--until", "2d"])
    assert result.exit_code == 2
    assert said(result.output, "must be after --since")
    result = runner.invoke(app, ["backtest", "-c", str(cfg), "--since", "1d"])
    assert result.exit_code == 2
    assert said(result.output, "enables no detector")


async def test_replay_needs_detectors() -> None:
    with pytest.raises(BacktestError, match="enables none"):
        await replay(object(), [], START, START + timedelta(days=1))


def test_evaluations_fall_on_the_detectors_grid() -> None:
    det = VolumeSpike("v", VolumeSpike.Options(step="5m", interval="15m"))
    times = evaluation_times(det, START + timedelta(minutes=7), START + timedelta(hours=1))
    assert times[0] == START + timedelta(minutes=15)
    assert times[-1] == START + timedelta(minutes=45)
    assert len(times) == 3
