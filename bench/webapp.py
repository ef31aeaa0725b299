"""Web app speed: how long each view's API call takes on an embedded store of a given size.

    python bench/webapp.py                        # the demo's week x 10 (~43k posts), 20 calls each
    python bench/webapp.py --days 7 --scale 1     # the demo's week as `trendwatch demo` has it
    python bench/webapp.py --days 30 --scale 10 --calls 10    # ~185k posts
    python bench/webapp.py --timezone Asia/Tehran  # local hours: one store query per bucket

The store is filled as the service fills it: the demo's synthetic stream (Persian and English
posts about three brands, `trendwatch.service.demo.synthetic`), enriched by the real NLP stage
(in this process), upserted into SQLite. Then the real aiohttp app answers each endpoint over
HTTP on localhost, for the default window (the last 7 days, hourly buckets) with no filter, with
a platform and language filter, and for a search. Reported: median and 95th percentile wall
time per call, and the response size. Every call asks the store afresh (there is no cache in the
web app; the SQLite store keeps its own rollups of closed hours).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiohttp import ClientSession, web
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from indexer.sqlite import SqliteStore
from nlp.enricher import build_enricher
from trendwatch.config import settings_from_data
from trendwatch.models import EnrichedPost
from trendwatch.service.demo.synthetic import BRANDS, generate
from trendwatch.service.demo.synthetic import as_post as demo_post
from trendwatch.service.web import create_app

CALLS = (
    ("overview", "/api/overview", {}),
    ("overview, platform+lang", "/api/overview", {"platform": "mastodon", "lang": "fa"}),
    ("compare", "/api/compare", {}),
    ("brand", "/api/brand", {"brand": "Parsamall"}),
    ("alerts", "/api/alerts", {}),
    ("posts (newest)", "/api/posts", {}),
    ("posts (engagement, brand)", "/api/posts", {"order": "engagement", "brand": "Shabdiz"}),
    ("search", "/api/posts", {"q": "Kavehmart lang:en"}),
    ("meta", "/api/meta", {}),
)


async def fill(db: Path, days: int, scale: float, console: Console) -> tuple[datetime, int]:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    brands = [{"name": b.name, "aliases": list(b.aliases), "hashtags": list(b.hashtags)} for b in BRANDS]
    settings = settings_from_data({"brand": brands[0], "competitors": brands[1:]})
    enricher = build_enricher(settings.nlp, settings.brands)
    stream = generate(end, days=days, scale=scale)
    store = SqliteStore(SqliteStore.Options(path=db))
    await store.open()
    try:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("enriching and storing", total=len(stream.posts))
            for start in range(0, len(stream.posts), 2000):
                posts = [demo_post(p) for p in stream.posts[start : start + 2000]]
                await store.upsert([EnrichedPost(p, e) for p, e in zip(posts, enricher(posts), strict=True)])
                progress.advance(task, len(posts))
        await store.flush()
        return end, await store.count()
    finally:
        await store.close()


async def measure(db: Path, end: datetime, calls: int, timezone: str) -> list[tuple[str, float, float, int]]:
    brands = [{"name": b.name} for b in BRANDS]
    settings = settings_from_data({"brand": brands[0], "competitors": brands[1:], "display": {"timezone": timezone}})
    store = SqliteStore(SqliteStore.Options(path=db, read_only=True))
    await store.open()
    runner = web.AppRunner(create_app(store, settings, now=lambda: end), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    rows = []
    try:
        async with ClientSession() as session:
            for name, path, params in CALLS:
                times, size = [], 0
                for i in range(calls + 1):
                    started = time.perf_counter()
                    async with session.get(base + path, params=params) as response:
                        body = await response.read()
                        if response.status != 200:
                            raise SystemExit(f"{name}: HTTP {response.status}: {body[:300]!r}")
                    if i:  # the first call warms the store's caches and rollups
                        times.append(time.perf_counter() - started)
                    size = len(body)
                times.sort()
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                rows.append((name, statistics.median(times) * 1000, p95 * 1000, size))
    finally:
        await runner.cleanup()
        await store.close()
    return rows


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=7, help="days of synthetic posts (default 7)")
    parser.add_argument("--scale", type=float, default=10.0, help="posts per hour x this (1 = the demo)")
    parser.add_argument("--calls", type=int, default=20, help="timed calls per endpoint")
    parser.add_argument(
        "--timezone",
        default="UTC",
        help="display zone (Asia/Tehran: buckets on local hours, which the store's UTC grid does not share)",
    )
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="tw-bench-web-") as tmp:
        db = Path(tmp) / "bench.db"
        started = time.perf_counter()
        end, posts = await fill(db, args.days, args.scale, console)
        console.print(f"{posts:,} posts over {args.days} days stored in {time.perf_counter() - started:.1f} s")
        rows = await measure(db, end, args.calls, args.timezone)
    table = Table(
        title=f"web app API, {posts:,} posts, window = last 7 days (hourly, {args.timezone}), {args.calls} calls each"
    )
    for column in ("call", "median ms", "p95 ms", "response KB"):
        table.add_column(column, justify="left" if column == "call" else "right")
    for name, median, p95, size in rows:
        table.add_row(name, f"{median:.0f}", f"{p95:.0f}", f"{size / 1024:.0f}")
    console.print(table)
    console.print(f"window ends {end.isoformat()} ({timedelta(days=7)} long)")


if __name__ == "__main__":
    asyncio.run(main())
