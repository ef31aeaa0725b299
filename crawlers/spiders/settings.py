"""Scrapy settings for one round of one spider, derived from its CrawlSpec.

Politeness is not optional: robots.txt is obeyed, requests identify trendwatch (the User-Agent
of the service's `http:` section), one request per host at a time with the configured delay and
AutoThrottle slowing down further when a host is slow, retries back off (see middleware.py).
Logging goes to stderr; stdout carries the protocol (see protocol.py).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from crawlers.spiders.options import SpiderOptions, TelegramOptions, WebsiteOptions
from crawlers.spiders.protocol import CrawlSpec

MODULE = "crawlers.spiders"


def scrapy_settings(spec: CrawlSpec, options: SpiderOptions, output_fd: int) -> dict[str, Any]:
    delay, slots = _politeness(options)
    return {
        "BOT_NAME": "trendwatch",
        "USER_AGENT": spec.user_agent,
        "ROBOTSTXT_OBEY": True,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # Scrapy 2.19 opens a control port by default; not ours
        "MEMUSAGE_ENABLED": False,
        "DOWNLOAD_TIMEOUT": spec.timeout,
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_SLOTS": slots,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, delay),
        "EXTENSIONS": {
            "scrapy.extensions.throttle.AutoThrottle": None,
            f"{MODULE}.middleware.SiteAutoThrottle": 0,
        },
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            f"{MODULE}.middleware.BackoffRetryMiddleware": 550,
        },
        "RETRY_TIMES": options.retries,
        "RETRY_GIVE_UP_LOG_LEVEL": "INFO",  # the spider reports the failure as a Problem
        "TRENDWATCH_BACKOFF": options.backoff.total_seconds(),
        "TRENDWATCH_MAX_BACKOFF": options.max_backoff.total_seconds(),
        "CLOSESPIDER_TIMEOUT": options.round_timeout.total_seconds(),
        "ITEM_PIPELINES": {f"{MODULE}.pipeline.ProtocolPipeline": 100},
        "TRENDWATCH_OUTPUT_FD": output_fd,
        "LOG_LEVEL": spec.log_level,
        "LOG_STDOUT": False,
        "STATS_DUMP": False,
    }


def _politeness(options: SpiderOptions) -> tuple[float, dict[str, dict[str, Any]]]:
    """The global download delay and per-host slots (delay, concurrency) of a source's sites."""
    if isinstance(options, TelegramOptions):
        return options.download_delay.total_seconds(), {}
    if isinstance(options, WebsiteOptions):
        slots: dict[str, dict[str, Any]] = {}
        for site in options.sites:
            for url in [*site.start_urls, *site.sitemap_urls]:
                host = urlsplit(url).hostname or ""
                slot = slots.setdefault(host, {"delay": 0.0, "concurrency": site.concurrency})
                # Two sites on one host: the host gets the more careful of their settings.
                slot["delay"] = max(slot["delay"], site.download_delay.total_seconds())
                slot["concurrency"] = min(slot["concurrency"], site.concurrency)
        delays = [slot["delay"] for slot in slots.values()]
        return (min(delays) if delays else 1.0), slots
    return 1.0, {}
