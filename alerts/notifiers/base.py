"""What every notifier shares: options, the retry loop, HTTP posting and error mapping.

A notifier subclasses `BaseNotifier`, declares `Options` (a `NotifierOptions` subclass, every
field defaulted; raise `NotConfigured` naming the missing key) and implements `deliver`, one
attempt at delivering a `Notification`. `send` wraps it: failures that may pass (timeouts,
refused connections, 429, 5xx) are retried with exponential backoff and jitter, honouring the
server's Retry-After up to `max_wait`; anything longer, or a failure that will not pass by
waiting (a bad token, a 400), is raised as `DeliveryFailed` and the engine's outbox keeps the
delivery for a later retry (and logs it once). Each attempt's outcome is counted in
`trendwatch_notifications_total{notifier, result}`.

Secrets (tokens, passwords, HMAC keys, Slack webhook URLs) are `SecretStr` options: they are
never logged and never part of an error message; logs name only the scheme and host.
"""

from __future__ import annotations

import asyncio
import random
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import ClassVar
from urllib.parse import urlsplit

import aiohttp
import structlog
from pydantic import Field

from alerts.explain import Notification
from trendwatch.config import PluginOptions
from trendwatch.errors import DeliveryError
from trendwatch.metrics import NOTIFICATIONS
from trendwatch.models import Alert, AlertStatus, Severity
from trendwatch.timeutil import Duration, parse_duration
from trendwatch.waits import retry_after_seconds

log = structlog.get_logger(__name__)

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
ALL_EVENTS: tuple[AlertStatus, ...] = ("open", "updated", "resolved")


class DeliveryFailed(DeliveryError):
    """A failed delivery attempt. `reason` is a short metrics label (timeout, connect, http_429,
    auth, bad_request, ...); `retry_after` the wait the server asked for, in seconds."""

    def __init__(self, message: str, *, reason: str, retryable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message, retryable=retryable)
        self.reason = reason
        self.retry_after = retry_after


class NotifierOptions(PluginOptions):
    """Options every notifier has."""

    min_severity: Severity = Field("info", description="Send only events at least this severe.")
    events: list[AlertStatus] = Field(
        default_factory=lambda: list(ALL_EVENTS), description="Which lifecycle events to send."
    )
    digest: Duration | None = Field(
        None, description="Group events into one message per window (e.g. 1h, 1d); null = send each at once."
    )
    timeout: Duration = Field(parse_duration("15s"), description="Per attempt.")
    attempts: int = Field(3, ge=1, le=10, description="Attempts per delivery before it goes back to the outbox.")
    backoff: Duration = Field(parse_duration("1s"), description="First wait between attempts (doubles).")
    max_wait: Duration = Field(
        parse_duration("30s"), description="Longest wait between attempts; a longer Retry-After defers to the outbox."
    )


class BaseNotifier(ABC):
    """A notifier with the shared retry loop; subclasses implement `deliver`."""

    Options: ClassVar[type[NotifierOptions]] = NotifierOptions
    description: ClassVar[str] = ""

    def __init__(self, name: str, options: NotifierOptions, session: aiohttp.ClientSession) -> None:
        self.name = name
        self.options = options
        self.session = session
        self.digest: timedelta | None = options.digest if options.digest else None
        self._min_rank = SEVERITY_RANK[options.min_severity]
        self._events = frozenset(options.events)
        self._timeout = aiohttp.ClientTimeout(total=options.timeout.total_seconds())

    def accepts(self, alert: Alert) -> bool:
        return alert.status in self._events and SEVERITY_RANK[alert.severity] >= self._min_rank

    @abstractmethod
    async def deliver(self, notification: Notification) -> None:
        """One attempt; raise DeliveryFailed when it did not work. A notifier that sends a
        notification as several messages starts after `notification.parts_sent` of them and
        says in the failure how many are out now (`DeliveryFailed.parts_sent`)."""

    async def send(self, notification: Notification) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.deliver(notification)
            except DeliveryFailed as exc:
                notification = replace(notification, parts_sent=max(notification.parts_sent, exc.parts_sent))
                wait = self._wait(exc, attempt)
                if wait is None:  # the engine logs the kept delivery once, at warning level
                    NOTIFICATIONS.labels(notifier=self.name, result="failed").inc()
                    log.debug(
                        "notification failed",
                        notifier=self.name,
                        id=notification.id,
                        reason=exc.reason,
                        retryable=exc.retryable,
                        attempts=attempt,
                        error=str(exc),
                    )
                    raise
                NOTIFICATIONS.labels(notifier=self.name, result="retry").inc()
                log.debug("notification retry", notifier=self.name, id=notification.id, reason=exc.reason, wait=wait)
                await asyncio.sleep(wait)
            else:
                NOTIFICATIONS.labels(notifier=self.name, result="delivered").inc()
                log.info("notification delivered", notifier=self.name, id=notification.id, attempts=attempt)
                return

    def _wait(self, exc: DeliveryFailed, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None to give up for now."""
        if not exc.retryable or attempt >= self.options.attempts:
            return None
        cap = self.options.max_wait.total_seconds()
        if exc.retry_after is not None:
            return exc.retry_after if exc.retry_after <= cap else None
        base = self.options.backoff.total_seconds() * 2 ** (attempt - 1)
        return min(cap, base * random.uniform(0.8, 1.2))

    # ---------------------------------------------------------------- HTTP for the web notifiers

    async def post(
        self, url: str, *, body: bytes, headers: Mapping[str, str], what: str
    ) -> tuple[int, Mapping[str, str], str]:
        """POST `body`; return (status, headers, text). Network failures become DeliveryFailed
        naming `what` (never the URL, which may hold a token)."""
        try:
            async with self.session.post(url, data=body, headers=dict(headers), timeout=self._timeout) as resp:
                text = await resp.text(errors="replace")
                return resp.status, resp.headers, text
        except TimeoutError:
            raise DeliveryFailed(
                f"{what} did not answer within {self.options.timeout.total_seconds():g}s", reason="timeout"
            ) from None
        except aiohttp.ClientConnectionError as exc:
            raise DeliveryFailed(f"cannot reach {what} ({type(exc).__name__})", reason="connect") from None
        except aiohttp.ClientError as exc:
            raise DeliveryFailed(f"HTTP error talking to {what} ({type(exc).__name__})", reason="http_error") from None


def status_failure(status: int, headers: Mapping[str, str], body: str, what: str) -> DeliveryFailed:
    """The failure an HTTP status means: 408/429/5xx may pass (retry), other 4xx will not."""
    excerpt = " ".join(body.split())[:200]
    message = f"{what} answered HTTP {status}" + (f": {excerpt}" if excerpt else "")
    if status == 429 or status == 408 or status >= 500:
        return DeliveryFailed(message, reason=f"http_{status}", retry_after=retry_after(headers))
    reason = "auth" if status in (401, 403) else f"http_{status}"
    return DeliveryFailed(message, reason=reason, retryable=False)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), if present and sane
    (finite, at most a day: `trendwatch.waits`)."""
    return retry_after_seconds(headers.get("Retry-After") or None)


def where(url: str) -> str:
    """scheme://host[:port] of a URL: what logs and errors may say about an endpoint."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}" + (f":{parts.port}" if parts.port else "")
