"""The Overview view: how much each brand is talked about, by whom, in what tone; what people
talk about, what is new, and which alerts are open."""

from __future__ import annotations

import asyncio
import itertools

from aiohttp import web

from trendwatch.models import SeriesQuery
from trendwatch.service.local_buckets import local_series
from trendwatch.service.web import schema
from trendwatch.service.web.alerts import episodes
from trendwatch.service.web.figures import brand_figures, one_spelling, series, terms
from trendwatch.service.web.params import Scope
from trendwatch.service.web.state import Env

TOP_TERMS = 15
EMERGING = 10
EMERGING_MIN_POSTS = 3


def recent_part(scope: Scope) -> Scope:
    """The last seventh of the window (a day of a week), whole buckets, at least one bucket."""
    buckets = max(1, round(scope.span / scope.step / 7))
    return Scope(since=scope.until - buckets * scope.step, until=scope.until, step=scope.step)


async def emerging_terms(env: Env, scope: Scope) -> list[schema.EmergingTerm]:
    """Hashtags and topics of the recent part against the rest of the window (the store's
    significant terms; its query narrows by brand and language, not by platform)."""
    recent = recent_part(scope)
    found: dict[str, list[schema.EmergingTerm]] = {}
    for kind in ("hashtag", "topic"):
        rising = await env.store.emerging_terms(
            kind,
            recent.since,
            recent.until,
            scope.since,
            recent.since,
            brand=scope.brand,
            lang=scope.lang,
            limit=EMERGING,
            min_count=EMERGING_MIN_POSTS,
        )
        found[kind] = [
            schema.EmergingTerm(term=t.term, kind=kind, posts=t.count, authors=t.authors)
            for t in one_spelling(rising, lambda t: t.term)
        ]
    mixed = [t for pair in itertools.zip_longest(found["hashtag"], found["topic"]) for t in pair if t is not None]
    return mixed[:EMERGING]


async def overview_view(request: web.Request) -> schema.Overview:
    """GET /api/overview."""
    env = Env.of(request)
    scope = env.scope(request)
    store = env.store
    every_brand = scope.where(any_brand=True)
    now, before, found = await asyncio.gather(
        store.facets("brand", scope.since, scope.until, where=every_brand, limit=1000),
        store.facets("brand", *scope.previous, where=every_brand, limit=1000),
        local_series(
            store,
            SeriesQuery(kind="brand", step=scope.step, subject=scope.brand, platform=scope.platform, lang=scope.lang),
            scope.since,
            scope.until,
            scope.grid,
        ),
    )
    hashtags, topics, rising, alerts = await asyncio.gather(
        store.facets("hashtag", scope.since, scope.until, where=scope.where(), order="authors", limit=TOP_TERMS),
        store.facets("topic", scope.since, scope.until, where=scope.where(), order="authors", limit=TOP_TERMS),
        emerging_terms(env, scope),
        episodes(env, scope),
    )
    configured = env.settings.brands
    this, last = {f.value: f for f in now}, {f.value: f for f in before}
    all_posts = sum(this[b.name].count for b in configured if b.name in this)
    by_subject = {s.subject: s for s in found}
    brands = [
        schema.OverviewBrand(
            **dict(brand_figures(b.name, b is configured[0], this.get(b.name), last.get(b.name), all_posts)),
            series=series(by_subject.get(b.name), scope, env.clock),
        )
        for b in configured
        if scope.brand is None or b.name == scope.brand
    ]
    return schema.Overview(
        window=scope.window(env.clock),
        filters=scope.filters(),
        brands=brands,
        hashtags=terms(hashtags),
        topics=terms(topics),
        emerging=rising,
        alerts=alerts[:10],
    )
