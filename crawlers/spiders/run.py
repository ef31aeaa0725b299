"""The spider child process: `python -m crawlers.spiders.run < spec.json`.

Runs one round of one spider with Scrapy's AsyncCrawlerProcess. Scrapy keeps its own process
because Twisted's reactor installs once per process and cannot be restarted; a fresh child per
round also means a crawl that leaks or crashes takes nothing of the service with it.

Reads a `CrawlSpec` (JSON) on stdin, writes protocol lines (see protocol.py) on stdout, ending
with a `Summary`; Scrapy logs to stderr. Anything else that prints is redirected to stderr so the
protocol stays clean. Exit status: 0 when the crawl ran to its end (or its round_timeout), 1 when
it did not, 2 when the spec was invalid.
"""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from scrapy import Spider, signals
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawlers.spiders.items import Problem, Summary
from crawlers.spiders.options import SpiderOptions, TelegramOptions, WebsiteOptions
from crawlers.spiders.pipeline import ProtocolWriter
from crawlers.spiders.protocol import CrawlSpec
from crawlers.spiders.settings import scrapy_settings
from crawlers.spiders.telegram_spider import TelegramSpider
from crawlers.spiders.website_spider import WebsiteSpider

SPIDERS: dict[str, tuple[type[Spider], type[SpiderOptions]]] = {
    "telegram": (TelegramSpider, TelegramOptions),
    "website": (WebsiteSpider, WebsiteOptions),
}
COMPLETE = ("finished", "closespider_timeout")


def main() -> int:
    protocol_fd = os.dup(1)
    os.dup2(2, 1)  # fd 1 is now stderr: a stray print cannot corrupt the protocol
    try:
        spec = CrawlSpec.from_json(sys.stdin.buffer.read())
        spider_cls, options_cls = SPIDERS[spec.spider]
        options = options_cls.model_validate(spec.options)
    except (ValueError, TypeError, KeyError, ValidationError) as exc:
        print(f"trendwatch spider: invalid crawl spec: {exc}", file=sys.stderr)
        return 2

    writer = ProtocolWriter(protocol_fd)
    process = AsyncCrawlerProcess(scrapy_settings(spec, options, protocol_fd))
    crawler = process.create_crawler(spider_cls)
    responses: Counter[tuple[str, int]] = Counter()

    def on_response(response: Response, request: Request) -> None:
        if not request.meta.get("dont_obey_robotstxt"):  # robots.txt requests are not the crawl's pages
            responses[(urlsplit(response.url).hostname or "", response.status)] += 1

    def on_error(failure: Failure, response: Response) -> None:
        key = response.meta.get("channel") or response.meta.get("site") or "?"
        writer.write(Problem(key, "spider_exception", response.url, f"{type(failure.value).__name__}: {failure.value}"))

    crawler.signals.connect(on_response, signal=signals.response_received)
    crawler.signals.connect(on_error, signal=signals.spider_error)
    process.crawl(crawler, options=options, cursor=spec.cursor, source=spec.source)
    process.start()

    stats: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}
    reason = str(stats.get("finish_reason", "not started"))
    by_host: dict[str, dict[str, int]] = {}
    for (host, status), count in sorted(responses.items()):
        by_host.setdefault(host, {})[str(status)] = count
    writer.write(
        Summary(
            finish_reason=reason,
            responses=by_host,
            ok_responses=sum(n for (_, status), n in responses.items() if 200 <= status < 300),
            retries=int(stats.get("retry/count", 0)),
            robots_forbidden=int(stats.get("robotstxt/forbidden", 0)),
            elapsed=float(stats.get("elapsed_time_seconds", 0.0)),
        )
    )
    if reason not in COMPLETE:
        print(f"trendwatch spider: the crawl did not complete (finish reason: {reason})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    status = main()
    # Everything is written and flushed; skip the interpreter's teardown of Twisted and asyncio
    # (about half a second per round, and the round's results are already out).
    logging.shutdown()
    sys.stderr.flush()
    os._exit(status)
