"""The service's HTTP face: health, Prometheus metrics, a JSON API and the built-in dashboard.

App state lives under typed `web.AppKey`s. When `web.token` is configured every request except
`/health` must carry it (`Authorization: Bearer <token>`, or `?token=` for the page itself).
Charts are drawn by plotly.js, served from the installed plotly package: no CDN, works offline.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from indexer.store import Store
from trendwatch.config import Settings
from trendwatch.models import SeriesQuery
from trendwatch.service.scheduler import Health
from trendwatch.timeutil import as_utc, floor_time, parse_duration, utcnow

STORE = web.AppKey("store", Store)
SETTINGS = web.AppKey("settings", Settings)
HEALTH = web.AppKey("health", Health)

STATIC = Path(__file__).with_name("static")
OPEN_PATHS = {"/health"}


def plotly_js() -> Path:
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def create_app(store: Store, settings: Settings, health: Health | None = None) -> web.Application:
    app = web.Application(middlewares=[_token_guard(settings)])
    app[STORE] = store
    app[SETTINGS] = settings
    app[HEALTH] = health or Health()
    app.router.add_get("/", page)
    app.router.add_get("/health", health_view)
    app.router.add_get("/metrics", metrics_view)
    app.router.add_get("/api/overview", overview_view)
    app.router.add_get("/static/plotly.min.js", plotly_view)
    app.router.add_static("/static/", STATIC)
    return app


def _token_guard(settings: Settings) -> Any:
    token = settings.web.token.get_secret_value() if settings.web.token else None

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        if token is None or request.path in OPEN_PATHS:
            return await handler(request)
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        given = given or request.query.get("token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise web.HTTPUnauthorized(text="a valid token is required (Authorization: Bearer <token>)")
        return await handler(request)

    return guard


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def plotly_view(request: web.Request) -> web.FileResponse:
    return web.FileResponse(plotly_js(), headers={"Cache-Control": "public, max-age=86400"})


async def health_view(request: web.Request) -> web.Response:
    store = request.app[STORE]
    body: dict[str, Any] = {"status": "ok", **request.app[HEALTH].as_json()}
    try:
        body["posts"] = await store.count()
    except Exception as exc:  # health must answer, and say what is wrong
        body["status"], body["store_error"] = "degraded", type(exc).__name__
    return web.json_response(body, status=200 if body["status"] == "ok" else 503)


async def metrics_view(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def _window(request: web.Request) -> tuple[datetime, datetime, timedelta]:
    try:
        until = as_utc(datetime.fromisoformat(request.query["until"])) if "until" in request.query else utcnow()
        span = parse_duration(request.query.get("range", "7d"))
        step = parse_duration(request.query.get("step", "1h"))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    if step <= timedelta(0) or span / step > 5000:
        raise web.HTTPBadRequest(text="step too small for the range (at most 5000 buckets)")
    until = floor_time(until, step) + step
    return until - span, until, step


async def overview_view(request: web.Request) -> web.Response:
    """Everything the overview page draws, for one time range."""
    store, settings = request.app[STORE], request.app[SETTINGS]
    since, until, step = _window(request)
    brands = [b.name for b in settings.brands]
    series = {s.subject: s for s in await store.series(SeriesQuery(kind="brand", step=step), since, until)}
    body: dict[str, Any] = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "step_seconds": int(step.total_seconds()),
        "own_brand": settings.brand.name,
        "brands": {},
    }
    for name in brands:
        buckets = series[name].dense() if name in series else ()
        total = sum(b.count for b in buckets)
        body["brands"][name] = {
            "times": [b.start.isoformat() for b in buckets],
            "counts": [b.count for b in buckets],
            "authors": [b.authors for b in buckets],
            "net_sentiment": [round(b.sentiment_sum / b.count, 3) if b.count else None for b in buckets],
            "total": total,
            "negative": sum(b.negative for b in buckets),
            "positive": sum(b.positive for b in buckets),
            "sentiment": round(sum(b.sentiment_sum for b in buckets) / total, 3) if total else None,
        }
    terms = await store.top_terms("hashtag", since, until, limit=15)
    body["hashtags"] = [{"term": t.term, "count": t.count, "authors": t.authors} for t in terms]
    alerts = await store.alerts(since=since, limit=50)
    body["alerts"] = [
        {
            "rule": a.rule,
            "subject": a.subject,
            "status": a.status,
            "severity": a.severity,
            "direction": a.direction,
            "at": a.at.isoformat(),
            "started_at": a.started_at.isoformat(),
            "expected": round(a.expected, 1),
            "observed": round(a.observed, 1),
            "score": round(a.score, 3),
        }
        for a in alerts
    ]
    return web.json_response(body)
