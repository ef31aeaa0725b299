"""A local server speaking Reddit's listing API: `/r/<sub>/new`, `/r/<sub>/comments`, `/search`
(public `.json` and OAuth forms), `after` paging, client-credentials tokens, `X-Ratelimit-*`
headers, and the redirect Reddit answers for a subreddit that does not exist."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from tests.crawlers.fakes.base import FakeApi


def b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def thing(
    n: int, when: datetime, text: str, *, sub: str = "iran", kind: str = "t3", author: str = "someone"
) -> dict[str, Any]:
    native = b36(10_000 + n)
    data: dict[str, Any] = {
        "id": native,
        "name": f"{kind}_{native}",
        "subreddit": sub,
        "author": author,
        "author_fullname": f"t2_{author}",
        "created_utc": float(int(when.timestamp())),
        "ups": n % 40,
        "score": n % 40,
        "edited": False,
        "permalink": f"/r/{sub}/comments/{native}/x/",
    }
    if kind == "t3":
        data |= {
            "title": text,
            "selftext": f"{text} (body)",
            "is_self": True,
            "num_comments": n % 7,
            "url": f"https://www.reddit.com/r/{sub}/comments/{native}/x/",
            "num_crossposts": 0,
        }
    else:
        data |= {"body": text, "parent_id": "t3_abc", "link_id": "t3_abc"}
    return {"kind": kind, "data": data}


@dataclass
class FakeReddit(FakeApi):
    things: list[dict[str, Any]] = field(default_factory=list)
    client: tuple[str, str] | None = None
    tokens: set[str] = field(default_factory=set)
    rate_limit: tuple[float, int] | None = None
    issued: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/access_token", self.token)
        app.router.add_get("/r/{sub}/{listing}", self.listing)
        app.router.add_get("/search{ext:(\\.json)?}", self.search)
        app.router.add_get("/subreddits/search.json", self.subreddits)
        return app

    async def token(self, request: web.Request) -> web.StreamResponse:
        if (injected := await self.intercept(request)) is not None:
            return injected
        auth = request.headers.get("Authorization", "")
        form = await request.post()
        expected = "Basic " + base64.b64encode(":".join(self.client or ("", "")).encode()).decode()
        if self.client is None or auth != expected or form.get("grant_type") != "client_credentials":
            return web.json_response({"error": 401, "message": "Unauthorized"}, status=401)
        self.issued += 1
        token = f"token-{self.issued}"
        self.tokens.add(token)
        return web.json_response({"access_token": token, "token_type": "bearer", "expires_in": 86400, "scope": "*"})

    def _authorised(self, request: web.Request) -> bool:
        if self.client is None:
            return True
        return request.headers.get("Authorization", "").removeprefix("bearer ") in self.tokens

    def _listing(self, request: web.Request, items: list[dict[str, Any]]) -> web.Response:
        q = request.query
        items = sorted(items, key=lambda t: int(t["data"]["id"], 36), reverse=True)
        if "after" in q:
            fullnames = [t["data"]["name"] for t in items]
            items = items[fullnames.index(q["after"]) + 1 :] if q["after"] in fullnames else []
        limit = int(q.get("limit", 25))
        page = items[:limit]
        after = page[-1]["data"]["name"] if len(items) > limit else None
        headers = {}
        if self.rate_limit:
            headers = {
                "X-Ratelimit-Used": "1",
                "X-Ratelimit-Remaining": str(self.rate_limit[0]),
                "X-Ratelimit-Reset": str(self.rate_limit[1]),
            }
        return web.json_response(
            {"kind": "Listing", "data": {"after": after, "before": None, "children": page}}, headers=headers
        )

    async def listing(self, request: web.Request) -> web.StreamResponse:
        if (injected := await self.intercept(request)) is not None:
            return injected
        if not self._authorised(request):
            return web.json_response({"message": "Unauthorized", "error": 401}, status=401)
        sub, listing = request.match_info["sub"], request.match_info["listing"].removesuffix(".json")
        if listing == "search":
            return await self.search(request, subs=sub.split("+"))
        subs = {t["data"]["subreddit"] for t in self.things}
        if sub not in subs:
            raise web.HTTPFound(f"/subreddits/search.json?q={sub}")
        kind = {"new": "t3", "comments": "t1"}[listing]
        return self._listing(request, [t for t in self.things if t["data"]["subreddit"] == sub and t["kind"] == kind])

    async def search(self, request: web.Request, subs: list[str] | None = None) -> web.StreamResponse:
        if subs is None and (injected := await self.intercept(request)) is not None:
            return injected
        if not self._authorised(request):
            return web.json_response({"message": "Unauthorized", "error": 401}, status=401)
        words = request.query["q"].lower()
        found = [t for t in self.things if t["kind"] == "t3" and words in t["data"]["title"].lower()]
        if subs is not None:
            found = [t for t in found if t["data"]["subreddit"] in subs]
        return self._listing(request, found)

    async def subreddits(self, request: web.Request) -> web.StreamResponse:
        return web.json_response(
            {
                "kind": "Listing",
                "data": {
                    "after": None,
                    "children": [{"kind": "t5", "data": {"display_name": "similar", "id": "2qh1i"}}],
                },
            }
        )
