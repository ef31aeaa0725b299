"""The Competitor comparison view: every configured brand side by side — volume, reach, tone,
and what people complain about or praise (topics of posts negative or positive about it)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from trendwatch.config import BrandConfig
from trendwatch.models import Series, SeriesQuery
from trendwatch.service.local_buckets import local_series
from trendwatch.service.web import schema
from trendwatch.service.web.figures import brand_figures, series, terms
from trendwatch.service.web.params import Scope
from trendwatch.service.web.state import Env

TERMS = 8


async def _brand(
    env: Env, scope: Scope, brand: BrandConfig, own: bool, figures: schema.BrandFigures, found: Series | None
) -> schema.CompareBrand:
    store = env.store
    complaints, praise, hashtags = await asyncio.gather(
        store.facets(
            "topic",
            scope.since,
            scope.until,
            where=scope.where(brand=brand.name, tone="negative"),
            order="authors",
            limit=TERMS,
        ),
        store.facets(
            "topic",
            scope.since,
            scope.until,
            where=scope.where(brand=brand.name, tone="positive"),
            order="authors",
            limit=TERMS,
        ),
        store.facets(
            "hashtag", scope.since, scope.until, where=scope.where(brand=brand.name), order="authors", limit=TERMS
        ),
    )
    return schema.CompareBrand(
        **dict(figures),
        series=series(found, scope, env.clock),
        complaints=terms(complaints),
        praise=terms(praise),
        hashtags=terms(hashtags),
    )


async def compare_view(request: web.Request) -> schema.Compare:
    """GET /api/compare: all configured brands (the brand filter marks one, it hides none)."""
    env = Env.of(request)
    scope = env.scope(request)
    every_brand = scope.where(any_brand=True)
    now, before, found = await asyncio.gather(
        env.store.facets("brand", scope.since, scope.until, where=every_brand, limit=1000),
        env.store.facets("brand", *scope.previous, where=every_brand, limit=1000),
        local_series(
            env.store,
            SeriesQuery(kind="brand", step=scope.step, platform=scope.platform, lang=scope.lang),
            scope.since,
            scope.until,
            scope.grid,
        ),
    )
    configured = env.settings.brands
    this, last = {f.value: f for f in now}, {f.value: f for f in before}
    all_posts = sum(this[b.name].count for b in configured if b.name in this)
    by_subject = {s.subject: s for s in found}
    brands = await asyncio.gather(
        *(
            _brand(
                env,
                scope,
                b,
                i == 0,
                brand_figures(b.name, i == 0, this.get(b.name), last.get(b.name), all_posts),
                by_subject.get(b.name),
            )
            for i, b in enumerate(configured)
        )
    )
    return schema.Compare(window=scope.window(env.clock), filters=scope.filters(), brands=list(brands))
