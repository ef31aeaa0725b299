"""Test helpers for sources: a scripted local HTTP server, metric reads, collecting a round."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import REGISTRY

from crawlers.source import Batch
from trendwatch.config import HttpConfig
from trendwatch.models import Post

FIXTURES = Path(__file__).parent / "fixtures"

Responder = Callable[[web.Request], Awaitable[web.StreamResponse] | web.StreamResponse]


def fast_http(**overrides: Any) -> HttpConfig:
    """HttpConfig for tests: short timeouts and backoffs, a rate limit that does not slow tests."""
    values: dict[str, Any] = {
        "timeout": timedelta(seconds=1),
        "retries": 2,
        "backoff": timedelta(milliseconds=10),
        "max_backoff": timedelta(seconds=3),
        "per_host_rate": 1000.0,
        "per_host_burst": 100,
    }
    values.update(overrides)
    return HttpConfig(**values)


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Script:
    """Per path, responders served in order; the last one repeats. Records every request."""

    routes: dict[str, list[Responder]] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)

    def on(self, path: str, *responders: Responder) -> Script:
        self.routes[path] = list(responders)
        return self

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(
            Seen(request.method, request.path, dict(request.query), dict(request.headers), await request.read())
        )
        queue = self.routes.get(request.path)
        if not queue:
            return web.Response(status=404, text="no such route")
        responder = queue.pop(0) if len(queue) > 1 else queue[0]
        result = responder(request)
        if inspect.isawaitable(result):
            result = await result
        return result

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app


def reply(
    body: bytes | str = b"",
    status: int = 200,
    content_type: str = "application/xml",
    headers: dict[str, str] | None = None,
) -> Responder:
    data = body.encode() if isinstance(body, str) else body

    def respond(request: web.Request) -> web.Response:
        return web.Response(body=data, status=status, headers={"Content-Type": content_type, **(headers or {})})

    return respond


def slow(seconds: float, then: Responder) -> Responder:
    async def respond(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        result = then(request)
        return await result if inspect.isawaitable(result) else result

    return respond


def truncated(body: bytes, claimed: int) -> Responder:
    """Announce `claimed` bytes, send `body`, and hang up: a body cut short."""

    async def respond(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(claimed), "Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(body)
        assert request.transport is not None
        request.transport.close()
        return response

    return respond


def error_count(source: str, reason: str) -> float:
    value = REGISTRY.get_sample_value("trendwatch_source_errors_total", {"source": source, "reason": reason})
    return value or 0.0


def request_count(host: str, status: str) -> float:
    value = REGISTRY.get_sample_value("trendwatch_http_requests_total", {"host": host, "status": status})
    return value or 0.0


async def collect(source: Any, cursor: Any = None, *, stop_after: int | None = None) -> tuple[list[Batch], Any]:
    """Run one round; return its batches and the cursor of the last one (as the service saves it).

    `stop_after` closes the round after that many batches, as a crash after the commit would.
    """
    batches: list[Batch] = []
    rounds = source.fetch(cursor)
    try:
        async for batch in rounds:
            batches.append(batch)
            cursor = batch.cursor
            if stop_after is not None and len(batches) >= stop_after:
                break
    finally:
        await rounds.aclose()
    return batches, cursor


def posts_of(batches: Sequence[Batch]) -> list[Post]:
    return [post for batch in batches for post in batch.posts]


def ids_of(batches: Sequence[Batch]) -> list[str]:
    return [post.id for post in posts_of(batches)]


async def collect_until_error(source: Any, cursor: Any = None) -> tuple[list[Batch], BaseException | None]:
    """Run one round, keeping the batches yielded before it failed, and the failure (None if none)."""
    batches: list[Batch] = []
    try:
        async for batch in source.fetch(cursor):
            batches.append(batch)
    except Exception as exc:
        return batches, exc
    return batches, None
