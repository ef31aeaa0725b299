"""A failed request or page, as a `Problem` item with a short, stable reason.

Reasons are metrics labels: `rate_limited` (429), `http_<status>` (other error statuses),
`timeout`, `connection`, `robots_disallowed`, `download_error`, and the spiders' own
(`gone`, `malformed_page`, `malformed_message`, `not_html`, `malformed_sitemap`).
Messages are for the person reading the log; they never contain secrets.
"""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, ConnectionDone, ConnectionLost
from twisted.python.failure import Failure

from crawlers.spiders.items import Problem
from trendwatch.waits import retry_after_seconds

_STATUS_HINTS = {
    401: "unauthorised: the page needs a login, which a public crawl cannot give",
    403: "forbidden: the site refuses our requests (User-Agent or address blocked?)",
    404: "not found (removed, or a wrong URL in the config)",
    410: "gone: the site says it was removed",
    429: "rate limited",
}


def from_status(key: str, url: str, status: int, retry_after: float | None = None) -> Problem:
    reason = "rate_limited" if status == 429 else f"http_{status}"
    hint = _STATUS_HINTS.get(status) or ("server error" if status >= 500 else "unexpected status")
    if retry_after is not None:
        hint += f" (Retry-After: {retry_after:g}s)"
    return Problem(key=key, reason=reason, url=url, message=f"HTTP {status}: {hint}", retry_after=retry_after)


def from_failure(key: str, failure: Failure) -> Problem:
    """The Problem for a request's errback."""
    request: Any = getattr(failure, "request", None)
    url = request.url if request is not None else ""
    error = failure.value
    if isinstance(error, HttpError):
        response = error.response
        return from_status(
            key, response.url, response.status, retry_after_seconds(response.headers.get(b"Retry-After"))
        )
    if isinstance(error, IgnoreRequest):
        if "robots.txt" in str(error):
            return Problem(key, "robots_disallowed", url, "robots.txt of the site disallows this URL; not fetched")
        return Problem(key, "ignored", url, f"request dropped: {error}")
    if isinstance(error, DownloadTimeoutError | TimeoutError):
        return Problem(key, "timeout", url, f"timed out: {error}")
    if isinstance(
        error,
        CannotResolveHostError
        | DownloadConnectionRefusedError
        | ConnectError
        | ConnectionDone
        | ConnectionLost
        | ResponseDataLossError,
    ):
        return Problem(key, "connection", url, f"connection failed: {error.__class__.__name__}: {error}")
    if isinstance(error, DownloadFailedError):
        return Problem(key, "download_error", url, f"download failed: {error}")
    return Problem(key, "download_error", url, f"{error.__class__.__name__}: {error}")
