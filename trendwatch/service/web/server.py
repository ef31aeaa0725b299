"""The aiohttp application: routes from `routes.ROUTES`, middlewares, static files.

Middlewares, outermost first: `observe` counts every answer by route and status; the security
guard (`security.guard`); `answer` turns what handlers raise into JSON errors — a bad request
(400, with the parameter and, for searches, the position), a store that cannot answer (503,
logged once), a bug (500, logged with its traceback) — so the page always gets an `ApiError`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib import resources
from pathlib import Path

import structlog
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from indexer.store import Store
from trendwatch.config import Settings
from trendwatch.errors import QuerySyntaxError, StoreError
from trendwatch.service.report.fonts import BOLD, REGULAR
from trendwatch.service.scheduler import Health
from trendwatch.service.web import schema
from trendwatch.service.web.params import BadRequest
from trendwatch.service.web.routes import JSON_HANDLERS, OPENAPI_FILE, ROUTES, JsonHandler, RawHandler
from trendwatch.service.web.security import add_headers, guard, json_error
from trendwatch.service.web.state import HEALTH, NOW, SETTINGS, STORE
from trendwatch.timeutil import utcnow

log = structlog.get_logger(__name__)

STATIC = Path(__file__).resolve().parents[1] / "static"
FONTS = {p.name: p for p in (REGULAR, BOLD)}
WEB_REQUESTS = Counter(
    "trendwatch_web_requests_total", "Web app and API requests, by route and status.", ["route", "status"]
)


def plotly_js() -> Path:
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def create_app(
    store: Store, settings: Settings, health: Health | None = None, *, now: Callable[[], datetime] = utcnow
) -> web.Application:
    """The web app over `store`; `now` is the clock windows end at by default."""
    app = web.Application(middlewares=[observe, guard(settings), answer], client_max_size=64 * 1024)
    app[STORE] = store
    app[SETTINGS] = settings
    app[HEALTH] = health or Health()
    app[NOW] = now
    app.on_response_prepare.append(add_headers)
    raw: dict[str, RawHandler] = {
        "page": page,
        "health": health_view,
        "metrics": metrics_view,
        "openapi": openapi_view,
    }
    app.router.add_get("/static/plotly.min.js", plotly_view, name="plotly")
    app.router.add_get("/static/fonts/{name}", font_view, name="fonts")
    for route in ROUTES:
        if route.name == "static":
            app.router.add_static("/static/", STATIC, name="static")
            continue
        handler = _json(JSON_HANDLERS[route.name]) if route.name in JSON_HANDLERS else raw[route.name]
        app.router.add_route(route.method, route.path, handler, name=route.name)
    return app


def _json(handler: JsonHandler) -> RawHandler:
    async def respond(request: web.Request) -> web.StreamResponse:
        model = await handler(request)
        return web.Response(body=model.model_dump_json(), content_type="application/json")

    respond.__doc__ = handler.__doc__
    return respond


@web.middleware
async def observe(request: web.Request, handler: RawHandler) -> web.StreamResponse:
    info = request.match_info.route.resource
    name = info.canonical if info is not None else "unmatched"
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        WEB_REQUESTS.labels(route=name, status=str(exc.status)).inc()
        raise
    WEB_REQUESTS.labels(route=name, status=str(response.status)).inc()
    return response


@web.middleware
async def answer(request: web.Request, handler: RawHandler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadRequest as exc:
        raise web.HTTPBadRequest(text=exc.body.model_dump_json(), content_type="application/json") from None
    except QuerySyntaxError as exc:
        raise json_error(web.HTTPBadRequest, str(exc), param="q", query=exc.query, position=exc.position) from None
    except StoreError as exc:
        log.warning("web: the store cannot answer", path=request.path, error=str(exc))
        raise json_error(web.HTTPServiceUnavailable, "the store cannot answer now; try again shortly") from None
    except web.HTTPException as exc:
        if request.path.startswith("/api/") and exc.content_type != "application/json":
            raise json_error(type(exc), exc.reason) from None
        raise
    except Exception:
        log.exception("web: request failed", path=request.path)
        raise json_error(web.HTTPInternalServerError, "the server failed to answer; the error is logged") from None


async def page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def plotly_view(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(plotly_js(), headers={"Cache-Control": "public, max-age=86400"})


async def font_view(request: web.Request) -> web.StreamResponse:
    font = FONTS.get(request.match_info["name"])
    if font is None:
        raise web.HTTPNotFound()
    return web.FileResponse(font, headers={"Cache-Control": "public, max-age=86400", "Content-Type": "font/ttf"})


async def openapi_view(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(OPENAPI_FILE, headers={"Content-Type": "application/json"})


async def health_view(request: web.Request) -> web.StreamResponse:
    store = request.app[STORE]
    state = request.app[HEALTH].as_json()
    try:
        body = schema.Health(status="ok", posts=await store.count(), **state)
    except Exception as exc:  # health must answer, and say what is wrong
        body = schema.Health(status="degraded", store_error=type(exc).__name__, **state)
    return web.Response(
        body=body.model_dump_json(exclude_none=True),
        content_type="application/json",
        status=200 if body.status == "ok" else 503,
    )


async def metrics_view(request: web.Request) -> web.StreamResponse:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})
