"""A local server speaking the Bluesky XRPC calls the bluesky source uses: createSession,
refreshSession (with expiring access tokens), searchPosts (`sort=latest`, `since`, `until`,
offset cursors and a result ceiling, as the AppView has), and getAuthorFeed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.crawlers.fakes.base import FakeApi


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def post(
    n: int,
    when: datetime,
    text: str,
    *,
    handle: str = "alice.bsky.social",
    lang: str = "en",
    tags: tuple[str, ...] = (),
) -> dict[str, Any]:
    did = f"did:plc:{handle.split('.')[0]:a<24}"
    facets = [
        {"index": {"byteStart": 0, "byteEnd": 1}, "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": t}]}
        for t in tags
    ]
    return {
        "uri": f"at://{did}/app.bsky.feed.post/3l{n:011d}",
        "cid": f"bafy{n}",
        "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0].title()},
        "record": {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": iso(when),
            "langs": [lang],
            "facets": facets,
        },
        "replyCount": n % 3,
        "repostCount": n % 4,
        "likeCount": n % 5,
        "quoteCount": 0,
        "indexedAt": iso(when),
    }


@dataclass
class FakeBluesky(FakeApi):
    posts: list[dict[str, Any]] = field(default_factory=list)
    account: tuple[str, str] = ("me.bsky.social", "app-pass-word")
    ceiling: int = 10_000
    access: set[str] = field(default_factory=set)
    refresh: set[str] = field(default_factory=set)
    issued: int = 0
    logins: int = 0
    refreshes: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/xrpc/com.atproto.server.createSession", self.create_session)
        app.router.add_post("/xrpc/com.atproto.server.refreshSession", self.refresh_session)
        app.router.add_get("/xrpc/app.bsky.feed.searchPosts", self.search)
        app.router.add_get("/xrpc/app.bsky.feed.getAuthorFeed", self.author_feed)
        return app

    def _tokens(self) -> dict[str, str]:
        self.issued += 1
        access, refresh = f"access-{self.issued}", f"refresh-{self.issued}"
        self.access.add(access)
        self.refresh.add(refresh)
        return {"accessJwt": access, "refreshJwt": refresh, "handle": self.account[0], "did": "did:plc:me"}

    def expire_access_tokens(self) -> None:
        self.access.clear()

    async def create_session(self, request: web.Request) -> web.StreamResponse:
        if (injected := await self.intercept(request)) is not None:
            return injected
        body = await request.json()
        if (body.get("identifier"), body.get("password")) != self.account:
            return web.json_response(
                {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, status=401
            )
        self.logins += 1
        return web.json_response(self._tokens())

    async def refresh_session(self, request: web.Request) -> web.StreamResponse:
        if (injected := await self.intercept(request)) is not None:
            return injected
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.refresh:
            return web.json_response({"error": "ExpiredToken", "message": "Token has expired"}, status=400)
        self.refresh.discard(token)
        self.refreshes += 1
        return web.json_response(self._tokens())

    @staticmethod
    def _sort_at(p: dict[str, Any]) -> str:
        return min(p["record"]["createdAt"], p["indexedAt"])

    async def search(self, request: web.Request) -> web.StreamResponse:
        if (injected := await self.intercept(request)) is not None:
            return injected
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.access:
            return web.json_response({"error": "ExpiredToken", "message": "Token has expired"}, status=400)
        q = request.query
        words = q["q"].lower().lstrip("#")
        found = [p for p in self.posts if words in p["record"]["text"].lower()]
        if "tag" in q:
            found = [p for p in found if any(f["features"][0].get("tag") == q["tag"] for f in p["record"]["facets"])]
        if "since" in q:
            found = [p for p in found if self._sort_at(p) >= q["since"]]
        if "until" in q:
            found = [p for p in found if self._sort_at(p) < q["until"]]
        if "lang" in q:
            found = [p for p in found if q["lang"] in p["record"]["langs"]]
        found.sort(key=self._sort_at, reverse=True)
        found = found[: self.ceiling]
        offset, limit = int(q.get("cursor", 0)), int(q.get("limit", 25))
        page = found[offset : offset + limit]
        body: dict[str, Any] = {"posts": page}
        if offset + limit < len(found):
            body["cursor"] = str(offset + limit)
        return web.json_response(
            body,
            headers={
                "RateLimit-Limit": "3000",
                "RateLimit-Remaining": "2999",
                "RateLimit-Reset": str(int(datetime.now(UTC).timestamp()) + 300),
            },
        )

    async def author_feed(self, request: web.Request) -> web.StreamResponse:
        if (injected := await self.intercept(request)) is not None:
            return injected
        actor = request.query["actor"]
        mine = sorted((p for p in self.posts if p["author"]["handle"] == actor), key=self._sort_at, reverse=True)
        if not mine:
            return web.json_response({"error": "InvalidRequest", "message": "Profile not found"}, status=400)
        offset, limit = int(request.query.get("cursor", 0)), int(request.query.get("limit", 50))
        page = mine[offset : offset + limit]
        feed = [{"post": p} for p in page]
        body: dict[str, Any] = {"feed": feed}
        if offset + limit < len(mine):
            body["cursor"] = str(offset + limit)
        return web.json_response(body)
