"""`hackernews`: Hacker News stories and comments matching keywords, through the Algolia search API.

One query per keyword: `GET /api/v1/search_by_date?query=<keyword>&tags=(story,comment)`,
newest first, narrowed with `numericFilters=created_at_i>=...,created_at_i<=...`. The item's
creation time is the cursor (ties broken by the item id); within one descent the pages are
those of a query whose upper bound is fixed at the descent's top second, so new items cannot
shift them, and Algolia's limit of 1,000 hits per query is passed by moving the bound down.
No credentials; Algolia allows about 10,000 requests an hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field

from crawlers.http import fetch
from crawlers.pollers.base import BaseUrl, PagedOptions, Stream
from crawlers.pollers.raw import (
    count,
    field,
    hashtags_in,
    html_to_text,
    ident,
    links_in,
    optional,
    require_text,
    text_of,
    timestamp,
    unique,
)
from crawlers.pollers.timeline import Mark, Page, TimelinePoller, Window
from trendwatch.errors import BadPayload
from trendwatch.models import Author, Engagement, Post
from trendwatch.timeutil import Duration

PLATFORM = "hackernews"
MAX_HITS = 1000  # Algolia's pagination limit for one query
Kind = Literal["story", "comment"]


def _both_kinds() -> list[Kind]:
    return ["story", "comment"]


class HackerNewsOptions(PagedOptions):
    keywords: list[str] = Field(default_factory=list, description="Search terms; each is one query.")
    kinds: list[Kind] = Field(default_factory=_both_kinds, min_length=1, description="Item kinds to collect.")
    api: BaseUrl = Field("https://hn.algolia.com", description="Base URL of the Algolia HN Search API.")
    hits_per_page: int = Field(100, ge=1, le=1000, description="Items per page.")
    interval: Duration = Field(timedelta(minutes=5), description="Time between rounds.")


class HackerNewsSource(TimelinePoller):
    platform = PLATFORM
    Options = HackerNewsOptions
    description = "Hacker News stories and comments matching keywords (Algolia search API)"
    needs = "keywords: the terms to search for"

    options: HackerNewsOptions

    def streams(self) -> Sequence[Stream]:
        return [
            self.timeline(
                f"search:{keyword}",
                page=self._pager(keyword),
                mark=mark,
                to_post=lambda raw: to_post(raw, source=self.name),
            )
            for keyword in self.options.keywords
        ]

    def _pager(self, keyword: str) -> Any:
        opts = self.options
        tags = opts.kinds[0] if len(opts.kinds) == 1 else "(" + ",".join(opts.kinds) + ")"

        async def page(window: Window) -> Page:
            # Within a descent, pages of one fixed query (created_at_i <= the descent's top second):
            # page numbers are stable there, and they get through a second with more items than a page.
            bound, number = _parse_token(window.token)
            if bound is None and window.before is not None:
                bound = window.before[0]
            filters = []
            if window.after is not None:
                filters.append(f"created_at_i>={window.after[0]}")
            elif window.since is not None:
                filters.append(f"created_at_i>={int(window.since.timestamp())}")
            if bound is not None:
                filters.append(f"created_at_i<={bound}")
            params: dict[str, Any] = {"query": keyword, "tags": tags, "hitsPerPage": opts.hits_per_page, "page": number}
            if filters:
                params["numericFilters"] = ",".join(filters)
            fetched = await fetch(self.session, f"{opts.api}/api/v1/search_by_date", params=params)
            body = fetched.json()
            hits = body.get("hits") if isinstance(body, dict) else None
            if not isinstance(hits, list):
                raise BadPayload(f"{fetched.where} returned no list of hits", reason="unexpected_shape")
            if len(hits) < opts.hits_per_page:
                return Page(hits, more=False)
            times = [h["created_at_i"] for h in hits if isinstance(h, dict) and isinstance(h.get("created_at_i"), int)]
            if bound is None:
                bound = max(times, default=None)
            if (number + 1) * opts.hits_per_page >= MAX_HITS and times:
                return Page(hits, more=True, token=f"{min(times)}:0")  # Algolia serves 1,000 hits per query
            return Page(hits, more=True, token=f"{bound}:{number + 1}")

        return page


def _parse_token(token: str | None) -> tuple[int | None, int]:
    """ "<second>:<page>" -> (second, page); no token -> (None, 0)."""
    if not token:
        return None, 0
    second, _, number = token.partition(":")
    return int(second), int(number or 0)


def mark(raw: Any) -> Mark:
    """(creation time, item id): the order of search_by_date, ties broken by the id."""
    return (field(raw, "created_at_i", kind=int), int(ident(raw, "objectID")))


def to_post(raw: Any, source: str = PLATFORM) -> Post:
    """Map one Algolia hit (a story or a comment) to a Post. Pure."""
    native = ident(raw, "objectID")
    tags = optional(raw, "_tags", kind=list) or []
    comment = "comment" in tags or raw.get("comment_text") is not None
    html = text_of(raw, "comment_text") if comment else text_of(raw, "story_text")
    body, body_links = html_to_text(html) if html else ("", ())
    title = None if comment else text_of(raw, "title")
    text = require_text(body, title)
    created = raw.get("created_at_i")
    created_at = timestamp(created if isinstance(created, int) else field(raw, "created_at", kind=str))
    author = text_of(raw, "author")
    parent = raw.get("parent_id")
    link = text_of(raw, "url")
    return Post(
        id=f"{PLATFORM}:{native}",
        platform=PLATFORM,
        source=source,
        text=text,
        title=title,
        created_at=created_at,
        url=f"https://news.ycombinator.com/item?id={native}",
        author=Author(id=author, handle=author, url=f"https://news.ycombinator.com/user?id={author}")
        if author
        else None,
        hashtags=hashtags_in(text),
        links=unique([link, *body_links, *links_in(text)]),
        engagement=Engagement(likes=count(raw, "points"), replies=count(raw, "num_comments")),
        reply_to=f"{PLATFORM}:{parent}" if comment and isinstance(parent, int | str) and parent != "" else None,
        raw=raw,
    )
