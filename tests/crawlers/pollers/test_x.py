"""The x source against a local API v2 recent-search server: authors expanded, the first
backfill bounded by start_time (never past the 7 days recent search covers), the daily budget of
posts read, and the mapping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from crawlers.pollers.budget import QuotaExhausted
from crawlers.pollers.x import XSource, to_post
from tests.crawlers.fakes.x import FakeX, tweet
from tests.crawlers.helpers import collect, collect_until_error, ids_of, posts_of
from trendwatch.errors import AuthError, NotConfigured

NOW = datetime.now(UTC)


@pytest.fixture
def fake() -> FakeX:
    return FakeX()


@pytest.fixture
async def server(aiohttp_server: Callable[..., Any], fake: FakeX) -> TestServer:
    started: TestServer = await aiohttp_server(fake.app())
    return started


def source(server: TestServer, session: Any, name: str = "x", **opts: Any) -> XSource:
    opts.setdefault("bearer_token", "bearer-123")
    return XSource(name, XSource.Options(api=str(server.make_url("")), **opts), session)


async def test_search_expands_authors_and_bounds_the_first_backfill(server, fake, session) -> None:
    fake.tweets.extend(tweet(n, NOW - timedelta(hours=n), f"دیجی‌کالا {n}", lang="fa") for n in range(1, 4))
    batches, _ = await collect(source(server, session, queries=["دیجی‌کالا -is:retweet"], backfill="30d"))
    posts = posts_of(batches)
    assert len(posts) == 3
    assert posts[0].author is not None
    assert posts[0].author.handle == "digikala"
    assert posts[0].author.followers == 1000
    query = fake.requests[0].query
    assert query["expansions"] == "author_id"
    start = datetime.fromisoformat(query["start_time"].replace("Z", "+00:00"))
    assert NOW - timedelta(days=7) < start < NOW - timedelta(days=6, hours=23)  # clamped to what X keeps
    assert fake.requests[0].headers["Authorization"] == "Bearer bearer-123"


async def test_the_daily_post_budget_stops_reading(server, fake, session) -> None:
    fake.tweets.extend(tweet(n, NOW - timedelta(minutes=n), f"brand {n}") for n in range(1, 40))
    src = source(server, session, queries=["brand"], daily_post_budget=25, limit=10)
    batches, failure = await collect_until_error(src)
    assert isinstance(failure, QuotaExhausted)
    assert len(ids_of(batches)) == 20  # a third page of 10 would have gone past 25
    assert batches[-1].cursor["posts_read"]["used"] == len(ids_of(batches))


async def test_queries_searched_side_by_side_never_read_past_the_budget(server, fake, session) -> None:
    """The bug: each query checked the budget, awaited its page, then spent: four queries at once
    each asked for a full page of a budget that had room for two and a half."""
    fake.tweets.extend(tweet(n, NOW - timedelta(minutes=n), f"brand {n}") for n in range(1, 40))
    queries = ["brand", "brand -is:retweet", "brand lang:en", "brand -is:reply"]
    src = source(server, session, queries=queries, daily_post_budget=25, limit=10)
    batches, _ = await collect_until_error(src)
    assert fake.served <= 25
    assert src.budget.used == fake.served  # what was reserved and not returned was given back
    assert batches[-1].cursor["posts_read"]["used"] <= 25


async def test_a_refused_token_names_the_setting(server, fake, session) -> None:
    fake.tweets.append(tweet(1, NOW, "brand"))
    with pytest.raises(AuthError) as caught:
        await collect(source(server, session, name="x-auth", queries=["brand"], bearer_token="WRONG-token"))
    assert "x-auth source's bearer_token" in str(caught.value)
    assert "WRONG-token" not in str(caught.value)


def test_without_a_token_it_declines() -> None:
    with pytest.raises(NotConfigured, match="bearer_token"):
        XSource("x", XSource.Options(queries=["a"]), session=None)  # type: ignore[arg-type]


def test_to_post_maps_entities_metrics_and_replies() -> None:
    raw = tweet(5, datetime(2026, 2, 1, tzinfo=UTC), "@snapp خیلی کند بود #دیجی_کالا https://t.co/x", lang="fa")
    raw["entities"] = {
        "hashtags": [{"start": 0, "end": 1, "tag": "دیجی_کالا"}],
        "mentions": [{"start": 0, "end": 1, "username": "snapp", "id": "9"}],
        "urls": [{"url": "https://t.co/x", "expanded_url": "https://dgka.la/p/1"}],
    }
    raw["referenced_tweets"] = [{"type": "replied_to", "id": "77"}]
    post = to_post({"tweet": raw, "author": None}, source="x")
    assert post.id == f"x:{raw['id']}"
    assert post.hashtags == ("دیجی_کالا",)
    assert post.mentions == ("snapp",)
    assert post.links == ("https://dgka.la/p/1",)
    assert post.reply_to == "x:77"
    assert (post.engagement.likes, post.engagement.reposts, post.engagement.replies, post.engagement.views) == (
        3,
        5,
        2,
        500,
    )
    assert post.author is not None
    assert post.author.id == "42"
    assert post.author.handle is None  # the author was not expanded: not said
    assert post.lang == "fa"
    undetermined = to_post({"tweet": tweet(6, NOW, "😀", lang="und"), "author": None})
    assert undetermined.lang is None
