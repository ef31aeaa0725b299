"""`bluesky`: post search for keywords, hashtags and mentions, and the feeds of chosen accounts.

Search (`app.bsky.feed.searchPosts`, newest first) needs a login: an app password (Settings →
Privacy and security → App passwords) for `identifier`. The source creates the session itself
(`com.atproto.server.createSession`), refreshes it when the access token expires
(`com.atproto.server.refreshSession`), and logs in again if the refresh token is refused.
Author feeds (`app.bsky.feed.getAuthorFeed`, posts without replies or reposts) are read from the
public AppView without a login.

Paging: the platform's `cursor` within a descent; when it stops while pages are still full
(search serves at most ~10,000 results per query), the source goes on with `until` set to the
oldest post reached (the cursors of that query carry its `until` with them), so a long
backfill gets past the ceiling. New posts are asked for with `since`. The order is the post's
sort time (the earlier of `createdAt` and `indexedAt`, as the AppView sorts), ties broken by
the post's URI. `RateLimit-*` headers are honoured.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from pydantic import Field, SecretStr, model_validator

from crawlers.http import Fetched, fetch, status_error
from crawlers.pollers.base import BaseUrl, PagedOptions, Stream
from crawlers.pollers.raw import (
    count,
    field,
    hashtags_in,
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
from trendwatch.errors import AuthError, BadPayload, DropPost, NotConfigured, SourceGone
from trendwatch.models import Author, Engagement, Post
from trendwatch.timeutil import Duration

PLATFORM = "bluesky"


class BlueskyOptions(PagedOptions):
    keywords: list[str] = Field(default_factory=list, description="Search terms (login needed).")
    hashtags: list[str] = Field(default_factory=list, description="Hashtags to search for (login needed).")
    mentions: list[str] = Field(
        default_factory=list, description="Handles whose mentions to search for (login needed)."
    )
    authors: list[str] = Field(default_factory=list, description="Handles or DIDs whose posts to read (no login).")
    lang: str | None = Field(None, description="Only search posts declared in this language, e.g. fa.")
    identifier: str | None = Field(None, description="Login handle or e-mail for search.")
    app_password: SecretStr | None = Field(None, description="An app password, e.g. ${BLUESKY_APP_PASSWORD}.")
    service: BaseUrl = Field("https://bsky.social", description="The PDS to log in to and search through.")
    public_api: BaseUrl = Field("https://public.api.bsky.app", description="AppView for reads without login.")
    limit: int = Field(100, ge=1, le=100, description="Posts per page (at most 100).")
    interval: Duration = Field(timedelta(minutes=3), description="Time between rounds.")

    @model_validator(mode="after")
    def _both_or_neither(self) -> BlueskyOptions:
        if bool(self.identifier) != bool(self.app_password and self.app_password.get_secret_value()):
            raise ValueError("set both identifier and app_password, or neither")
        return self

    @property
    def searches(self) -> list[tuple[str, dict[str, Any]]]:
        """(query key, searchPosts parameters) for every keyword, hashtag and mention."""
        out = [(f"search:{k}", {"q": k}) for k in self.keywords]
        out += [(f"search:#{t.lstrip('#')}", {"q": f"#{t.lstrip('#')}", "tag": t.lstrip("#")}) for t in self.hashtags]
        out += [(f"mentions:{m.lstrip('@')}", {"q": m.lstrip("@"), "mentions": m.lstrip("@")}) for m in self.mentions]
        return out


class BlueskySource(TimelinePoller):
    platform = PLATFORM
    Options = BlueskyOptions
    description = "Bluesky post search (app-password login) and author feeds (no login)"
    needs = "keywords, hashtags or mentions (with identifier and app_password), or authors"

    options: BlueskyOptions

    def __init__(self, name: str, options: BlueskyOptions, session: aiohttp.ClientSession) -> None:
        if options.searches and not options.identifier:
            raise NotConfigured(
                f"bluesky source {name!r}: searching needs identifier and app_password (an app password from "
                "Settings → Privacy and security → App passwords); without them, list only authors"
            )
        self._access: str | None = None
        self._refresh: str | None = None
        self._login = asyncio.Lock()
        super().__init__(name, options, session)

    def streams(self) -> Sequence[Stream]:
        out: list[Stream] = []
        for key, params in self.options.searches:
            out.append(self.timeline(key, page=self._search(params), mark=mark, to_post=self._map))
        for actor in self.options.authors:
            out.append(self.timeline(f"author:{actor}", page=self._author(actor), mark=mark, to_post=self._map))
        return out

    def _map(self, raw: Any) -> Post:
        return to_post(raw, source=self.name)

    # ----------------------------------------------------------------- session

    @property
    def credential(self) -> str:
        return f"the {self.name} source's identifier/app_password"

    async def _session_token(self, stale: str | None = None) -> str:
        """A valid access token: log in, or refresh the one that just expired (`stale`)."""
        async with self._login:
            if self._access is not None and self._access != stale:
                return self._access  # another query already renewed it
            if stale is not None and self._refresh is not None:
                refreshed = await self._xrpc_post("com.atproto.server.refreshSession", None, bearer=self._refresh)
                if refreshed is not None:
                    return self._access or ""
            password = self.options.app_password.get_secret_value() if self.options.app_password else ""
            created = await self._xrpc_post(
                "com.atproto.server.createSession", {"identifier": self.options.identifier, "password": password}
            )
            if created is None:
                raise AuthError(f"Bluesky refused the login: check {self.credential}", reason="http_401")
            return self._access or ""

    async def _xrpc_post(self, method: str, body: dict[str, Any] | None, bearer: str | None = None) -> Any:
        """POST a session call; keeps the new tokens. None when the server refuses the credentials."""
        fetched = await fetch(
            self.session,
            f"{self.options.service}/xrpc/{method}",
            method="POST",
            json=body,
            headers={"Authorization": f"Bearer {bearer}"} if bearer else None,
            expect=(200, 400, 401),
            credential=self.credential,
        )
        if fetched.status != 200:
            return None
        data = fetched.json()
        access, refresh = optional(data, "accessJwt", kind=str), optional(data, "refreshJwt", kind=str)
        if not access or not refresh:
            raise BadPayload(f"{fetched.where} returned no session tokens", reason="unexpected_shape")
        self._access, self._refresh = access, refresh
        return data

    async def _authorized_get(self, method: str, params: dict[str, Any]) -> Fetched:
        """GET an XRPC method with the session's token, renewing it once if it has expired."""

        async def get(token: str) -> Fetched:
            return await fetch(
                self.session,
                f"{self.options.service}/xrpc/{method}",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
                expect=(200, 400, 401),
                credential=self.credential,
            )

        token = self._access or await self._session_token()
        fetched = await get(token)
        if fetched.status != 200 and _expired(fetched):
            fetched = await get(await self._session_token(stale=token))
        if fetched.status != 200:
            raise status_error(fetched, credential=self.credential)
        return fetched

    # ----------------------------------------------------------------- queries

    def _search(self, params: dict[str, Any]) -> Any:
        async def page(window: Window) -> Page:
            query = {**params, "sort": "latest", "limit": self.options.limit, "lang": self.options.lang}
            since = _iso(window.after[0]) if window.after else (_iso_dt(window.since) if window.since else None)
            query["since"] = since
            paging = _paging(window)
            query.update(paging)
            fetched = await self._authorized_get("app.bsky.feed.searchPosts", query)
            body = fetched.json()
            posts = optional(body, "posts", kind=list)
            if posts is None:
                raise BadPayload(f"{fetched.where} returned no list of posts", reason="unexpected_shape")
            cursor = optional(body, "cursor", kind=str)
            if cursor:
                until = paging.get("until")
                return Page(posts, more=bool(posts), token=f"{_ANCHOR}{until} {cursor}" if until else cursor)
            # No cursor: the end of the results, or the ~10k ceiling of one query. Asking once more
            # below the oldest post with `until` tells them apart (it comes back empty at the end).
            return Page(posts, more=bool(posts), token=_UNTIL if posts else None)

        return page

    def _author(self, actor: str) -> Any:
        async def page(window: Window) -> Page:
            params = {"actor": actor.lstrip("@"), "limit": self.options.limit, "filter": "posts_no_replies"}
            if window.token and window.token != _UNTIL:
                params["cursor"] = window.token
            fetched = await fetch(
                self.session,
                f"{self.options.public_api}/xrpc/app.bsky.feed.getAuthorFeed",
                params=params,
                expect=(200, 400),
            )
            body = fetched.json()
            if fetched.status == 400:
                message = optional(body, "message", kind=str) or optional(body, "error", kind=str) or ""
                if "not found" in message.lower():
                    raise SourceGone(f"Bluesky account {actor!r} not found: check authors", reason="not_found")
                raise status_error(fetched)
            feed = optional(body, "feed", kind=list)
            if feed is None:
                raise BadPayload(f"{fetched.where} returned no feed", reason="unexpected_shape")
            # Reposts carry someone else's post at the time of the repost; the account's own posts are what we want.
            posts = [item.get("post") for item in feed if isinstance(item, dict) and not item.get("reason")]
            cursor = optional(body, "cursor", kind=str)
            return Page(posts, more=bool(cursor) and bool(feed), token=cursor)

        return page


_UNTIL = "until"  # a token meaning "no platform cursor: page by `until`"
_ANCHOR = "until@"  # a token "until@<time> <cursor>": the platform's cursor within an `until` query


def _paging(window: Window) -> dict[str, str]:
    """The `cursor` and/or `until` asking for the page below `window`.

    A cursor is only valid with the query that returned it, so one from an `until` query
    travels with its `until` in the token; without it the search would restart at the newest post.
    """
    token = window.token
    if token and token.startswith(_ANCHOR):
        until, _, cursor = token.removeprefix(_ANCHOR).partition(" ")
        return {"until": until, "cursor": cursor}
    if token and token != _UNTIL:
        return {"cursor": token}
    if window.before is not None:
        return {"until": _iso(window.before[0] + 1000)}  # `until` is exclusive; ties are filtered
    return {}


def _expired(fetched: Fetched) -> bool:
    if fetched.status == 401:
        return True
    try:
        body = fetched.json()
    except BadPayload:
        return False
    return isinstance(body, dict) and body.get("error") in ("ExpiredToken", "InvalidToken")


def _iso(micros: int) -> str:
    return datetime.fromtimestamp(micros / 1_000_000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _iso_dt(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sort_time(raw: Any) -> datetime:
    """The AppView's sort time: the earlier of the record's createdAt and the indexedAt."""
    indexed = timestamp(field(raw, "indexedAt", kind=str), "indexedAt")
    created = optional(raw, "record", "createdAt", kind=str)
    if created is None:
        return indexed
    try:
        return min(indexed, timestamp(created))
    except DropPost:
        return indexed


def mark(raw: Any) -> Mark:
    """(sort time in microseconds, post URI)."""
    return (int(sort_time(raw).timestamp() * 1_000_000), field(raw, "uri", kind=str))


def to_post(raw: Any, source: str = PLATFORM) -> Post:
    """Map one Bluesky post view (`app.bsky.feed.defs#postView`) to a Post. Pure."""
    uri = field(raw, "uri", kind=str)
    record = field(raw, "record", kind=dict)
    text = require_text(optional(record, "text", kind=str))
    author = field(raw, "author", kind=dict)
    did = field(author, "did", kind=str)
    handle = text_of(author, "handle")
    tags: list[str | None] = []
    links: list[str | None] = []
    for facet in optional(record, "facets", kind=list) or []:
        for feature in optional(facet, "features", kind=list) or []:
            kind = optional(feature, "$type", kind=str) or ""
            if kind.endswith("#tag"):
                tags.append(text_of(feature, "tag"))
            elif kind.endswith("#link"):
                links.append(text_of(feature, "uri"))
    tags += [optional(t, kind=str) for t in optional(record, "tags", kind=list) or []]
    links.append(text_of(raw, "embed", "external", "uri") or text_of(record, "embed", "external", "uri"))
    langs = optional(record, "langs", kind=list) or []
    rkey = uri.rsplit("/", 1)[-1]
    parent = text_of(record, "reply", "parent", "uri")
    return Post(
        id=f"{PLATFORM}:{uri}",
        platform=PLATFORM,
        source=source,
        text=text,
        created_at=timestamp(field(record, "createdAt", kind=str)),
        url=f"https://bsky.app/profile/{handle or did}/post/{rkey}",
        author=Author(
            id=did,
            handle=handle,
            name=text_of(author, "displayName"),
            followers=count(author, "followersCount"),
            url=f"https://bsky.app/profile/{handle or did}",
        ),
        lang=language(langs[0]) if langs else None,
        hashtags=unique([*tags, *hashtags_in(text)]),
        mentions=mentions_in(text),  # handles as written; the facets' DIDs stay in raw
        links=unique([*links, *links_in(text)]),
        engagement=Engagement(
            likes=count(raw, "likeCount"),
            reposts=count(raw, "repostCount"),
            replies=count(raw, "replyCount"),
        ),
        reply_to=f"{PLATFORM}:{parent}" if parent else None,
        raw=raw,
    )
