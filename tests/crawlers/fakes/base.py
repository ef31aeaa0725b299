"""What every fake platform server shares: a request log and failures injected ahead of the
real answers, for every request or only those a predicate picks (one query of several)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from tests.crawlers.helpers import Responder, Seen

Match = Callable[[web.Request], bool]


@dataclass
class Injected:
    match: Match
    responder: Responder
    times: int


@dataclass
class FakeApi:
    requests: list[Seen] = field(default_factory=list)
    injected: list[Injected] = field(default_factory=list)

    def fail(self, responder: Responder, *, times: int = 10, match: Match | None = None) -> None:
        """Answer the next `times` matching requests with `responder` instead of the real thing."""
        self.injected.append(Injected(match or (lambda request: True), responder, times))

    async def intercept(self, request: web.Request) -> web.StreamResponse | None:
        self.requests.append(
            Seen(request.method, request.path, dict(request.query), dict(request.headers), await request.read())
        )
        for injected in self.injected:
            if injected.times > 0 and injected.match(request):
                injected.times -= 1
                result = injected.responder(request)
                return await result if inspect.isawaitable(result) else result
        return None

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]


def query_is(key: str, value: str) -> Match:
    """Match requests whose query parameter `key` equals `value` (a failing query among good ones)."""
    return lambda request: request.query.get(key) == value
