"""Alerting speed: detector throughput and end-to-end alert latency.

    python bench/alerts.py                       # 1,000 brands x 30 days; 5 latency trials
    python bench/alerts.py --brands 100 --days 7 --trials 3 --interval 10   # quicker
    python bench/alerts.py --skip-latency        # throughput only (or --skip-throughput)

Throughput: the registered volume-spike detector (`volume_spike`, service defaults: 5-minute
buckets, 28-day lookback) evaluates synthetic brands (Poisson counts with a daily and weekly
rhythm, brands from ~0.2 to ~40 posts per bucket, empty buckets absent as the store returns
them). Reported in series-buckets/s (brands x days x 288 buckets of grid evaluated, over the
time spent inside `evaluate`), with how many alerts it raised on this spike-free noise.

Latency: the real path from the store to a channel. A SQLite store gets a few hours of
background posts for a handful of brands, ingestion keeps running live, and the alert engine
runs the volume-spike detector (buckets and interval of `--interval` seconds) aligned to bucket
ends (`alerts.engine.next_run`), delivering to a signed webhook served by a local aiohttp
server. Each trial ingests a burst of posts about one brand and measures from the moment the
store committed them ("post ingested") to the moment the webhook received the alert. Target:
within one detector interval plus 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import orjson
from aiohttp import ClientSession, web
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from alerts.engine import AlertContext, AlertEngine, next_run
from alerts.notifiers.webhook import WebhookNotifier, WebhookOptions, verify_signature
from alerts.plugins import DETECTORS
from indexer.plugins import STORES
from trendwatch.config import BrandConfig, LoggingConfig
from trendwatch.models import Author, BrandMention, Bucket, EnrichedPost, Enrichment, Post, Series
from trendwatch.service.logs import configure as configure_logs
from trendwatch.timeutil import floor_time, utcnow

STEP = timedelta(minutes=5)
PER_DAY = 288
CHUNK = 25  # brands generated and evaluated at a time (keeps memory flat)
SECRET = b"bench-secret"


# ------------------------------------------------------------------------------- throughput


def synthetic_series(rng: np.random.Generator, names: list[str], start: datetime, n: int) -> list[Series]:
    t = np.arange(n)
    day = 1 + 0.6 * np.sin(2 * np.pi * (t % PER_DAY) / PER_DAY - np.pi / 2)
    week = np.where((t // PER_DAY) % 7 >= 5, 0.7, 1.0)
    out = []
    for name in names:
        level = float(np.exp(rng.uniform(np.log(0.2), np.log(40))))
        counts = rng.poisson(level * day * week)
        buckets = tuple(
            Bucket(start=start + int(i) * STEP, count=int(c), authors=max(1, int(c * 0.8)))
            for i, c in zip(np.flatnonzero(counts), counts[counts > 0], strict=True)
        )
        out.append(Series(subject=name, kind="brand", step=STEP, start=start, end=start + n * STEP, buckets=buckets))
    return out


def throughput(console: Console, brands: int, days: int, seed: int) -> dict[str, float]:
    cls = DETECTORS.get("volume_spike")
    detector = cls("volume_spike", cls.Options(lookback=f"{days}d"))
    now = floor_time(datetime(2026, 11, 26, 12, tzinfo=UTC), STEP)
    n = days * PER_DAY
    start = now - n * STEP
    rng = np.random.default_rng(seed)
    names = [f"brand-{i:04d}" for i in range(brands)]
    spent, raised, stored = 0.0, 0, 0
    columns = (TextColumn("detector throughput"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("brands", total=brands)
        for i in range(0, brands, CHUNK):
            series = synthetic_series(rng, names[i : i + CHUNK], start, n)
            stored += sum(len(s.buckets) for s in series)
            began = time.perf_counter()
            raised += len(detector.evaluate(series, now))
            spent += time.perf_counter() - began
            progress.advance(task, len(series))
    grid = brands * n
    return {"buckets": grid, "stored": stored, "seconds": spent, "rate": grid / spent, "raised": raised}


# ---------------------------------------------------------------------------------- latency


def enriched(n: int, brand: str, when: datetime, text: str) -> EnrichedPost:
    pid = f"bench:{n}"
    return EnrichedPost(
        Post(
            id=pid,
            platform="bench",
            source="bench",
            text=text,
            created_at=when,
            author=Author(id=f"a{n % 97}", handle=f"@a{n % 97}"),
        ),
        Enrichment(
            post_id=pid,
            lang="en",
            text=text,
            sentiment=-0.5,
            sentiment_label="negative",
            mentions=(BrandMention(brand, brand, 0, len(brand)),),
            hashtags=("#bench",),
        ),
    )


class Timed:
    """Wraps the store and the detector to time where a run's seconds go."""

    def __init__(self, inner: Any, spent: dict[str, list[float]], *names: str) -> None:
        self._inner, self._spent = inner, spent
        for name in names:
            setattr(self, name, self._timer(name))

    def _timer(self, name: str) -> Any:
        method = getattr(self._inner, name)
        is_async = asyncio.iscoroutinefunction(method)

        async def timed_async(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                self._spent[name].append(time.perf_counter() - began)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self._spent[name].append(time.perf_counter() - began)

        return timed_async if is_async else timed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@dataclass
class Receiver:
    """The local webhook: verifies the signature and notes when each 'open' arrived."""

    arrivals: asyncio.Queue[tuple[str, float]]
    bad: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        got = time.time()
        ok = verify_signature(
            SECRET, body, request.headers["X-Trendwatch-Timestamp"], request.headers["X-Trendwatch-Signature"]
        )
        if not ok:
            self.bad += 1
            return web.Response(status=401)
        for alert in orjson.loads(body)["alerts"]:
            if alert["status"] == "open":
                self.arrivals.put_nowait((alert["subject"], got))
        return web.json_response({"ok": True})


@dataclass
class LatencyResult:
    latencies: list[float]
    after_close: list[float]
    target: float
    history_posts: int
    bad_signatures: int
    spent: dict[str, list[float]]


async def latency(console: Console, trials: int, interval: float, seed: int) -> LatencyResult:
    rng = random.Random(seed)
    step = timedelta(seconds=interval)
    live = [f"Live{i}" for i in range(max(trials, 2) + 1)]
    rate = 2.0  # background posts per bucket per brand
    counter = iter(range(10**9))
    receiver = Receiver(asyncio.Queue())
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    latencies: list[float] = []
    after_close: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = STORES.get("sqlite")(STORES.options_model("sqlite")(path=str(Path(tmp) / "latency.db")))
        await store.open()
        try:
            # history: 3 hours of background posts, so the baseline has something to learn
            now = utcnow()
            history = []
            buckets = int(timedelta(hours=3) / step)
            for b in range(buckets, 0, -1):
                at = floor_time(now, step) - b * step
                for brand in live:
                    for _ in range(np.random.default_rng(rng.randrange(1 << 30)).poisson(rate)):
                        history.append(enriched(next(counter), brand, at + step * rng.random(), "usual chatter"))
            await store.upsert(history)
            cls = DETECTORS.get("volume_spike")
            spent: dict[str, list[float]] = defaultdict(list)
            detector: Any = Timed(
                cls("bench-spike", cls.Options(step=step, interval=step, lookback="3h", min_history="1h", min_count=5)),
                spent,
                "evaluate",
            )
            timed_store: Any = Timed(store, spent, "series", "drivers")
            async with ClientSession() as session:
                hook = WebhookNotifier("bench-hook", WebhookOptions(url=url, secret=SECRET.decode()), session)
                brands = [BrandConfig(name=b) for b in live]
                engine = AlertEngine(timed_store, [detector], [hook], AlertContext(brands=brands))
                stop = asyncio.Event()

                async def ingest_loop() -> None:
                    while not stop.is_set():
                        await asyncio.sleep(1.0)
                        now = utcnow()
                        posts = [
                            enriched(next(counter), brand, now, "usual chatter")
                            for brand in live
                            if rng.random() < rate * 1.0 / interval
                        ]
                        if posts:
                            await store.upsert(posts)

                async def detector_loop() -> None:
                    last = utcnow()
                    while not stop.is_set():
                        # the first slot after the previous run: a slow run never skips a bucket
                        wait = (next_run(detector, last, timedelta(seconds=0.5)) - utcnow()).total_seconds()
                        await asyncio.sleep(max(0.0, wait))
                        last = utcnow()
                        began = time.perf_counter()
                        await engine.run(detector, last)
                        spent["run"].append(time.perf_counter() - began)

                loops = [asyncio.create_task(ingest_loop()), asyncio.create_task(detector_loop())]
                try:
                    await asyncio.sleep(interval * 2)  # let the first runs settle (no alerts on calm data)
                    while not receiver.arrivals.empty():
                        receiver.arrivals.get_nowait()
                    columns = (TextColumn("latency trials"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
                    with Progress(*columns, console=console, transient=True) as progress:
                        task = progress.add_task("trials", total=trials)
                        for trial in range(trials):
                            brand = live[trial]
                            await asyncio.sleep(rng.uniform(0, interval))  # land anywhere in a bucket
                            when = utcnow()
                            await store.upsert([enriched(next(counter), brand, when, "outage!") for _ in range(60)])
                            ingested = time.time()
                            closes = (floor_time(when, step) + step).timestamp()
                            deadline = ingested + 3 * interval + 10
                            while True:
                                subject, got = await asyncio.wait_for(
                                    receiver.arrivals.get(), timeout=max(0.1, deadline - time.time())
                                )
                                if subject == brand:
                                    break
                            latencies.append(got - ingested)
                            after_close.append(got - closes)
                            progress.advance(task)
                finally:
                    stop.set()
                    for loop in loops:
                        loop.cancel()
                    await asyncio.gather(*loops, return_exceptions=True)
        finally:
            await store.close()
            await runner.cleanup()
    return LatencyResult(latencies, after_close, interval + 2.0, len(history), receiver.bad, spent)


# ------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--brands", type=int, default=1000, help="brands for the throughput run (default 1000)")
    parser.add_argument("--days", type=int, default=30, help="days of 5-minute buckets per brand (default 30)")
    parser.add_argument("--trials", type=int, default=5, help="latency trials (default 5)")
    parser.add_argument(
        "--interval", type=float, default=30.0, help="latency run: bucket width = detector interval, s (30)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    if args.brands < 1 or args.days < 2 or args.trials < 1 or args.interval < 2:
        parser.error("need --brands >= 1, --days >= 2, --trials >= 1, --interval >= 2")
    configure_logs(LoggingConfig(level="warning"))
    console = Console()
    table = Table("measure", "value", "notes", title="trendwatch alerts benchmark", title_justify="left")
    if not args.skip_throughput:
        t = throughput(console, args.brands, args.days, args.seed)
        table.add_row(
            "detector throughput",
            f"{t['rate']:,.0f} series-buckets/s",
            f"volume_spike, {args.brands:,} brands x {args.days} days x 288 = {t['buckets']:,.0f} buckets "
            f"({t['stored']:,.0f} non-empty) in {t['seconds']:.1f} s",
        )
        table.add_row("alerts on spike-free noise", f"{t['raised']:.0f}", f"of {args.brands:,} brands (false alarms)")
    if not args.skip_latency:
        result = asyncio.run(latency(console, args.trials, args.interval, args.seed))
        lat, close, target = sorted(result.latencies), sorted(result.after_close), result.target
        table.add_row(
            "alert latency, median",
            f"{statistics.median(lat):.2f} s",
            f"post ingested -> webhook received; {len(lat)} trials, interval {args.interval:g} s",
        )
        table.add_row(
            "alert latency, worst",
            f"{lat[-1]:.2f} s",
            f"target <= interval + 2 s = {target:g} s: {'met' if lat[-1] <= target else 'MISSED'}",
        )
        table.add_row(
            "after the bucket closed, worst",
            f"{close[-1]:.2f} s",
            "detector run + lifecycle + drivers + signed delivery",
        )
        spent = result.spent
        parts = ", ".join(
            f"{name} {statistics.median(spent[name]):.2f}" for name in ("series", "evaluate", "drivers") if spent[name]
        )
        table.add_row(
            "engine run, median", f"{statistics.median(spent['run']):.2f} s", f"of which (s, median): {parts}"
        )
        if result.bad_signatures:
            table.add_row("bad signatures", str(result.bad_signatures), "should be 0")
    console.print(table)


if __name__ == "__main__":
    main()
