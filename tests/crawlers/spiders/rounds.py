"""Running one round of a spider source the way the service does, and reading what it did."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from prometheus_client import REGISTRY

from crawlers.http import create_session
from crawlers.source import Batch
from crawlers.spiders.sources import RoundStats, SpiderSource
from trendwatch.config import HttpConfig
from trendwatch.models import Post

USER_AGENT = "trendwatch-tests/1.0 (+https://example.invalid/trendwatch)"


@dataclass
class Round:
    batches: list[Batch]
    stats: RoundStats
    start_cursor: Any
    error: Exception | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def posts(self) -> list[Post]:
        return [post for batch in self.batches for post in batch.posts]

    @property
    def ids(self) -> list[str]:
        return [post.native_id for post in self.posts]

    @property
    def cursor(self) -> Any:
        """What the service would have saved: the last committed batch's cursor."""
        return self.batches[-1].cursor if self.batches else self.start_cursor


def run_round(
    source_cls: type[SpiderSource],
    options: Any,
    cursor: Any = None,
    *,
    name: str = "test",
    stop_after: int | None = None,
) -> Round:
    """One round, consumed like the service consumes it; `stop_after` batches stops it early
    (the consumer closes the generator, which stops the child process)."""

    async def go() -> Round:
        async with create_session(HttpConfig(user_agent=USER_AGENT, timeout=timedelta(seconds=10))) as session:
            source = source_cls(name, options, session)
            batches: list[Batch] = []
            error: Exception | None = None
            stream = source.fetch(cursor)
            try:
                async for batch in stream:
                    batches.append(batch)
                    if stop_after is not None and len(batches) >= stop_after:
                        break
            except Exception as exc:
                error = exc
            finally:
                await stream.aclose()
            return Round(batches, source.stats, cursor, error)

    return asyncio.run(go())


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0
