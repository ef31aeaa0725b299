"""Every source type trendwatch knows, registered explicitly by its short config name."""

from __future__ import annotations

from typing import Any

from crawlers.pollers.mastodon import MastodonSource
from crawlers.pollers.rss import RssSource
from trendwatch.registry import Registry

SOURCES: Registry[Any] = Registry("source")

# ---------------------------------------------------------------- pollers (aiohttp, crawlers/pollers/)
SOURCES.register("rss", RssSource)
SOURCES.register("mastodon", MastodonSource)
