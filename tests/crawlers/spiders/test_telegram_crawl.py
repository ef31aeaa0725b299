"""Real Scrapy crawls of t.me/s-shaped pages on a local server: paging, cursor, failures, restart.

Each round starts a Scrapy child process (about a second), so rounds are shared between the
assertions that look at them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from crawlers.spiders.options import TelegramOptions
from crawlers.spiders.sources import TelegramSource
from tests.crawlers.spiders.fake_web import FakeChannel, FakeMessage, FakeWeb, Seen, persian_channel
from tests.crawlers.spiders.rounds import USER_AGENT, Round, metric, run_round
from trendwatch.errors import RateLimited
from trendwatch.timeutil import utcnow

SOURCE = "tg-crawl"


def options(fake_web: FakeWeb, channels: list[str], **overrides: Any) -> TelegramOptions:
    values: dict[str, Any] = {
        "channels": channels,
        "base_url": fake_web.url,
        "backfill": "2d",
        "download_delay": 0,
        "retries": 1,
        "backoff": "50ms",
        "max_backoff": "5s",
    }
    values.update(overrides)
    return TelegramOptions(**values)


@dataclass
class Rounds:
    first: Round
    second: Round
    first_requests: list[Seen]
    second_requests: list[Seen]


@pytest.fixture(scope="module")
def rounds(fake_web: FakeWeb) -> Rounds:
    now = utcnow()
    bazaar = persian_channel("bazaar_fa", 60, newest=now - timedelta(minutes=65), step=timedelta(hours=1), skip=(30,))
    bazaar.add(FakeMessage(id=45, time=bazaar.messages[45].time, text_html=None, photo=True))
    bazaar.add(FakeMessage(id=46, time=bazaar.messages[46].time, text_html="Channel photo updated", service=True))
    bazaar.messages[47].has_time = False
    bazaar.messages[48].forwarded_from = ("ترب", "https://t.me/torob_com/877")
    bazaar.messages[49].edited = True
    bazaar.messages[49].reply_to = "https://t.me/bazaar_fa/48"
    bazaar.messages[49].link_preview = "https://www.digikala.com/landing/49/"
    bazaar.top_extra = '<div class="tgme_widget_message js-widget_message" data-post="bazaar_fa/not-a-number"></div>'
    busy = persian_channel("busy_chan", 3, newest=now - timedelta(minutes=5), step=timedelta(minutes=30))
    busy.failures.append((429, {"Retry-After": "1"}))
    down = FakeChannel("down_chan", "Down", always=500)
    fake_web.channels.update({c.username: c for c in (bazaar, busy, down)})
    channels = ["bazaar_fa", "busy_chan", "down_chan", "nosuch_chan"]

    start = len(fake_web.requests)
    first = run_round(TelegramSource, options(fake_web, channels), name=SOURCE)
    middle = len(fake_web.requests)
    bazaar.add(FakeMessage(id=61, time=utcnow(), text_html="پیام تازه ۶۱ #دیجی_کالا"))
    bazaar.add(FakeMessage(id=62, time=utcnow(), text_html="پیام تازه ۶۲"))
    busy.add(FakeMessage(id=4, time=utcnow(), text_html="busy again"))
    second = run_round(TelegramSource, options(fake_web, channels), first.cursor, name=SOURCE)
    return Rounds(first, second, fake_web.requests[start:middle], fake_web.requests[middle:])


def _ids(round_: Round, channel: str) -> list[int]:
    return [int(i.split("/")[1]) for i in round_.ids if i.split("/")[0] == channel]


def _pages(requests: list[Seen], channel: str) -> list[str]:
    return [r.query for r in requests if r.path == f"/s/{channel}"]


def _of_next_child(requests: list[Seen]) -> list[Seen]:
    """Requests from the next child on: each child asks for robots.txt first. (A stopped child's
    last requests can still reach the server just after the test moved on.)"""
    first = next(i for i, r in enumerate(requests) if r.path == "/robots.txt")
    return requests[first:]


def test_first_round_backfills_the_configured_period_once(rounds: Rounds) -> None:
    assert rounds.first.error is None
    expected = [i for i in range(14, 61) if i not in (30, 45, 46, 47)]  # 13 is older than 2 days
    assert sorted(_ids(rounds.first, "bazaar_fa")) == expected
    assert len(rounds.first.ids) == len(set(rounds.first.ids))


def test_first_round_pages_back_with_before(rounds: Rounds) -> None:
    assert _pages(rounds.first_requests, "bazaar_fa") == ["", "before=41", "before=20"]
    assert rounds.first.cursor["channels"]["bazaar_fa"] == {"last": 60, "top": None, "before": None}


def test_each_page_is_a_batch_with_the_cursor_after_it(rounds: Rounds) -> None:
    bazaar = [b for b in rounds.first.batches if any(p.native_id.startswith("bazaar_fa/") for p in b.posts)]
    cursors = [b.cursor["channels"]["bazaar_fa"] for b in bazaar]
    assert cursors == [
        {"last": None, "top": 60, "before": 41},
        {"last": None, "top": 60, "before": 20},
        {"last": 60, "top": None, "before": None},
    ]


def test_second_round_fetches_only_newer_messages(rounds: Rounds) -> None:
    assert rounds.second.error is None
    assert sorted(_ids(rounds.second, "bazaar_fa")) == [61, 62]
    assert _ids(rounds.second, "busy_chan") == [4]
    assert _pages(rounds.second_requests, "bazaar_fa") == [""]
    assert rounds.second.cursor["channels"]["bazaar_fa"] == {"last": 62, "top": None, "before": None}


def test_posts_are_mapped_from_the_pages(rounds: Rounds) -> None:
    posts = {p.native_id: p for p in rounds.first.posts}
    plain = posts["bazaar_fa/20"]
    assert plain.source == SOURCE
    assert plain.hashtags == ("دیجی_کالا", "حراج")
    assert plain.mentions == ("digikala",)
    assert plain.links == ("https://www.digikala.com/landing/20/",)
    assert "گوشی\u200cهای" in plain.text
    assert plain.engagement.views == 20_000
    assert plain.author is not None
    assert plain.author.followers == 1_200_000
    assert plain.raw["page_url"].endswith("/s/bazaar_fa?before=41")
    forwarded = posts["bazaar_fa/48"]
    assert "torob_com" in forwarded.mentions
    assert "https://t.me/torob_com/877" in forwarded.links
    edited = posts["bazaar_fa/49"]
    assert edited.edited_at is not None
    assert edited.reply_to == "telegram:bazaar_fa/48"
    assert "https://www.digikala.com/landing/49/" in edited.links


def test_problems_are_counted_and_the_round_goes_on(rounds: Rounds) -> None:
    stats = rounds.first.stats
    assert stats.problems == {"gone": 1, "http_500": 1, "malformed_message": 2}
    assert stats.dropped == {"no_text": 1, "service_message": 1}
    assert stats.first_problem is not None
    assert metric("trendwatch_source_errors_total", source=SOURCE, reason="gone") == 2  # once per round
    assert metric("trendwatch_source_errors_total", source=SOURCE, reason="http_500") == 2
    # the unnumbered message sits on the newest page, read in both rounds; the timeless one only in round 1
    assert rounds.second.stats.problems == {"gone": 1, "http_500": 1, "malformed_message": 1}
    assert metric("trendwatch_source_errors_total", source=SOURCE, reason="malformed_message") == 3
    assert metric("trendwatch_posts_dropped_total", stage="source", reason="service_message") >= 1
    assert metric("trendwatch_posts_fetched_total", source=SOURCE) == len(rounds.first.posts) + len(rounds.second.posts)
    # every channel brought posts or failed (counted under its failure): none counted as empty
    assert metric("trendwatch_source_errors_total", source=SOURCE, reason="empty_results") == 0


def test_a_channel_with_nothing_new_is_counted_once_as_empty_results(fake_web: FakeWeb) -> None:
    quiet = persian_channel("quiet_chan", 3, newest=utcnow() - timedelta(minutes=30), step=timedelta(minutes=10))
    fake_web.channels[quiet.username] = quiet
    name = "tg-quiet"
    cursor = {"channels": {"quiet_chan": {"last": 3, "top": None, "before": None}}}  # read up to its newest
    quiet_round = run_round(TelegramSource, options(fake_web, ["quiet_chan"]), cursor, name=name)
    assert quiet_round.error is None
    assert quiet_round.posts == []
    assert quiet_round.stats.pages == 1
    assert metric("trendwatch_source_errors_total", source=name, reason="empty_results") == 1


def test_server_errors_are_retried_then_given_up(rounds: Rounds) -> None:
    assert len(_pages(rounds.first_requests, "down_chan")) == 2  # the request and one retry


def test_retry_after_is_honoured(rounds: Rounds) -> None:
    busy = [r for r in rounds.first_requests if r.path == "/s/busy_chan"]
    assert len(busy) == 2
    assert busy[1].at - busy[0].at >= 0.95
    assert sorted(_ids(rounds.first, "busy_chan")) == [1, 2, 3]


def test_requests_identify_trendwatch_and_ask_robots_first(rounds: Rounds) -> None:
    assert {r.user_agent for r in rounds.first_requests} == {USER_AGENT}
    assert rounds.first_requests[0].path == "/robots.txt"
    summary = rounds.first.stats.summary
    assert summary is not None
    assert summary.finish_reason == "finished"
    assert summary.retries == 2


def test_a_round_that_gets_only_a_long_retry_after_raises_rate_limited(fake_web: FakeWeb) -> None:
    throttled = persian_channel("throttled_chan", 3, newest=utcnow(), step=timedelta(minutes=1))
    throttled.failures.append((429, {"Retry-After": "120"}))
    fake_web.channels[throttled.username] = throttled
    result = run_round(TelegramSource, options(fake_web, ["throttled_chan"], max_backoff="2s"), name="tg-throttled")
    assert isinstance(result.error, RateLimited)
    assert result.error.retry_after == 120
    assert "nothing fetched" in str(result.error)
    assert result.batches == []
    assert len([r for r in fake_web.requests if r.path == "/s/throttled_chan"]) == 1  # not retried: too long


def test_restart_mid_backfill_loses_and_repeats_nothing(fake_web: FakeWeb) -> None:
    """Stop a backfill after two committed pages (the child is killed), start again from the
    saved cursor with a page budget that cuts it again, then let it finish: ids 1..100 once."""
    channel = persian_channel("restart_fa", 100, newest=utcnow() - timedelta(minutes=10), step=timedelta(hours=1))
    fake_web.channels[channel.username] = channel
    make = lambda **o: options(fake_web, ["restart_fa"], backfill="7d", **o)  # noqa: E731

    first = run_round(TelegramSource, make(), name="tg-restart", stop_after=2)
    assert first.error is None
    assert len(first.batches) == 2
    assert first.cursor["channels"]["restart_fa"] == {"last": None, "top": 100, "before": 61}

    middle = len(fake_web.requests)
    second = run_round(TelegramSource, make(max_pages=1), first.cursor, name="tg-restart")
    assert _pages(_of_next_child(fake_web.requests[middle:]), "restart_fa") == ["before=61"]  # resumed there
    assert second.cursor["channels"]["restart_fa"] == {"last": None, "top": 100, "before": 41}

    end = len(fake_web.requests)
    third = run_round(TelegramSource, make(), second.cursor, name="tg-restart")
    assert _pages(_of_next_child(fake_web.requests[end:]), "restart_fa") == ["before=41", "before=21", ""]
    assert third.cursor["channels"]["restart_fa"] == {"last": 100, "top": None, "before": None}

    ids = [int(i.split("/")[1]) for r in (first, second, third) for i in r.ids]
    assert sorted(ids) == list(range(1, 101))
    assert len(ids) == len(set(ids))

    for i in (101, 102, 103):
        channel.add(FakeMessage(id=i, time=utcnow(), text_html=f"پیام {i}"))
    fourth = run_round(TelegramSource, make(), third.cursor, name="tg-restart")
    assert sorted(_ids(fourth, "restart_fa")) == [101, 102, 103]
