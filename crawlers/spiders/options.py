"""Typed options of the spider sources, with their defaults and checks.

The config loader validates each `telegram`/`website` block against these models (so a bad
channel name or a selector that does not compile is reported at start-up with its key path and
line); the child process validates the same JSON again before it crawls.

Scrapy runs in its own process and cannot use the service's aiohttp session, so the retry policy
of its requests (`retries`, `backoff`, `max_backoff`) is set here; the defaults match the `http:`
section's. The User-Agent and the request timeout do come from that shared session.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, field_validator, model_validator

from crawlers.spiders.selectors import check_selector
from trendwatch.config import PluginOptions
from trendwatch.timeutil import Duration, parse_duration, zone

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_SITE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def channel_name(value: str) -> str:
    """A public channel's username from `name`, `@name`, `t.me/name` or `https://t.me/s/name`."""
    text = value.strip()
    for prefix in ("https://", "http://", "www."):
        text = text.removeprefix(prefix)
    for prefix in ("t.me/", "telegram.me/", "s/"):
        text = text.removeprefix(prefix)
    text = text.lstrip("@").strip("/")
    if not _USERNAME.match(text):
        raise ValueError(
            f"{value!r} is not a public channel username (5-32 letters, digits or _; e.g. 'durov' or 'https://t.me/durov')"
        )
    return text.lower()  # usernames are case-insensitive: one channel, one cursor


def http_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value.strip()


def regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None
    return value


ChannelName = Annotated[str, AfterValidator(channel_name)]
HttpUrl = Annotated[str, AfterValidator(http_url)]
Selector = Annotated[str, AfterValidator(check_selector)]
Regex = Annotated[str, AfterValidator(regex)]


class SpiderOptions(PluginOptions):
    """What every spider source shares: how often it runs and how its requests are retried."""

    retries: int = Field(4, ge=0, le=20, description="Retries of a request after 429, 5xx or a connection error.")
    backoff: Duration = Field(parse_duration("1s"), description="First retry delay; doubles each retry, with jitter.")
    max_backoff: Duration = Field(
        parse_duration("5m"),
        description="Longest wait before a retry. A Retry-After longer than this gives the request up "
        "(the round then reports rate_limited with the wait, and the scheduler backs off).",
    )
    round_timeout: Duration = Field(
        parse_duration("30m"), description="A round that runs longer is stopped; the next resumes from its cursor."
    )

    @field_validator("round_timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value


class TelegramOptions(SpiderOptions):
    """Public Telegram channels, read from their web preview (t.me/s/<channel>)."""

    channels: list[ChannelName] = Field(default_factory=list, description="Channel usernames or t.me links.")
    backfill: Duration = Field(
        parse_duration("7d"), description="How far back a newly added channel is read (?before= paging)."
    )
    base_url: HttpUrl = Field("https://t.me", description="Where the previews live (a local server in tests/demo).")
    interval: Duration = Field(parse_duration("15m"), description="Time between rounds.")
    max_pages: int = Field(
        25, ge=1, le=10_000, description="Preview pages (about 20 messages each) per channel per round."
    )
    download_delay: Duration = Field(parse_duration("1s"), description="Pause between requests to the host.")

    @field_validator("channels")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        duplicates = sorted({c for c in value if value.count(c) > 1})
        if duplicates:
            raise ValueError(f"channel listed twice: {', '.join(duplicates)}")
        return value

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")


class SiteSelectors(PluginOptions):
    """Where things are on a site's pages: CSS selectors, or XPath written as `xpath://...`."""

    item_links: Selector = Field("a::attr(href)", description="On list pages: links to item pages.")
    item_times: Selector | None = Field(
        None,
        description="On list pages: each item's time, in the order of item_links (written as time_format); "
        "lets a new site's backfill stop at the period without reading older items.",
    )
    next_page: Selector | None = Field(None, description="On list pages: the link to the next (older) page.")
    title: Selector | None = Field("h1", description="On item pages: the title.")
    text: Selector = Field("article", description="On item pages: the text (every match, as paragraphs).")
    time: Selector | None = Field(
        "time::attr(datetime)", description="On item pages: the publication time; null = when it was fetched."
    )
    author: Selector | None = Field(None, description="On item pages: the author's name.")


class SiteOptions(PluginOptions):
    """One news site, blog or forum: where its items are listed and how to read an item page."""

    name: str = Field(description="Short unique name: part of each post's author id and of the cursor.")
    start_urls: list[HttpUrl] = Field(default_factory=list, description="List pages (newest items first).")
    sitemap_urls: list[HttpUrl] = Field(default_factory=list, description="Sitemaps or sitemap indexes.")
    item_url_pattern: Regex | None = Field(None, description="Only item URLs matching this regex are read.")
    selectors: SiteSelectors = Field(default_factory=SiteSelectors)
    time_format: str = Field("iso", description="'iso' (ISO 8601) or a strptime format such as '%Y/%m/%d %H:%M'.")
    calendar: Literal["gregorian", "jalali"] = Field("gregorian", description="Calendar of time_format dates.")
    timezone: str = Field("UTC", description="Zone of times written without an offset (e.g. Asia/Tehran).")
    language: str | None = Field(None, description="Language the site is written in (fa, en, ...), if known.")
    max_list_pages: int = Field(3, ge=1, le=1000, description="List pages followed per round (via next_page).")
    max_items: int = Field(50, ge=1, le=100_000, description="New item pages read per round.")
    download_delay: Duration = Field(parse_duration("1s"), description="Least pause between requests to the site.")
    concurrency: int = Field(1, ge=1, le=16, description="Requests in flight to the site at once.")

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SITE_NAME.match(value):
            raise ValueError(f"{value!r} is not a site name: use lowercase letters, digits, '.', '_' or '-'")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("time_format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value != "iso" and "%" not in value:
            raise ValueError(f"{value!r} is neither 'iso' nor a strptime format such as '%d %B %Y'")
        return value

    @model_validator(mode="after")
    def _somewhere_to_start(self) -> SiteOptions:
        if not self.start_urls and not self.sitemap_urls:
            raise ValueError(f"site {self.name!r} needs start_urls (list pages) or sitemap_urls")
        return self


class WebsiteOptions(SpiderOptions):
    """News sites, blogs and forums described by selectors."""

    sites: list[SiteOptions] = Field(default_factory=list, description="The sites this source reads.")
    backfill: Duration = Field(
        parse_duration("7d"),
        description="How far back a newly added site is read, by the dates its sitemap (lastmod) or list "
        "pages (selectors.item_times) give; items without a date are read.",
    )
    interval: Duration = Field(parse_duration("1h"), description="Time between rounds.")
    remember: int = Field(
        5000, ge=10, le=1_000_000, description="Item URLs remembered per site (the cursor), newest kept."
    )

    @field_validator("sites")
    @classmethod
    def _distinct(cls, value: list[SiteOptions]) -> list[SiteOptions]:
        names = [site.name for site in value]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"two sites are named {', '.join(duplicates)}; give each a distinct name")
        return value
