"""Running the NLP pipeline off the event loop, in worker processes, in batches.

spaCy work is CPU-bound; the service's event loop must keep polling sources and serving the web
page meanwhile. Each worker process builds the enricher once (from the config alone) and then
enriches the batches it is sent. Posts cross the process boundary without their raw payload
(the NLP stage never needs it), which keeps pickling cheap.

If a worker dies (BrokenProcessPool) the pool is rebuilt and the batch retried once; a second
failure propagates, so the caller does not commit the batch or save the source's cursor and the
posts are fetched again on the next round.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import structlog

from nlp.enricher import Enricher, build_enricher
from trendwatch.config import BrandConfig, NlpConfig
from trendwatch.errors import TrendwatchError
from trendwatch.metrics import ENRICH_SECONDS
from trendwatch.models import Enrichment, Post

log = structlog.get_logger(__name__)

_worker_enricher: Enricher | None = None
_worker_failure: str | None = None


class NlpStartupError(TrendwatchError):
    """The NLP pipeline could not be built in a worker (bad model directory, broken install)."""


def _init_worker(nlp_config: dict[str, Any], brands: list[dict[str, Any]]) -> None:
    # An exception escaping an initializer only breaks the pool ("terminated abruptly"); keep it
    # and report it from the first call instead, so the user sees what actually went wrong.
    global _worker_enricher, _worker_failure
    try:
        _worker_enricher = build_enricher(
            NlpConfig.model_validate(nlp_config), [BrandConfig.model_validate(b) for b in brands]
        )
    except Exception as exc:
        _worker_failure = f"{type(exc).__name__}: {exc}"


def _enrich_in_worker(posts: Sequence[Post]) -> list[Enrichment]:
    if _worker_enricher is None:
        raise NlpStartupError(f"the NLP pipeline could not start: {_worker_failure or 'worker not initialised'}")
    return _worker_enricher(posts)


class EnrichmentPool:
    """An async callable: `await pool(posts) -> list[Enrichment]`, computed in worker processes."""

    def __init__(self, config: NlpConfig, brands: Sequence[BrandConfig]) -> None:
        self._initargs = (config.model_dump(mode="json"), [b.model_dump(mode="json") for b in brands])
        self._workers = config.workers
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        # "spawn": a clean interpreter per worker; forking a process that runs an event loop and
        # SQLite threads is unsafe.
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=self._initargs,
        )

    async def warm_up(self) -> None:
        """Build the pipeline in every worker now rather than on the first batch."""
        await asyncio.gather(*(self(()) for _ in range(self._workers)))

    async def __call__(self, posts: Sequence[Post]) -> list[Enrichment]:
        light = [dataclasses.replace(p, raw=None) for p in posts]
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        try:
            result = await loop.run_in_executor(self._executor, _enrich_in_worker, light)
        except BrokenProcessPool:
            log.warning("nlp worker died; restarting the pool and retrying the batch", posts=len(light))
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._start()
            result = await loop.run_in_executor(self._executor, _enrich_in_worker, light)
        ENRICH_SECONDS.observe(time.perf_counter() - started)
        return result

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for health and benchmarks)."""
        return [p.pid for p in (self._executor._processes or {}).values() if p.pid is not None]

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
