"""A local server speaking X API v2 recent search: bearer token, `since_id`/`until_id`,
`start_time`, `max_results`, `next_token`, author expansion and `x-rate-limit-*` headers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.crawlers.fakes.base import FakeApi


def tweet(n: int, when: datetime, text: str, *, user: str = "42", lang: str = "en") -> dict[str, Any]:
    return {
        "id": str(1_800_000_000_000_000_000 + n),
        "text": text,
        "author_id": user,
        "lang": lang,
        "created_at": when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "public_metrics": {
            "retweet_count": 1,
            "reply_count": 2,
            "like_count": 3,
            "quote_count": 4,
            "impression_count": 500,
        },
        "edit_history_tweet_ids": [str(1_800_000_000_000_000_000 + n)],
    }


@dataclass
class FakeX(FakeApi):
    tweets: list[dict[str, Any]] = field(default_factory=list)
    token: str = "bearer-123"
    users: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "42": {"id": "42", "username": "digikala", "name": "دیجی‌کالا", "public_metrics": {"followers_count": 1000}},
        }
    )
    served: int = 0  # posts returned in all: what X bills

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/2/tweets/search/recent", self.search)
        return app

    async def search(self, request: web.Request) -> web.StreamResponse:
        if (injected := await self.intercept(request)) is not None:
            return injected
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response(
                {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}, status=401
            )
        q = request.query
        words = [w for w in q["query"].lower().split() if not w.startswith(("-", "lang:"))]
        found = [t for t in self.tweets if all(w in t["text"].lower() for w in words)]
        if "since_id" in q:
            found = [t for t in found if int(t["id"]) > int(q["since_id"])]
        if "until_id" in q:
            found = [t for t in found if int(t["id"]) < int(q["until_id"])]
        if "start_time" in q:
            found = [t for t in found if t["created_at"] >= q["start_time"].replace("Z", ".000Z")]
        found.sort(key=lambda t: int(t["id"]), reverse=True)
        offset, size = int(q.get("next_token", "0")), int(q.get("max_results", 10))
        page = found[offset : offset + size]
        self.served += len(page)
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta |= {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"]}
        if offset + size < len(found):
            meta["next_token"] = str(offset + size)
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = page
            body["includes"] = {"users": [self.users[u] for u in {t["author_id"] for t in page} if u in self.users]}
        reset = int(datetime.now(UTC).timestamp()) + 900
        return web.json_response(
            body,
            headers={"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449", "x-rate-limit-reset": str(reset)},
        )
