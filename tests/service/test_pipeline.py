"""The ingest path on a real SQLite store with the real NLP stage: what it counts and what it
keeps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from crawlers.source import Batch
from indexer.sqlite import SqliteStore
from nlp.enricher import Enricher, build_enricher
from trendwatch.config import BrandConfig, NlpConfig, settings_from_data
from trendwatch.errors import ConfigError
from trendwatch.metrics import POSTS_FILTERED, POSTS_STORED
from trendwatch.models import Author, Engagement, Enrichment, Post
from trendwatch.service import plugins
from trendwatch.service.pipeline import Pipeline, source_filters

T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)
BRANDS = [BrandConfig(name="Kavehmart", aliases=["کاوه مارت"]), BrandConfig(name="Rivalo")]


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return build_enricher(NlpConfig(), BRANDS)


def in_process(enricher: Enricher):  # type: ignore[no-untyped-def]
    async def enrich(posts: Sequence[Post]) -> list[Enrichment]:
        return enricher(posts)

    return enrich


def post(n: int, text: str, *, likes: int = 0, lang: str | None = None) -> Post:
    return Post(
        id=f"mastodon:{n}",
        platform="mastodon",
        source="test",
        text=text,
        created_at=T0 + timedelta(minutes=n),
        author=Author(id=f"a{n}"),
        lang=lang,
        engagement=Engagement(likes=likes),
    )


def stored_total() -> dict[str, float]:
    return {r: POSTS_STORED.labels(result=r)._value.get() for r in ("inserted", "updated")}


async def test_posts_stored_total_counts_each_write_once(store: SqliteStore, enricher: Enricher) -> None:
    """Bug: the pipeline and the store both counted every post, so the metric read double."""
    pipeline = Pipeline(store, in_process(enricher))
    posts = [post(n, f"Kavehmart delivery number {n} was quick") for n in range(5)]
    before = stored_total()
    await pipeline.ingest(posts)
    assert stored_total() == {"inserted": before["inserted"] + 5, "updated": before["updated"]}
    # The same posts again, one with new engagement: every one is an update, none is new.
    await pipeline.ingest([*posts[:4], post(4, posts[4].text, likes=9)])
    assert stored_total() == {"inserted": before["inserted"] + 5, "updated": before["updated"] + 5}
    assert await store.count() == 5


# --------------------------------------------------------------------------- source filters

FILTERED_CONFIG = {
    "brand": {"name": "Kavehmart", "aliases": ["کاوه مارت"]},
    "competitors": [{"name": "Rivalo"}],
    "sources": [
        {"type": "rss", "name": "news", "feeds": ["https://news.example/rss"], "filter": "brand:kavehmart AND lang:fa"},
        {"type": "rss", "name": "blogs", "feeds": ["https://blogs.example/rss"]},
    ],
}


class _OneBatch:
    """A source with one round of one batch (the pipeline's view of any source)."""

    def __init__(self, name: str, posts: list[Post]) -> None:
        self.name = name
        self.interval = timedelta(minutes=5)
        self.posts = posts

    async def fetch(self, cursor: object) -> AsyncIterator[Batch]:
        yield Batch(tuple(self.posts), {"after": len(self.posts)})


def _mixed_posts(first: int) -> list[Post]:
    return [
        post(first, "کاوه مارت سفارشم را دیر فرستاد و پشتیبانی جواب نداد"),  # Kavehmart, Persian: kept
        post(first + 1, "Kavehmart shipped my order late again"),  # Kavehmart, English
        post(first + 2, "سفارش از ریوالو خیلی زود رسید، ممنون"),  # Persian, no Kavehmart
        post(first + 3, "کاوه مارت تخفیف خوبی برای جمعه سیاه گذاشته است"),  # kept
    ]


async def test_a_source_filter_keeps_only_matching_posts_after_enrichment(
    store: SqliteStore, enricher: Enricher
) -> None:
    settings = settings_from_data(FILTERED_CONFIG, registries=plugins.REGISTRIES)
    filters = source_filters(settings)
    assert set(filters) == {"news"}
    pipeline = Pipeline(store, in_process(enricher), filters=filters)
    before = POSTS_FILTERED.labels(source="news")._value.get()
    news = await pipeline.collect(_OneBatch("news", _mixed_posts(100)))
    assert (news.received, news.inserted, news.filtered) == (4, 2, 2)
    assert POSTS_FILTERED.labels(source="news")._value.get() == before + 2
    stored = await store.get([f"mastodon:{n}" for n in range(100, 104)])
    assert sorted(p.id for p in stored) == ["mastodon:100", "mastodon:103"]
    assert all(p.enrichment.lang == "fa" and "Kavehmart" in p.enrichment.brands for p in stored)
    assert await store.get_state("cursor:news") == {"after": 4}, "the cursor moves past filtered posts"
    # A source without a filter stores everything it fetches.
    blogs = await pipeline.collect(_OneBatch("blogs", _mixed_posts(200)))
    assert (blogs.inserted, blogs.filtered) == (4, 0)
    assert await store.count() == 6


def test_a_malformed_source_filter_fails_at_load_naming_the_key_and_position() -> None:
    broken = {**FILTERED_CONFIG, "sources": [{**FILTERED_CONFIG["sources"][0], "filter": "brand:kavehmart AND (late"}]}
    with pytest.raises(ConfigError) as caught:
        settings_from_data(broken, file="tw.yaml", registries=plugins.REGISTRIES)
    (problem,) = caught.value.issues
    assert problem.path == "sources[0].filter"
    assert "position 20" in problem.message
    assert "missing ')'" in problem.message
