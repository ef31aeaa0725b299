"""What the page needs before it draws anything: brands, display settings, filter choices."""

from __future__ import annotations

import asyncio

from aiohttp import web

import trendwatch
from trendwatch.service.web import schema
from trendwatch.service.web.state import Env


async def meta_view(request: web.Request) -> schema.Meta:
    """GET /api/meta: brands, display settings, and the platforms and languages in the window."""
    env = Env.of(request)
    scope = env.scope(request)
    settings = env.settings
    platforms, languages = await asyncio.gather(
        env.store.facets("platform", scope.since, scope.until, limit=100),
        env.store.facets("lang", scope.since, scope.until, limit=100),
    )
    display = settings.display
    return schema.Meta(
        version=trendwatch.__version__,
        brands=[schema.BrandInfo(name=b.name, own=i == 0, language=b.language) for i, b in enumerate(settings.brands)],
        display=schema.Display(
            timezone=display.timezone, calendar=display.calendar, digits=display.digits, language=display.language
        ),
        platforms=sorted(f.value for f in platforms),
        languages=sorted(f.value for f in languages),
        window=scope.window(env.clock),
    )
