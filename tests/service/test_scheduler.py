"""The scheduler's loops on a real store: sources survive failures with backoff, the scheduled
report keeps its last send time in the store across restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

import pytest

from crawlers.source import Batch
from indexer.sqlite import SqliteStore
from trendwatch.errors import RateLimited, SourceError
from trendwatch.metrics import SOURCE_ERRORS
from trendwatch.models import Enrichment, Post
from trendwatch.service.pipeline import Pipeline
from trendwatch.service.scheduler import REPORT_STATE, ReportJob, Scheduler, retry_delay
from trendwatch.waits import MAX_WAIT


async def _no_enrich(posts: Any) -> list[Enrichment]:
    return []


async def _run_for(scheduler: Scheduler, seconds: float) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(scheduler.run(stop))
    await asyncio.sleep(seconds)
    stop.set()
    await asyncio.wait_for(task, 5)


async def test_report_sent_on_schedule_and_restart_does_not_resend(store: SqliteStore) -> None:
    sent: list[datetime] = []

    async def send(now: datetime) -> str:
        sent.append(now)
        return "ok"

    job = ReportJob(every=timedelta(seconds=0.4), send=send)
    await _run_for(Scheduler(Pipeline(store, _no_enrich), [], report=job), 1.0)
    assert len(sent) == 2
    last = datetime.fromisoformat(await store.get_state(REPORT_STATE))
    assert last >= sent[-1]
    # A restart shortly after a send waits for the rest of the interval instead of resending.
    await _run_for(Scheduler(Pipeline(store, _no_enrich), [], report=job), 0.1)
    assert len(sent) == 2


class _Flaky:
    """A source whose rounds fail twice (a 429, then a 500) and then succeed."""

    Options: ClassVar[Any] = None
    description: ClassVar[str] = "test"
    name = "flaky"
    interval = timedelta(seconds=0.05)

    def __init__(self) -> None:
        self.rounds = 0

    async def fetch(self, cursor: Any) -> AsyncIterator[Batch]:
        self.rounds += 1
        if self.rounds == 1:
            raise RateLimited("slow down", retry_after=0.05)
        if self.rounds == 2:
            raise SourceError("server error", reason="http_500")
        posts: tuple[Post, ...] = ()
        yield Batch(posts, {"round": self.rounds})


async def test_source_loop_survives_errors_counts_them_and_saves_the_cursor(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("trendwatch.service.scheduler.RETRY_FLOOR", timedelta(seconds=0.05))
    before = {r: SOURCE_ERRORS.labels(source="flaky", reason=r)._value.get() for r in ("rate_limited", "http_500")}
    source = _Flaky()
    scheduler = Scheduler(Pipeline(store, _no_enrich), [source])
    await _run_for(scheduler, 0.6)
    assert source.rounds >= 3
    assert SOURCE_ERRORS.labels(source="flaky", reason="rate_limited")._value.get() == before["rate_limited"] + 1
    assert SOURCE_ERRORS.labels(source="flaky", reason="http_500")._value.get() == before["http_500"] + 1
    assert (await store.get_state("cursor:flaky"))["round"] >= 3
    health = scheduler.health.sources["flaky"]
    assert health.failures_in_a_row == 0
    assert health.last_reason == "http_500"


def test_retry_delay_honours_retry_after_then_backs_off_exponentially() -> None:
    hour = timedelta(hours=1)
    assert retry_delay(hour, 1, RateLimited("x", retry_after=120)) == timedelta(seconds=120)
    assert [retry_delay(hour, n, SourceError("x")).total_seconds() for n in (1, 2, 3)] == [15, 30, 60]
    assert retry_delay(timedelta(minutes=1), 9, SourceError("x")) == timedelta(minutes=1)


def test_retry_delay_never_overflows_on_an_endless_retry_after() -> None:
    """The bug: `Retry-After: inf` reached `timedelta(seconds=inf)`, whose OverflowError escaped
    the source loop and ended it."""
    hour = timedelta(hours=1)
    assert retry_delay(hour, 1, RateLimited("x", retry_after=float("inf"))) == timedelta(seconds=MAX_WAIT)
    assert retry_delay(hour, 1, RateLimited("x", retry_after=1e300)) == timedelta(seconds=MAX_WAIT)
    assert retry_delay(hour, 1, RateLimited("x", retry_after=float("nan"))) == timedelta(seconds=15)
