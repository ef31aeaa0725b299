"""Every route of the web app, once: the server registers them and the OpenAPI document is
written from them, so a route cannot exist undocumented."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel

from trendwatch.service.web import schema
from trendwatch.service.web.alerts import ack_view, alerts_view, mute_view, unmute_view
from trendwatch.service.web.compare import compare_view
from trendwatch.service.web.drilldown import drilldown_view
from trendwatch.service.web.meta import meta_view
from trendwatch.service.web.overview import overview_view
from trendwatch.service.web.posts import posts_view

OPENAPI_FILE = Path(__file__).with_name("openapi.json")
"""The OpenAPI document of these routes (written by `trendwatch.service.web.openapi`)."""

JsonHandler = Callable[[web.Request], Awaitable[BaseModel]]
RawHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    where: Literal["query", "path"] = "query"
    required: bool = False


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint. `response` is the JSON model the handler returns; routes without one
    answer `content_type` themselves (the page, static files, metrics)."""

    method: Literal["GET", "POST"]
    path: str
    name: str
    summary: str
    tag: str
    params: tuple[Param, ...] = ()
    response: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    content_type: str = "application/json"
    errors: tuple[int, ...] = ()
    error_body: type[BaseModel] = schema.ApiError
    open: bool = False
    """Served without the token (holds no data)."""


WINDOW = (
    Param("from", "Start of the window, ISO-8601 (no offset = UTC); default: `to` minus `range`."),
    Param("to", "End of the window, ISO-8601; default: now. Rounded up to a whole bucket."),
    Param("range", "Length of the window when `from` is absent, e.g. 24h, 7d, 30d; default 7d."),
    Param("step", "Chart bucket width, e.g. 15m, 1h, 1d; default: chosen from the window's length."),
)
FILTERS = (
    Param("brand", "A configured brand (any letter case)."),
    Param("platform", "A platform, e.g. mastodon, rss, telegram."),
    Param("lang", "A detected language, e.g. fa, en."),
)
VIEW = WINDOW + FILTERS
INT = {"type": "integer"}

ROUTES: tuple[Route, ...] = (
    Route("GET", "/", "page", "The web app (one HTML page).", "page", content_type="text/html", open=True),
    Route(
        "GET",
        "/static/{path}",
        "static",
        "The page's scripts, styles, fonts and plotly.js (offline, no CDN).",
        "page",
        params=(Param("path", "File under static/.", where="path", required=True),),
        content_type="application/octet-stream",
        errors=(404,),
        open=True,
    ),
    Route(
        "GET",
        "/health",
        "health",
        "Liveness: loop health and the store's post count.",
        "service",
        response=schema.Health,
        errors=(503,),
        error_body=schema.Health,
        open=True,
    ),
    Route("GET", "/metrics", "metrics", "Prometheus metrics.", "service", content_type="text/plain", errors=(401,)),
    Route("GET", "/api/openapi.json", "openapi", "This document.", "service", errors=(401,)),
    Route(
        "GET",
        "/api/meta",
        "meta",
        "Brands, display settings and the filter choices in the window.",
        "views",
        params=WINDOW,
        response=schema.Meta,
        errors=(400, 401, 503),
    ),
    Route(
        "GET",
        "/api/overview",
        "overview",
        "Mentions, share of voice, tone, terms, emerging terms, open alerts.",
        "views",
        params=VIEW,
        response=schema.Overview,
        errors=(400, 401, 503),
    ),
    Route(
        "GET",
        "/api/compare",
        "compare",
        "Every brand side by side: volume, reach, tone, complaints, praise.",
        "views",
        params=VIEW,
        response=schema.Compare,
        errors=(400, 401, 503),
    ),
    Route(
        "GET",
        "/api/brand",
        "brand",
        "One brand (the `brand` filter; default the own brand) in depth.",
        "views",
        params=VIEW,
        response=schema.Drilldown,
        errors=(400, 401, 503),
    ),
    Route(
        "GET",
        "/api/alerts",
        "alerts",
        "Alert episodes in the window (and those still open), explained; counts by rule.",
        "alerts",
        params=(
            *VIEW,
            Param(
                "status", "open, resolved or all (default).", {"type": "string", "enum": ["all", "open", "resolved"]}
            ),
            Param("rule", "Only this rule (detector name)."),
        ),
        response=schema.Alerts,
        errors=(400, 401, 503),
    ),
    Route(
        "POST",
        "/api/alerts/ack",
        "ack",
        "Acknowledge the current episode of an alert key.",
        "alerts",
        body=schema.AckRequest,
        response=schema.AlertState,
        errors=(400, 401, 403, 404, 415, 503),
    ),
    Route(
        "POST",
        "/api/alerts/mute",
        "mute",
        "Mute notifications about an alert key for a while or until unmuted.",
        "alerts",
        body=schema.MuteRequest,
        response=schema.AlertState,
        errors=(400, 401, 403, 404, 415, 503),
    ),
    Route(
        "POST",
        "/api/alerts/unmute",
        "unmute",
        "Notify about an alert key again.",
        "alerts",
        body=schema.UnmuteRequest,
        response=schema.AlertState,
        errors=(400, 401, 403, 404, 415, 503),
    ),
    Route(
        "GET",
        "/api/posts",
        "posts",
        "Posts of the window and filters, newest or most engaging first, or matching a search.",
        "posts",
        params=(
            *VIEW,
            Param("q", "A search in the query language, e.g. `delivery NEAR/3 late lang:fa`; errors give a position."),
            Param("order", "newest (default) or engagement.", {"type": "string", "enum": ["newest", "engagement"]}),
            Param("limit", "Posts per page, 1-100 (default 20).", {**INT, "minimum": 1, "maximum": 100}),
            Param("offset", "Posts to skip (paging), 0-10000.", {**INT, "minimum": 0, "maximum": 10000}),
        ),
        response=schema.Posts,
        errors=(400, 401, 503),
    ),
)

JSON_HANDLERS: dict[str, JsonHandler] = {
    "meta": meta_view,
    "overview": overview_view,
    "compare": compare_view,
    "brand": drilldown_view,
    "alerts": alerts_view,
    "ack": ack_view,
    "mute": mute_view,
    "unmute": unmute_view,
    "posts": posts_view,
}
