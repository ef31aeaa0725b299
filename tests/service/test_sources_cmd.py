"""`trendwatch sources` and `trendwatch poll`, run as the real command against a local server."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from aiohttp import web
from typer.testing import CliRunner

from crawlers.plugins import SOURCES
from trendwatch.service.cli import app

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)


def trendwatch(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "trendwatch", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def feed(count: int) -> str:
    items = "".join(
        f"<item><guid isPermaLink='false'>n{n}</guid><title>Kavehmart news {n}</title>"
        f"<description>دیجی‌کالا خبر {n}</description><pubDate>{format_datetime(NOW - timedelta(hours=n))}</pubDate></item>"
        for n in range(count)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'


@pytest.fixture
def server() -> Iterator[str]:
    """A feed server in its own thread (the command under test runs in another process)."""
    app = web.Application()

    async def news(request: web.Request) -> web.Response:
        return web.Response(text=feed(3), content_type="application/rss+xml")

    async def broken(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>oops</body></html>", content_type="text/html")

    app.router.add_get("/feed.xml", news)
    app.router.add_get("/broken.xml", broken)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)
    loop.run_until_complete(runner.cleanup())
    loop.close()


@pytest.fixture
def config(tmp_path: Path, server: str) -> Path:
    path = tmp_path / "tw.yaml"
    path.write_text(
        f"""
brand: {{name: Kavehmart}}
sources:
  - type: rss
    name: news
    feeds: ["{server}/feed.xml"]
  - type: rss
    name: broken
    feeds: ["{server}/broken.xml"]
  - type: youtube
    name: tube
    keywords: [kavehmart]
""",
        encoding="utf-8",
    )
    return path


def test_sources_lists_every_type_with_its_options() -> None:
    result = CliRunner().invoke(app, ["sources"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for name, cls in SOURCES:
        assert f"{name} — {cls.description}" in result.stdout
    assert "feeds" in result.stdout
    assert "daily_quota" in result.stdout
    assert "10000" in result.stdout


def test_sources_json_and_one_type() -> None:
    result = CliRunner().invoke(app, ["sources", "rss", "--json"])
    catalogue = json.loads(result.stdout)
    assert list(catalogue) == ["rss"]
    options = {o["name"]: o for o in catalogue["rss"]["options"]}
    assert options["interval"]["default"] == "15m"
    assert options["feeds"]["kind"] == "list[str]"
    everything = json.loads(CliRunner().invoke(app, ["sources", "--json"]).stdout)
    assert sorted(everything) == SOURCES.names()
    assert all(cls.Options().model_dump() is not None for _, cls in SOURCES)
    unknown = CliRunner().invoke(app, ["sources", "myspace"])
    assert unknown.exit_code == 2
    assert "known: bluesky" in unknown.output


def test_poll_once_prints_the_posts_and_keeps_no_cursor(config: Path, tmp_path: Path) -> None:
    result = trendwatch("poll", "news", "--once", "-c", str(config))
    assert result.returncode == 0, result.stderr
    assert "Kavehmart news 0" in result.stdout
    assert "news: 3 of 3 posts" in result.stdout
    assert "3 posts" in result.stderr
    assert "cursor: not saved" in result.stderr


def test_poll_with_a_cursor_file_fetches_only_new_posts_next_time(config: Path, tmp_path: Path) -> None:
    cursor = tmp_path / "news.cursor.json"
    first = trendwatch("poll", "news", "--once", "-c", str(config), "--cursor-file", str(cursor), "--json")
    assert first.returncode == 0, first.stderr
    assert len(first.stdout.splitlines()) == 3
    assert json.loads(first.stdout.splitlines()[0])["id"].startswith("rss:")
    assert json.loads(cursor.read_text())["queries"]
    second = trendwatch("poll", "news", "--once", "-c", str(config), "--cursor-file", str(cursor), "--json")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == ""
    # a quiet round is not a problem: it is said as what it is
    assert "problems" not in second.stderr
    assert "queries with nothing new: 1" in second.stderr


def test_poll_reports_a_failed_round_with_its_reason(config: Path) -> None:
    result = trendwatch("poll", "broken", "--once", "-c", str(config))
    assert result.returncode == 1
    assert "round failed (html_instead_of_xml)" in result.stderr


def test_poll_explains_what_is_missing(config: Path) -> None:
    unknown = trendwatch("poll", "nosuch", "--once", "-c", str(config))
    assert unknown.returncode == 2
    assert "no source named 'nosuch'" in unknown.stderr
    assert "broken, news, tube" in unknown.stderr
    declined = trendwatch("poll", "tube", "--once", "-c", str(config))
    assert declined.returncode == 2
    assert "needs api_key" in declined.stderr
