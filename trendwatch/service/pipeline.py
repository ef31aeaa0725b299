"""The ingest path every source shares: dedupe -> enrich -> store, then save the cursor.

`Pipeline.collect(source)` runs one round of a source. For each batch the source yields it
ingests the posts (enrichment off the event loop, one store transaction per chunk) and only then
saves the batch's cursor under `cursor:<source name>`. A crash anywhere before the cursor is
saved means the batch is fetched again on restart, and the store's idempotent upsert means the
second ingest changes no count: at-least-once delivery, exactly-once effect.

A source's `filter:` query (its config block) is applied after enrichment, so `brand:` and
`lang:` mean what the NLP stage found: posts that do not match are not stored, and are counted
in `trendwatch_posts_filtered_total{source}`.

Backpressure: at most `ingest.queue_batches` chunks are in flight at once; further callers wait,
which slows the sources instead of growing memory.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from crawlers.source import Source
from indexer.store import Store, UpsertResult
from trendwatch.config import IngestConfig, Settings
from trendwatch.metrics import INGEST_QUEUE, POSTS_DROPPED, POSTS_FILTERED
from trendwatch.models import EnrichedPost, Enrichment, Post
from trendwatch.query import Query

log = structlog.get_logger(__name__)

Enrich = Callable[[Sequence[Post]], Awaitable[list[Enrichment]]]


def cursor_key(source_name: str) -> str:
    return f"cursor:{source_name}"


def source_filters(settings: Settings) -> dict[str, Query]:
    """The `filter:` query of each source that has one, by source name."""
    return {s.name: query for s in settings.sources if (query := s.query) is not None}


@dataclass(frozen=True, slots=True)
class IngestResult:
    received: int = 0
    dropped: int = 0
    inserted: int = 0
    updated: int = 0
    filtered: int = 0

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(
            self.received + other.received,
            self.dropped + other.dropped,
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.filtered + other.filtered,
        )


class Pipeline:
    def __init__(
        self,
        store: Store,
        enrich: Enrich,
        config: IngestConfig | None = None,
        filters: Mapping[str, Query] | None = None,
    ) -> None:
        self.store = store
        self._enrich = enrich
        self._config = config or IngestConfig()
        self._filters = dict(filters or {})
        self._slots = asyncio.Semaphore(self._config.queue_batches)
        self._waiting = 0

    async def ingest(self, posts: Sequence[Post], source: str | None = None) -> IngestResult:
        """Enrich and store posts; idempotent, so re-ingesting the same posts changes no count.
        Posts of a `source` with a filter are stored only when they match it."""
        kept, dropped = _prepare(posts)
        size = self._config.batch_size
        # Chunks overlap (one is enriched while another is stored), at most `queue_batches` at
        # once; each is committed on its own, and all are before this returns.
        chunks = [kept[start : start + size] for start in range(0, len(kept), size)]
        results = await asyncio.gather(*(self._ingest_chunk(chunk, source) for chunk in chunks))
        return sum(results, IngestResult(received=len(posts), dropped=dropped))

    async def _ingest_chunk(self, posts: list[Post], source: str | None) -> IngestResult:
        wanted = self._filters.get(source) if source is not None else None
        self._waiting += 1
        INGEST_QUEUE.set(self._waiting)
        try:
            async with self._slots:
                enrichments = await self._enrich(posts)
                enriched = [EnrichedPost(p, e) for p, e in zip(posts, enrichments, strict=True)]
                kept = enriched if wanted is None else [p for p in enriched if wanted.matches(p)]
                stored = await self.store.upsert(kept) if kept else UpsertResult(0, 0)
        finally:
            self._waiting -= 1
            INGEST_QUEUE.set(self._waiting)
        filtered = len(enriched) - len(kept)
        if filtered:
            POSTS_FILTERED.labels(source=source).inc(filtered)
        # `trendwatch_posts_stored_total` is counted by the store itself, so writes that bypass
        # the pipeline (reindex, re-enrich) count too; counting here as well would double it.
        return IngestResult(inserted=stored.inserted, updated=stored.updated, filtered=filtered)

    async def collect(self, source: Source) -> IngestResult:
        """One round of `source`: each batch is committed before its cursor is saved."""
        key = cursor_key(source.name)
        cursor: Any = await self.store.get_state(key)
        total = IngestResult()
        # aclosing: a round cancelled mid-batch closes the source's generator at once (a spider
        # source then stops its child process) instead of whenever it is garbage-collected.
        async with contextlib.aclosing(source.fetch(cursor)) as batches:
            async for batch in batches:
                if batch.posts:
                    total += await self.ingest(batch.posts, source.name)
                await self.store.set_state(key, batch.cursor)
        if total.received:
            log.info(
                "source round",
                source=source.name,
                received=total.received,
                new=total.inserted,
                updated=total.updated,
                dropped=total.dropped,
                filtered=total.filtered,
            )
        return total


def _prepare(posts: Sequence[Post]) -> tuple[list[Post], int]:
    """Drop posts with nothing to analyse; keep the last copy of a post seen twice in a batch
    (its engagement is the freshest)."""
    by_id: dict[str, Post] = {}
    dropped = 0
    for post in posts:
        if not (post.text.strip() or (post.title or "").strip()):
            POSTS_DROPPED.labels(stage="ingest", reason="empty_text").inc()
            dropped += 1
            continue
        by_id.pop(post.id, None)
        by_id[post.id] = post
    return list(by_id.values()), dropped
