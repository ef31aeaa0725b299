"""The one HTTP session every source and notifier uses, and the reading helpers sources share.

`create_session(config)` builds an `aiohttp.ClientSession` with everything politeness needs,
written once here instead of in every poller:

- an identifying User-Agent (`http.user_agent`);
- per-attempt timeouts (`http.timeout` covers connecting, the headers and the body);
- one client middleware, `PoliteMiddleware`, that spaces requests to each host (a GCRA token
  bucket: `per_host_rate` requests per second with bursts of `per_host_burst`), slows down or
  waits when a platform's rate-limit headers say the budget is nearly spent (`X-RateLimit-*`,
  `X-Rate-Limit-*`, `RateLimit-*`), and retries 429, 5xx, timeouts, dropped connections and
  truncated bodies with exponential backoff and jitter, honouring `Retry-After`; before each
  attempt it calls the `on_attempt` hook given to `fetch` (how metered APIs pay for every call).

A wait longer than `http.max_backoff` is not slept through: the middleware gives the response
back (or, when the host is already known to be blocked, raises `RateLimited` without sending),
so the source's round ends and the scheduler retries later with `retry_after`.

Sources then call `fetch(session, url, ...)`, which returns a `Fetched` (status, headers, body)
or raises the kernel's `SourceError` subclasses with a stable metrics `reason`: `timeout`,
`connection`, `truncated_body`, `http_401`, `http_404`, `http_429`, `http_500`, ... and, from
`Fetched.json()`/`Fetched.text()`, `empty_body`, `html_instead_of_json`, `invalid_utf8`,
`malformed_json`, `truncated_json`. Messages name the host and path, never the query string
(API keys travel there) and never a credential's value.
"""

from __future__ import annotations

import asyncio
import math
import random
import re
import time
from collections.abc import Callable, Collection, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
import orjson
import structlog
from aiohttp import ClientHandlerType, ClientRequest, ClientResponse
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from trendwatch.config import HttpConfig
from trendwatch.errors import AuthError, BadPayload, RateLimited, SourceError, SourceGone
from trendwatch.metrics import SOURCE_REQUESTS
from trendwatch.waits import reset_seconds, retry_after_seconds

log = structlog.get_logger(__name__)

#: Statuses worth another try: the server is busy or briefly broken, not refusing us.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
#: Failures of the transport worth another try (aiohttp's timeouts are TimeoutErrors too).
RETRY_ERRORS: tuple[type[BaseException], ...] = (
    TimeoutError,
    aiohttp.ClientConnectionError,
    aiohttp.ClientPayloadError,
)
_LINK = re.compile(r'<(?P<url>[^>]*)>[^,<]*?;\s*rel="?(?P<rel>[^";,]+(?: [^";,]+)*)"?')
_RATE_PREFIXES = ("x-ratelimit-", "x-rate-limit-", "ratelimit-")
#: `fetch(on_attempt=)` of the request under way, for the middleware to call before each attempt.
_ON_ATTEMPT: ContextVar[Callable[[], None] | None] = ContextVar("trendwatch_http_on_attempt", default=None)


def create_session(config: HttpConfig, **kwargs: Any) -> aiohttp.ClientSession:
    """THE session factory: User-Agent, timeouts, retry/backoff and per-host rate limits.

    Extra keyword arguments go to `aiohttp.ClientSession` (tests pass `base_url`, say).
    """
    seconds = config.timeout.total_seconds()
    return aiohttp.ClientSession(
        headers={"User-Agent": config.user_agent},
        # No total: retries and Retry-After waits happen inside one request call. The middleware
        # bounds each attempt; these bound connecting and each read when it is bypassed.
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds),
        middlewares=(PoliteMiddleware(config),),
        raise_for_status=False,
        **kwargs,
    )


# --------------------------------------------------------------------------- rate limits


@dataclass(slots=True)
class _Host:
    """Pacing state of one host (GCRA: `tat` is the theoretical arrival time of the next request)."""

    tat: float = 0.0
    blocked_until: float = 0.0
    paced_interval: float = 0.0
    paced_until: float = 0.0
    #: While paced (until `paced_until`): the requests the platform said remain in its window,
    #: and how many of them are not yet reserved.
    paced_remaining: int = 0
    paced_left: int = 0


@dataclass(slots=True)
class HostLimiter:
    """Per-host request spacing, plus what the platforms' rate-limit headers tell us.

    Keys are `host:port`. `acquire` waits for the host's next slot; a host blocked for longer
    than `max_wait` (a platform said "come back in an hour") raises `RateLimited` at once.
    """

    rate: float
    burst: int
    max_wait: float
    clock: Any = time.monotonic
    _hosts: dict[str, _Host] = field(default_factory=dict)

    def _host(self, key: str) -> _Host:
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = _Host()
        return host

    def delay(self, key: str) -> float:
        """Reserve the host's next slot and return how long to wait for it."""
        host = self._host(key)
        now = self.clock()
        if host.blocked_until - now > self.max_wait:
            raise RateLimited(
                f"{key} asked us to wait {host.blocked_until - now:.0f}s before the next request",
                retry_after=host.blocked_until - now,
                reason="rate_limited",
            )
        interval = 1.0 / self.rate
        burst = self.burst
        paced = now < host.paced_until
        if paced:
            # Paced by the platform's headers: no more at once than remain in its window.
            interval = max(interval, host.paced_interval)
            burst = min(burst, host.paced_remaining)
        tolerance = interval * max(0, burst - 1)
        tat = max(host.tat, now, host.blocked_until)
        wait = max(0.0, tat - tolerance - now, host.blocked_until - now)
        host.tat = tat + interval
        if paced:
            host.paced_left -= 1
            if host.paced_left < 1:  # every slot the window had left is reserved: wait for its reset
                host.blocked_until = max(host.blocked_until, host.paced_until)
        return wait

    async def acquire(self, key: str) -> None:
        wait = self.delay(key)
        if wait > 0:
            await asyncio.sleep(wait)

    def block(self, key: str, seconds: float) -> None:
        """Send nothing to the host for `seconds` (Retry-After, or a spent platform budget)."""
        host = self._host(key)
        host.blocked_until = max(host.blocked_until, self.clock() + seconds)

    def observe(self, key: str, headers: Mapping[str, str]) -> None:
        """Honour `X-RateLimit-Remaining`/`-Reset` (and the `X-Rate-Limit-*`, `RateLimit-*` spellings):
        with nothing left, wait for the reset; otherwise spread what is left over the window (see
        `delay`: bursts no larger than what remains, each reservation counted against it)."""
        window = rate_limit_window(headers)
        if window is None:
            return
        remaining, reset_in = window
        if remaining < 1:
            self.block(key, reset_in)
            return
        host = self._host(key)
        host.paced_interval = reset_in / remaining
        host.paced_until = self.clock() + reset_in
        host.paced_remaining = host.paced_left = int(remaining)


def rate_limit_window(headers: Mapping[str, str], now: datetime | None = None) -> tuple[float, float] | None:
    """(requests remaining, seconds until the window resets) from a platform's headers, if given.

    The reset is read by `trendwatch.waits.reset_seconds` (ISO timestamp, epoch seconds or seconds
    from now; finite, at most a day).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    for prefix in _RATE_PREFIXES:
        remaining_text = lowered.get(prefix + "remaining")
        reset_text = lowered.get(prefix + "reset")
        if remaining_text is None or reset_text is None:
            continue
        try:
            remaining = float(remaining_text.split(",")[0].strip())
        except ValueError:
            return None
        reset_in = reset_seconds(reset_text, now)
        if reset_in is None or not math.isfinite(remaining):
            return None
        return remaining, reset_in
    return None


# --------------------------------------------------------------------------- the middleware


class PoliteMiddleware:
    """aiohttp client middleware: per-host spacing, rate-limit headers, retries with backoff.

    Each attempt is bounded by `timeout` (connect, headers and body: the body is read here so a
    truncated one can be retried). Retries happen on `RETRY_STATUSES` and `RETRY_ERRORS`, at
    most `retries` times, waiting `Retry-After` when given, else `backoff * 2**attempt` with
    jitter, never more than `max_backoff`; a longer Retry-After ends the retries and blocks the
    host for that long, so the caller sees the response and reports `RateLimited`.
    """

    def __init__(self, config: HttpConfig, *, rng: random.Random | None = None) -> None:
        self.retries = config.retries
        self.timeout = config.timeout.total_seconds()
        self.backoff = config.backoff.total_seconds()
        self.max_backoff = config.max_backoff.total_seconds()
        self.limiter = HostLimiter(config.per_host_rate, config.per_host_burst, self.max_backoff)
        self._rng = rng or random.Random()

    def backoff_delay(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random, capped."""
        base = min(self.max_backoff, self.backoff * (2**attempt))
        return base / 2 + self._rng.uniform(0, base / 2)

    async def __call__(self, request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        url = request.url
        key = f"{url.host}:{url.port}"
        attempt = 0
        on_attempt = _ON_ATTEMPT.get()
        while True:
            await self.limiter.acquire(key)
            if on_attempt is not None:
                on_attempt()  # may raise (a spent quota): nothing is sent
            try:
                async with asyncio.timeout(self.timeout):
                    response = await handler(request)
                    try:
                        await response.read()
                    except BaseException:
                        response.close()
                        raise
            except RETRY_ERRORS as exc:
                SOURCE_REQUESTS.labels(host=url.host or "", status=_error_label(exc)).inc()
                if attempt >= self.retries:
                    raise
                delay = self.backoff_delay(attempt)
                log.debug("http retry", host=url.host, path=url.path, error=_error_label(exc), delay=round(delay, 3))
                attempt += 1
                await asyncio.sleep(delay)
                continue
            SOURCE_REQUESTS.labels(host=url.host or "", status=str(response.status)).inc()
            self.limiter.observe(key, response.headers)
            if response.status not in RETRY_STATUSES:
                return response
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            if asked is not None:
                self.limiter.block(key, asked)
            if attempt >= self.retries or (asked is not None and asked > self.max_backoff):
                return response
            delay = asked if asked is not None else self.backoff_delay(attempt)
            log.debug("http retry", host=url.host, path=url.path, status=response.status, delay=round(delay, 3))
            response.release()
            attempt += 1
            if asked is None:
                await asyncio.sleep(delay)
            # with Retry-After, the limiter's block makes the next acquire() wait exactly that long


def _error_label(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "truncated_body"
    return "connection"


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class Fetched:
    """A complete HTTP response: what sources parse. `headers` look up case-insensitively;
    `where` is safe to log (no query string)."""

    url: str
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def where(self) -> str:
        return safe_url(self.url)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    @property
    def links(self) -> dict[str, str]:
        """The `Link` header (RFC 8288) as {rel: url}, e.g. Mastodon's "next" and "prev" pages."""
        out: dict[str, str] = {}
        for value in self.headers.getall("Link", []):
            for match in _LINK.finditer(value):
                for rel in match.group("rel").split():
                    out.setdefault(rel.lower(), match.group("url"))
        return out

    def looks_like_html(self) -> bool:
        head = self.body[:512].lstrip().lower()
        return head.startswith((b"<!doctype html", b"<html")) or (
            self.content_type == "text/html" and head.startswith(b"<")
        )

    def text(self) -> str:
        """The body as UTF-8 text; `BadPayload` (empty_body / invalid_utf8) otherwise."""
        if not self.body.strip():
            raise BadPayload(f"{self.where} returned an empty body", reason="empty_body")
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadPayload(
                f"{self.where} returned bytes that are not UTF-8 (at byte {exc.start})", reason="invalid_utf8"
            ) from None

    def json(self) -> Any:
        """The body as JSON, or `BadPayload` saying what came instead."""
        if not self.body.strip():
            raise BadPayload(f"{self.where} returned an empty body where JSON was expected", reason="empty_body")
        if self.looks_like_html():
            raise BadPayload(
                f"{self.where} returned an HTML page where JSON was expected "
                f"(HTTP {self.status}, {self.content_type or 'no content type'})",
                reason="html_instead_of_json",
            )
        text = self.text()
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            truncated = exc.pos >= len(text.rstrip())
            raise BadPayload(
                f"{self.where} returned {'truncated' if truncated else 'malformed'} JSON: {exc.msg} at {exc.pos}",
                reason="truncated_json" if truncated else "malformed_json",
            ) from None


def safe_url(url: str | URL) -> str:
    """The URL without its query string or credentials: safe for logs and error messages."""
    parsed = URL(url) if isinstance(url, str) else url
    return str(parsed.with_query(None).with_fragment(None).with_user(None))


async def fetch(
    session: aiohttp.ClientSession,
    url: str | URL,
    *,
    method: str = "GET",
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    data: Any = None,
    expect: Collection[int] = (200,),
    credential: str | None = None,
    on_attempt: Callable[[], None] | None = None,
) -> Fetched:
    """One request through the polite session; a `Fetched` for an expected status, else a `SourceError`.

    `credential` names what to fix when the platform answers 401/403 (for example "the reddit
    source's client_id/client_secret"); it is a name, never the secret itself. `on_attempt` is
    called before every attempt the middleware sends, retries included: a platform that bills
    failed calls too (YouTube) pays for each there, and an exception it raises (a spent quota)
    ends the request without sending.
    """
    where = safe_url(url)
    attempt_hook = _ON_ATTEMPT.set(on_attempt)
    try:
        async with session.request(
            method, url, params=_clean(params), headers=headers, json=json, data=data
        ) as response:
            body = await response.read()
            fetched = Fetched(str(response.url), response.status, CIMultiDictProxy(CIMultiDict(response.headers)), body)
    except RateLimited:
        raise
    except TimeoutError:
        raise SourceError(f"{method} {where} timed out", reason="timeout") from None
    except aiohttp.ClientPayloadError as exc:
        raise BadPayload(f"{method} {where}: the body was cut short ({exc})", reason="truncated_body") from None
    except aiohttp.ClientConnectionError as exc:
        raise SourceError(f"{method} {where}: cannot connect ({type(exc).__name__})", reason="connection") from None
    except aiohttp.ClientError as exc:
        raise SourceError(f"{method} {where}: {type(exc).__name__}", reason="client_error") from None
    finally:
        _ON_ATTEMPT.reset(attempt_hook)
    if fetched.status in expect:
        return fetched
    raise status_error(fetched, credential=credential)


def status_error(fetched: Fetched, *, credential: str | None = None) -> SourceError:
    """The SourceError an unexpected status means; `reason` is `http_<status>`."""
    status, where, reason = fetched.status, fetched.where, f"http_{fetched.status}"
    if status in (401, 403):
        fix = f"check {credential}" if credential else "the endpoint needs credentials or refuses this client"
        return AuthError(f"{where} refused the request (HTTP {status}): {fix}", reason=reason)
    if status in (404, 410):
        return SourceGone(f"{where} is gone (HTTP {status}): check the configured name or URL", reason=reason)
    if status == 429 or (status == 503 and "Retry-After" in fetched.headers):
        wait = retry_after_seconds(fetched.headers.get("Retry-After"))
        window = rate_limit_window(fetched.headers)
        if wait is None and window is not None:
            wait = window[1]
        hint = f"; retry after {wait:.0f}s" if wait is not None else ""
        return RateLimited(f"{where} is rate limiting us (HTTP {status}){hint}", retry_after=wait, reason=reason)
    return SourceError(f"{where} answered HTTP {status}", reason=reason)


def _clean(params: Mapping[str, Any] | None) -> list[tuple[str, str]] | None:
    """Query parameters without Nones, booleans spelled the way APIs expect, lists repeated."""
    if params is None:
        return None
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is None:
                continue
            out.append((key, ("true" if item else "false") if isinstance(item, bool) else str(item)))
    return out
