"""Every source type trendwatch knows, registered explicitly by its short config name."""

from __future__ import annotations

from typing import Any

from crawlers.pollers.mastodon import MastodonSource
from crawlers.pollers.rss import RssSource
from crawlers.spiders.sources import TelegramSource, WebsiteSource
from trendwatch.registry import Registry

SOURCES: Registry[Any] = Registry("source")

# ---------------------------------------------------------------- pollers (aiohttp, crawlers/pollers/)
SOURCES.register("rss", RssSource)
SOURCES.register("mastodon", MastodonSource)

# BEGIN spiders (crawlers/spiders/: Scrapy in its own process, one child per round)
SOURCES.register("telegram", TelegramSource)
SOURCES.register("website", WebsiteSource)
# END spiders
