"""`trendwatch crawl NAME -c CONFIG`, run as a user runs it (a real process) against the local web."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from tests.crawlers.spiders.fake_web import FakeMessage, FakeWeb, hashtag, persian_channel
from trendwatch.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[3]


def trendwatch(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "trendwatch", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )


@pytest.fixture(scope="module")
def config(fake_web: FakeWeb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    channel = persian_channel("cli_fa", 30, newest=utcnow() - timedelta(minutes=5), step=timedelta(hours=1))
    fake_web.channels[channel.username] = channel
    path = tmp_path_factory.mktemp("crawl") / "trendwatch.yaml"
    path.write_text(
        f"""
brand: {{name: Digikala, aliases: [دیجی‌کالا]}}
sources:
  - type: telegram
    name: tg-fa
    channels: [cli_fa]
    base_url: {fake_web.url}
    backfill: 1d
    download_delay: 0s
  - type: telegram
    name: tg-missing
    enabled: false
    channels: [no_such_channel]
    base_url: {fake_web.url}
    download_delay: 0s
notifiers:
  - type: not-checked-by-crawl
""",
        encoding="utf-8",
    )
    return path


def test_crawl_prints_posts_progress_and_summary_then_resumes(config: Path, fake_web: FakeWeb) -> None:
    cursor = config.parent / "tg-fa.cursor.json"
    first = trendwatch("crawl", "tg-fa", "-c", str(config), "--cursor-file", str(cursor), "--show", "3")
    assert first.returncode == 0, first.stderr
    assert "3 of 24 posts" in first.stdout  # 24 messages are less than a day old
    assert "پیام ۳۰" in first.stdout  # the newest first
    assert "crawling tg-fa: 2 pages · 24 posts · 0 problems" in first.stderr
    assert "tg-fa (telegram): 24 posts from 2 pages" in first.stderr
    assert f"cursor: saved to {cursor}" in first.stderr
    assert orjson.loads(cursor.read_bytes()) == {"channels": {"cli_fa": {"last": 30, "top": None, "before": None}}}

    fake_web.channels["cli_fa"].add(FakeMessage(id=31, time=utcnow(), text_html=f"پیام تازه {hashtag('دیجی_کالا')}"))
    second = trendwatch("crawl", "tg-fa", "-c", str(config), "--cursor-file", str(cursor), "--json")
    assert second.returncode == 0, second.stderr
    posts = [orjson.loads(line) for line in second.stdout.splitlines() if line.strip()]
    assert [p["id"] for p in posts] == ["telegram:cli_fa/31"]
    assert posts[0]["hashtags"] == ["دیجی_کالا"]
    assert posts[0]["author"]["handle"] == "cli_fa"
    assert "raw" not in posts[0]
    assert orjson.loads(cursor.read_bytes())["channels"]["cli_fa"]["last"] == 31


def test_a_round_with_nothing_but_problems_exits_1(config: Path) -> None:
    result = trendwatch("crawl", "tg-missing", "-c", str(config))
    assert result.returncode == 1
    assert "is disabled in" in result.stderr  # crawled anyway, on request
    assert "problems: gone ×1" in result.stderr
    assert "error (gone):" in result.stderr
    assert "nothing fetched this round" in result.stderr
    assert "no new posts this round" in result.stdout


def test_unknown_source_names_the_spider_sources(config: Path) -> None:
    result = trendwatch("crawl", "tg-nope", "-c", str(config))
    assert result.returncode == 2
    assert "has no source named 'tg-nope'" in result.stderr
    assert "tg-fa, tg-missing" in result.stderr


def test_a_bad_config_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("brand: {name: X}\nsources:\n  - type: telegram\n    channels: ['a b']\n", encoding="utf-8")
    result = trendwatch("crawl", "telegram", "-c", str(path))
    assert result.returncode == 2
    assert "line 4, sources[0].channels[0]" in result.stderr
    assert "not a public channel username" in result.stderr


def test_a_cursor_file_that_is_not_json_is_refused(config: Path, tmp_path: Path) -> None:
    cursor = tmp_path / "cursor.json"
    cursor.write_text("{oops", encoding="utf-8")
    result = trendwatch("crawl", "tg-fa", "-c", str(config), "--cursor-file", str(cursor))
    assert result.returncode == 2
    assert "cannot read a cursor from" in result.stderr
