"""Benchmark of the embedded store: ingest rate, size, and the dashboard queries' latency.

    PYTHONPATH=. python bench/store.py                   # 10,000,000 posts (the issue's figure)
    PYTHONPATH=. python bench/store.py --posts 200000    # a quick run
    PYTHONPATH=. python bench/store.py --db /tmp/tw.db --skip-load   # queries on an existing file

Posts are synthetic but shaped like the real stream: Persian and English text from a Zipf-like
vocabulary, five brands (a post mentions 0-2), hashtags and topics with long tails, authors with
a heavy head, daily rhythm, over max(30 days, posts / 110,000 per day). Only the time spent inside
`store.upsert` (which includes the batched full-text indexing) counts towards the insert rate;
making the synthetic objects is excluded. Queries run `--repeat` times each over windows ending at
random points of the last day, and report p50/p95. The collector is set as the `trendwatch`
command sets it (`trendwatch.runtime`); `--default-gc` measures CPython's defaults instead.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import random
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from indexer.sqlite import SqliteStore
from trendwatch.models import Author, BrandMention, Engagement, EnrichedPost, Enrichment, Post, SeriesQuery
from trendwatch.runtime import GC_THRESHOLDS, tune_gc


def _words(sentence: str) -> tuple[str, ...]:
    return tuple(sentence.split())


BRANDS = ("Digikala", "Torob", "Snappshop", "Basalam", "Divar")
BRAND_WEIGHTS = (0.35, 0.2, 0.15, 0.1, 0.08)
PLATFORMS = ("mastodon", "bluesky", "telegram", "reddit", "rss")
EN_WORDS = _words(
    "delivery late price cheap support refund order store app update bad good love hate fast slow quality "
    "service discount sale new old broken package courier return warranty phone laptop shoes gift cart "
    "checkout payment card bank fee free shipping week today yesterday again never always really very"
)
FA_WORDS = _words(
    "ارسال دیر قیمت ارزان پشتیبانی سفارش فروشگاه برنامه بد خوب سریع کند کیفیت خدمات تخفیف فروش جدید "
    "خراب بسته پیک مرجوعی گارانتی گوشی لپتاپ کفش هدیه سبد پرداخت کارت بانک رایگان هفته امروز دیروز "
    "دوباره هرگز همیشه واقعا خیلی تاخیر عالی افتضاح"
)
START = datetime(2026, 1, 1, tzinfo=UTC)
POSTS_PER_DAY = 110_000


def _zipf_table(n: int, s: float = 1.1) -> list[float]:
    weights = [1 / (i + 1) ** s for i in range(n)]
    total = 0.0
    cumulative = []
    for w in weights:
        total += w
        cumulative.append(total)
    return cumulative


class Synthetic:
    """Deterministic synthetic enriched posts, generated batch by batch (flat memory)."""

    def __init__(self, posts: int, days: int | None = None, seed: int = 7) -> None:
        self.posts = posts
        self.days = days or max(30, math.ceil(posts / POSTS_PER_DAY))
        self.span = self.days * 86400
        self.rng = random.Random(seed)
        rng = self.rng
        self.hashtags = [f"tag{i}" for i in range(3000)] + [f"هشتگ{i}" for i in range(1000)]
        self.topics = [f"topic {i}" for i in range(400)]
        self.hashtag_cum = _zipf_table(len(self.hashtags))
        self.topic_cum = _zipf_table(len(self.topics))
        self.author_cum = _zipf_table(200_000, 0.9)
        self.en_texts = [" ".join(rng.choices(EN_WORDS, k=rng.randint(8, 30))) for _ in range(5000)]
        self.fa_texts = [" ".join(rng.choices(FA_WORDS, k=rng.randint(8, 30))) for _ in range(5000)]

    @property
    def end(self) -> datetime:
        return START + timedelta(seconds=self.span)

    def batches(self, size: int) -> Iterator[list[EnrichedPost]]:
        for start in range(0, self.posts, size):
            yield [self.post(i) for i in range(start, min(self.posts, start + size))]

    def post(self, i: int) -> EnrichedPost:
        rng = self.rng
        # time increases with i (a live stream), with daily rhythm folded in by jitter
        seconds = i * self.span / self.posts + rng.uniform(-300, 300)
        seconds = min(max(seconds, 0), self.span - 1)
        created = START + timedelta(seconds=seconds)
        fa = rng.random() < 0.55
        text = rng.choice(self.fa_texts if fa else self.en_texts)
        brands = tuple(dict.fromkeys(rng.choices(BRANDS, BRAND_WEIGHTS, k=rng.choice((0, 1, 1, 1, 2)))))
        tags = tuple(
            dict.fromkeys(rng.choices(self.hashtags, cum_weights=self.hashtag_cum, k=rng.choice((0, 1, 2, 3))))
        )
        topics = tuple(dict.fromkeys(rng.choices(self.topics, cum_weights=self.topic_cum, k=rng.choice((0, 1, 2)))))
        author_n = rng.choices(range(200_000), cum_weights=self.author_cum)[0]
        platform = PLATFORMS[i % len(PLATFORMS)]
        post_id = f"{platform}:{i}"
        score = max(-1.0, min(1.0, rng.gauss(0.05, 0.45)))
        label = "negative" if score < -0.05 else "positive" if score > 0.05 else "neutral"
        post = Post(
            id=post_id,
            platform=platform,
            source=f"{platform}-main",
            text=f"{text} {' '.join('#' + t for t in tags)}",
            created_at=created,
            url=f"https://{platform}.example/p/{i}",
            author=Author(id=f"u{author_n}", handle=f"@user{author_n}"),
            lang="fa" if fa else "en",
            hashtags=tuple(f"#{t}" for t in tags),
            engagement=Engagement(likes=rng.randint(0, 50), reposts=rng.randint(0, 5)),
            raw={"id": i, "platform": platform, "text": text[:60]},
        )
        enrichment = Enrichment(
            post_id=post_id,
            lang="fa" if fa else "en",
            text=text,
            sentiment=score,
            sentiment_label=label,  # type: ignore[arg-type]
            mentions=tuple(BrandMention(b, b, 0, len(b)) for b in brands),
            hashtags=tags,
            topics=topics,
        )
        return EnrichedPost(post, enrichment)


async def load(store: SqliteStore, data: Synthetic, batch: int, console: Console) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, posts) spent inside the store."""
    spent = cpu = 0.0
    done = 0
    with Progress(
        TextColumn("loading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("load", total=data.posts, rate="")
        for posts in data.batches(batch):
            t, c = time.perf_counter(), time.process_time()
            await store.upsert(posts)
            spent += time.perf_counter() - t
            cpu += time.process_time() - c
            done += len(posts)
            progress.update(task, advance=len(posts), rate=f"{done / spent:,.0f} posts/s")
        t, c = time.perf_counter(), time.process_time()
        await store.flush()
        spent += time.perf_counter() - t
        cpu += time.process_time() - c
    return spent, cpu, done


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int) -> tuple[list[float], Any]:
    times = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - t) * 1000)
    return times, result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]


async def queries(store: SqliteStore, end: datetime, repeat: int, seed: int) -> list[tuple[str, list[float], str]]:
    rng = random.Random(seed)

    def until() -> datetime:
        return end - timedelta(minutes=rng.randint(0, 24 * 60))

    cases: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[Any], str]]] = [
        (
            "5-min series, one brand, 7 days",
            lambda: (
                lambda u: store.series(
                    SeriesQuery("brand", timedelta(minutes=5), subject="Digikala"), u - timedelta(days=7), u
                )
            )(until()),
            lambda r: f"{sum(b.count for s in r for b in s.buckets):,} mentions",
        ),
        (
            "hourly sentiment, all brands, 30 days",
            lambda: (lambda u: store.series(SeriesQuery("brand", timedelta(hours=1)), u - timedelta(days=30), u))(
                until()
            ),
            lambda r: f"{len(r)} brands, {sum(len(s.buckets) for s in r):,} buckets",
        ),
        (
            "top hashtags, 24 h",
            lambda: (lambda u: store.top_terms("hashtag", u - timedelta(hours=24), u, limit=20))(until()),
            lambda r: f"top: {r[0].term} ({r[0].authors:,} authors)" if r else "none",
        ),
        (
            "keyword search (newest 50)",
            lambda: store.search(rng.choice(["refund", "warranty", "courier"]), limit=50),
            lambda r: f"{len(r)} posts",
        ),
        (
            "Persian phrase search, 7 days",
            lambda: (lambda u: store.search('"ارسال دیر"', since=u - timedelta(days=7), until=u, limit=50))(until()),
            lambda r: f"{len(r)} posts",
        ),
    ]
    out = []
    for name, run, describe in cases:
        await run()  # warm the page cache once, like a dashboard that is already open
        times, result = await timed(run, repeat)
        out.append((name, times, describe(result)))
    return out


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=10_000_000, help="posts to load (default 10,000,000)")
    parser.add_argument("--days", type=int, default=None, help="days the posts span (default max(30, posts/110k))")
    parser.add_argument("--batch", type=int, default=5000, help="posts per upsert (default 5000)")
    parser.add_argument("--db", type=Path, default=None, help="database file (default: a temporary file)")
    parser.add_argument("--skip-load", action="store_true", help="only run the queries on an existing --db")
    parser.add_argument("--repeat", type=int, default=30, help="runs of each query (default 30)")
    parser.add_argument("--keep", action="store_true", help="keep the database file afterwards")
    parser.add_argument(
        "--default-gc",
        action="store_true",
        help="leave CPython's collector on its defaults (the trendwatch process applies trendwatch.runtime)",
    )
    args = parser.parse_args(argv)
    if not args.default_gc:
        tune_gc()  # as the `trendwatch` command does at start
    console = Console()
    path = args.db or Path(os.environ.get("TMPDIR", "/tmp")) / f"trendwatch-bench-{os.getpid()}.db"
    if not args.skip_load:
        _remove(path)
    data = Synthetic(args.posts, args.days)
    store = SqliteStore(SqliteStore.Options(path=path, fts_batch=args.batch * 4))
    await store.open()
    try:
        rows = []
        if not args.skip_load:
            spent, cpu, done = await load(store, data, args.batch, console)
            rows.append(
                ("insert rate", f"{done / spent:,.0f} posts/s", f"{done:,} posts in {spent:,.1f} s inside the store")
            )
            rows.append(
                ("insert rate per CPU second", f"{done / cpu:,.0f} posts/s", "all threads' CPU time inside the store")
            )
        size = _size(path)
        count = await store.count()
        rows.append(
            ("database size", f"{size / 2**20:,.0f} MiB", f"{size / max(count, 1):,.0f} bytes/post, {count:,} posts")
        )
        table = Table("measure", "value", "detail", title=f"SQLite store, {count:,} posts over {data.days} days")
        for row in rows:
            table.add_row(*row)
        for name, times, detail in await queries(store, data.end, args.repeat, seed=11):
            p50, p95 = percentile(times, 0.5), percentile(times, 0.95)
            flag = "" if p95 < 200 else "  (over 200 ms)"
            table.add_row(name, f"p50 {p50:,.1f} ms / p95 {p95:,.1f} ms{flag}", detail)
        console.print(table)
        console.print(
            f"python {sys.version.split()[0]}, sqlite {sqlite3.sqlite_version}, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f}; {args.repeat} runs of each query; file {path}; "
            f"gc thresholds {gc.get_threshold()}" + ("" if gc.get_threshold() == GC_THRESHOLDS else " (defaults)")
        )
    finally:
        await store.close()
        if not args.keep and args.db is None:
            _remove(path)
    return 0


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
