"""Politeness for Scrapy's requests, matching what the service's HTTP session does for pollers.

- `BackoffRetryMiddleware` replaces Scrapy's RetryMiddleware: 429, 5xx and connection errors are
  retried after an exponential backoff with jitter, or after the server's `Retry-After` when it
  sends one: that pauses the whole host (every request to it waits in `process_request`, not
  only the one retried), as the pollers' session does. A Retry-After longer than
  `TRENDWATCH_MAX_BACKOFF` is not waited for: the response goes on to the spider, which reports
  `rate_limited` with the wait so the scheduler backs off.
- `SiteAutoThrottle` is Scrapy's AutoThrottle, except that a site's own delay (DOWNLOAD_SLOTS)
  is the floor for that site, not the global DOWNLOAD_DELAY.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message

from trendwatch.waits import retry_after_seconds


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("TRENDWATCH_BACKOFF", 1.0)
        self.max_backoff = settings.getfloat("TRENDWATCH_MAX_BACKOFF", 300.0)
        self._paused: dict[str, float] = {}  # host -> monotonic time until which nothing is sent

    async def process_request(self, request: Request) -> None:
        """Hold a request to a host that asked us to wait (Retry-After) until that time."""
        wait = self._paused.get(_host(request), 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def delay(self, request: Request, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retrying `request`; None when the server asks for too long."""
        if retry_after is not None:
            return retry_after if retry_after <= self.max_backoff else None
        attempt = request.meta.get("retry_times", 0)
        return min(self.max_backoff, self.backoff * 2**attempt * random.uniform(0.5, 1.5))

    async def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        wait = self.delay(request, asked)
        if wait is None:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if asked is None:
            await asyncio.sleep(wait)
        else:  # the host asked: nothing goes to it until then, this retry included (process_request)
            host = _host(request)
            self._paused[host] = max(self._paused.get(host, 0.0), time.monotonic() + wait)
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is None:
            return None
        await asyncio.sleep(self.delay(request) or 0.0)
        return retry


def _host(request: Request) -> str:
    return urlparse_cached(request).hostname or ""


class SiteAutoThrottle(AutoThrottle):
    def _response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        if slot is None or key is None:
            return
        floor = self._floors().get(key)
        if floor is not None and slot.delay < floor:
            slot.delay = floor

    def _floors(self) -> dict[str, float]:
        slots: dict[str, Any] = self.crawler.settings.getdict("DOWNLOAD_SLOTS")
        return {key: float(conf.get("delay", 0.0)) for key, conf in slots.items()}
