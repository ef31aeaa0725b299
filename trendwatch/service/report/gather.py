"""Reading a report's content from the store, through the Store protocol only.

Per brand: a series of mention buckets over the period (for the chart), one bucket over the
whole period (exact unique authors and tone), the same for the previous period of equal length
(for the change), its top hashtags and topics, and its most engaging posts (the store's
`drivers` examples, read back with `get` for their engagement). Then the alerts whose latest
event falls in the period, one line per alert.

Chart buckets follow the display zone's calendar (a day from local midnight, so a Jalali date
holds that local day; `trendwatch.service.local_buckets`). The store's own buckets are aligned to
the Unix epoch (the Store contract): a step longer than the time since the epoch puts the whole
window into one bucket, which is how a period total with exact unique authors is asked for
without a dedicated store method.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from trendwatch.config import Settings
from trendwatch.errors import TrendwatchError
from trendwatch.models import Alert, Bucket, Drivers, EnrichedPost, Series, SeriesQuery, TermCount
from trendwatch.service.local_buckets import LocalGrid, local_series, whole_window
from trendwatch.service.report.model import BrandSummary, Language, Report, ReportRequest, TopPost
from trendwatch.timeutil import OutOfRange, ago, utcnow

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class ReportError(TrendwatchError):
    """The report cannot be made as asked (unknown brand, empty period, unwritable output)."""


class ReportStore(Protocol):
    """The part of `indexer.store.Store` a report reads."""

    async def series(self, query: SeriesQuery, since: datetime, until: datetime) -> list[Series]: ...

    async def top_terms(
        self,
        kind: Any,
        since: datetime,
        until: datetime,
        *,
        brand: str | None = None,
        lang: str | None = None,
        limit: int = 20,
    ) -> list[TermCount]: ...

    async def drivers(
        self, query: SeriesQuery, subject: str, since: datetime, until: datetime, limit: int = 5
    ) -> Drivers: ...

    async def get(self, ids: Sequence[str]) -> list[EnrichedPost]: ...

    async def alerts(self, *, since: datetime | None = None, status: Any = None, limit: int = 200) -> list[Alert]: ...


def make_request(
    settings: Settings,
    *,
    span: timedelta,
    until: datetime | None = None,
    brands: Sequence[str] = (),
    language: Language | None = None,
) -> ReportRequest:
    """The request for the `span` before `until` (default: the last full hour), brands by name.

    Brand names match the configuration case-insensitively; an unknown one is an error that lists
    the known ones. No brands means every configured brand, the own brand first.
    """
    if span < HOUR:
        raise ReportError(f"the period must be at least an hour (got {span})")
    known = {b.name.casefold(): b.name for b in settings.brands}
    chosen: list[str] = []
    for name in brands:
        match = known.get(name.strip().casefold())
        if match is None:
            raise ReportError(f"unknown brand {name!r}; configured: {', '.join(b.name for b in settings.brands)}")
        if match not in chosen:
            chosen.append(match)
    ordered = [b.name for b in settings.brands if not chosen or b.name in chosen]
    end = until if until is not None else LocalGrid(settings.display.timezone, HOUR).floor(utcnow())
    try:
        since = ago(end, span)
    except OutOfRange as exc:
        raise ReportError(f"the period is too long: {exc}") from None
    return ReportRequest(
        since=since,
        until=end,
        brands=tuple(ordered),
        other_brands=tuple(b.name for b in settings.brands if b.name not in ordered),
        own_brand=settings.brand.name,
        language=language or settings.display.language,
        clock=settings.display.clock(),
    )


def step_for(span: timedelta) -> timedelta:
    """Hourly buckets up to two days, daily up to ~three months, weekly beyond."""
    if span <= 2 * DAY:
        return HOUR
    if span <= 92 * DAY:
        return DAY
    return 7 * DAY


async def gather(store: ReportStore, request: ReportRequest, *, now: datetime | None = None) -> Report:
    step = step_for(request.span)
    per_brand = await asyncio.gather(*(_brand(store, request, brand, step) for brand in request.brands))
    total = sum(s.mentions for s in per_brand) or 1
    brands = tuple(replace(summary, share=summary.mentions / total) for summary in per_brand)
    return Report(
        request=request,
        generated_at=now or utcnow(),
        step=step,
        brands=brands,
        alerts=await _alerts(store, request),
    )


async def _brand(store: ReportStore, request: ReportRequest, brand: str, step: timedelta) -> BrandSummary:
    since, until = request.since, request.until
    whole = whole_window(until)
    detail = SeriesQuery(kind="brand", step=step, subject=brand)
    grid = LocalGrid(request.clock.tz, step)
    series, total, previous, hashtags, topics, drivers = await asyncio.gather(
        local_series(store, detail, since, until, grid),
        store.series(SeriesQuery(kind="brand", step=whole, subject=brand), since, until),
        store.series(SeriesQuery(kind="brand", step=whole, subject=brand), since - request.span, since),
        store.top_terms("hashtag", since, until, brand=brand, limit=request.top_terms),
        store.top_terms("topic", since, until, brand=brand, limit=request.top_terms),
        store.drivers(detail, brand, since, until, limit=max(request.top_posts * 3, 5)),
    )
    buckets = _dense(series[0] if series else None, since, until, grid)
    period = [b for s in total for b in s.buckets]
    before = [b for s in previous for b in s.buckets]
    posts = await store.get([p.id for p in drivers.posts]) if drivers.posts else []
    return BrandSummary(
        brand=brand,
        own=brand == request.own_brand,
        mentions=sum(b.count for b in period),
        previous_mentions=sum(b.count for b in before),
        authors=sum(b.authors for b in period),
        positive=sum(b.positive for b in period),
        negative=sum(b.negative for b in period),
        share=0.0,
        series=buckets,
        hashtags=tuple(hashtags),
        topics=tuple(topics),
        top_posts=_top_posts(brand, posts, request.top_posts),
    )


def _dense(series: Series | None, since: datetime, until: datetime, grid: LocalGrid) -> tuple[Bucket, ...]:
    by_start = {b.start: b for b in series.buckets} if series else {}
    return tuple(by_start.get(t) or Bucket(start=t, count=0) for t in grid.starts(since, until))


def _top_posts(brand: str, posts: Sequence[EnrichedPost], limit: int) -> tuple[TopPost, ...]:
    top = []
    for stored in posts:
        post = stored.post
        author = post.author.handle or post.author.name or post.author.id if post.author else None
        top.append(
            TopPost(
                id=post.id,
                brand=brand,
                text=post.text,
                url=post.url,
                author=author,
                platform=post.platform,
                created_at=post.created_at,
                sentiment=stored.enrichment.brand_sentiment.get(brand, stored.enrichment.sentiment),
                likes=post.engagement.likes,
                reposts=post.engagement.reposts,
                replies=post.engagement.replies,
                views=post.engagement.views,
            )
        )
    top.sort(key=lambda p: (p.engagement, p.created_at), reverse=True)
    return tuple(top[:limit])


async def _alerts(store: ReportStore, request: ReportRequest, limit: int = 2000) -> tuple[Alert, ...]:
    """The latest event in the period of each alert, oldest first.

    Alerts about a configured brand left out of the report are left out too, unless they relate
    to a brand in it; alerts about terms (emerging topics, hashtags) are kept.
    """
    events = await store.alerts(since=request.since, limit=limit)
    chosen = set(request.brands)
    latest: dict[str, Alert] = {}
    for event in events:  # newest first
        if event.at >= request.until or event.key in latest:
            continue
        if event.subject in request.other_brands and not chosen.intersection(event.related):
            continue
        latest[event.key] = event
    return tuple(sorted(latest.values(), key=lambda a: (a.started_at, a.key)))
