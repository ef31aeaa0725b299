"""The Brand drill-down view: one brand by platform and language, its tone over time, and the
posts and authors with the most engagement."""

from __future__ import annotations

import asyncio

from aiohttp import web

from indexer.store import Facet
from trendwatch.models import SeriesQuery
from trendwatch.service.local_buckets import local_series
from trendwatch.service.web import schema
from trendwatch.service.web.figures import brand_figures, facet_tone, series, terms
from trendwatch.service.web.posts import post_item
from trendwatch.service.web.state import Env

TOP = 10


def _breakdown(found: list[Facet]) -> list[schema.Breakdown]:
    total = sum(f.count for f in found) or 1
    return [
        schema.Breakdown(
            value=f.value,
            posts=f.count,
            authors=f.authors,
            engagement=f.engagement,
            share=round(f.count / total, 4),
            tone=facet_tone(f),
        )
        for f in found
    ]


async def drilldown_view(request: web.Request) -> schema.Drilldown:
    """GET /api/brand: the `brand` filter's brand (default: the own brand)."""
    env = Env.of(request)
    scope = env.scope(request)
    settings = env.settings
    name = scope.brand or settings.brand.name
    store = env.store
    where = scope.where(brand=name)
    every_brand = scope.where(any_brand=True)
    now, before, found = await asyncio.gather(
        store.facets("brand", scope.since, scope.until, where=every_brand, limit=1000),
        store.facets("brand", *scope.previous, where=every_brand, limit=1000),
        local_series(
            store,
            SeriesQuery(kind="brand", step=scope.step, subject=name, platform=scope.platform, lang=scope.lang),
            scope.since,
            scope.until,
            scope.grid,
        ),
    )
    platforms, languages, top_posts, top_authors, hashtags, topics = await asyncio.gather(
        store.facets("platform", scope.since, scope.until, where=where, limit=50),
        store.facets("lang", scope.since, scope.until, where=where, limit=50),
        store.posts(scope.since, scope.until, where=where, order="engagement", limit=TOP),
        store.facets("author", scope.since, scope.until, where=where, order="engagement", limit=TOP),
        store.facets("hashtag", scope.since, scope.until, where=where, order="authors", limit=TOP),
        store.facets("topic", scope.since, scope.until, where=where, order="authors", limit=TOP),
    )
    names = {b.name for b in settings.brands}
    this, last = {f.value: f for f in now}, {f.value: f for f in before}
    all_posts = sum(f.count for f in now if f.value in names)
    return schema.Drilldown(
        window=scope.window(env.clock),
        filters=scope.filters().model_copy(update={"brand": name}),
        brand=brand_figures(name, name == settings.brand.name, this.get(name), last.get(name), all_posts),
        series=series(found[0] if found else None, scope, env.clock),
        platforms=_breakdown(platforms),
        languages=_breakdown(languages),
        top_posts=[post_item(p, env.clock) for p in top_posts],
        top_authors=[
            schema.AuthorRow(id=f.value, handle=f.label, posts=f.count, engagement=f.engagement, tone=facet_tone(f))
            for f in top_authors
        ],
        hashtags=terms(hashtags),
        topics=terms(topics),
    )
