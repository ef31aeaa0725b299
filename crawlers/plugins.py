"""Every source type trendwatch knows, registered explicitly by its short config name."""

from __future__ import annotations

from typing import Any

from crawlers.pollers.bluesky import BlueskySource
from crawlers.pollers.hackernews import HackerNewsSource
from crawlers.pollers.mastodon import MastodonSource
from crawlers.pollers.reddit import RedditSource
from crawlers.pollers.rss import RssSource
from crawlers.pollers.x import XSource
from crawlers.pollers.youtube import YouTubeSource
from crawlers.spiders.sources import TelegramSource, WebsiteSource
from trendwatch.registry import Registry

SOURCES: Registry[Any] = Registry("source")

# ---------------------------------------------------------------- pollers (aiohttp, crawlers/pollers/)
SOURCES.register("rss", RssSource)
SOURCES.register("mastodon", MastodonSource)
SOURCES.register("bluesky", BlueskySource)
SOURCES.register("reddit", RedditSource)
SOURCES.register("hackernews", HackerNewsSource)
SOURCES.register("youtube", YouTubeSource)
SOURCES.register("x", XSource)

# BEGIN spiders (crawlers/spiders/: Scrapy in its own process, one child per round)
SOURCES.register("telegram", TelegramSource)
SOURCES.register("website", WebsiteSource)
# END spiders
