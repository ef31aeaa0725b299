"""The Source protocol: how every collector (aiohttp poller or Scrapy spider) hands posts on.

A source is constructed once from its typed options, as `cls(name, options, session)` where
`session` is the shared `aiohttp.ClientSession` made by `crawlers.http.create_session` (one
User-Agent, timeouts, retry/backoff, per-host rate limits). A constructor that cannot work with
what it was given raises `NotConfigured`; the service skips the source with one warning.

`fetch(cursor)` is one round of collection, an async generator. It yields `Batch`es in order; each carries the posts
and the cursor that is true *once those posts are committed*. The service stores the posts, then
saves the cursor, then pulls the next batch: at-least-once delivery plus idempotent writes, so a
crash at any moment loses nothing and duplicates nothing. `cursor` is what the last committed
batch returned (None on first run); it must be JSON-serialisable.

Failures: a failure that ends the round raises a `SourceError` subclass (the scheduler logs one
line, counts it by `reason` and backs off, honouring `RateLimited.retry_after`); a single bad
item inside an otherwise good response is logged, counted in `SOURCE_ERRORS` and skipped by the
source itself. A query (a search, a feed, a channel, a site) that ends a round without a new
post is logged and counted once as `empty_results` (`found_nothing`): the round itself
succeeded. `to_post(raw)` is pure: it maps one raw item to a Post or raises `DropPost`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel

from trendwatch.metrics import SOURCE_ERRORS
from trendwatch.models import Post

Cursor = Any  # JSON-serialisable: dicts, lists, strings, numbers
EMPTY = "empty_results"
"""The reason a query that found no new post in a round is counted under."""


@dataclass(frozen=True, slots=True)
class Batch:
    """Posts to commit, then the cursor to save once they are committed."""

    posts: tuple[Post, ...]
    cursor: Cursor


class Source(Protocol):
    """A configured collector. `interval` is how long the scheduler waits between rounds."""

    Options: ClassVar[type[BaseModel]]
    description: ClassVar[str]
    name: str
    interval: timedelta

    def fetch(self, cursor: Cursor | None) -> AsyncGenerator[Batch, None]:
        """One round of collection, resuming after `cursor`."""
        ...


def found_nothing(source: str, query: str, log: Any) -> None:
    """Count and log a query of `source` that brought no new post this round: not an error of
    the round, but a query that never finds anything (a misspelt hashtag, a dead feed, a silent
    channel) shows up on /metrics."""
    SOURCE_ERRORS.labels(source=source, reason=EMPTY).inc()
    log.info("query found nothing new", reason=EMPTY, query=query)
