"""The ingest path on a real SQLite store with the real NLP stage: what it counts and what it
keeps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from indexer.sqlite import SqliteStore
from nlp.enricher import Enricher, build_enricher
from trendwatch.config import BrandConfig, NlpConfig
from trendwatch.metrics import POSTS_STORED
from trendwatch.models import Author, Engagement, Enrichment, Post
from trendwatch.service.pipeline import Pipeline

T0 = datetime(2026, 11, 20, 9, tzinfo=UTC)
BRANDS = [BrandConfig(name="Kavehmart", aliases=["کاوه مارت"]), BrandConfig(name="Rivalo")]


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return build_enricher(NlpConfig(), BRANDS)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(SqliteStore.Options(path=tmp_path / "s.db"))
    await store.open()
    yield store
    await store.close()


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
