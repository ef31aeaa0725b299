"""What every handler reads from the application: typed `web.AppKey`s and one accessor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from alerts.explain import AlertContext
from indexer.store import Store
from trendwatch.config import Settings
from trendwatch.service.scheduler import Health
from trendwatch.service.web.params import Scope, scope
from trendwatch.timeutil import DisplayClock

STORE = web.AppKey("store", Store)
SETTINGS = web.AppKey("settings", Settings)
HEALTH = web.AppKey("health", Health)
NOW: web.AppKey[Callable[[], datetime]] = web.AppKey("now")


@dataclass(frozen=True, slots=True)
class Env:
    """A handler's view of the app: the store, the settings, the clock and how to show time."""

    store: Store
    settings: Settings
    now: datetime
    clock: DisplayClock

    @classmethod
    def of(cls, request: web.Request) -> Env:
        app = request.app
        settings = app[SETTINGS]
        return cls(store=app[STORE], settings=settings, now=app[NOW](), clock=settings.display.clock())

    def scope(self, request: web.Request) -> Scope:
        return scope(request.query, self.settings, self.now)

    def alert_context(self) -> AlertContext:
        """How alerts are explained on the page: as in notifications, without a link to here."""
        return AlertContext(brands=tuple(self.settings.brands), clock=self.clock, dashboard_url=None)
