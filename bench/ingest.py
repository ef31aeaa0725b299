"""Ingest throughput: enrich + store over synthetic Persian and English posts, and peak memory.

    python bench/ingest.py                 # 50,000 posts (the issue's figure)
    python bench/ingest.py --posts 5000    # quicker

Rows: the NLP pipeline alone in this process (one core), the SQLite upsert alone, and the real
ingest path (`Pipeline.ingest`: NLP in a worker process, store in its writer thread) end to end.
Peak memory is the maximum resident set size of this process and of the NLP worker.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.table import Table

from indexer.plugins import STORES
from nlp.enricher import build_enricher
from trendwatch.config import BrandConfig, IngestConfig, NlpConfig
from trendwatch.models import EnrichedPost, Post
from trendwatch.service.demo.synthetic import BRANDS, as_post, generate
from trendwatch.service.enrichment import EnrichmentPool
from trendwatch.service.pipeline import Pipeline


def synthetic_posts(count: int) -> list[Post]:
    """`count` distinct posts from as many synthetic weeks as it takes (different seeds)."""
    posts: list[Post] = []
    seed = 1
    while len(posts) < count:
        stream = generate(datetime(2026, 11, 26, tzinfo=UTC), days=28, seed=seed)
        posts += [as_post(p, source=f"bench{seed}") for p in stream.posts]
        posts = list({p.id: p for p in posts}.values())
        seed += 1
    return posts[:count]


def brands() -> list[BrandConfig]:
    return [
        BrandConfig(name=b.name, aliases=list(b.aliases), handles=list(b.handles), hashtags=list(b.hashtags))
        for b in BRANDS
    ]


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


async def main(count: int, batch: int) -> None:
    console = Console()
    posts = synthetic_posts(count)
    fa = sum(p.lang == "fa" for p in posts)
    console.print(f"{len(posts):,} synthetic posts ({fa / len(posts):.0%} Persian), batches of {batch}")
    rows: list[tuple[str, float]] = []

    enricher = build_enricher(NlpConfig(), brands())
    enricher(posts[:200])  # warm up
    started = time.perf_counter()
    enrichments = []
    for i in range(0, len(posts), batch):
        enrichments += enricher(posts[i : i + batch])
    rows.append(("enrich (NLP pipeline, this process, 1 core)", time.perf_counter() - started))

    with tempfile.TemporaryDirectory() as tmp:
        store = STORES.get("sqlite")(STORES.options_model("sqlite")(path=str(Path(tmp) / "bench.db")))
        await store.open()
        enriched = [EnrichedPost(p, e) for p, e in zip(posts, enrichments, strict=True)]
        started = time.perf_counter()
        for i in range(0, len(enriched), batch):
            await store.upsert(enriched[i : i + batch])
        rows.append(("store (SQLite upsert incl. full-text index)", time.perf_counter() - started))
        await store.close()

    with tempfile.TemporaryDirectory() as tmp:
        store = STORES.get("sqlite")(STORES.options_model("sqlite")(path=str(Path(tmp) / "bench.db")))
        await store.open()
        pool = EnrichmentPool(NlpConfig(workers=1), brands())
        await pool.warm_up()
        pipeline = Pipeline(store, pool, IngestConfig(batch_size=batch))
        started = time.perf_counter()
        result = await pipeline.ingest(posts)
        rows.append(("ingest end to end (worker process + store)", time.perf_counter() - started))
        assert result.inserted == len(posts), result
        pool.close()
        await store.close()

    table = Table("stage", "posts", "seconds", "posts/s", title="bench/ingest.py", title_justify="left")
    for name, seconds in rows:
        table.add_row(name, f"{len(posts):,}", f"{seconds:.2f}", f"{len(posts) / seconds:,.0f}")
    console.print(table)
    console.print(
        f"peak memory: this process {peak_mb(resource.RUSAGE_SELF):.0f} MB, "
        f"NLP worker {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=50_000, help="how many posts (default 50,000)")
    parser.add_argument("--batch", type=int, default=500, help="posts per batch (default 500, the service default)")
    args = parser.parse_args()
    asyncio.run(main(args.posts, args.batch))
