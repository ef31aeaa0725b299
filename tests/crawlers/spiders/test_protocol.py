"""The wire format between a source and its child, and the child's Scrapy settings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crawlers.spiders.items import Article, ChannelPage, Problem, Summary
from crawlers.spiders.options import TelegramOptions, WebsiteOptions
from crawlers.spiders.protocol import CrawlSpec, decode, encode
from crawlers.spiders.settings import scrapy_settings
from crawlers.spiders.sources import _plain


@pytest.mark.parametrize(
    "event",
    [
        ChannelPage(channel="c", url="u", messages=[{"html": "<div/>", "channel": "c"}], state={"last": 3}),
        Article(site="s", url="https://s/1", raw={"text": "متن\u200cها", "time": None}),
        Problem(key="c", reason="rate_limited", url="u", message="slow down", retry_after=30.0),
        Problem(key="s", reason="http_404", url="u", message="gone", item_url="https://s/2"),
        Summary(finish_reason="finished", responses={"h": {"200": 3}}, ok_responses=3, retries=1, elapsed=1.5),
    ],
)
def test_events_round_trip(event: object) -> None:
    line = encode(event)  # type: ignore[arg-type]
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1  # one event, one line, whatever the text holds
    assert decode(line) == event


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"type": "telepathy"}', "unknown message type"),
        (b'{"channel": "c"}', "unknown message type None"),
        (b'{"type": "problem", "key": "k"}', "bad problem message"),
        (b'{"type": "problem", "key": "k", "reason": "r", "url": "u", "message": "m", "extra": 1}', "bad problem"),
        (
            b'{"type": "problem", "key": "k", "reason": "r", "url": "u", "message": "m", "retry_after": "5"}',
            "retry_after",
        ),
        (b'{"type": "summary", "finish_reason": "finished", "ok_responses": true}', "ok_responses is bool"),
        (b'{"type": "channel_page", "channel": "c", "url": "u", "messages": {}, "state": {}}', "messages is dict"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_malformed_lines_are_refused(line: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        decode(line)


def test_spec_round_trips() -> None:
    spec = CrawlSpec("website", "news", {"sites": []}, {"sites": {"a": ["u"]}}, "tw/1", 30.0)
    assert CrawlSpec.from_json(spec.to_json()) == spec
    with pytest.raises(ValueError):
        CrawlSpec.from_json(b"[]")


def test_options_reach_the_child_with_sub_second_durations() -> None:
    options = WebsiteOptions(sites=[{"name": "a", "start_urls": ["https://a.example/"], "download_delay": "250ms"}])
    plain = _plain(options)
    assert plain["sites"][0]["download_delay"] == 0.25
    assert plain["interval"] == 3600.0
    assert WebsiteOptions.model_validate(plain) == options  # the child rebuilds exactly the same options


def test_politeness_settings() -> None:
    options = WebsiteOptions(
        retries=2,
        backoff="500ms",
        sites=[
            {"name": "a", "start_urls": ["https://a.example/"], "download_delay": "2s", "concurrency": 2},
            {"name": "b", "sitemap_urls": ["https://b.example/sitemap.xml"], "download_delay": "500ms"},
            {"name": "a2", "start_urls": ["https://a.example/blog/"], "download_delay": "1s", "concurrency": 1},
        ],
    )
    spec = CrawlSpec("website", "w", _plain(options), None, "trendwatch/0.1 (+https://x)", 20.0)
    settings = scrapy_settings(spec, options, 9)
    assert settings["ROBOTSTXT_OBEY"] is True
    assert settings["USER_AGENT"] == "trendwatch/0.1 (+https://x)"
    assert settings["DOWNLOAD_TIMEOUT"] == 20.0
    assert settings["DOWNLOAD_SLOTS"] == {
        "a.example": {"delay": 2.0, "concurrency": 1},  # two sites on one host: the careful settings win
        "b.example": {"delay": 0.5, "concurrency": 1},
    }
    assert settings["DOWNLOAD_DELAY"] == 0.5
    assert settings["AUTOTHROTTLE_ENABLED"] is True
    assert settings["RETRY_TIMES"] == 2
    assert settings["TRENDWATCH_BACKOFF"] == 0.5
    assert settings["REMOTE_CONTROL_ENABLED"] is False  # Scrapy 2.19 would open a code-execution port
    assert settings["TELNETCONSOLE_ENABLED"] is False
    assert settings["TRENDWATCH_OUTPUT_FD"] == 9

    telegram = TelegramOptions(channels=["durov"], download_delay=timedelta(seconds=3))
    tg = scrapy_settings(CrawlSpec("telegram", "t", {}, None, "ua", 30.0), telegram, 9)
    assert tg["DOWNLOAD_DELAY"] == 3.0
    assert tg["DOWNLOAD_SLOTS"] == {}
    assert tg["CONCURRENT_REQUESTS_PER_DOMAIN"] == 1
