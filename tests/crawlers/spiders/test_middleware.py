"""The spiders' retry middleware: a Retry-After pauses every request to that host, not only the
one retried (the bug: other requests to the host went on while one request slept)."""

from __future__ import annotations

import asyncio
import time

from scrapy import Request, Spider
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawlers.spiders.middleware import BackoffRetryMiddleware


def middleware() -> BackoffRetryMiddleware:
    crawler = get_crawler(Spider, {"RETRY_TIMES": 2, "TRENDWATCH_MAX_BACKOFF": 5.0})
    crawler.spider = Spider.from_crawler(crawler, name="test")
    return BackoffRetryMiddleware.from_crawler(crawler)


async def held(mw: BackoffRetryMiddleware, url: str) -> float:
    """Seconds `process_request` held a request to `url`."""
    started = time.monotonic()
    await mw.process_request(Request(url))
    return time.monotonic() - started


async def test_a_retry_after_pauses_every_request_to_that_host() -> None:
    mw = middleware()
    limited = Request("https://news.example/a/1.html")
    response = Response(limited.url, status=429, headers={"Retry-After": "0.5"}, request=limited)

    retry = await asyncio.wait_for(mw.process_response(limited, response), timeout=0.2)  # returns at once
    assert isinstance(retry, Request)
    assert retry.url == limited.url

    other, elsewhere = await asyncio.gather(
        held(mw, "https://news.example/a/2.html"), held(mw, "https://blog.example/p/1.html")
    )
    assert other >= 0.4  # the rest of the half second the host asked for
    assert elsewhere < 0.1  # other hosts are not paused
    assert await held(mw, "https://news.example/a/3.html") < 0.1  # and the pause ends
