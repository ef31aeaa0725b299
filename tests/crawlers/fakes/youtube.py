"""A local server speaking the YouTube Data API v3 calls the youtube source uses: search.list
(`order=date`, `publishedAfter`/`publishedBefore`, page tokens), videos.list (statistics) and
commentThreads.list (comments can be disabled), with an API key and its daily quota."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.crawlers.fakes.base import FakeApi

UNITS = {"search": 100, "videos": 1, "commentThreads": 1}


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def video(
    n: int, when: datetime, title: str, *, channel: str = "UCbrand", comments: int = 2, disabled: bool = False
) -> dict[str, Any]:
    vid = f"vid{n:08d}"
    return {
        "id": vid,
        "published": when,
        "title": title,
        "channel": channel,
        "disabled": disabled,
        "comments": [
            {
                "id": f"Ugc{n}x{i}",
                "snippet": {
                    "videoId": vid,
                    "totalReplyCount": i,
                    "topLevelComment": {
                        "id": f"Ugc{n}x{i}",
                        "snippet": {
                            "videoId": vid,
                            "textOriginal": f"comment {i} on {title}",
                            "textDisplay": f"comment {i}",
                            "authorDisplayName": f"@viewer{i}",
                            "authorChannelId": {"value": f"UCviewer{i}"},
                            "likeCount": i,
                            "publishedAt": z(when),
                            "updatedAt": z(when),
                        },
                    },
                },
            }
            for i in range(comments)
        ],
    }


@dataclass
class FakeYouTube(FakeApi):
    catalogue: list[dict[str, Any]] = field(default_factory=list)
    key: str = "test-key"
    quota: int = 1_000_000
    used: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/youtube/v3/{resource}", self.handle)
        return app

    def _error(self, status: int, reason: str, message: str) -> web.Response:
        return web.json_response(
            {
                "error": {
                    "code": status,
                    "message": message,
                    "errors": [{"message": message, "domain": "youtube", "reason": reason}],
                }
            },
            status=status,
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if (injected := await self.intercept(request)) is not None:
            return injected
        resource = request.match_info["resource"]
        if request.query.get("key") != self.key:
            return self._error(400, "keyInvalid", "API key not valid. Please pass a valid API key.")
        cost = UNITS[resource]
        if self.used + cost > self.quota:
            return self._error(
                403, "quotaExceeded", "The request cannot be completed because you have exceeded your quota."
            )
        self.used += cost
        handler = {"search": self._search, "videos": self._videos, "commentThreads": self._comment_threads}
        return await handler[resource](request)

    def _ordered(self) -> list[dict[str, Any]]:
        return sorted(self.catalogue, key=lambda v: (v["published"], v["id"]), reverse=True)

    async def _search(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        found = [v for v in self._ordered() if q["q"].lower() in v["title"].lower()]
        if "publishedAfter" in q:
            found = [v for v in found if z(v["published"]) >= q["publishedAfter"]]
        if "publishedBefore" in q:
            found = [v for v in found if z(v["published"]) <= q["publishedBefore"]]
        offset, size = int(q.get("pageToken", "0") or 0), int(q.get("maxResults", 5))
        page = found[offset : offset + size]
        body: dict[str, Any] = {
            "kind": "youtube#searchListResponse",
            "pageInfo": {"totalResults": len(found), "resultsPerPage": size},
            "items": [
                {
                    "kind": "youtube#searchResult",
                    "id": {"kind": "youtube#video", "videoId": v["id"]},
                    "snippet": {
                        "publishedAt": z(v["published"]),
                        "channelId": v["channel"],
                        "title": v["title"].replace("'", "&#39;"),
                        "description": "short",
                        "channelTitle": "Brand",
                    },
                }
                for v in page
            ],
        }
        if offset + size < len(found):
            body["nextPageToken"] = str(offset + size)
        return web.json_response(body)

    async def _videos(self, request: web.Request) -> web.StreamResponse:
        ids = request.query["id"].split(",")
        items = [
            {
                "id": v["id"],
                "snippet": {
                    "publishedAt": z(v["published"]),
                    "channelId": v["channel"],
                    "title": v["title"],
                    "description": f"{v['title']} — full description #brand",
                    "channelTitle": "Brand",
                    "defaultAudioLanguage": "fa-IR",
                },
                "statistics": {"viewCount": "1500", "likeCount": "30", "commentCount": str(len(v["comments"]))},
            }
            for v in self.catalogue
            if v["id"] in ids
        ]
        return web.json_response({"kind": "youtube#videoListResponse", "items": items})

    async def _comment_threads(self, request: web.Request) -> web.StreamResponse:
        found = next((v for v in self.catalogue if v["id"] == request.query["videoId"]), None)
        if found is None:
            return self._error(
                404, "videoNotFound", "The video identified by the videoId parameter could not be found."
            )
        if found["disabled"]:
            return self._error(403, "commentsDisabled", "The video has disabled comments.")
        return web.json_response({"kind": "youtube#commentThreadListResponse", "items": found["comments"]})
