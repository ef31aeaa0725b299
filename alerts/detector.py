"""The Detector and Notifier protocols.

A detector is pure: `evaluate(series, now)` looks only at the series it is given (answers to its
own `query` over `lookback`, ending at `now`) and returns what is unusual *now*. It keeps no state
between calls; the lifecycle (open -> updated -> resolved, cool-down, re-alert) is applied by the
alert engine using state kept in the store, so a restart neither re-fires nor forgets.
Constructed as `cls(name, options)`.

A notifier delivers to one channel, `cls(name, options, session)` with the shared aiohttp
session. The engine explains each event first (`alerts.explain`) and hands the notifier a
`Notification`: one explained alert, or a digest of several when the notifier's `digest` window
is set. `accepts(alert)` says whether the channel wants an event at all (severity, status).
`send` escapes every text for the channel's markup, retries briefly with backoff, and raises
`DeliveryError` when delivery failed; the engine keeps the delivery in its outbox and retries it
later, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import ClassVar, Protocol

from pydantic import BaseModel

from alerts.explain import Notification
from trendwatch.models import Alert, Series, SeriesQuery


class Detector(Protocol):
    Options: ClassVar[type[BaseModel]]
    description: ClassVar[str]
    name: str
    interval: timedelta
    lookback: timedelta
    query: SeriesQuery

    def evaluate(self, series: Sequence[Series], now: datetime) -> list[Alert]: ...


class Notifier(Protocol):
    """What the engine uses of a notifier. (`Options` and `description` are what the registry
    checks at registration; they are left out here because a protocol's class attributes are
    invariant, and each notifier narrows `Options` to its own model.)"""

    name: str
    digest: timedelta | None

    def accepts(self, alert: Alert) -> bool: ...

    async def send(self, notification: Notification) -> None: ...
