"""`trendwatch demo`: the whole system on a synthetic week, offline, in under a minute.

1. Generate a week of Persian and English posts about a fictional brand and two competitors,
   with one injected incident (a burst of angry posts about the own brand).
2. Serve it from a local HTTP server that speaks the Mastodon API and RSS, plus a webhook
   endpoint that receives the alerts.
3. Run the real service against it: the real mastodon and rss sources fetch it over HTTP, the
   NLP worker pool enriches it, the embedded store keeps it.
4. Replay the detectors hour by hour across the week through the real alert engine (lifecycle,
   explanations, notifications), as if the service had been running all week.
5. Print the alerts with their explanations and serve the dashboard until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from aiohttp import web
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from alerts.engine import next_run
from alerts.explain import explain
from alerts.notifiers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from trendwatch.config import Settings
from trendwatch.models import Alert
from trendwatch.service import plugins
from trendwatch.service.app import Service, alert_context, stop_on_signals
from trendwatch.service.demo.server import DemoServer
from trendwatch.service.demo.synthetic import BRANDS, HOUR, Stream, generate
from trendwatch.timeutil import floor_time, utcnow

WEBHOOK_SECRET = "demo-secret"
WARM_UP = timedelta(days=2)  # detectors need some history before their verdicts mean anything


@dataclass(frozen=True, slots=True)
class DemoOptions:
    serve: bool = True
    port: int = 8765
    data_dir: Path | None = None
    days: int = 7
    seed: int = 7
    lang: Literal["en", "fa"] = "en"
    end: datetime | None = None
    """When the synthetic week ends (floored to the hour); default now. The stream is
    deterministic for a seed and an end, so a fixed end replays the same week exactly."""


@dataclass
class DemoReport:
    stream: Stream
    events: list[Alert] = field(default_factory=list)
    posts_stored: int = 0
    webhook_deliveries: int = 0
    seconds: float = 0.0
    url: str | None = None

    def opened(self) -> list[Alert]:
        return [e for e in self.events if e.status == "open"]


class WebhookSink:
    """The demo server's alert webhook: checks the HMAC signature and keeps what arrived."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.rejected = 0

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        if not verify_signature(WEBHOOK_SECRET.encode(), body, timestamp, request.headers.get(SIGNATURE_HEADER, "")):
            self.rejected += 1
            return web.json_response({"error": "bad signature"}, status=401)
        self.received.append(await request.json())
        return web.json_response({"ok": True})


def demo_config(base_url: str, db_path: Path, options: DemoOptions) -> dict[str, Any]:
    """The configuration a user would write for this setup (see deploy/config.example.yaml)."""
    brands = [
        {
            "name": b.name,
            "aliases": list(b.aliases),
            "handles": list(b.handles),
            "hashtags": list(b.hashtags),
            "language": options.lang,
        }
        for b in BRANDS
    ]
    persian = options.lang == "fa"
    history = f"{options.days}d"
    return {
        "brand": brands[0],
        "competitors": brands[1:],
        "display": {
            "timezone": "Asia/Tehran",
            "calendar": "jalali" if persian else "gregorian",
            "digits": "persian" if persian else "latin",
            "language": options.lang,
        },
        "store": {"type": "sqlite", "path": str(db_path)},
        "sources": [
            {
                "type": "mastodon",
                "name": "fediverse",
                "instances": [base_url],
                "timelines": ["public"],
                "backfill": f"{options.days + 1}d",
                "max_pages": 1000,
            },
            {
                "type": "rss",
                "name": "news",
                "feeds": [f"{base_url}/feeds/news.xml"],
                "backfill": f"{options.days + 1}d",
            },
        ],
        # Tens of posts an hour per brand: 15-minute buckets hold enough posts to judge. The demo
        # has `days` of history, so that is all a baseline can learn from.
        "detectors": [
            {"type": "volume_spike", "name": "mention-spike", "step": "15m", "interval": "15m", "lookback": history},
            {"type": "tone_shift", "name": "tone-shift", "lookback": history},
            {"type": "emerging_term", "name": "emerging-hashtags", "kind": "hashtag", "lookback": history},
        ],
        "notifiers": [
            {"type": "webhook", "name": "demo-webhook", "url": f"{base_url}/hooks/alerts", "secret": WEBHOOK_SECRET}
        ],
        "http": {"per_host_rate": 500, "per_host_burst": 50},
        "web": {"port": options.port},
        "logging": {"level": "warning"},
    }


async def run_demo(
    options: DemoOptions,
    console: Console | None = None,
    *,
    stop: asyncio.Event | None = None,
    on_serving: Callable[[DemoReport], None] | None = None,
) -> DemoReport:
    """Run the demo; with `options.serve`, serve the dashboard until `stop` is set (by default,
    until SIGINT/SIGTERM)."""
    console = console or Console()
    started = time.perf_counter()
    now = floor_time(options.end or utcnow(), HOUR)
    stream = generate(now, days=options.days, seed=options.seed)
    report = DemoReport(stream)
    sink = WebhookSink()
    server = DemoServer(stream.posts)
    app = server.app()
    app.router.add_post("/hooks/alerts", sink.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    console.print(
        f"[bold]trendwatch demo[/bold]: {len(stream.posts):,} synthetic posts over {options.days} days, "
        f"served as Mastodon API + RSS at {base_url}"
    )
    temp = tempfile.TemporaryDirectory(prefix="trendwatch-demo-") if options.data_dir is None else None
    data_dir = Path(temp.name) if temp else options.data_dir
    assert data_dir is not None
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        settings = plugins.from_data(demo_config(base_url, data_dir / "demo.db", options), file="<demo>")
        async with Service(settings) as service:
            await _collect(service, console)
            report.posts_stored = await service.store.count()
            report.events = await _replay(service, stream, now, console)
            await asyncio.sleep(0.2)  # let the last webhook deliveries land
            report.webhook_deliveries = len(sink.received)
            report.seconds = time.perf_counter() - started
            _print_report(console, settings, report)
            if options.serve:
                report.url = await service.start_web()
                console.print(f"\n[bold green]Dashboard:[/bold green] {report.url}   (Ctrl-C to stop)")
                if on_serving is not None:
                    on_serving(report)
                if stop is None:
                    stop = asyncio.Event()
                    undo = stop_on_signals(stop)
                    try:
                        await stop.wait()
                    finally:
                        undo()
                else:
                    await stop.wait()
    finally:
        await runner.cleanup()
        if temp:
            temp.cleanup()
    return report


async def _collect(service: Service, console: Console) -> None:
    """Fetch everything through the real sources (a long backfill may take several rounds)."""
    with console.status("starting the NLP workers…"):
        await service.enrich.warm_up()
    for source in service.sources:
        with console.status(f"collecting from {source.name}…"):
            for _ in range(10):
                result = await service.pipeline.collect(source)
                if result.received == 0:
                    break
        console.print(f"  {source.name}: stored, {await service.store.count():,} posts in the store so far")


async def _replay(service: Service, stream: Stream, now: datetime, console: Console) -> list[Alert]:
    """Run every detector at each of its run times over the week, as the running service would
    have (just after each bucket closes), through the real engine: lifecycle, explanations and
    notifications included."""
    runs: list[tuple[datetime, Any]] = []
    for detector in service.detectors:
        t = next_run(detector, stream.start + WARM_UP)
        while t <= now:
            runs.append((t, detector))
            t = next_run(detector, t)
    runs.sort(key=lambda run: run[0])
    events: list[Alert] = []
    columns = (TextColumn("replaying detectors"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("replay", total=len(runs))
        for at, detector in runs:
            events += await service.engine.run(detector, at)
            progress.advance(task)
    return events


def _print_report(console: Console, settings: Settings, report: DemoReport) -> None:
    stream = report.stream
    clock = settings.display.clock()
    counts = Counter(p.brand or "(no brand)" for p in stream.posts)
    table = Table("brand", "posts", title="What was collected", title_justify="left")
    for brand, count in counts.most_common():
        table.add_row(brand, f"{count:,}")
    console.print(table)
    console.print(
        f"Injected incident: {clock.format(stream.incident_start)} – {clock.format(stream.incident_end)} "
        f"({settings.display.timezone})"
    )
    opened = report.opened()
    console.print(f"\n[bold]{len(opened)} alert(s) raised[/bold] ({len(report.events)} lifecycle events):")
    context = alert_context(settings)
    for event in report.events:
        if event.status != "open":
            continue
        console.rule(style="dim")
        console.print(explain(event, context).text(), markup=False, highlight=False)
    console.rule(style="dim")
    console.print(
        f"{report.posts_stored:,} posts stored; {report.webhook_deliveries} notification(s) delivered to the "
        f"signed webhook; done in {report.seconds:.1f} s."
    )


def in_incident(events: Sequence[Alert], stream: Stream, slack: timedelta = HOUR) -> list[Alert]:
    return [e for e in events if stream.incident_start <= e.at <= stream.incident_end + slack]
