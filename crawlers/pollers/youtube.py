"""`youtube`: videos matching keywords, with their statistics and latest comments (Data API v3).

One query per keyword: `search.list` (`type=video`, `order=date`, newest first; `publishedAfter`
for what is new, `pageToken` and `publishedBefore` for paging). For the videos that are new,
`videos.list` adds views, likes and comment counts and the full description, and
`commentThreads.list` the newest top-level comments (`comment_pages` pages of up to 100).

Quota: the API gives a key 10,000 units a day (reset at midnight Pacific time); a search costs
100 units, a videos or comments page 1, and a call that fails costs the same, so every attempt
the session sends (retries of a 5xx or a timeout too) is paid for before it goes. The source
keeps its own count in the cursor and stops before `daily_quota` would be exceeded
(`quota_exhausted`, retried after the reset), so several sources can share one key by splitting
its quota. If Google says the key's quota is spent
anyway (`quotaExceeded`), the source waits for the reset too.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from pydantic import Field, SecretStr

from crawlers.http import fetch, status_error
from crawlers.pollers.base import BaseUrl, PagedOptions, Stream
from crawlers.pollers.budget import DailyBudget, QuotaExhausted
from crawlers.pollers.raw import (
    count,
    field,
    hashtags_in,
    language,
    links_in,
    optional,
    optional_timestamp,
    require_text,
    text_of,
    timestamp,
    unique,
)
from crawlers.pollers.timeline import Mark, Page, TimelinePoller, Window
from trendwatch.errors import AuthError, BadPayload, NotConfigured
from trendwatch.models import Author, Engagement, Post
from trendwatch.timeutil import Duration

PLATFORM = "youtube"
COST = {"search": 100, "videos": 1, "commentThreads": 1}
_QUOTA = {"quotaExceeded", "dailyLimitExceeded", "dailyLimitExceededUnreg"}
_KEY = {"keyInvalid", "keyExpired", "accessNotConfigured", "ipRefererBlocked", "forbidden", "API_KEY_INVALID"}
_NO_COMMENTS = {"commentsDisabled", "videoNotFound", "forbidden"}


class YouTubeOptions(PagedOptions):
    keywords: list[str] = Field(default_factory=list, description="Search terms; each is one query.")
    api_key: SecretStr | None = Field(None, description="A YouTube Data API v3 key, e.g. ${YOUTUBE_API_KEY}.")
    daily_quota: int = Field(10_000, ge=100, description="Units this source may spend per day (search = 100).")
    comment_pages: int = Field(1, ge=0, le=10, description="Pages of newest comments (100 each) per new video.")
    relevance_language: str | None = Field(None, description="Prefer videos in this language, e.g. fa.")
    region: str | None = Field(None, description="ISO 3166-1 country code to search in, e.g. IR.")
    limit: int = Field(50, ge=1, le=50, description="Videos per search page (at most 50).")
    api: BaseUrl = Field("https://www.googleapis.com/youtube/v3", description="API base URL.")
    interval: Duration = Field(timedelta(minutes=30), description="Time between rounds (mind the quota).")
    max_pages: int = Field(4, ge=1, le=100, description="Search pages per keyword per round (100 units each).")


class YouTubeSource(TimelinePoller):
    platform = PLATFORM
    Options = YouTubeOptions
    description = "YouTube videos matching keywords and their comments (Data API v3, quota-accounted)"
    needs = "keywords: the terms to search for"

    options: YouTubeOptions

    def __init__(self, name: str, options: YouTubeOptions, session: aiohttp.ClientSession) -> None:
        if not (options.api_key and options.api_key.get_secret_value()):
            raise NotConfigured(f"youtube source {name!r} needs api_key (a YouTube Data API v3 key)")
        self.budget = DailyBudget(options.daily_quota, unit="quota units", zone="America/Los_Angeles")
        super().__init__(name, options, session)

    def streams(self) -> Sequence[Stream]:
        return [
            self.timeline(
                f"search:{keyword}", page=self._search(keyword), mark=mark, to_post=self._map, expand=self._details
            )
            for keyword in self.options.keywords
        ]

    def restore(self, cursor: dict[str, Any]) -> None:
        self.budget.load(cursor.get("quota"))

    def shared_state(self) -> dict[str, Any]:
        return {"quota": self.budget.dump()}

    # ----------------------------------------------------------------- API calls

    async def _get(self, resource: str, params: dict[str, Any]) -> Any:
        """One API call, paid for in the budget before each attempt (Google bills failed calls and
        the session retries 5xx); None when a video's comments are off."""
        cost = COST[resource]
        key = self.options.api_key.get_secret_value() if self.options.api_key else ""
        credential = f"the {self.name} source's api_key"
        fetched = await fetch(
            self.session,
            f"{self.options.api}/{resource}",
            params={**params, "key": key},
            expect=(200, 400, 403, 404),
            credential=credential,
            on_attempt=lambda: self.budget.reserve(cost),
        )
        body = fetched.json()
        if fetched.status == 200:
            return body
        reasons = {
            e.get("reason") for e in optional(body, "error", "errors", kind=list) or [] if isinstance(e, dict)
        } | {text_of(body, "error", "status")}
        if reasons & _QUOTA:
            raise QuotaExhausted(
                f"Google says the key's daily quota is spent: {fetched.where}",
                retry_after=self.budget.seconds_to_reset(),
                reason="quota_exceeded",
            )
        if resource == "commentThreads" and reasons & _NO_COMMENTS:
            return None
        if reasons & _KEY:
            raise AuthError(
                f"{fetched.where} refused the key ({', '.join(sorted(filter(None, reasons)))}): check {credential}"
            )
        raise status_error(fetched, credential=credential)

    def _search(self, keyword: str) -> Any:
        async def page(window: Window) -> Page:
            opts = self.options
            params: dict[str, Any] = {
                "part": "snippet",
                "q": keyword,
                "type": "video",
                "order": "date",
                "maxResults": opts.limit,
                "relevanceLanguage": opts.relevance_language,
                "regionCode": opts.region,
            }
            after = _rfc3339(window.after[0]) if window.after else (_rfc3339(window.since) if window.since else None)
            params["publishedAfter"] = after
            if window.token:
                params["pageToken"] = window.token
            elif window.before is not None:
                params["publishedBefore"] = _rfc3339(window.before[0])  # inclusive; ties are filtered
            body = await self._get("search", params)
            items = optional(body, "items", kind=list)
            if items is None:
                raise BadPayload(f"{opts.api}/search returned no items list", reason="unexpected_shape")
            videos = [{"search": item} for item in items]  # one without a video id is counted by `mark`
            token = optional(body, "nextPageToken", kind=str)
            return Page(videos, more=token is not None and bool(items), token=token)

        return page

    async def _details(self, raws: list[Any]) -> list[Any]:
        """Statistics and full snippets for new videos (1 unit per 50), then their newest comments."""
        ids = [raw["search"]["id"]["videoId"] for raw in raws]  # `mark` checked each is a string
        body = await self._get("videos", {"part": "snippet,statistics", "id": ",".join(ids), "maxResults": 50})
        found = {v.get("id"): v for v in optional(body, "items", kind=list) or [] if isinstance(v, dict)}
        out = []
        for raw, video_id in zip(raws, ids, strict=True):
            comments: list[Any] = []
            token: str | None = None
            for _ in range(self.options.comment_pages):
                params = {"part": "snippet", "videoId": video_id, "order": "time", "maxResults": 100}
                page = await self._get("commentThreads", {**params, "textFormat": "plainText", "pageToken": token})
                if page is None:
                    break
                comments += optional(page, "items", kind=list) or []
                token = optional(page, "nextPageToken", kind=str)
                if token is None:
                    break
            out.append({**raw, "video": found.get(video_id), "comments": comments})
        return out

    def _map(self, raw: Any) -> list[Post]:
        video = to_post(raw, source=self.name)
        replies = [p for c in raw.get("comments") or [] for p in self.map_item(self._comment, c)]
        return [video, *replies]

    def _comment(self, raw: Any) -> Post:
        return comment_to_post(raw, source=self.name)


def _rfc3339(moment: datetime | int) -> str:
    value = datetime.fromtimestamp(moment, UTC) if isinstance(moment, int) else moment
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def mark(raw: Any) -> Mark:
    """(publication time in seconds, video id): the order of `order=date`."""
    snippet = field(raw, "search", "snippet", kind=dict)
    published = timestamp(field(snippet, "publishedAt", kind=str), "publishedAt")
    return (int(published.timestamp()), field(raw, "search", "id", "videoId", kind=str))


def to_post(raw: Any, source: str = PLATFORM) -> Post:
    """Map a video (`{"search": search result, "video": videos.list item or None}`) to a Post. Pure.

    search.list escapes HTML in titles; videos.list does not, and has the full description."""
    video_id = field(raw, "search", "id", "videoId", kind=str)
    video = optional(raw, "video", kind=dict) or {}
    snippet = optional(video, "snippet", kind=dict) or {}
    short = field(raw, "search", "snippet", kind=dict)
    title = text_of(snippet, "title") or _unescape(text_of(short, "title"))
    description = text_of(snippet, "description") or _unescape(text_of(short, "description"))
    text = require_text(description, title)
    channel = text_of(snippet, "channelId") or text_of(short, "channelId")
    stats = optional(video, "statistics", kind=dict) or {}
    return Post(
        id=f"{PLATFORM}:{video_id}",
        platform=PLATFORM,
        source=source,
        text=text,
        title=title,
        created_at=timestamp(text_of(snippet, "publishedAt") or field(short, "publishedAt", kind=str)),
        url=f"https://www.youtube.com/watch?v={video_id}",
        author=Author(
            id=channel,
            name=text_of(snippet, "channelTitle") or _unescape(text_of(short, "channelTitle")),
            url=f"https://www.youtube.com/channel/{channel}",
        )
        if channel
        else None,
        lang=language(text_of(snippet, "defaultAudioLanguage") or text_of(snippet, "defaultLanguage")),
        hashtags=hashtags_in(f"{title or ''}\n{text}"),
        links=links_in(text),
        engagement=Engagement(
            likes=count(stats, "likeCount"), replies=count(stats, "commentCount"), views=count(stats, "viewCount")
        ),
        raw=raw,
    )


def comment_to_post(raw: Any, source: str = PLATFORM) -> Post:
    """Map a comment thread (its top-level comment) to a Post replying to the video. Pure."""
    top = field(raw, "snippet", "topLevelComment", kind=dict)
    comment_id = field(top, "id", kind=str)
    snippet = field(top, "snippet", kind=dict)
    video_id = text_of(snippet, "videoId") or field(raw, "snippet", "videoId", kind=str)
    text = require_text(text_of(snippet, "textOriginal"), _unescape(text_of(snippet, "textDisplay")))
    channel = text_of(snippet, "authorChannelId", "value")
    name = text_of(snippet, "authorDisplayName")
    published = timestamp(field(snippet, "publishedAt", kind=str))
    updated = optional_timestamp(snippet.get("updatedAt"))
    return Post(
        id=f"{PLATFORM}:comment:{comment_id}",
        platform=PLATFORM,
        source=source,
        text=text,
        created_at=published,
        edited_at=updated if updated and updated != published else None,
        url=f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}",
        author=Author(id=channel or f"name:{name}", handle=name.lstrip("@") if name else None, name=name)
        if channel or name
        else None,
        hashtags=hashtags_in(text),
        links=unique(links_in(text)),
        engagement=Engagement(likes=count(snippet, "likeCount"), replies=count(raw, "snippet", "totalReplyCount")),
        reply_to=f"{PLATFORM}:{video_id}",
        raw=raw,
    )


def _unescape(text: str | None) -> str | None:
    return html.unescape(text) if text else text
