"""A local server that speaks the Mastodon REST API and RSS, serving a synthetic stream.

Used by `trendwatch demo` (so the real sources fetch over real HTTP, offline) and by the
service's end-to-end tests. Mastodon: `GET /api/v1/timelines/public` and
`GET /api/v1/timelines/tag/{tag}` with `max_id` / `since_id` / `min_id` / `limit` and `Link`
headers, newest first, status entities shaped like Mastodon's. RSS: `GET /feeds/news.xml`
(RSS 2.0) with ETag / If-None-Match. Only posts created at or before the server's clock are
visible, so a test can let history "happen" by moving the clock.
"""

from __future__ import annotations

import hashlib
import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

from trendwatch.service.demo.synthetic import DemoPost
from trendwatch.timeutil import utcnow

MAX_LIMIT = 40
DEFAULT_LIMIT = 20
HASHTAG = re.compile(r"(?<![=/)\w])#([\w\u00b7\u200c]*\w)")
"""Mastodon's hashtag rule, simplified: letters, digits, `_` and its separators (·, ZWNJ), ending
in a word character and holding a letter; punctuation after it ("#kavehmart?") is not part of it."""


def status_id(post: DemoPost) -> int:
    """Mastodon-style snowflake: milliseconds since the epoch in the high bits, a sequence below."""
    return (int(post.created_at.timestamp() * 1000) << 16) | (post.seq & 0xFFFF)


def _hashtags(text: str) -> list[re.Match[str]]:
    return [m for m in HASHTAG.finditer(text) if any(c.isalpha() for c in m.group(1))]


def tags_of(text: str) -> list[str]:
    """The hashtags Mastodon would find in `text` (without `#`), in order."""
    return [m.group(1) for m in _hashtags(text)]


def _content_html(post: DemoPost, base: str) -> str:
    parts, at = [], 0
    for found in _hashtags(post.text):
        tag = html.escape(found.group(1))
        parts.append(html.escape(post.text[at : found.start()]))
        parts.append(f'<a href="{base}/tags/{tag}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>')
        at = found.end()
    parts.append(html.escape(post.text[at:]))
    return "<p>" + "".join(parts) + "</p>"


def status_json(post: DemoPost, base: str) -> dict[str, object]:
    sid = str(status_id(post))
    author = post.author
    tags = tags_of(post.text)
    return {
        "id": sid,
        "created_at": post.created_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": post.lang,
        "uri": f"{base}/users/{author.handle}/statuses/{sid}",
        "url": f"{base}/@{author.handle}/{sid}",
        "replies_count": post.replies,
        "reblogs_count": post.reposts,
        "favourites_count": post.likes,
        "edited_at": None,
        "content": _content_html(post, base),
        "reblog": None,
        "account": {
            "id": author.id,
            "username": author.handle,
            "acct": author.handle,
            "display_name": author.name,
            "locked": False,
            "bot": False,
            "url": f"{base}/@{author.handle}",
            "followers_count": author.followers,
            "following_count": 0,
            "statuses_count": 0,
        },
        "media_attachments": [],
        "mentions": [],
        "tags": [{"name": t, "url": f"{base}/tags/{t}"} for t in tags],
        "emojis": [],
        "card": None,
        "poll": None,
    }


def rss_xml(posts: Sequence[DemoPost], base: str) -> str:
    items = []
    for post in sorted(posts, key=lambda p: p.created_at, reverse=True):
        link = f"{base}/news/{post.seq}"
        items.append(
            "<item>"
            f"<title>{escape(post.title or post.text)}</title>"
            f"<link>{link}</link>"
            f'<guid isPermaLink="true">{link}</guid>'
            f"<pubDate>{format_datetime(post.created_at.astimezone(UTC), usegmt=True)}</pubDate>"
            f"<dc:creator>{escape(post.author.name)}</dc:creator>"
            f"<description>{escape(post.text)}</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Tejarat News</title><link>{base}/</link><description>Retail news</description>"
        + "".join(items)
        + "</channel></rss>"
    )


class DemoServer:
    """Holds the stream, sorted by status id, and answers the two protocols."""

    def __init__(self, posts: Sequence[DemoPost], *, clock: Callable[[], datetime] = utcnow) -> None:
        self.statuses = sorted((p for p in posts if p.platform == "mastodon"), key=status_id)
        self.ids = [status_id(p) for p in self.statuses]
        self.news = [p for p in posts if p.platform == "rss"]
        self.clock = clock
        self.requests = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v1/timelines/public", self.public_timeline)
        app.router.add_get("/api/v1/timelines/tag/{tag}", self.tag_timeline)
        app.router.add_get("/feeds/news.xml", self.feed)
        return app

    def _base(self, request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    async def public_timeline(self, request: web.Request) -> web.Response:
        return self._page(request, self.statuses, self.ids)

    async def tag_timeline(self, request: web.Request) -> web.Response:
        tag = request.match_info["tag"].lower()
        chosen = [p for p in self.statuses if tag in (h.lower() for h in tags_of(p.text))]
        return self._page(request, chosen, [status_id(p) for p in chosen])

    def _page(self, request: web.Request, posts: Sequence[DemoPost], ids: Sequence[int]) -> web.Response:
        self.requests += 1
        try:
            limit = min(MAX_LIMIT, int(request.query.get("limit", DEFAULT_LIMIT)))
            max_id = int(request.query["max_id"]) if "max_id" in request.query else None
            since_id = int(request.query["since_id"]) if "since_id" in request.query else None
            min_id = int(request.query["min_id"]) if "min_id" in request.query else None
        except ValueError:
            return web.json_response({"error": "invalid paging parameter"}, status=400)
        visible_until = (int(self.clock().timestamp() * 1000) + 1) << 16
        hi = bisect_left(ids, min(max_id if max_id is not None else visible_until, visible_until))
        lo = bisect_right(ids, since_id) if since_id is not None else 0
        if min_id is not None:  # the page immediately newer than min_id
            lo = max(lo, bisect_right(ids, min_id))
            hi = min(hi, lo + limit)
        page = list(reversed(posts[max(lo, hi - limit) : hi]))
        base = self._base(request)
        body = [status_json(p, base) for p in page]
        headers = {}
        if page:
            url = f"{base}{request.path}"
            newest, oldest = status_id(page[0]), status_id(page[-1])
            headers["Link"] = f'<{url}?max_id={oldest}>; rel="next", <{url}?min_id={newest}>; rel="prev"'
        return web.json_response(body, headers=headers)

    async def feed(self, request: web.Request) -> web.Response:
        now = self.clock()
        body = rss_xml([p for p in self.news if p.created_at <= now], self._base(request))
        etag = '"' + hashlib.sha1(body.encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(text=body, content_type="application/rss+xml", headers={"ETag": etag})
