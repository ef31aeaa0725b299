"""The ingest path every source shares: dedupe -> enrich -> store, then save the cursor.

`Pipeline.collect(source)` runs one round of a source. For each batch the source yields it
ingests the posts (enrichment off the event loop, one store transaction per chunk) and only then
saves the batch's cursor under `cursor:<source name>`. A crash anywhere before the cursor is
saved means the batch is fetched again on restart, and the store's idempotent upsert means the
second ingest changes no count: at-least-once delivery, exactly-once effect.

Backpressure: at most `ingest.queue_batches` chunks are in flight at once; further callers wait,
which slows the sources instead of growing memory.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from crawlers.source import Source
from indexer.store import Store
from trendwatch.config import IngestConfig
from trendwatch.metrics import INGEST_QUEUE, POSTS_DROPPED
from trendwatch.models import EnrichedPost, Enrichment, Post

log = structlog.get_logger(__name__)

Enrich = Callable[[Sequence[Post]], Awaitable[list[Enrichment]]]


def cursor_key(source_name: str) -> str:
    return f"cursor:{source_name}"


@dataclass(frozen=True, slots=True)
class IngestResult:
    received: int = 0
    dropped: int = 0
    inserted: int = 0
    updated: int = 0

    def __add__(self, other: IngestResult) -> IngestResult:
        return IngestResult(
            self.received + other.received,
            self.dropped + other.dropped,
            self.inserted + other.inserted,
            self.updated + other.updated,
        )


class Pipeline:
    def __init__(self, store: Store, enrich: Enrich, config: IngestConfig | None = None) -> None:
        self.store = store
        self._enrich = enrich
        self._config = config or IngestConfig()
        self._slots = asyncio.Semaphore(self._config.queue_batches)
        self._waiting = 0

    async def ingest(self, posts: Sequence[Post]) -> IngestResult:
        """Enrich and store posts; idempotent, so re-ingesting the same posts changes no count."""
        kept, dropped = _prepare(posts)
        size = self._config.batch_size
        # Chunks overlap (one is enriched while another is stored), at most `queue_batches` at
        # once; each is committed on its own, and all are before this returns.
        chunks = [kept[start : start + size] for start in range(0, len(kept), size)]
        results = await asyncio.gather(*(self._ingest_chunk(chunk) for chunk in chunks))
        return sum(results, IngestResult(received=len(posts), dropped=dropped))

    async def _ingest_chunk(self, posts: list[Post]) -> IngestResult:
        self._waiting += 1
        INGEST_QUEUE.set(self._waiting)
        try:
            async with self._slots:
                enrichments = await self._enrich(posts)
                stored = await self.store.upsert([EnrichedPost(p, e) for p, e in zip(posts, enrichments, strict=True)])
        finally:
            self._waiting -= 1
            INGEST_QUEUE.set(self._waiting)
        # `trendwatch_posts_stored_total` is counted by the store itself, so writes that bypass
        # the pipeline (reindex, re-enrich) count too; counting here as well would double it.
        return IngestResult(inserted=stored.inserted, updated=stored.updated)

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
                    total += await self.ingest(batch.posts)
                await self.store.set_state(key, batch.cursor)
        if total.received:
            log.info(
                "source round",
                source=source.name,
                received=total.received,
                new=total.inserted,
                updated=total.updated,
                dropped=total.dropped,
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
