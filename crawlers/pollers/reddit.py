"""`reddit`: keyword search and the newest posts (and comments) of subreddits.

Queries: `/search?q=<keyword>&sort=new` for each keyword (site-wide, or within `subreddits`
when `search_in_subreddits`), `/r/<sub>/new` for each subreddit, `/r/<sub>/comments` for each of
`comment_subreddits`. Listings page with `after=<fullname>`; what is new is everything above the
newest item already collected (Reddit ids grow with time).

With `client_id`/`client_secret` (a "script" or "web" app at https://www.reddit.com/prefs/apps)
the source gets an application-only OAuth token (client credentials) and reads
`oauth.reddit.com` (about 100 requests a minute); without them it reads the public `.json`
listings of www.reddit.com (about 10 a minute, and Reddit may refuse unauthenticated clients).
`X-Ratelimit-Remaining`/`-Reset` are honoured by the shared session.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import aiohttp
from pydantic import Field, SecretStr, field_validator, model_validator
from yarl import URL

from crawlers.http import fetch
from crawlers.pollers.base import BaseUrl, PagedOptions, Stream
from crawlers.pollers.raw import (
    count,
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
from trendwatch.errors import AuthError, BadPayload, SourceGone
from trendwatch.models import Author, Engagement, Post
from trendwatch.timeutil import Duration

PLATFORM = "reddit"
_USER = re.compile(r"(?<![\w/])/?u/([A-Za-z0-9_-]{3,20})")
_SUBREDDIT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{1,20}$")


class RedditOptions(PagedOptions):
    keywords: list[str] = Field(default_factory=list, description="Search terms; newest matching posts.")
    subreddits: list[str] = Field(default_factory=list, description="Subreddits whose newest posts to read.")
    comment_subreddits: list[str] = Field(default_factory=list, description="Subreddits whose newest comments to read.")
    search_in_subreddits: bool = Field(False, description="Search only within `subreddits` instead of all of Reddit.")
    client_id: str | None = Field(None, description="OAuth app id (client credentials); unauthenticated when unset.")
    client_secret: SecretStr | None = Field(None, description="OAuth app secret, e.g. ${REDDIT_CLIENT_SECRET}.")
    limit: int = Field(100, ge=1, le=100, description="Items per page (Reddit allows up to 100).")
    api: BaseUrl = Field("https://www.reddit.com", description="Public listings (unauthenticated).")
    oauth_api: BaseUrl = Field("https://oauth.reddit.com", description="Listings with an OAuth token.")
    token_url: str = Field("https://www.reddit.com/api/v1/access_token", description="Where tokens come from.")
    interval: Duration = Field(timedelta(minutes=5), description="Time between rounds.")

    @model_validator(mode="after")
    def _both_or_neither(self) -> RedditOptions:
        has_secret = bool(self.client_secret and self.client_secret.get_secret_value())
        if bool(self.client_id) != has_secret:
            raise ValueError("set both client_id and client_secret (OAuth), or neither (unauthenticated)")
        return self

    @field_validator("subreddits", "comment_subreddits")
    @classmethod
    def _names(cls, values: list[str]) -> list[str]:
        names = [v.strip().removeprefix("/").removeprefix("r/") for v in values]
        for name in names:
            if not _SUBREDDIT.match(name):
                raise ValueError(f"{name!r} is not a subreddit name")
        return names


class RedditSource(TimelinePoller):
    platform = PLATFORM
    Options = RedditOptions
    description = "Reddit search and subreddit listings (OAuth client credentials when configured)"
    needs = "keywords, subreddits or comment_subreddits"

    options: RedditOptions

    def __init__(self, name: str, options: RedditOptions, session: aiohttp.ClientSession) -> None:
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()
        super().__init__(name, options, session)

    def streams(self) -> Sequence[Stream]:
        opts = self.options
        out: list[Stream] = []
        scope = "+".join(opts.subreddits) if opts.search_in_subreddits and opts.subreddits else None
        for keyword in opts.keywords:
            path = f"/r/{scope}/search" if scope else "/search"
            params = {"q": keyword, "sort": "new", "restrict_sr": bool(scope), "type": "link"}
            out.append(self._listing(f"search:{keyword}", path, params, "t3"))
        out += [self._listing(f"r/{sub} new", f"/r/{sub}/new", {}, "t3") for sub in opts.subreddits]
        out += [self._listing(f"r/{sub} comments", f"/r/{sub}/comments", {}, "t1") for sub in opts.comment_subreddits]
        return out

    @property
    def authenticated(self) -> bool:
        return bool(self.options.client_id)

    async def _auth_headers(self) -> dict[str, str]:
        """The bearer header, getting an application-only token first when there is none (or it is old)."""
        if not self.authenticated:
            return {}
        async with self._token_lock:  # queries run side by side: one token request for all of them
            if self._token is None or time.monotonic() > self._token_expires:
                await self._new_token()
        return {"Authorization": f"bearer {self._token}"}

    async def _new_token(self) -> None:
        secret = self.options.client_secret.get_secret_value() if self.options.client_secret else ""
        fetched = await fetch(
            self.session,
            self.options.token_url,
            method="POST",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": aiohttp.encode_basic_auth(self.options.client_id or "", secret)},
            credential=f"the {self.name} source's client_id/client_secret",
        )
        body = fetched.json()
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            said = body.get("error") if isinstance(body, dict) else body
            raise AuthError(
                f"{fetched.where} gave no access token ({said!r}): check the {self.name} source's "
                "client_id/client_secret",
                reason="auth",
            )
        expires = body.get("expires_in")
        self._token = token
        self._token_expires = time.monotonic() + (expires if isinstance(expires, int | float) else 3600) - 60

    def _listing(self, key: str, path: str, params: dict[str, Any], kind: str) -> Stream:
        async def page(window: Window) -> Page:
            headers = await self._auth_headers()
            base = self.options.oauth_api if self.authenticated else self.options.api
            url = base + path + ("" if self.authenticated else ".json")
            after = window.token or (f"{kind}_{_base36(window.before[0])}" if window.before else None)
            query = {**params, "limit": self.options.limit, "after": after, "raw_json": 1}
            fetched = await fetch(
                self.session,
                url,
                params=query,
                headers=headers,
                credential=f"the {self.name} source's client_id/client_secret"
                if self.authenticated
                else "Reddit refuses unauthenticated clients: set client_id and client_secret",
            )
            if fetched.status == 200 and "/subreddits/search" in URL(fetched.url).path:
                raise SourceGone(f"{fetched.where}: no such subreddit ({path})", reason="http_404")
            body = fetched.json()
            children = optional(body, "data", "children", kind=list)
            if optional(body, "kind", kind=str) != "Listing" or children is None:
                raise BadPayload(f"{fetched.where} did not return a Listing", reason="unexpected_shape")
            items = [c.get("data") if isinstance(c, dict) else c for c in children]
            token = optional(body, "data", "after", kind=str)
            return Page(items, more=token is not None, token=token)

        return self.timeline(key, page=page, mark=mark, to_post=lambda raw: to_post(raw, source=self.name))


def mark(raw: Any) -> Mark:
    """Reddit ids are base-36 counters: larger is newer."""
    return (int(ident(raw, "id"), 36),)


def _url(raw: Any, permalink: str | None, comment: bool) -> str | None:
    if permalink:
        return f"https://www.reddit.com{permalink}"
    link = text_of(raw, "link_id")
    if comment and link and link.startswith("t3_"):  # older comment listings carry no permalink
        where = f"r/{sub}/" if (sub := text_of(raw, "subreddit")) else ""
        return f"https://www.reddit.com/{where}comments/{link[3:]}/_/{ident(raw, 'id')}/"
    return None


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def to_post(raw: Any, source: str = PLATFORM) -> Post:
    """Map one Reddit listing item's data (a post, t3, or a comment, t1) to a Post. Pure."""
    fullname = text_of(raw, "name") or ident(raw, "id")
    comment = fullname.startswith("t1_") or "body" in raw
    if comment:
        html = text_of(raw, "body_html")
        body = text_of(raw, "body")
        text = require_text(body, html_to_text(html)[0] if html else None)
        title = None
        links = links_in(text)
    else:
        title = text_of(raw, "title")
        selftext = text_of(raw, "selftext")
        text = require_text(selftext, title)
        link = text_of(raw, "url")
        links = unique([link if not raw.get("is_self") else None, *links_in(selftext or "")])
    author_name = text_of(raw, "author")
    known_author = author_name not in (None, "[deleted]", "[removed]")
    permalink = text_of(raw, "permalink")
    edited = raw.get("edited")
    parent = text_of(raw, "parent_id")
    searchable = f"{title or ''}\n{text}"
    return Post(
        id=f"{PLATFORM}:{fullname}",
        platform=PLATFORM,
        source=source,
        text=text,
        title=title,
        created_at=timestamp(raw.get("created_utc", raw.get("created")), "created_utc"),
        edited_at=timestamp(edited) if isinstance(edited, int | float) and not isinstance(edited, bool) else None,
        url=_url(raw, permalink, comment),
        author=Author(
            id=text_of(raw, "author_fullname") or str(author_name),
            handle=author_name,
            url=f"https://www.reddit.com/user/{author_name}",
        )
        if known_author
        else None,
        lang=None,
        hashtags=hashtags_in(searchable),
        mentions=unique(m.group(1) for m in _USER.finditer(text)),
        links=links,
        engagement=Engagement(
            likes=count(raw, "ups"),
            reposts=count(raw, "num_crossposts"),
            replies=None if comment else count(raw, "num_comments"),
            views=count(raw, "view_count"),
        ),
        reply_to=f"{PLATFORM}:{parent}" if comment and parent else None,
        raw=raw,
    )
