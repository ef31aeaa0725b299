"""Asyncio loops: one per source, one per detector (aligned to bucket ends), one retrying
failed deliveries.

A loop never dies: a `SourceError` is logged as one line, counted by its reason and retried
with backoff (honouring `RateLimited.retry_after`); anything unexpected is logged with its
traceback, counted as `internal_error` and retried the same way. Every wait is jittered so
sources configured alike do not fire in lockstep. `run(stop)` returns once `stop` is set and
every loop has been cancelled; an interrupted round loses nothing, because cursors are only
saved after their posts are committed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from alerts.engine import next_run
from crawlers.source import Source
from trendwatch.errors import RateLimited, SourceError
from trendwatch.metrics import DETECTOR_ERRORS, SOURCE_ERRORS
from trendwatch.service.pipeline import Pipeline
from trendwatch.timeutil import utcnow
from trendwatch.waits import MAX_WAIT, finite_wait

log = structlog.get_logger(__name__)

RETRY_FLOOR = timedelta(seconds=15)
DELIVERY_RETRY_EVERY = timedelta(seconds=30)
REPORT_STATE = "report:last_sent"


@dataclass(frozen=True, slots=True)
class ReportJob:
    """A scheduled report: `send(now)` builds and e-mails it; sent every `every`."""

    every: timedelta
    send: Callable[[datetime], Awaitable[Any]]


@dataclass
class LoopHealth:
    last_ok: datetime | None = None
    last_error: datetime | None = None
    last_reason: str | None = None
    failures_in_a_row: int = 0


@dataclass
class Health:
    """What /health reports: when each loop last succeeded or failed."""

    started_at: datetime = field(default_factory=utcnow)
    sources: dict[str, LoopHealth] = field(default_factory=dict)
    detectors: dict[str, LoopHealth] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        def loops(items: dict[str, LoopHealth]) -> dict[str, Any]:
            return {
                name: {
                    "last_ok": h.last_ok.isoformat() if h.last_ok else None,
                    "last_error": h.last_error.isoformat() if h.last_error else None,
                    "last_reason": h.last_reason,
                    "failures_in_a_row": h.failures_in_a_row,
                }
                for name, h in items.items()
            }

        return {
            "started_at": self.started_at.isoformat(),
            "sources": loops(self.sources),
            "detectors": loops(self.detectors),
        }


def jittered(delay: timedelta, spread: float = 0.1) -> float:
    return max(0.0, delay.total_seconds() * (1 + random.uniform(-spread, spread)))


def retry_delay(interval: timedelta, failures: int, exc: BaseException) -> timedelta:
    """How long to wait after the n-th failure in a row: Retry-After when the platform said (at
    most a day, even when it said for ever; NaN is ignored), else exponential from 15 s, never
    longer than the normal interval."""
    if isinstance(exc, RateLimited) and exc.retry_after and (wait := finite_wait(min(exc.retry_after, MAX_WAIT))):
        return timedelta(seconds=wait)
    return min(max(interval, RETRY_FLOOR), RETRY_FLOOR * 2 ** min(failures - 1, 10))


class Scheduler:
    def __init__(
        self,
        pipeline: Pipeline,
        sources: Sequence[Source],
        engine: Any = None,
        detectors: Sequence[Any] = (),
        *,
        clock: Callable[[], datetime] = utcnow,
        health: Health | None = None,
        report: ReportJob | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.sources = list(sources)
        self.engine = engine
        self.detectors = list(detectors)
        self.clock = clock
        self.health = health or Health()
        self.report = report

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [asyncio.create_task(self._source_loop(s), name=f"source:{s.name}") for s in self.sources]
        if self.engine is not None:
            tasks += [asyncio.create_task(self._detector_loop(d), name=f"detector:{d.name}") for d in self.detectors]
            tasks.append(asyncio.create_task(self._delivery_loop(), name="deliveries"))
        if self.report is not None:
            tasks.append(asyncio.create_task(self._report_loop(self.report), name="report"))
        log.info("scheduler started", sources=len(self.sources), detectors=len(self.detectors))
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            log.info("scheduler stopped")

    async def _source_loop(self, source: Source) -> None:
        state = self.health.sources.setdefault(source.name, LoopHealth())
        while True:
            try:
                await self.pipeline.collect(source)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a loop must survive anything
                delay = self._failed(state, source.name, source.interval, exc)
            else:
                state.last_ok, state.failures_in_a_row = self.clock(), 0
                delay = source.interval
            await asyncio.sleep(jittered(delay))

    def _failed(self, state: LoopHealth, name: str, interval: timedelta, exc: Exception) -> timedelta:
        state.failures_in_a_row += 1
        state.last_error = self.clock()
        delay = retry_delay(interval, state.failures_in_a_row, exc)
        if isinstance(exc, SourceError):
            state.last_reason = exc.reason
            log.warning(
                "source round failed", source=name, reason=exc.reason, error=str(exc), retry_in_s=delay.total_seconds()
            )
        else:
            state.last_reason = "internal_error"
            log.error("source round crashed", source=name, retry_in_s=delay.total_seconds(), exc_info=exc)
        SOURCE_ERRORS.labels(source=name, reason=state.last_reason).inc()
        return delay

    async def _detector_loop(self, detector: Any) -> None:
        """Run just after each bucket closes (`next_run`), so an alert comes within one interval;
        a slow run makes the next one due at once rather than skipping a bucket."""
        state = self.health.detectors.setdefault(detector.name, LoopHealth())
        started = self.clock()
        while True:
            due = next_run(detector, started)
            await asyncio.sleep(max(0.0, (due - self.clock()).total_seconds()))
            started = self.clock()
            try:
                await self.engine.run(detector, started)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                state.failures_in_a_row += 1
                state.last_error, state.last_reason = self.clock(), type(exc).__name__
                DETECTOR_ERRORS.labels(rule=detector.name).inc()
                log.error("detector run failed", rule=detector.name, exc_info=exc)
            else:
                state.last_ok, state.failures_in_a_row = self.clock(), 0

    async def _delivery_loop(self) -> None:
        while True:
            await asyncio.sleep(jittered(DELIVERY_RETRY_EVERY))
            try:
                await self.engine.retry_deliveries(self.clock())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("retrying deliveries failed", exc_info=exc)

    async def _report_loop(self, job: ReportJob) -> None:
        """Send the report every `job.every`. The last send time is kept in the store, so a
        restart neither sends twice nor skips one; a failed send is retried after 15 minutes."""
        store = self.pipeline.store
        while True:
            last = await store.get_state(REPORT_STATE)
            if last is None:  # the schedule starts when the report is first configured
                last = self.clock().isoformat()
                await store.set_state(REPORT_STATE, last)
            due = datetime.fromisoformat(last) + job.every
            await asyncio.sleep(max(0.0, (due - self.clock()).total_seconds()))
            try:
                sent = await job.send(self.clock())
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("scheduled report failed; retrying in 15 minutes", exc_info=exc)
                await asyncio.sleep(jittered(RETRY_FLOOR * 60))
                continue
            await store.set_state(REPORT_STATE, self.clock().isoformat())
            log.info("scheduled report sent", report=str(sent))
