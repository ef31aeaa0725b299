"""The youtube source against a local Data API v3 server: statistics and comments for new
videos only, the daily quota kept in the cursor and never overspent, Google's own quota and key
errors, comments turned off, and the mapping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from crawlers.pollers.budget import QuotaExhausted
from crawlers.pollers.youtube import YouTubeSource, comment_to_post, to_post
from tests.crawlers.fakes.youtube import FakeYouTube, video
from tests.crawlers.helpers import collect, collect_until_error, ids_of, posts_of, reply
from trendwatch.errors import AuthError, NotConfigured, SourceError

NOW = datetime.now(UTC)


@pytest.fixture
def fake() -> FakeYouTube:
    return FakeYouTube()


@pytest.fixture
async def server(aiohttp_server: Callable[..., Any], fake: FakeYouTube) -> TestServer:
    started: TestServer = await aiohttp_server(fake.app())
    return started


def source(server: TestServer, session: Any, name: str = "yt", **opts: Any) -> YouTubeSource:
    opts.setdefault("api_key", "test-key")
    return YouTubeSource(name, YouTubeSource.Options(api=str(server.make_url("/youtube/v3")), **opts), session)


def seed(fake: FakeYouTube, count: int, start: int = 0, **kw: Any) -> None:
    fake.catalogue.extend(
        video(start + n, NOW - timedelta(hours=count - n), f"digikala review {n}", **kw) for n in range(count)
    )


async def test_new_videos_come_with_statistics_and_comments(server, fake, session) -> None:
    seed(fake, 3, comments=2)
    batches, cursor = await collect(source(server, session, keywords=["digikala"]))
    posts = posts_of(batches)
    videos = [p for p in posts if p.reply_to is None]
    comments = [p for p in posts if p.reply_to is not None]
    assert len(videos) == 3
    assert len(comments) == 6
    assert videos[0].engagement.views == 1500
    assert videos[0].engagement.likes == 30
    assert videos[0].lang == "fa"
    assert videos[0].text.endswith("full description #brand")
    assert all(c.reply_to in {v.id for v in videos} for c in comments)
    # 1 search (100) + 1 videos page (1) + 3 comment pages (1 each), counted and kept in the cursor
    assert fake.used == 104
    assert cursor["quota"]["used"] == 104
    search = fake.seen("/youtube/v3/search")[0].query
    assert (search["type"], search["order"]) == ("video", "date")
    assert "publishedAfter" in search


async def test_the_budget_is_never_overspent_and_survives_a_restart(server, fake, session) -> None:
    seed(fake, 12, comments=0)
    first = source(server, session, keywords=["digikala"], daily_quota=250, limit=5, comment_pages=0)
    batches, failure = await collect_until_error(first)
    assert isinstance(failure, QuotaExhausted)
    assert failure.reason == "quota_exhausted"
    assert failure.retry_after is not None
    assert 0 < failure.retry_after <= 86400
    assert fake.used <= 250
    saved = batches[-1].cursor
    assert saved["quota"]["used"] == fake.used  # what the committed pages cost

    # A new process with the saved cursor knows what today already cost: it sends nothing.
    restarted = source(server, session, keywords=["digikala"], daily_quota=250, limit=5, comment_pages=0)
    spent = fake.used
    with pytest.raises(QuotaExhausted):
        await collect(restarted, saved)
    assert fake.used == spent


async def test_keywords_searched_side_by_side_never_overspend_together(server, fake, session) -> None:
    """The bug: each query checked the budget, awaited its request, then spent: four keywords at
    once all passed the check of a 150-unit budget and spent 401."""
    seed(fake, 3, comments=0)
    src = source(server, session, keywords=["digikala", "review", "digikala review", "0"], daily_quota=150)
    await collect_until_error(src)
    assert fake.used <= 150
    assert src.budget.used <= 150


async def test_failed_and_retried_requests_are_paid_for(server, fake, session) -> None:
    """Google bills a call that fails: the bug counted only the answered ones (a persistent 500
    was three requests and 0 units used)."""
    seed(fake, 1, comments=0)
    src = source(server, session, keywords=["digikala"], comment_pages=0)
    fake.fail(reply("{}", status=500, content_type="application/json"), times=100)
    with pytest.raises(SourceError):
        await collect(src)
    searches = len(fake.seen("/youtube/v3/search"))
    assert searches == 3  # the first try and http.retries (2) more
    assert src.budget.used == 100 * searches

    fake.injected.clear()
    fake.fail(reply("{}", status=503, content_type="application/json"), times=1)
    before = src.budget.used
    await collect(src)
    # one failed search, the search that answered, and one videos page
    assert src.budget.used - before == 100 + 100 + 1
    assert len(fake.seen("/youtube/v3/search")) == searches + 2


async def test_google_saying_the_quota_is_spent_waits_for_the_reset(server, fake, session) -> None:
    seed(fake, 2)
    fake.quota = 50
    with pytest.raises(QuotaExhausted) as caught:
        await collect(source(server, session, keywords=["digikala"]))
    assert caught.value.reason == "quota_exceeded"
    assert caught.value.retry_after is not None


async def test_an_invalid_key_names_the_setting_never_the_key(server, fake, session) -> None:
    seed(fake, 1)
    with pytest.raises(AuthError) as caught:
        await collect(source(server, session, name="yt-key", keywords=["digikala"], api_key="BAD-KEY-123"))
    assert "yt-key source's api_key" in str(caught.value)
    assert "BAD-KEY-123" not in str(caught.value)


async def test_videos_with_comments_turned_off_are_kept_without_comments(server, fake, session) -> None:
    seed(fake, 2, comments=3, disabled=True)
    batches, _ = await collect(source(server, session, keywords=["digikala"]))
    assert len(ids_of(batches)) == 2


def test_without_a_key_it_declines() -> None:
    with pytest.raises(NotConfigured, match="api_key"):
        YouTubeSource("y", YouTubeSource.Options(keywords=["x"]), session=None)  # type: ignore[arg-type]


def test_mapping_unescapes_search_titles_and_prefers_the_full_video() -> None:
    short = {
        "id": {"kind": "youtube#video", "videoId": "abc"},
        "snippet": {
            "publishedAt": "2026-01-01T10:00:00Z",
            "channelId": "UC1",
            "title": "Torob &amp; Snapp",
            "description": "short",
            "channelTitle": "Ch &#39;1",
        },
    }
    only_search = to_post({"search": short, "video": None})
    assert only_search.title == "Torob & Snapp"
    assert only_search.text == "short"
    assert only_search.author is not None
    assert only_search.author.name == "Ch '1"
    assert only_search.engagement.views is None  # no statistics: not said
    thread = video(1, NOW, "t", comments=1)["comments"][0]
    comment = comment_to_post(thread)
    assert comment.id == "youtube:comment:Ugc1x0"
    assert comment.reply_to == "youtube:vid00000001"
    assert comment.author is not None
    assert comment.author.handle == "viewer0"
