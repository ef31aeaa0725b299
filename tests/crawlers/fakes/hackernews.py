"""A local server speaking the Algolia HN Search API's `search_by_date`: `query`, `tags`,
`numericFilters` on `created_at_i`, `hitsPerPage`; hits of the same second come in id order
(ascending, as text), unlike the poller's tie order, so tie handling is exercised."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.crawlers.fakes.base import FakeApi


def hit(n: int, when: datetime, text: str, *, kind: str = "story", author: str = "pg") -> dict[str, Any]:
    created = int(when.timestamp())
    common = {
        "objectID": str(n),
        "created_at": datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "created_at_i": created,
        "author": author,
        "_tags": [kind, f"author_{author}", f"story_{n}"],
    }
    if kind == "story":
        return {
            **common,
            "title": text,
            "url": f"https://example.com/{n}",
            "points": n % 50,
            "num_comments": n % 9,
            "story_text": None,
            "comment_text": None,
        }
    return {
        **common,
        "comment_text": f"<p>{text}</p>",
        "points": None,
        "num_comments": None,
        "title": None,
        "story_id": 1,
        "parent_id": 1,
        "story_title": "parent story",
    }


@dataclass
class FakeAlgolia(FakeApi):
    hits: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v1/search_by_date", self.search)
        return app

    async def search(self, request: web.Request) -> web.StreamResponse:
        if (injected := await self.intercept(request)) is not None:
            return injected
        q = request.query
        words = q.get("query", "").lower()
        tags = q.get("tags", "").strip("()").split(",")
        items = [h for h in self.hits if words in (h.get("title") or h.get("comment_text") or "").lower()]
        items = [h for h in items if set(tags) & set(h["_tags"])]
        for op, value in re.findall(r"created_at_i(>=|<=|>|<)(\d+)", q.get("numericFilters", "")):
            bound = int(value)
            items = [
                h
                for h in items
                if {
                    ">=": h["created_at_i"] >= bound,
                    "<=": h["created_at_i"] <= bound,
                    ">": h["created_at_i"] > bound,
                    "<": h["created_at_i"] < bound,
                }[op]
            ]
        items.sort(key=lambda h: (-h["created_at_i"], str(h["objectID"])))
        per_page = int(q.get("hitsPerPage", 20))
        page = int(q.get("page", 0))
        chunk = items[page * per_page : (page + 1) * per_page]
        return web.json_response(
            {
                "hits": chunk,
                "nbHits": len(items),
                "page": page,
                "hitsPerPage": per_page,
                "nbPages": (len(items) + per_page - 1) // per_page,
                "query": words,
            }
        )
