"""`mastodon`: hashtag timelines, keyword-filtered public/local timelines and (with an access
token) full-text search, on any number of Mastodon instances (or compatible servers).

Queries per instance: `GET /api/v1/timelines/tag/:hashtag` for each hashtag;
`GET /api/v1/timelines/public` (`local=true` for "local") for each timeline, keeping posts that
contain a keyword (all posts when no keyword is set); and, when `access_tokens` has one for the
instance, `GET /api/v2/search?type=statuses` for each keyword. Paging is `max_id` downwards and
`since_id` for what is new (the `Link` header's `next` page when the server sends one), run by
`crawlers.pollers.timeline`. `X-RateLimit-*` headers (300 requests / 5 min by default) are
honoured by the shared session.

A status's identity is its ActivityPub `uri`, the same on every instance, so a post seen through
two instances is one post: `mastodon:<uri>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from yarl import URL

from crawlers.http import fetch
from crawlers.pollers.base import BaseUrl, PagedOptions, Stream
from crawlers.pollers.raw import (
    count,
    field,
    hashtags_in,
    html_to_text,
    keyword_filter,
    language,
    optional,
    optional_timestamp,
    require_text,
    text_of,
    timestamp,
    unique,
)
from crawlers.pollers.timeline import Mark, Page, Timeline, TimelinePoller, Window
from trendwatch.errors import BadPayload, DropPost
from trendwatch.models import Author, Engagement, Post
from trendwatch.timeutil import Duration

PLATFORM = "mastodon"


class MastodonOptions(PagedOptions):
    instances: list[BaseUrl] = Field(
        default_factory=lambda: ["https://mastodon.social"], description="Instance base URLs to read from."
    )
    hashtags: list[str] = Field(default_factory=list, description="Hashtags to follow (with or without '#').")
    timelines: list[Literal["public", "local"]] = Field(
        default_factory=list, description="Public timelines to read: 'public' (federated) and/or 'local'."
    )
    keywords: list[str] = Field(
        default_factory=list,
        description="Keep timeline posts containing any of these (all when empty); search terms when a token is set.",
    )
    access_tokens: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Access token per instance host (read scope), e.g. {mastodon.social: ${MASTODON_TOKEN}}.",
    )
    limit: int = Field(40, ge=1, le=40, description="Statuses per page (Mastodon allows up to 40).")
    interval: Duration = Field(timedelta(minutes=2), description="Time between rounds.")

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, values: list[str]) -> list[str]:
        tags = [v.strip().lstrip("#＃") for v in values]
        for tag in tags:
            if not tag or any(c.isspace() for c in tag):
                raise ValueError(f"{tag!r} is not a hashtag (no spaces, not empty)")
        return tags


class MastodonSource(TimelinePoller):
    platform = PLATFORM
    Options = MastodonOptions
    description = "Mastodon hashtag and public/local timelines on any instances; search with a token"
    needs = "hashtags, timelines, or keywords with an access token (and instances)"

    options: MastodonOptions

    def streams(self) -> Sequence[Stream]:
        opts = self.options
        keep = keyword_filter(opts.keywords)
        out: list[Stream] = []
        for instance in opts.instances:
            where = URL(instance).authority or instance
            token = self._token(instance)
            for tag in opts.hashtags:
                path = f"/api/v1/timelines/tag/{tag}"
                out.append(self._timeline(f"{where} #{tag}", instance, path, {}, token))
            for name in opts.timelines:
                params: dict[str, Any] = {"local": True} if name == "local" else {}
                out.append(self._timeline(f"{where} {name}", instance, "/api/v1/timelines/public", params, token, keep))
            if token is not None:
                for keyword in opts.keywords:
                    params = {"q": keyword, "type": "statuses", "resolve": False}
                    out.append(self._timeline(f"{where} search:{keyword}", instance, "/api/v2/search", params, token))
        return out

    def _token(self, instance: str) -> str | None:
        url = URL(instance)
        for key in (instance, url.authority, url.host):
            secret = self.options.access_tokens.get(key or "")
            if secret is not None and secret.get_secret_value():
                return secret.get_secret_value()
        return None

    def _timeline(
        self,
        key: str,
        instance: str,
        path: str,
        params: dict[str, Any],
        token: str | None,
        keep: Any = None,
    ) -> Timeline:
        search = path.startswith("/api/v2/search")
        credential = f"the {self.name} source's access_tokens entry for {URL(instance).host}"
        headers = {"Authorization": f"Bearer {token}"} if token else {}

        async def page(window: Window) -> Page:
            query: dict[str, Any] = {**params, "limit": self.options.limit}
            query["max_id"] = window.token or (window.before[1] if window.before else None)
            if not search and window.after is not None:
                query["since_id"] = window.after[1]  # search has no since_id: the timeline stops at hw
            fetched = await fetch(self.session, instance + path, params=query, headers=headers, credential=credential)
            data = fetched.json()
            statuses = data.get("statuses") if search and isinstance(data, dict) else data
            if not isinstance(statuses, list):
                raise BadPayload(
                    f"{fetched.where} did not return a list of statuses (got {type(data).__name__})",
                    reason="unexpected_shape",
                )
            next_url = fetched.links.get("next")
            if "Link" in fetched.headers:
                more = next_url is not None and bool(statuses)
                token_ = URL(next_url).query.get("max_id") if next_url else None
            else:
                more, token_ = len(statuses) >= self.options.limit, None
            return Page(statuses, more=more, token=token_)

        return self.timeline(key, page=page, mark=mark, to_post=lambda raw: to_post(raw, source=self.name), keep=keep)


def mark(raw: Any) -> Mark:
    """Statuses are ordered by id: numeric strings (Mastodon) or fixed-width flake ids (Pleroma);
    comparing (length, id) orders both correctly."""
    native = field(raw, "id", kind=str)
    return (len(native), native)


def to_post(raw: Any, source: str = PLATFORM) -> Post:
    """Map one Mastodon status (a boost maps to the boosted status) to a Post. Pure."""
    status = optional(raw, "reblog", kind=dict) or raw
    uri = text_of(status, "uri") or text_of(status, "url")
    if uri is None:
        raise DropPost("missing_field", "status.uri")
    html = optional(status, "content", kind=str) or ""
    body, links = html_to_text(html)
    warning = text_of(status, "spoiler_text")
    text = require_text("\n\n".join(t for t in (warning, body) if t))
    account = field(status, "account", kind=dict)
    account_url = text_of(account, "url")
    home = URL(account_url).host if account_url else URL(uri).host
    acct = field(account, "acct", kind=str)
    handle = acct if "@" in acct else f"{acct}@{home}" if home else acct
    tags = [optional(t, "name", kind=str) for t in optional(status, "tags", kind=list) or []]
    mentions = [_mention(m) for m in optional(status, "mentions", kind=list) or []]
    card_url = text_of(status, "card", "url")
    return Post(
        id=f"{PLATFORM}:{uri}",
        platform=PLATFORM,
        source=source,
        text=text,
        created_at=timestamp(field(status, "created_at", kind=str)),
        edited_at=optional_timestamp(status.get("edited_at")),
        url=text_of(status, "url") or uri,
        author=Author(
            id=handle,
            handle=handle,
            name=text_of(account, "display_name"),
            followers=count(account, "followers_count"),
            url=account_url,
        ),
        lang=language(status.get("language")),
        hashtags=unique(tags) or hashtags_in(text),
        mentions=unique(mentions),
        links=unique([*links, card_url]),
        engagement=Engagement(
            likes=count(status, "favourites_count"),
            reposts=count(status, "reblogs_count"),
            replies=count(status, "replies_count"),
        ),
        raw=raw,
    )


def _mention(mention: Any) -> str | None:
    acct = text_of(mention, "acct")
    if acct is None or "@" in acct:
        return acct
    url = text_of(mention, "url")
    host = URL(url).host if url else None
    return f"{acct}@{host}" if host else acct
