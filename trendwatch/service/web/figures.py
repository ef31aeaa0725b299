"""Figures the views share, computed from the store's answers: tone with its uncertainty,
chart series in display time, brand figures with share and change, terms once per spelling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from indexer.store import Facet
from trendwatch.models import Bucket, Series
from trendwatch.service.tone import net_sentiment
from trendwatch.service.web import schema
from trendwatch.service.web.params import Scope
from trendwatch.timeutil import DisplayClock

T = TypeVar("T")


def tone(positive: int, negative: int, posts: int, sentiment_sum: float) -> schema.Tone:
    """Net sentiment (each post scores +1, 0 or -1) with the half-width of its 95% interval."""
    net = net_sentiment(positive, negative, posts)
    if net is None:
        return schema.Tone(positive=0, neutral=0, negative=0, net=None, margin=None, mean=None)
    return schema.Tone(
        positive=positive,
        neutral=posts - positive - negative,
        negative=negative,
        net=round(net[0], 4),
        margin=round(net[1], 4),
        mean=round(sentiment_sum / posts, 4),
    )


def facet_tone(facet: Facet | None) -> schema.Tone:
    if facet is None:
        return tone(0, 0, 0, 0.0)
    return tone(facet.positive, facet.negative, facet.count, facet.sentiment_sum)


def local_time(clock: DisplayClock, value: datetime) -> str:
    """Wall-clock time in the display zone without an offset: what a chart axis shows."""
    return clock.local(value).replace(tzinfo=None).isoformat(timespec="minutes")


def series(found: Series | None, scope: Scope, clock: DisplayClock) -> schema.Series:
    """The buckets of [since, until), zero-filled, with local times for the chart."""
    by_start = {b.start: b for b in found.buckets} if found is not None else {}
    buckets = [by_start.get(t) or Bucket(start=t, count=0) for t in scope.grid.starts(scope.since, scope.until)]
    return schema.Series(
        times=[local_time(clock, b.start) for b in buckets],
        posts=[b.count for b in buckets],
        authors=[b.authors for b in buckets],
        positive=[b.positive for b in buckets],
        negative=[b.negative for b in buckets],
        net=[round((b.positive - b.negative) / b.count, 4) if b.count else None for b in buckets],
    )


def one_spelling(found: Iterable[T], name: Callable[[T], str]) -> list[T]:
    """Terms in rank order, each once. One term can reach the store in two spellings — a
    platform's hashtag with `_` and the NLP stage's with a space (`ارسال_رایگان`, `ارسال رایگان`)
    — from the same posts; only the better ranked spelling is kept."""
    out, seen = [], set()
    for item in found:
        key = name(item).replace("_", " ")
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def terms(found: Iterable[Facet]) -> list[schema.Term]:
    return [schema.Term(term=f.value, posts=f.count, authors=f.authors) for f in one_spelling(found, lambda f: f.value)]


def brand_figures(name: str, own: bool, now: Facet | None, before: Facet | None, all_posts: int) -> schema.BrandFigures:
    """One brand's figures; views that show more extend them with `dict(figures)`."""
    posts = now.count if now else 0
    previous = before.count if before else 0
    return schema.BrandFigures(
        name=name,
        own=own,
        posts=posts,
        authors=now.authors if now else 0,
        engagement=now.engagement if now else 0,
        share=round(posts / all_posts, 4) if all_posts else None,
        previous_posts=previous,
        change=round((posts - previous) / previous, 4) if previous else None,
        tone=facet_tone(now),
    )
