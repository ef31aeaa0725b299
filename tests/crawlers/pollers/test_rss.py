"""The rss source over real HTTP against a local aiohttp server: conditional GET, dedupe, backfill,
and every failure mode (429 + Retry-After, 500 then 200, malformed XML, an HTML page, a timeout,
invalid UTF-8, an empty body, 404), each surviving and counted by reason."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from crawlers.http import create_session
from crawlers.pollers.rss import MAX_SEEN, RssSource
from tests.crawlers.helpers import (
    FIXTURES,
    Script,
    collect,
    error_count,
    fast_http,
    ids_of,
    posts_of,
    reply,
    slow,
)
from trendwatch.errors import BadPayload, RateLimited, SourceError, SourceGone

ENGLISH = (FIXTURES / "rss" / "english.rss").read_bytes()
PERSIAN = (FIXTURES / "rss" / "persian.atom").read_bytes()
FOREVER = "36500d"  # the fixtures have fixed dates; let them all count as recent


def feed(items: list[tuple[str, str, datetime]], title: str = "Test feed") -> bytes:
    """An RSS 2.0 document of (guid, title, published) items."""
    body = "".join(
        f"<item><guid isPermaLink='false'>{escape(guid)}</guid><title>{escape(text)}</title>"
        f"<description>{escape(text)} body</description><pubDate>{format_datetime(when)}</pubDate></item>"
        for guid, text, when in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
        f"<link>https://feeds.example.com/</link>{body}</channel></rss>"
    ).encode()


def source(
    server: TestServer, session: aiohttp.ClientSession, *paths: str, name: str = "news", **opts: Any
) -> RssSource:
    options = RssSource.Options(feeds=[str(server.make_url(p)) for p in paths], **opts)
    return RssSource(name, options, session)


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


# --------------------------------------------------------------------------- happy paths


async def test_english_and_persian_feeds_map_to_posts(server: TestServer, script: Script, session) -> None:
    script.on("/en.rss", reply(ENGLISH, content_type="application/rss+xml"))
    script.on("/fa.atom", reply(PERSIAN, content_type="application/atom+xml; charset=utf-8"))
    src = source(server, session, "/en.rss", "/fa.atom", backfill=FOREVER)

    batches, cursor = await collect(src)

    posts = {p.id: p for p in posts_of(batches)}
    assert len(posts) == 5
    warehouse = posts["rss:https://retailwire.example.com/2026/11/digikala-warehouse"]
    assert warehouse.title == "Digikala opens a new warehouse in Tehran"
    assert warehouse.text.startswith("The new site doubles capacity, says the company. #Digikala #ecommerce")
    assert "Reported by @sara_a." in warehouse.text
    assert warehouse.created_at == datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    assert warehouse.author is not None
    assert warehouse.author.name == "Sara Ahmadi"
    assert warehouse.hashtags == ("Digikala", "ecommerce")
    assert warehouse.mentions == ("sara_a",)
    assert "https://digikala.example.com/press" in warehouse.links
    assert warehouse.engagement.replies == 12
    assert warehouse.engagement.likes is None  # a feed does not say
    assert warehouse.lang == "en"
    assert warehouse.source == "news"
    assert warehouse.platform == "rss"

    # A guid that is not globally unique is qualified by its feed; +03:30 becomes UTC.
    price = next(p for p in posts.values() if p.id.endswith("#price-war-1182"))
    assert price.id == f"rss:{server.make_url('/en.rss')}#price-war-1182"
    assert price.title == "Torob & Snappshop trade blows over prices"
    assert price.created_at == datetime(2026, 11, 23, 13, 35, tzinfo=UTC)

    headline = posts["rss:https://retailwire.example.com/2026/11/late-deliveries"]
    assert headline.text == headline.title  # no body: the headline is the text

    opened = posts["rss:tag:news.example.ir,2026:1001"]
    assert opened.title == "دیجی‌کالا انبار تازه‌ای در تهران افتتاح کرد"
    assert "\u200c" in opened.title  # the half-space survives
    assert opened.hashtags == ("دیجی_کالا", "خرید_آنلاین")
    assert opened.lang == "fa"
    assert opened.created_at == datetime(2026, 11, 25, 5, 45, tzinfo=UTC)
    assert opened.edited_at == datetime(2026, 11, 25, 6, 30, tzinfo=UTC)
    assert opened.author is not None
    assert opened.author.name == "مریم رضایی"
    assert "https://digikala.example.com/fa/press" in opened.links
    for post in posts.values():
        assert post.created_at.tzinfo is not None
        assert post.raw["entry"]  # the raw entry travels with the post
    assert set(cursor["queries"]) == {str(server.make_url("/en.rss")), str(server.make_url("/fa.atom"))}


async def test_conditional_get_sends_validators_and_304_yields_nothing(server, script, session) -> None:
    etag, modified = '"v1"', "Tue, 24 Nov 2026 09:00:00 GMT"
    script.on(
        "/feed",
        reply(feed([("a", "first", ago(hours=1))]), headers={"ETag": etag, "Last-Modified": modified}),
        reply(b"", status=304, headers={"ETag": etag}),
    )
    src = source(server, session, "/feed")

    first, cursor = await collect(src)
    second, cursor2 = await collect(src, cursor)

    assert len(posts_of(first)) == 1
    assert second == []
    assert cursor2 == cursor
    conditional = script.seen("/feed")[1].headers
    assert conditional["If-None-Match"] == etag
    assert conditional["If-Modified-Since"] == modified


async def test_repoll_skips_entries_already_seen_even_without_conditional_get(server, script, session) -> None:
    old = [("a", "first", ago(hours=3)), ("b", "second", ago(hours=2))]
    script.on("/feed", reply(feed(old)), reply(feed(old)), reply(feed([("c", "third", ago(minutes=5)), *old])))
    src = source(server, session, "/feed")

    first, cursor = await collect(src)
    again, cursor = await collect(src, cursor)
    third, cursor = await collect(src, cursor)

    assert sorted(p.title for p in posts_of(first)) == ["first", "second"]
    assert posts_of(again) == []
    assert [p.title for p in posts_of(third)] == ["third"]


async def test_entries_missing_from_one_version_of_the_feed_are_not_new_when_they_return(
    server, script, session
) -> None:
    full = [("a", "first", ago(hours=3)), ("b", "second", ago(hours=2))]
    script.on("/feed", reply(feed(full)), reply(feed(full[:1])), reply(feed(full)))
    src = source(server, session, "/feed")
    first, cursor = await collect(src)
    for _ in range(2):
        again, cursor = await collect(src, cursor)
        assert posts_of(again) == []
    assert len(posts_of(first)) == 2


async def test_a_feed_longer_than_the_memory_repeats_nothing(server, script, session) -> None:
    """Bug: only the first MAX_SEEN ids were remembered, so the entries of a longer feed past
    them were new again every round."""
    entries = [(f"e{i}", f"entry {i}", ago(minutes=i)) for i in range(MAX_SEEN + 30)]
    script.on("/long", reply(feed(entries)), reply(feed(entries)))
    src = source(server, session, "/long", backfill=FOREVER)
    first, cursor = await collect(src)
    again, _ = await collect(src, cursor)
    assert len(posts_of(first)) == MAX_SEEN + 30
    assert posts_of(again) == []


async def test_first_round_backfill_is_bounded_then_every_unseen_entry_counts(server, script, session) -> None:
    script.on(
        "/feed",
        reply(feed([("new", "new", ago(hours=2)), ("old", "old", ago(days=5))])),
        reply(feed([("late", "late", ago(hours=1)), ("new", "new", ago(hours=2)), ("old", "old", ago(days=5))])),
    )
    src = source(server, session, "/feed", backfill="1d")

    first, cursor = await collect(src)
    second, _ = await collect(src, cursor)

    assert [p.title for p in posts_of(first)] == ["new"]
    assert [p.title for p in posts_of(second)] == ["late"]


async def test_after_the_first_round_an_unseen_entry_counts_however_old_its_date(server, script, session) -> None:
    """The bug: the backfill floor stayed applied, so an entry dated before it that turned up
    later (a back-dated article, a feed re-ordering) was marked seen and lost."""
    script.on(
        "/feed",
        reply(feed([("new", "new", ago(hours=2))])),
        reply(feed([("backdated", "backdated", ago(days=5)), ("new", "new", ago(hours=2))])),
    )
    src = source(server, session, "/feed", backfill="1d")
    first, cursor = await collect(src)
    second, _ = await collect(src, cursor)
    assert [p.title for p in posts_of(first)] == ["new"]
    assert [p.title for p in posts_of(second)] == ["backdated"]


async def test_a_feed_without_entries_is_counted_as_empty_results(server, script, session) -> None:
    script.on("/empty", reply(feed([])))
    before = error_count("quiet-feed", "empty_results")
    batches, _ = await collect(source(server, session, "/empty", name="quiet-feed"))
    assert posts_of(batches) == []
    assert error_count("quiet-feed", "empty_results") == before + 1


async def test_restart_after_first_feed_committed_loses_and_repeats_nothing(server, script, session) -> None:
    script.on("/one", reply(feed([("1a", "one a", ago(hours=1)), ("1b", "one b", ago(hours=2))])))
    script.on("/two", reply(feed([("2a", "two a", ago(hours=1))])))
    src = source(server, session, "/one", "/two", concurrency=1)

    before, cursor = await collect(src, stop_after=1)  # "killed" after the first commit
    after, _ = await collect(src, cursor)

    ids = ids_of(before) + ids_of(after)
    assert len(ids) == len(set(ids)) == 3


# --------------------------------------------------------------------------- failures


async def test_429_with_retry_after_is_waited_out(server, script, session) -> None:
    script.on(
        "/feed",
        reply(b"slow down", status=429, content_type="text/plain", headers={"Retry-After": "1"}),
        reply(feed([("a", "after the wait", ago(hours=1))])),
    )
    started = time.monotonic()
    batches, _ = await collect(source(server, session, "/feed"))
    assert time.monotonic() - started >= 0.95
    assert [p.title for p in posts_of(batches)] == ["after the wait"]
    assert len(script.seen("/feed")) == 2


async def test_429_asking_for_longer_than_max_backoff_ends_the_round_with_retry_after(server, script, session) -> None:
    script.on("/feed", reply(b"", status=429, content_type="text/plain", headers={"Retry-After": "3600"}))
    src = source(server, session, "/feed")

    with pytest.raises(RateLimited) as caught:
        await collect(src)
    assert caught.value.reason == "http_429"
    assert caught.value.retry_after == pytest.approx(3600, abs=5)

    # The host stays blocked: the next round does not even send a request.
    with pytest.raises(RateLimited):
        await collect(src)
    assert len(script.seen("/feed")) == 1


async def test_500_then_200_is_retried(server, script, session) -> None:
    script.on("/feed", reply(b"oops", status=500, content_type="text/plain"), reply(feed([("a", "ok", ago(hours=1))])))
    batches, _ = await collect(source(server, session, "/feed"))
    assert [p.title for p in posts_of(batches)] == ["ok"]
    assert len(script.seen("/feed")) == 2


async def test_a_timeout_is_retried_then_reported(aiohttp_server, script) -> None:
    script.on("/feed", slow(2.0, reply(feed([("a", "too late", ago(hours=1))]))))
    server = await aiohttp_server(script.app())
    async with create_session(fast_http(timeout=timedelta(milliseconds=200), retries=1)) as session:
        with pytest.raises(SourceError) as caught:
            await collect(source(server, session, "/feed"))
    assert caught.value.reason == "timeout"
    assert len(script.seen("/feed")) == 2  # one try and one retry


BAD_RESPONSES = {
    "malformed_xml": reply(b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>cut off'),
    "html_instead_of_xml": reply(
        b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>", content_type="text/html"
    ),
    "invalid_utf8": reply(
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title>'
        b"<item><guid>z</guid><title>\xff\xfe broken</title></item></channel></rss>"
    ),
    "empty_body": reply(b""),
    "http_404": reply(b"not found", status=404, content_type="text/plain"),
    "http_500": reply(b"still broken", status=500, content_type="text/plain"),
}


@pytest.mark.parametrize("reason", sorted(BAD_RESPONSES))
async def test_a_bad_feed_ends_a_single_feed_round_with_its_reason(server, script, session, reason: str) -> None:
    script.on("/feed", BAD_RESPONSES[reason])
    with pytest.raises(SourceError) as caught:
        await collect(source(server, session, "/feed", name=f"single-{reason}"))
    assert caught.value.reason == reason
    if reason == "http_404":
        assert isinstance(caught.value, SourceGone)
    if reason in ("malformed_xml", "html_instead_of_xml", "invalid_utf8", "empty_body"):
        assert isinstance(caught.value, BadPayload)


@pytest.mark.parametrize("reason", sorted(BAD_RESPONSES))
async def test_a_bad_feed_beside_a_good_one_is_counted_and_the_good_one_kept(server, script, session, reason) -> None:
    script.on("/good", reply(feed([("g", "good entry", ago(hours=1))])))
    script.on("/bad", BAD_RESPONSES[reason])
    name = f"pair-{reason}"
    before = error_count(name, reason)

    batches, cursor = await collect(source(server, session, "/good", "/bad", name=name))

    assert [p.title for p in posts_of(batches)] == ["good entry"]
    assert error_count(name, reason) == before + 1
    assert str(server.make_url("/bad")) not in cursor["queries"]  # nothing committed for it: retried next round


async def test_recoverable_xml_error_keeps_the_entries_and_is_counted(server, script, session) -> None:
    body = feed([("a", "still readable", ago(hours=1))], title="Fish & Chips").replace(b"&amp;", b"&")
    assert b"Fish & Chips" in body
    assert body.endswith(b"</rss>")
    script.on("/feed", reply(body))
    before = error_count("lenient", "malformed_xml_recovered")
    batches, _ = await collect(source(server, session, "/feed", name="lenient"))
    assert [p.title for p in posts_of(batches)] == ["still readable"]
    assert error_count("lenient", "malformed_xml_recovered") == before + 1


async def test_an_entry_without_text_is_skipped_and_counted(server, script, session) -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><guid>empty</guid><link>https://x.example.com/e</link></item>"
        b"<item><guid>full</guid><title>has text</title></item></channel></rss>"
    )
    script.on("/feed", reply(body))
    before = error_count("sparse", "no_text")
    batches, _ = await collect(source(server, session, "/feed", name="sparse", backfill=FOREVER))
    assert [p.title for p in posts_of(batches)] == ["has text"]
    assert error_count("sparse", "no_text") == before + 1
