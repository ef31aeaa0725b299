"""Ingest throughput: enrich + store over synthetic Persian and English posts, and peak memory.

    python bench/ingest.py                 # 50,000 posts (the issue's figure)
    python bench/ingest.py --posts 5000    # quicker

Rows: the NLP pipeline alone in this process (one core), the SQLite upsert alone, and the real
ingest path (`Pipeline.ingest`: NLP in a worker process, store in its writer thread) end to end.
Peak memory is the maximum resident set size of this process and of the NLP worker. The
collector is set as the `trendwatch` process sets it (`trendwatch.runtime`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import random
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
from trendwatch.runtime import tune_gc
from trendwatch.service.demo.synthetic import BRANDS, as_post, generate
from trendwatch.service.enrichment import EnrichmentPool
from trendwatch.service.pipeline import Pipeline

FA_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
EN_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _vocabulary(rng: random.Random, letters: str, size: int = 20_000) -> list[str]:
    return ["".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(size)]


def synthetic_posts(count: int) -> list[Post]:
    """`count` distinct posts from as many synthetic weeks as it takes (different seeds).

    The demo's sentences come from a few templates; real streams have a long tail of words. So
    each post gets 3-8 more words drawn from a Zipf-distributed 20,000-word vocabulary in its
    script, which keeps every per-word cache honest.
    """
    rng = random.Random(42)
    vocab = {"fa": _vocabulary(rng, FA_LETTERS), "en": _vocabulary(rng, EN_LETTERS)}
    weights = list(itertools.accumulate(1 / rank for rank in range(1, 20_001)))
    posts: list[Post] = []
    seed = 1
    while len(posts) < count:
        stream = generate(datetime(2026, 11, 26, tzinfo=UTC), days=28, seed=seed)
        for demo_post in stream.posts:
            post = as_post(demo_post, source=f"bench{seed}")
            words = rng.choices(vocab["fa" if post.lang == "fa" else "en"], cum_weights=weights, k=rng.randint(3, 8))
            posts.append(dataclasses.replace(post, text=f"{post.text} {' '.join(words)}"))
        posts = list({p.id: p for p in posts}.values())
        seed += 1
    return posts[:count]


def brands() -> list[BrandConfig]:
    return [
        BrandConfig(name=b.name, aliases=list(b.aliases), handles=list(b.handles), hashtags=list(b.hashtags))
        for b in BRANDS
    ]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_peak_mb(pool: EnrichmentPool) -> float:
    """Peak resident memory (VmHWM) of the NLP worker processes, read from /proc."""
    peaks = []
    for pid in pool.worker_pids():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks, default=float("nan"))


async def main(count: int, batch: int) -> None:
    console = Console()
    posts = synthetic_posts(count)
    fa = sum(p.lang == "fa" for p in posts)
    console.print(f"{len(posts):,} synthetic posts ({fa / len(posts):.0%} Persian), batches of {batch}")
    rows: list[tuple[str, float]] = []
    worker_mb = float("nan")

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
        worker_mb = worker_peak_mb(pool)
        pool.close()
        await store.close()

    table = Table("stage", "posts", "seconds", "posts/s", title="bench/ingest.py", title_justify="left")
    for name, seconds in rows:
        table.add_row(name, f"{len(posts):,}", f"{seconds:.2f}", f"{len(posts) / seconds:,.0f}")
    console.print(table)
    console.print(
        f"peak memory: NLP worker {worker_mb:.0f} MB; this process {peak_mb():.0f} MB "
        "(it also holds every post and enrichment of the first two rows, for timing them apart)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=50_000, help="how many posts (default 50,000)")
    parser.add_argument("--batch", type=int, default=500, help="posts per batch (default 500, the service default)")
    args = parser.parse_args()
    tune_gc()  # as the `trendwatch` process does at start
    asyncio.run(main(args.posts, args.batch))
