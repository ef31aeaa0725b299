"""The `telegram` and `website` sources: the Source protocol on top of a Scrapy child process.

They behave like every poller (`cls(name, options, session)`, `fetch(cursor)` yielding
`Batch(posts, cursor)`), but each round runs the spider in its own process (see child.py) and
maps what it reports with the pure `to_post` of its platform. The User-Agent and request timeout
come from the shared session, so spiders identify themselves like every other request.

Failures: a request or page that fails is logged once and counted by reason (SOURCE_ERRORS) and
the round goes on; a message or page that does not map is counted (`malformed_message`,
`malformed_page`) and skipped; a deliberate drop (no text) is counted in POSTS_DROPPED; a
channel or site that brought no new post and no problem is counted once as `empty_results`. A
round that got nothing at all but problems raises (RateLimited with the longest Retry-After,
SourceGone, or SourceError) so the scheduler backs off; a child that crashes raises SourceError
(`spider_crashed`) after the batches it completed were handed on.

`stats` describes the current (or last) round, for progress displays.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import aiohttp
import structlog
from pydantic import BaseModel

from crawlers.source import Batch, Cursor, found_nothing
from crawlers.spiders import telegram, website
from crawlers.spiders.child import CHILD, SpiderProcess
from crawlers.spiders.items import Article, ChannelPage, Event, Passed, Problem, Summary
from crawlers.spiders.options import SpiderOptions, TelegramOptions, WebsiteOptions
from crawlers.spiders.protocol import CrawlSpec
from crawlers.values import parse_iso_time
from trendwatch.config import HttpConfig
from trendwatch.errors import BadPayload, DropPost, NotConfigured, RateLimited, SourceError, SourceGone
from trendwatch.metrics import POSTS_DROPPED, POSTS_FETCHED, SOURCE_ERRORS, SOURCE_REQUESTS
from trendwatch.models import Post
from trendwatch.timeutil import utcnow

STOP_MARGIN = 60.0  # the child stops itself at round_timeout; this is the parent's safety net
ARTICLES_PER_BATCH = 25
FLUSH_AFTER = 2.0  # seconds without a new article before the ones waiting are handed on
_GONE = frozenset({"gone", "http_404", "http_410"})
FINAL = frozenset({"http_404", "http_410", "robots_disallowed"})
"""Item-page problems that will not change by asking again: remembered like a read page."""


@dataclass
class RoundStats:
    """What the current round has done so far."""

    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    pages: int = 0
    posts: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    found: set[str] = field(default_factory=set)  # channels or sites that brought a post
    troubled: set[str] = field(default_factory=set)  # channels or sites with a problem counted
    first_problem: str | None = None
    retry_after: float | None = None
    summary: Summary | None = None

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started


def _plain(value: Any) -> Any:
    """Options as JSON for the child, durations as seconds. (Not `model_dump`: the Duration
    serialiser writes whole seconds, and a 300ms download delay must reach the child as 0.3.)"""
    if isinstance(value, BaseModel):
        return {name: _plain(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


class SpiderSource(ABC):
    """Shared machinery of the spider sources; subclasses name their spider and read its events."""

    spider: ClassVar[str]
    Options: ClassVar[type[SpiderOptions]]
    description: ClassVar[str]
    child_command: ClassVar[tuple[str, ...]] = CHILD  # what runs the spider; tests substitute a fake child

    def __init__(self, name: str, options: SpiderOptions, session: aiohttp.ClientSession) -> None:
        self.name = name
        self.options = options
        self.interval = options.interval  # type: ignore[attr-defined]
        defaults = HttpConfig()
        self.user_agent = str(session.headers.get("User-Agent") or defaults.user_agent)
        timeout = session.timeout  # per request: the shared session bounds each read, not the whole call
        seconds = timeout.total or timeout.sock_read or timeout.sock_connect
        self.timeout = float(seconds) if seconds else defaults.timeout.total_seconds()
        self.stats = RoundStats()
        self.log = structlog.get_logger(__name__).bind(source=name, type=self.spider)

    @abstractmethod
    def fetch(self, cursor: Cursor | None) -> AsyncIterator[Batch]:
        """One round: batches of posts, each with the cursor that covers it."""

    # ------------------------------------------------------------------ a round

    async def _events(self, cursor: Cursor | None, idle: float | None = None) -> AsyncGenerator[Event | None]:
        """The child's events (and `None` on idle). Problems are logged and counted here (and
        still passed on); the summary is kept in `stats`."""
        self.stats = RoundStats()
        spec = CrawlSpec(
            spider=self.spider,
            source=self.name,
            options=_plain(self.options),
            cursor=cursor,
            user_agent=self.user_agent,
            timeout=self.timeout,
        )
        deadline = self.options.round_timeout.total_seconds() + STOP_MARGIN
        try:
            async with (
                SpiderProcess(spec, deadline=deadline, idle=idle, command=self.child_command) as child,
                aclosing(child.events()) as events,
            ):
                async for event in events:
                    if isinstance(event, Summary):
                        self._summary(event)
                        continue
                    if isinstance(event, Problem):
                        self._problem(event)
                    yield event
        finally:
            self.stats.finished = time.monotonic()

    def _problem(self, problem: Problem) -> None:
        self._count_error(problem.reason, problem.message, key=problem.key, url=problem.url)
        if problem.retry_after is not None:
            self.stats.retry_after = max(self.stats.retry_after or 0.0, problem.retry_after)

    def _count_error(self, reason: str, message: str, *, key: str, **context: Any) -> None:
        """Count and log one problem of channel or site `key`."""
        SOURCE_ERRORS.labels(source=self.name, reason=reason).inc()
        self.stats.troubled.add(key)
        self.stats.problems[reason] += 1
        self.stats.first_problem = self.stats.first_problem or message
        self.log.warning("source problem", reason=reason, detail=message, key=key, **context)

    def _summary(self, summary: Summary) -> None:
        self.stats.summary = summary
        for host, statuses in summary.responses.items():
            for status, count in statuses.items():
                SOURCE_REQUESTS.labels(host=host, status=status).inc(count)
        if summary.finish_reason == "closespider_timeout":
            self.log.warning(
                "round stopped at its round_timeout; the next round resumes from the cursor",
                round_timeout=self.options.round_timeout.total_seconds(),
            )

    def _map(
        self, key: str, raws: Iterable[Mapping[str, Any]], to_post: Callable[[Mapping[str, Any]], Post]
    ) -> list[Post]:
        """Map the raw items of channel or site `key` with the platform's pure `to_post`; drops
        and malformed ones are counted."""
        return [post for post, _ in (self._map_one(key, raw, to_post) for raw in raws) if post is not None]

    def _map_one(
        self, key: str, raw: Mapping[str, Any], to_post: Callable[[Mapping[str, Any]], Post]
    ) -> tuple[Post | None, bool]:
        """(the post or None, whether the raw item was understood: mapped or dropped on purpose)."""
        try:
            post = to_post(raw)
        except DropPost as drop:
            POSTS_DROPPED.labels(stage="source", reason=drop.reason).inc()
            self.stats.dropped[drop.reason] += 1
            self.log.debug("post dropped", reason=drop.reason, detail=str(drop))
            return None, True
        except BadPayload as exc:
            self._count_error(exc.reason, str(exc), key=key)
            return None, False
        except (ValueError, TypeError, KeyError) as exc:  # a raw shape to_post did not expect
            self._count_error("malformed_message", f"{exc.__class__.__name__}: {exc}", key=key)
            return None, False
        POSTS_FETCHED.labels(source=self.name).inc()
        self.stats.posts += 1
        self.stats.found.add(key)
        return post, True

    def _succeeded(self) -> bool:
        return self.stats.pages > 0

    def _count_empty(self, keys: Iterable[str]) -> None:
        """Count each of these channels or sites that the round read without a new post or a
        problem (one whose pages failed is counted under that failure instead)."""
        for key in keys:
            if key not in self.stats.found and key not in self.stats.troubled:
                found_nothing(self.name, key, self.log)

    def _check_round(self) -> None:
        """Raise when the round produced nothing but problems, so the scheduler backs off."""
        problems = self.stats.problems
        if not problems or self._succeeded():
            return
        listing = ", ".join(f"{reason} ×{count}" for reason, count in problems.most_common())
        message = f"{self.name}: nothing fetched this round ({listing}); first: {self.stats.first_problem}"
        if set(problems) == {"rate_limited"}:
            raise RateLimited(message, retry_after=self.stats.retry_after)
        if set(problems) <= _GONE:
            raise SourceGone(message)
        raise SourceError(message, reason=problems.most_common(1)[0][0])


class TelegramSource(SpiderSource):
    """Public Telegram channels, through their web preview; cursor: per channel, the last message
    id (and an unfinished backfill walk)."""

    spider = "telegram"
    Options = TelegramOptions
    description = "Public Telegram channels via their t.me/s web preview (Scrapy): text, views, forwards, edits"

    def __init__(self, name: str, options: TelegramOptions, session: aiohttp.ClientSession) -> None:
        if not options.channels:
            raise NotConfigured("no channels to read: list public channel usernames under `channels:`")
        super().__init__(name, options, session)
        self.channels = tuple(options.channels)

    async def fetch(self, cursor: Cursor | None) -> AsyncIterator[Batch]:
        channels: dict[str, Any] = dict(cursor.get("channels") or {}) if isinstance(cursor, dict) else {}
        async with aclosing(self._events({"channels": channels})) as events:  # stops the child if we stop
            async for event in events:
                if not isinstance(event, ChannelPage):
                    continue
                try:
                    telegram.ChannelState.from_json(event.state)
                except ValueError as exc:
                    self._count_error("malformed_message", str(exc), key=event.channel, url=event.url)
                    continue
                self.stats.pages += 1
                posts = self._map(event.channel, event.messages, telegram.to_post)
                channels[event.channel] = event.state
                yield Batch(tuple(posts), {"channels": dict(channels)})
        self._count_empty(self.channels)
        self._check_round()


class WebsiteSource(SpiderSource):
    """News sites, blogs and forums described by selectors; cursor: per site, the item URLs
    already read (or passed over by the backfill) with their dates, the newest `remember` kept."""

    spider = "website"
    Options = WebsiteOptions
    description = "News sites, blogs and forums read with CSS/XPath selectors from list pages or sitemaps (Scrapy)"

    def __init__(self, name: str, options: WebsiteOptions, session: aiohttp.ClientSession) -> None:
        if not options.sites:
            raise NotConfigured(
                "no sites to read: describe each under `sites:` (start_urls or sitemap_urls, selectors)"
            )
        super().__init__(name, options, session)
        self.remember = options.remember
        self.sites = frozenset(site.name for site in options.sites)

    async def fetch(self, cursor: Cursor | None) -> AsyncIterator[Batch]:
        stored = cursor.get("sites") if isinstance(cursor, dict) else None
        seen: dict[str, dict[str, str]] = {
            site: website.remembered_urls(urls) for site, urls in (stored.items() if isinstance(stored, dict) else ())
        }
        pending: list[Article] = []
        unsaved = False  # `seen` changed since the last batch handed on
        crashed: SourceError | None = None
        try:
            stream = self._events({"sites": {s: dict(u) for s, u in seen.items()}}, idle=FLUSH_AFTER)  # dated
            async with aclosing(stream) as events:  # stops the child if we stop
                async for event in events:
                    if isinstance(event, Article):
                        pending.append(event)
                        self.stats.pages += 1
                    elif isinstance(event, Passed) and event.site in self.sites:
                        self._remember(seen, event.site, event.url, parse_iso_time(event.listed_at))
                        unsaved = True
                    elif (
                        isinstance(event, Problem)
                        and event.item_url
                        and event.reason in FINAL
                        and event.key in self.sites
                    ):
                        self._remember(seen, event.key, event.item_url, None)
                        unsaved = True
                    if pending and (event is None or len(pending) >= ARTICLES_PER_BATCH):
                        yield self._batch(pending, seen)
                        pending, unsaved = [], False
        except SourceError as exc:
            crashed = exc  # hand on what the child completed before it failed, then fail
        if pending or unsaved:
            yield self._batch(pending, seen)
        if crashed is not None:
            raise crashed
        self._count_empty(sorted(self.sites))
        self._check_round()

    def _batch(self, articles: list[Article], seen: dict[str, dict[str, str]]) -> Batch:
        posts = []
        for article in articles:
            post, understood = self._map_one(article.site, article.raw, website.to_post)
            if post is not None:
                posts.append(post)
            if understood:  # a malformed page is not remembered: the next round tries it again
                self._remember(seen, article.site, article.url, post.created_at if post else None)
        return Batch(tuple(posts), {"sites": {site: self._newest(urls) for site, urls in seen.items()}})

    @staticmethod
    def _remember(seen: dict[str, dict[str, str]], site: str, url: str, when: datetime | None) -> None:
        """Remember `url` with its date (the item's, else now: when it was found)."""
        seen.setdefault(site, {})[url] = (when or utcnow()).astimezone(UTC).isoformat(timespec="seconds")

    def _newest(self, urls: dict[str, str]) -> dict[str, str]:
        """The newest `remember` URLs by date, newest first: the ones the site still lists, so a
        large sitemap does not push out what it shows first (and have it read again every round)."""
        if len(urls) > self.remember:
            kept = sorted(urls.items(), key=lambda item: item[1], reverse=True)[: self.remember]
            urls.clear()
            urls.update(kept)
        return dict(urls)

    def _succeeded(self) -> bool:
        summary = self.stats.summary
        return self.stats.pages > 0 or (summary is not None and summary.ok_responses > 0)
