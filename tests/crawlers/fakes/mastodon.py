"""A local server speaking enough of the Mastodon REST API for the mastodon source's tests:
hashtag and public timelines and v2 search, with `limit`/`max_id`/`since_id`/`min_id`, `Link`
headers as Mastodon builds them, `X-RateLimit-*` headers, bearer-token checks, and failures
injected ahead of the real answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from aiohttp import web

from tests.crawlers.fakes.base import FakeApi


def status(
    n: int,
    when: datetime,
    text: str,
    *,
    tags: tuple[str, ...] = (),
    user: str = "alice",
    host: str = "example.social",
    lang: str | None = "en",
    local: bool = True,
) -> dict[str, Any]:
    """A status as Mastodon serialises it; id `n` orders it (Mastodon ids grow with time)."""
    native = str(110_000_000_000_000_000 + n)
    acct = user if local else f"{user}@remote.example"
    account_host = host if local else "remote.example"
    tag_html = " ".join(
        f'<a href="https://{host}/tags/{t}" class="mention hashtag" rel="tag">#<span>{t}</span></a>' for t in tags
    )
    return {
        "id": native,
        "created_at": when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "uri": f"https://{account_host}/users/{user}/statuses/{native}",
        "url": f"https://{account_host}/@{user}/{native}",
        "content": f"<p>{escape(text)} {tag_html}</p>",
        "spoiler_text": "",
        "language": lang,
        "replies_count": n % 3,
        "reblogs_count": n % 5,
        "favourites_count": n % 7,
        "edited_at": None,
        "reblog": None,
        "account": {
            "id": str(n % 17),
            "username": user,
            "acct": acct,
            "display_name": user.title(),
            "url": f"https://{account_host}/@{user}",
            "followers_count": 100 + n,
        },
        "mentions": [],
        "tags": [{"name": t, "url": f"https://{host}/tags/{t}"} for t in tags],
        "card": None,
        "_local": local,
    }


@dataclass
class FakeMastodon(FakeApi):
    statuses: list[dict[str, Any]] = field(default_factory=list)
    token: str | None = None
    link_headers: bool = True
    rate_limit: tuple[int, float] | None = None  # (remaining, seconds to reset)

    def add(self, *items: dict[str, Any]) -> None:
        self.statuses.extend(items)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v1/timelines/tag/{tag}", self.tag)
        app.router.add_get("/api/v1/timelines/public", self.public)
        app.router.add_get("/api/v2/search", self.search)
        return app

    def _ordered(self) -> list[dict[str, Any]]:
        return sorted(self.statuses, key=lambda s: int(s["id"]), reverse=True)

    def _page(self, request: web.Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        q = request.query
        limit = min(int(q.get("limit", 20)), 40)
        if "max_id" in q:
            items = [s for s in items if int(s["id"]) < int(q["max_id"])]
        if "since_id" in q:
            items = [s for s in items if int(s["id"]) > int(q["since_id"])]
        if "min_id" in q:
            above = [s for s in items if int(s["id"]) > int(q["min_id"])]
            return list(reversed(list(reversed(above))[:limit]))
        return items[:limit]

    def _respond(self, request: web.Request, page: list[dict[str, Any]], body: Any = None) -> web.Response:
        headers: dict[str, str] = {}
        if self.link_headers and page:
            base = request.url.with_query(
                {k: v for k, v in request.query.items() if k not in ("max_id", "since_id", "min_id")}
            )
            headers["Link"] = (
                f'<{base.update_query(max_id=page[-1]["id"])}>; rel="next", '
                f'<{base.update_query(min_id=page[0]["id"])}>; rel="prev"'
            )
        if self.rate_limit is not None:
            remaining, reset = self.rate_limit
            headers["X-RateLimit-Limit"] = "300"
            headers["X-RateLimit-Remaining"] = str(remaining)
            headers["X-RateLimit-Reset"] = (datetime.now(UTC) + timedelta(seconds=reset)).isoformat()
        public = [{k: v for k, v in s.items() if not k.startswith("_")} for s in page]
        return web.json_response(public if body is None else body(public), headers=headers)

    async def tag(self, request: web.Request) -> web.StreamResponse:
        if (injected := await self.intercept(request)) is not None:
            return injected
        tag = request.match_info["tag"].lower()
        items = [s for s in self._ordered() if tag in [t["name"].lower() for t in s["tags"]]]
        return self._respond(request, self._page(request, items))

    async def public(self, request: web.Request) -> web.StreamResponse:
        if (injected := await self.intercept(request)) is not None:
            return injected
        items = self._ordered()
        if request.query.get("local") == "true":
            items = [s for s in items if s["_local"]]
        return self._respond(request, self._page(request, items))

    async def search(self, request: web.Request) -> web.StreamResponse:
        if (injected := await self.intercept(request)) is not None:
            return injected
        if self.token is None or request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "The access token is invalid"}, status=401)
        needle = request.query["q"].lower()
        items = [s for s in self._ordered() if needle in s["content"].lower()]
        page = self._page(request, items)
        self.link_headers, saved = False, self.link_headers
        try:
            return self._respond(request, page, body=lambda p: {"accounts": [], "statuses": p, "hashtags": []})
        finally:
            self.link_headers = saved
