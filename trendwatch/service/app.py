"""The running service: every stage wired together from one Settings object.

`Service` is an async context manager. Entering it opens the store, the shared HTTP session,
the NLP worker pool, the configured sources, detectors and notifiers, and the alert engine;
`serve(stop)` starts the web server and the scheduler and returns when `stop` is set; leaving it
closes everything in reverse order. `trendwatch run` and `trendwatch demo` both use it, so the
demo exercises exactly the production path.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import datetime
from types import TracebackType
from typing import Any

import structlog
from aiohttp import web

from alerts.engine import AlertEngine
from alerts.explain import AlertContext
from crawlers.http import create_session
from trendwatch.config import Settings
from trendwatch.service import plugins
from trendwatch.service.enrichment import EnrichmentPool
from trendwatch.service.pipeline import Pipeline, source_filters
from trendwatch.service.report.schedule import send_scheduled_report
from trendwatch.service.scheduler import Health, ReportJob, Scheduler
from trendwatch.service.web import create_app
from trendwatch.timeutil import utcnow

log = structlog.get_logger(__name__)


def alert_context(settings: Settings) -> AlertContext:
    """Brands (their languages), display clock and dashboard URL for explaining alerts."""
    web_config = settings.web
    base = web_config.public_url or f"http://{web_config.host}:{web_config.port}"
    return AlertContext(brands=tuple(settings.brands), clock=settings.display.clock(), dashboard_url=base)


class Service:
    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.settings = settings
        self.clock = clock
        self.health = Health()
        self._stack = AsyncExitStack()
        self.url: str | None = None

    async def __aenter__(self) -> Service:
        settings, stack = self.settings, self._stack
        try:
            self.store = plugins.build_store(settings)
            await self.store.open()
            stack.push_async_callback(self.store.close)
            self.session = await stack.enter_async_context(create_session(settings.http))
            self.enrich = EnrichmentPool(settings.nlp, settings.brands)
            stack.callback(self.enrich.close)
            self.pipeline = Pipeline(self.store, self.enrich, settings.ingest, source_filters(settings))
            self.sources = plugins.build_sources(settings, self.session)
            self.detectors = plugins.build_detectors(settings)
            self.notifiers = plugins.build_notifiers(settings, self.session)
            self.engine = AlertEngine(self.store, self.detectors, self.notifiers, alert_context(settings))
        except BaseException:
            await stack.aclose()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    async def start_web(self) -> str:
        """Start the web server; returns its base URL (port 0 picks a free port)."""
        app = create_app(self.store, self.settings, self.health)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        self._stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, self.settings.web.host, self.settings.web.port)
        await site.start()
        port = runner.addresses[0][1]
        self.url = f"http://{self.settings.web.host}:{port}/"
        return self.url

    async def serve(self, stop: asyncio.Event) -> None:
        """Run the web server and every loop until `stop` is set."""
        await self.enrich.warm_up()
        url = await self.start_web()
        log.info("trendwatch running", url=url, sources=[s.name for s in self.sources])
        scheduler = Scheduler(
            self.pipeline,
            self.sources,
            self.engine,
            self.detectors,
            clock=self.clock,
            health=self.health,
            report=self.report_job(),
        )
        await scheduler.run(stop)

    def report_job(self) -> ReportJob | None:
        schedule = self.settings.report
        if schedule is None:
            return None
        store, settings = self.store, self.settings

        async def send(now: datetime) -> Any:
            return await send_scheduled_report(store, settings, schedule, now=now)

        return ReportJob(schedule.every, send)


def stop_on_signals(stop: asyncio.Event) -> Callable[[], None]:
    """Set `stop` on SIGINT/SIGTERM (a second signal exits at once); returns an undo function."""
    loop = asyncio.get_running_loop()
    hits = {"n": 0}

    def handle(signum: int) -> None:
        hits["n"] += 1
        if hits["n"] > 1:
            raise SystemExit(130)
        log.info("shutting down", signal=signal.Signals(signum).name)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, handle, signum)

    def undo() -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)

    return undo


async def run_service(settings: Settings, **kwargs: Any) -> None:
    stop = asyncio.Event()
    undo = stop_on_signals(stop)
    try:
        async with Service(settings, **kwargs) as service:
            await service.serve(stop)
    finally:
        undo()
