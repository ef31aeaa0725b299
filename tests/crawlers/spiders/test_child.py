"""The parent side of the child process, against small scripted children (real processes, no
Scrapy): malformed lines, crashes, deaths by signal, deadlines, consumers that stop early, and
sources handing on what a crashed child completed."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from datetime import timedelta
from typing import Any, ClassVar

import aiohttp
import orjson
import pytest

from crawlers.http import create_session
from crawlers.spiders.child import SpiderProcess
from crawlers.spiders.items import Problem, Summary
from crawlers.spiders.options import TelegramOptions, WebsiteOptions
from crawlers.spiders.protocol import CrawlSpec
from crawlers.spiders.sources import TelegramSource, WebsiteSource
from tests.crawlers.spiders.rounds import metric, run_round
from trendwatch.config import HttpConfig
from trendwatch.errors import SourceError

SUMMARY = '{"type": "summary", "finish_reason": "finished", "ok_responses": 1}'


def child(script: str) -> tuple[str, ...]:
    """A child process running `script` (its stdin is the spec, as for the real child)."""
    return (sys.executable, "-c", "import sys, time, os\n" + textwrap.dedent(script))


def spec(source: str) -> CrawlSpec:
    return CrawlSpec(spider="telegram", source=source, options={}, cursor=None, user_agent="ua", timeout=5.0)


async def collect(process: SpiderProcess, limit: int | None = None) -> list[Any]:
    events = []
    async with process:
        async for event in process.events():
            events.append(event)
            if limit is not None and len(events) >= limit:
                break
    return events


async def test_events_arrive_in_order_and_bad_lines_are_counted_and_skipped() -> None:
    script = f"""
        spec = sys.stdin.read()
        print("not json at all")
        print('["a", "list"]')
        print('{{"type": "nope"}}')
        print('{{"type": "problem", "key": "c", "reason": "x"}}')
        print('{{"type": "problem", "key": 1, "reason": "x", "url": "u", "message": "m"}}')
        print('{{"type": "channel_page", "channel": "c", "url": "u", "messages": "oops", "state": {{}}}}')
        print('{{"type": "problem", "key": "c", "reason": "http_404", "url": "u", "message": "gone"}}')
        print({SUMMARY!r})
    """
    before = metric("trendwatch_source_errors_total", source="child-bad", reason="malformed_message")
    events = await collect(SpiderProcess(spec("child-bad"), deadline=30, command=child(script)))
    assert events == [
        Problem(key="c", reason="http_404", url="u", message="gone"),
        Summary(finish_reason="finished", ok_responses=1),
    ]
    after = metric("trendwatch_source_errors_total", source="child-bad", reason="malformed_message")
    assert after - before == 6


async def test_the_spec_reaches_the_child_on_stdin() -> None:
    script = f"""
        spec = sys.stdin.read()
        import json
        print(json.dumps({{"type": "problem", "key": "echo", "reason": "r", "url": "u", "message": spec}}))
        print({SUMMARY!r})
    """
    events = await collect(SpiderProcess(spec("child-echo"), deadline=30, command=child(script)))
    assert orjson.loads(events[0].message) == orjson.loads(spec("child-echo").to_json())


@pytest.mark.parametrize(
    ("script", "what"),
    [
        ("sys.stderr.write('Traceback: boom in the spider\\n'); sys.exit(3)", "exited with status 3"),
        (
            'print(\'{"type": "problem", "key": "k", "reason": "r", "url": "u", "message": "m"}\')',
            "without its summary",
        ),
        ("import signal; os.kill(os.getpid(), signal.SIGKILL)", "killed by signal 9"),
    ],
)
async def test_a_failing_child_is_a_source_error_with_its_last_words(script: str, what: str) -> None:
    with pytest.raises(SourceError) as caught:
        await collect(SpiderProcess(spec("child-crash"), deadline=30, command=child(script)))
    assert caught.value.reason == "spider_crashed"
    assert what in str(caught.value)
    if "boom" in script:
        assert "Traceback: boom in the spider" in str(caught.value)


async def test_a_child_past_its_deadline_is_stopped() -> None:
    process = SpiderProcess(spec("child-slow"), deadline=0.5, command=child("time.sleep(60)"))
    started = asyncio.get_running_loop().time()
    with pytest.raises(SourceError) as caught:
        await collect(process)
    assert caught.value.reason == "timeout"
    assert asyncio.get_running_loop().time() - started < 10
    assert process._proc is not None
    assert process._proc.returncode is not None  # reaped, not left running


async def test_a_consumer_that_stops_early_stops_the_child() -> None:
    script = """
        n = 0
        while True:
            n += 1
            print('{"type": "problem", "key": "k", "reason": "r", "url": "u", "message": "%d"}' % n, flush=True)
            time.sleep(0.01)
    """
    process = SpiderProcess(spec("child-endless"), deadline=30, command=child(script))
    events = await collect(process, limit=3)
    assert [e.message for e in events] == ["1", "2", "3"]
    assert process._proc is not None
    assert process._proc.returncode is not None


async def test_idle_gaps_are_reported() -> None:
    script = f"""
        time.sleep(0.6)
        print({SUMMARY!r})
    """
    events = await collect(SpiderProcess(spec("child-idle"), deadline=30, idle=0.1, command=child(script)))
    assert events[-1] == Summary(finish_reason="finished", ok_responses=1)
    assert events.count(None) >= 2


# --------------------------------------------------------------------------- sources over a crashing child

PAGE_LINE = orjson.dumps(
    {
        "type": "channel_page",
        "channel": "chan",
        "url": "https://t.me/s/chan",
        "messages": [
            {
                "channel": "chan",
                "html": '<div class="tgme_widget_message" data-post="chan/5"><div class="tgme_widget_message_bubble">'
                '<div class="tgme_widget_message_text">first page</div><a class="tgme_widget_message_date">'
                '<time datetime="2026-11-20T10:00:00+00:00"></time></a></div></div>',
            }
        ],
        "state": {"last": None, "top": 9, "before": 5},
    }
).decode()


class CrashingTelegram(TelegramSource):
    child_command: ClassVar[tuple[str, ...]] = child(f"print({PAGE_LINE!r}, flush=True); sys.exit(1)")


def test_a_crash_after_a_page_keeps_that_page_and_its_cursor() -> None:
    result = run_round(CrashingTelegram, TelegramOptions(channels=["chan"]), name="child-tg-crash")
    assert [p.native_id for p in result.posts] == ["chan/5"]
    assert result.cursor == {"channels": {"chan": {"last": None, "top": 9, "before": 5}}}
    assert isinstance(result.error, SourceError)
    assert result.error.reason == "spider_crashed"


def _article(n: int) -> str:
    raw = {
        "site": "s",
        "url": f"https://s.example/{n}",
        "text": f"article {n}",
        "time": None,
        "time_format": None,
        "fetched_at": "2026-11-20T10:00:00+00:00",
    }
    return orjson.dumps({"type": "article", "site": "s", "url": f"https://s.example/{n}", "raw": raw}).decode()


class CrashingWebsite(WebsiteSource):
    child_command: ClassVar[tuple[str, ...]] = child(
        f"print({_article(1)!r}); print({_article(2)!r}, flush=True); sys.exit(1)"
    )


def test_a_crash_hands_on_the_articles_received_before_it() -> None:
    options = WebsiteOptions(sites=[{"name": "s", "start_urls": ["https://s.example/"]}])
    result = run_round(CrashingWebsite, options, name="child-web-crash")
    assert [p.id for p in result.posts] == ["web:https://s.example/1", "web:https://s.example/2"]
    fetched = "2026-11-20T10:00:00+00:00"  # the pages give no time: when they were read
    assert result.cursor == {"sites": {"s": {"https://s.example/1": fetched, "https://s.example/2": fetched}}}
    assert isinstance(result.error, SourceError)
    assert result.error.reason == "spider_crashed"


async def test_sources_decline_without_channels_or_sites() -> None:
    from trendwatch.errors import NotConfigured

    async with aiohttp.ClientSession() as session:
        with pytest.raises(NotConfigured, match="no channels"):
            TelegramSource("t", TelegramOptions(), session)
        with pytest.raises(NotConfigured, match="no sites"):
            WebsiteSource("w", WebsiteOptions(), session)


async def test_user_agent_and_timeout_come_from_the_shared_session() -> None:
    config = HttpConfig(user_agent="tw/9 (+https://example.invalid)", timeout=timedelta(seconds=7))
    async with create_session(config) as session:
        source = TelegramSource("t", TelegramOptions(channels=["durov"]), session)
    assert source.user_agent == "tw/9 (+https://example.invalid)"
    assert source.timeout == 7.0
    assert source.interval == timedelta(minutes=15)


def _dated_article(n: int) -> str:
    """An article dated November n (its page says so)."""
    raw = {
        "site": "s",
        "url": f"https://s.example/{n}",
        "text": f"article {n}",
        "time": f"2026-11-{n:02d}T10:00:00+00:00",
        "time_format": "iso",
        "fetched_at": "2026-11-30T10:00:00+00:00",
    }
    return orjson.dumps({"type": "article", "site": "s", "url": raw["url"], "raw": raw}).decode()


class LargeSitemapWebsite(WebsiteSource):
    """Reads 12 articles newest first, as a sitemap sorted by lastmod gives them."""

    child_command: ClassVar[tuple[str, ...]] = child(
        "".join(f"print({_dated_article(n)!r})\n" for n in range(12, 0, -1)) + f"print({SUMMARY!r})"
    )


def test_the_newest_urls_are_remembered_when_there_are_more_than_remember() -> None:
    """The bug: URLs were evicted in the order they were read, so on a sitemap larger than
    `remember` the newest (read first) were forgotten and read again every round."""
    options = WebsiteOptions(remember=10, sites=[{"name": "s", "start_urls": ["https://s.example/"]}])
    result = run_round(LargeSitemapWebsite, options, name="child-web-remember")
    assert result.error is None
    kept = result.cursor["sites"]["s"]
    assert list(kept) == [f"https://s.example/{n}" for n in range(12, 2, -1)]  # newest first
