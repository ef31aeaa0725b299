"""Polling throughput: 200 sources against a local server, bounded by the rate limits, not our CPU.

    python bench/sources.py                                # 200 sources on 20 hosts, ~1 minute
    python bench/sources.py --sources 20 --hosts 4         # quicker
    python bench/sources.py --rates 2,4,8,unlimited        # the per-host rates to try (requests/s)

A separate process stands in for `hosts` Mastodon instances (one port each, so the per-host rate
limit applies as it would to real hosts), serving the hashtag timeline API: pages of 40 statuses
with `max_id`/`since_id` and `Link` headers, `pages` pages of history per hashtag. The sources
are spread over the hosts (200 sources on 20 hosts: 10 hashtags per instance). For each per-host
rate, the real `mastodon` sources (the shared polite session, the real paging and `to_post`)
backfill their history concurrently; the table shows posts/s, requests/s and the CPU this process
used (100 % = one core), and beside it the server process's.

The ceiling is what the rate limits allow: each host gets `burst` requests at once, then `rate`
per second. When posts/s follows the ceiling as the rate changes while CPU stays well below
100 %, throughput is bounded by the configured politeness, not by us; the `unlimited` row shows
what this process can do when nothing holds it back.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson
from aiohttp import web
from prometheus_client import REGISTRY
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from crawlers.http import create_session
from crawlers.pollers.mastodon import MastodonSource
from trendwatch.config import HttpConfig

PAGE = 40
UNLIMITED = 10_000.0


# --------------------------------------------------------------------------- the server (its own process)


def _statuses(port: int, count: int, now: datetime, tag: str = "bench") -> list[bytes]:
    """`count` statuses of one instance, oldest first, each pre-serialised (the server stays cheap)."""
    out = []
    for n in range(1, count + 1):
        when = now - timedelta(minutes=(count - n) * 10)
        out.append(
            orjson.dumps(
                {
                    "id": str(n),
                    "created_at": when.isoformat().replace("+00:00", "Z"),
                    "uri": f"http://127.0.0.1:{port}/users/u{n % 50}/statuses/{tag}-{n}",
                    "url": f"http://127.0.0.1:{port}/@u{n % 50}/{n}",
                    "content": f'<p>Kavehmart ارسال سریع بود {n} <a href="http://127.0.0.1:{port}/tags/bench" '
                    'class="mention hashtag" rel="tag">#<span>bench</span></a></p>',
                    "spoiler_text": "",
                    "language": "fa",
                    "replies_count": n % 3,
                    "reblogs_count": n % 5,
                    "favourites_count": n % 7,
                    "edited_at": None,
                    "reblog": None,
                    "account": {
                        "id": str(n % 50),
                        "username": f"u{n % 50}",
                        "acct": f"u{n % 50}",
                        "display_name": f"User {n % 50}",
                        "url": f"http://127.0.0.1:{port}/@u{n % 50}",
                        "followers_count": 100 + n % 50,
                    },
                    "mentions": [],
                    "tags": [{"name": "bench", "url": f"http://127.0.0.1:{port}/tags/bench"}],
                    "card": None,
                }
            )
        )
    return out


def serve(hosts: int, per_tag: int, tags: list[list[str]], ready: Any, stop: Any) -> None:
    """Run `hosts` instances on their own ports until `stop` is set; report the ports on `ready`."""

    async def main() -> None:
        now = datetime.now(UTC)
        runners, ports = [], []
        for host in range(hosts):
            histories: dict[str, list[bytes]] = {}

            async def timeline(request: web.Request, histories: dict[str, list[bytes]] = histories) -> web.Response:
                statuses = histories.get(request.match_info["tag"], [])
                q = request.query
                limit = min(int(q.get("limit", 20)), PAGE)
                hi = min(int(q["max_id"]) - 1, len(statuses)) if "max_id" in q else len(statuses)
                lo = int(q.get("since_id", 0))
                page = statuses[max(lo, hi - limit) : hi][::-1]
                headers = {}
                if page:
                    oldest = hi - len(page) + 1
                    headers["Link"] = f'<{request.url.with_query(max_id=oldest, limit=limit)}>; rel="next"'
                body = b"[" + b",".join(page) + b"]"
                return web.Response(body=body, content_type="application/json", headers=headers)

            app = web.Application()
            app.router.add_get("/api/v1/timelines/tag/{tag}", timeline)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0, backlog=512)
            await site.start()
            port = runner.addresses[0][1]
            for tag in tags[host]:
                histories[tag] = _statuses(port, per_tag, now, tag)
            runners.append(runner)
            ports.append(port)
        ready.send(ports)
        await asyncio.to_thread(stop.wait)
        for runner in runners:
            await runner.cleanup()

    asyncio.run(main())


# --------------------------------------------------------------------------- the pollers (this process)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backfill(
    ports: list[int], tags: list[list[str]], rate: float, burst: int, progress: Progress, server_pid: int
) -> dict[str, float]:
    """Every source backfills its hashtag's whole history once, at `rate` requests/s per host."""
    http = HttpConfig(per_host_rate=rate, per_host_burst=burst, timeout=timedelta(seconds=60), retries=2)
    label = "unlimited" if rate >= UNLIMITED else f"{rate:g}/s per host"
    task = progress.add_task(label, total=None)
    posts = 0
    sent = _requests_sent()
    async with create_session(http) as session:
        sources = [
            MastodonSource(
                f"bench-{port}-{tag}",
                MastodonSource.Options(
                    instances=[f"http://127.0.0.1:{port}"], hashtags=[tag], backfill="3650d", max_pages=100_000
                ),
                session,
            )
            for port, host_tags in zip(ports, tags, strict=True)
            for tag in host_tags
        ]

        async def drain(source: MastodonSource) -> None:
            nonlocal posts
            async for batch in source.fetch(None):
                posts += len(batch.posts)
                progress.update(task, description=f"{label}: {posts:,} posts")

        cpu, wall, server = time.process_time(), time.perf_counter(), cpu_seconds(server_pid)
        await asyncio.gather(*(drain(s) for s in sources))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        server = cpu_seconds(server_pid) - server
    progress.remove_task(task)
    return {"posts": posts, "requests": _requests_sent() - sent, "wall": wall, "cpu": cpu, "server": server}


def _requests_sent() -> float:
    """HTTP requests the polite session has made so far (trendwatch_http_requests_total)."""
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "trendwatch_http_requests"
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=200, help="sources, one hashtag each (default 200)")
    parser.add_argument("--hosts", type=int, default=20, help="instances the sources are spread over (default 20)")
    parser.add_argument("--pages", type=int, default=4, help="pages of 40 statuses of history per source (default 4)")
    parser.add_argument("--burst", type=int, default=4, help="http.per_host_burst (default 4)")
    parser.add_argument("--rates", default="2,4,8,unlimited", help="per-host rates to try (default 2,4,8,unlimited)")
    args = parser.parse_args()
    if not 1 <= args.hosts <= args.sources:
        parser.error("--hosts must be between 1 and --sources")
    rates = [UNLIMITED if r.strip() == "unlimited" else float(r) for r in args.rates.split(",")]
    tags = [[f"tag{i}" for i in range(h, args.sources, args.hosts)] for h in range(args.hosts)]

    console = Console()
    context = multiprocessing.get_context("spawn")
    ready_recv, ready_send = context.Pipe(duplex=False)
    stop = context.Event()
    server = context.Process(target=serve, args=(args.hosts, args.pages * PAGE, tags, ready_send, stop), daemon=True)
    server.start()
    ports: list[int] = ready_recv.recv()
    total = args.sources * args.pages * PAGE
    console.print(
        f"{args.sources} mastodon sources on {args.hosts} hosts, {args.pages} pages × {PAGE} statuses of history "
        f"each ({total:,} posts per row), burst {args.burst}; the server runs in its own process",
        highlight=False,
    )
    rows = []
    try:
        with Progress(console=console, transient=True) as progress:
            for rate in rates:
                assert server.pid is not None
                rows.append((rate, asyncio.run(backfill(ports, tags, rate, args.burst, progress, server.pid))))
    finally:
        stop.set()
        server.join(timeout=10)

    table = Table(
        "per-host rate", "ceiling posts/s", "posts/s", "requests/s",
        "our CPU %", "server CPU %", "wall s", "bounded by",
        title="mastodon sources backfilling local instances (CPU %: 100 = one core)", title_justify="left",
    )  # fmt: skip
    for rate, r in rows:
        posts_s, cpu_pct, server_pct = r["posts"] / r["wall"], 100 * r["cpu"] / r["wall"], 100 * r["server"] / r["wall"]
        if rate >= UNLIMITED:
            ceiling, bound = "-", "our CPU" if cpu_pct > 80 else "the server / the machine"
        else:
            per_host = max(len(t) for t in tags) * (args.pages + 1)  # requests, the last page of each empty
            limit = r["posts"] / max((per_host - args.burst) / rate, 1e-9)
            ceiling = f"{limit:,.0f}"
            if posts_s >= 0.8 * limit:
                bound = "rate limit"
            else:
                bound = "our CPU" if cpu_pct > 80 else "the server / the machine"
        table.add_row(
            "unlimited" if rate >= UNLIMITED else f"{rate:g}/s",
            ceiling,
            f"{posts_s:,.0f}",
            f"{r['requests'] / r['wall']:,.0f}",
            f"{cpu_pct:.0f}",
            f"{server_pct:.0f}",
            f"{r['wall']:.1f}",
            bound,
        )
    console.print(table)
    console.print(
        "ceiling = posts ÷ the time the slowest host's requests need at that rate after its burst. "
        "Figures are noisy on a shared machine: re-measure on a quiet one.",
        highlight=False,
    )


if __name__ == "__main__":
    main()
