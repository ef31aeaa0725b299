"""`x`: X (Twitter) recent search, API v2, with an app's bearer token. Optional and paid.

One query per search (X's query language: `digikala lang:fa -is:retweet`, ...):
`GET /2/tweets/search/recent` (the last 7 days), newest first, with the authors expanded.
`since_id` asks for what is new; `next_token` and `until_id` page down; `start_time` bounds the
first backfill (at most 7 days, what recent search covers). `x-rate-limit-*` headers are honoured.

X bills reading by the post, so the source keeps a daily budget of posts read (in the cursor)
and stops for the day when it is spent (`quota_exhausted`). See docs/sources.md for the cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import aiohttp
from pydantic import Field, SecretStr

from crawlers.http import fetch
from crawlers.pollers.base import BaseUrl, PagedOptions, Stream
from crawlers.pollers.budget import DailyBudget
from crawlers.pollers.raw import (
    count,
    field,
    hashtags_in,
    ident,
    language,
    links_in,
    mentions_in,
    optional,
    require_text,
    text_of,
    timestamp,
    unique,
)
from crawlers.pollers.timeline import Mark, Page, TimelinePoller, Window
from trendwatch.errors import BadPayload, NotConfigured
from trendwatch.models import Author, Engagement, Post
from trendwatch.timeutil import Duration, utcnow

PLATFORM = "x"
RECENT = timedelta(days=7)
MIN_PAGE = 10
TWEET_FIELDS = (
    "created_at,public_metrics,lang,entities,author_id,conversation_id,referenced_tweets,edit_history_tweet_ids"
)
USER_FIELDS = "username,name,public_metrics,verified"
#: Language codes X uses for "no language" (undetermined, media only, hashtags only, ...).
_NO_LANGUAGE = {"und", "qme", "qam", "qct", "qht", "qst", "zxx"}


class XOptions(PagedOptions):
    queries: list[str] = Field(default_factory=list, description="Search queries in X's query language.")
    bearer_token: SecretStr | None = Field(None, description="An app's bearer token, e.g. ${X_BEARER_TOKEN}.")
    daily_post_budget: int = Field(
        1000, ge=10, description="Posts this source may read per day (X bills per post read)."
    )
    limit: int = Field(100, ge=10, le=100, description="Posts per page (10 to 100).")
    api: BaseUrl = Field("https://api.x.com", description="API base URL.")
    interval: Duration = Field(timedelta(minutes=15), description="Time between rounds.")
    backfill: Duration = Field(timedelta(days=1), description="How far back a new query reaches (at most 7d).")


class XSource(TimelinePoller):
    platform = PLATFORM
    Options = XOptions
    description = "X (Twitter) recent search, API v2 (bearer token; paid per post read)"
    needs = "queries: X search queries"

    options: XOptions

    def __init__(self, name: str, options: XOptions, session: aiohttp.ClientSession) -> None:
        if not (options.bearer_token and options.bearer_token.get_secret_value()):
            raise NotConfigured(f"x source {name!r} needs bearer_token (an X API app's bearer token)")
        self.budget = DailyBudget(options.daily_post_budget, unit="posts")
        super().__init__(name, options, session)

    def streams(self) -> Sequence[Stream]:
        return [
            self.timeline(f"search:{query}", page=self._search(query), mark=mark, to_post=self._map)
            for query in self.options.queries
        ]

    def restore(self, cursor: dict[str, Any]) -> None:
        self.budget.load(cursor.get("posts_read"))

    def shared_state(self) -> dict[str, Any]:
        return {"posts_read": self.budget.dump()}

    def _map(self, raw: Any) -> Post:
        return to_post(raw, source=self.name)

    def _search(self, query: str) -> Any:
        async def page(window: Window) -> Page:
            # The most this page can cost is reserved before asking (X's smallest page is 10), so
            # queries searching side by side never read past the budget together; what X did not
            # return is given back.
            size = max(MIN_PAGE, min(self.options.limit, self.budget.remaining))
            self.budget.reserve(size)
            tweets: list[Any] = []
            try:
                body, where = await self._recent(query, size, window)
                data = body.get("data") or []
                if not isinstance(data, list):
                    raise BadPayload(f"{where}: data is not a list", reason="unexpected_shape")
                tweets = data
            finally:
                self.budget.refund(size - len(tweets))
            users = {
                u.get("id"): u for u in optional(body, "includes", "users", kind=list) or [] if isinstance(u, dict)
            }
            items = [
                {"tweet": t, "author": users.get(t.get("author_id"))} if isinstance(t, dict) else t for t in tweets
            ]
            next_token = optional(body, "meta", "next_token", kind=str)
            return Page(items, more=next_token is not None and bool(tweets), token=next_token)

        return page

    async def _recent(self, query: str, size: int, window: Window) -> tuple[dict[str, Any], str]:
        """One page of recent search (at most `size` posts): the response and where it came from."""
        opts = self.options
        params: dict[str, Any] = {
            "query": query,
            "max_results": size,
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        if window.after is not None:
            params["since_id"] = window.after[0]
        elif window.since is not None:
            earliest = utcnow() - RECENT + timedelta(minutes=1)
            params["start_time"] = max(window.since, earliest).strftime("%Y-%m-%dT%H:%M:%SZ")
        if window.token:
            params["next_token"] = window.token
        elif window.before is not None:
            params["until_id"] = window.before[0]
        token = opts.bearer_token.get_secret_value() if opts.bearer_token else ""
        fetched = await fetch(
            self.session,
            f"{opts.api}/2/tweets/search/recent",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            credential=f"the {self.name} source's bearer_token",
        )
        body = fetched.json()
        if not isinstance(body, dict) or not isinstance(body.get("meta", {}), dict):
            raise BadPayload(f"{fetched.where} did not return a search response", reason="unexpected_shape")
        return body, fetched.where


def mark(raw: Any) -> Mark:
    """Post ids are snowflakes: larger is newer."""
    return (int(ident(raw, "tweet", "id")),)


def to_post(raw: Any, source: str = PLATFORM) -> Post:
    """Map `{"tweet": ..., "author": expanded user or None}` to a Post. Pure."""
    tweet = field(raw, "tweet", kind=dict)
    native = ident(tweet, "id")
    text = require_text(optional(tweet, "text", kind=str))
    user = optional(raw, "author", kind=dict) or {}
    author_id = text_of(tweet, "author_id") or text_of(user, "id")
    username = text_of(user, "username")
    entities = optional(tweet, "entities", kind=dict) or {}
    metrics = optional(tweet, "public_metrics", kind=dict) or {}
    declared = text_of(tweet, "lang")
    replied = next(
        (
            r.get("id")
            for r in optional(tweet, "referenced_tweets", kind=list) or []
            if isinstance(r, dict) and r.get("type") == "replied_to"
        ),
        None,
    )
    reposts = count(metrics, "retweet_count")
    quotes = count(metrics, "quote_count")
    return Post(
        id=f"{PLATFORM}:{native}",
        platform=PLATFORM,
        source=source,
        text=text,
        created_at=timestamp(field(tweet, "created_at", kind=str)),
        url=f"https://x.com/{username or 'i'}/status/{native}",
        author=Author(
            id=author_id,
            handle=username,
            name=text_of(user, "name"),
            followers=count(user, "public_metrics", "followers_count"),
            url=f"https://x.com/{username}" if username else None,
        )
        if author_id
        else None,
        lang=None if declared in _NO_LANGUAGE else language(declared),
        hashtags=unique([text_of(h, "tag") for h in optional(entities, "hashtags", kind=list) or []])
        or hashtags_in(text),
        mentions=unique([text_of(m, "username") for m in optional(entities, "mentions", kind=list) or []])
        or mentions_in(text),
        links=unique([text_of(u, "expanded_url") for u in optional(entities, "urls", kind=list) or []])
        or links_in(text),
        engagement=Engagement(
            likes=count(metrics, "like_count"),
            reposts=None if reposts is None else reposts + (quotes or 0),
            replies=count(metrics, "reply_count"),
            views=count(metrics, "impression_count"),
        ),
        reply_to=f"{PLATFORM}:{replied}" if replied else None,
        raw=raw,
    )
