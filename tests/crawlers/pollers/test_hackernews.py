"""The hackernews source's own protocol against a local Algolia-speaking server (time filters,
kinds, ties within one second) and the mapping on our own and the shared recorded hits."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from crawlers.pollers.hackernews import HackerNewsSource, to_post
from tests.conftest import shared_path
from tests.crawlers.fakes.hackernews import FakeAlgolia, hit
from tests.crawlers.helpers import collect, ids_of

NOW = datetime.now(UTC)


@pytest.fixture
def fake() -> FakeAlgolia:
    return FakeAlgolia()


@pytest.fixture
async def server(aiohttp_server: Callable[..., Any], fake: FakeAlgolia) -> TestServer:
    started: TestServer = await aiohttp_server(fake.app())
    return started


def source(server: TestServer, session: Any, **opts: Any) -> HackerNewsSource:
    return HackerNewsSource("hn", HackerNewsSource.Options(api=str(server.make_url("")), **opts), session)


async def test_many_items_in_one_second_are_neither_lost_nor_repeated(server, fake, session) -> None:
    second = NOW - timedelta(hours=1)
    fake.hits.extend(hit(n, second, f"digikala {n}") for n in range(1, 13))  # 12 items, one second, pages of 5
    batches, cursor = await collect(source(server, session, keywords=["digikala"], hits_per_page=5))
    assert sorted(ids_of(batches)) == sorted(f"hackernews:{n}" for n in range(1, 13))
    fake.hits.append(hit(13, second, "digikala late in the same second"))
    again, _ = await collect(source(server, session, keywords=["digikala"], hits_per_page=5), cursor)
    assert ids_of(again) == ["hackernews:13"]


async def test_time_filters_and_kinds(server, fake, session) -> None:
    fake.hits.extend(
        [
            hit(1, NOW - timedelta(days=3), "digikala old"),
            hit(2, NOW - timedelta(hours=2), "digikala story"),
            hit(3, NOW - timedelta(hours=1), "digikala comment", kind="comment"),
        ]
    )
    batches, _ = await collect(source(server, session, keywords=["digikala"], kinds=["story"], backfill="1d"))
    assert ids_of(batches) == ["hackernews:2"]
    query = fake.seen("/api/v1/search_by_date")[0].query
    assert query["tags"] == "story"
    assert query["numericFilters"].startswith("created_at_i>=")


def test_to_post_story_and_comment() -> None:
    story = to_post(hit(7, datetime(2026, 3, 1, tzinfo=UTC), "Show HN: #Persian search"), source="hn")
    assert story.id == "hackernews:7"
    assert story.title == story.text == "Show HN: #Persian search"
    assert story.url == "https://news.ycombinator.com/item?id=7"
    assert story.links == ("https://example.com/7",)
    assert (story.engagement.likes, story.engagement.replies) == (7, 7)
    comment = to_post(hit(8, datetime(2026, 3, 1, tzinfo=UTC), "I <i>like</i> it", kind="comment"))
    assert comment.text == "I like it"
    assert comment.title is None
    assert comment.reply_to == "hackernews:1"
    assert comment.engagement.likes is None  # Algolia gives comments no points


def recorded_hits() -> list[dict[str, Any]]:
    hits = []
    for name in ("search_q-apple_tags-story.json", "search_by_date_q-apple_tags-comment.json"):
        hits += json.loads(shared_path("fixtures", "hn_algolia", name).read_text(encoding="utf-8"))["hits"]
    for recorded in json.loads(
        shared_path("fixtures", "hn_algolia", "node-hacker-news-api_fixtures_2014.json").read_text()
    ):
        if "/search" in recorded["url"]:
            hits += recorded["reply"]["hits"]
    return hits


def test_every_recorded_hit_maps() -> None:
    hits = recorded_hits()
    posts = [to_post(h) for h in hits]
    assert len(posts) == len(hits) > 20
    for post, raw in zip(posts, hits, strict=True):
        assert post.id == f"hackernews:{raw['objectID']}"
        assert post.created_at == datetime.fromtimestamp(raw["created_at_i"], UTC)
        assert post.text
        assert "<p>" not in post.text
        assert "&#x27;" not in post.text
        assert post.author is not None
        assert post.author.handle == raw["author"]


def test_recorded_story_and_comment_fields() -> None:
    story, comment = [to_post(h) for h in recorded_hits()[:2]]
    assert story.title == "Steve Jobs Resigns as CEO of Apple"
    assert story.links == ("http://finance.yahoo.com/news/Steve-Jobs-Resigns-as-CEO-of-bw-19285464.html?x=0&.v=1",)
    assert (story.engagement.likes, story.engagement.replies) == (1638, 308)
    assert comment.text.startswith("Yeah the article seems stupid, while technically they aren't contributing")
    assert "\n\nI'm not the biggest fan of starbucks" in comment.text
    assert comment.reply_to == "hackernews:7919290"
