"""The log notifier: each notification as one structured log line (the zero-setup channel)."""

from __future__ import annotations

from typing import ClassVar, Literal

import aiohttp
import structlog
from pydantic import Field

from alerts.codec import alert_to_json
from alerts.explain import Notification, strip_bidi
from alerts.notifiers.base import BaseNotifier, NotifierOptions

log = structlog.get_logger("trendwatch.alerts")


class LogOptions(NotifierOptions):
    level: Literal["info", "warning", "error"] = Field("warning", description="Log level of alert lines.")
    text: bool = Field(True, description="Include the explained text, not only the alert's fields.")


class LogNotifier(BaseNotifier):
    """Writes alerts to the service log; cannot fail, so it is a safe default channel."""

    Options: ClassVar[type[LogOptions]] = LogOptions
    description: ClassVar[str] = "Write each alert to the service log as one structured line."

    def __init__(self, name: str, options: LogOptions, session: aiohttp.ClientSession) -> None:
        super().__init__(name, options, session)
        self._emit = getattr(log, options.level)
        self._text = options.text

    async def deliver(self, notification: Notification) -> None:
        alerts = [
            {k: v for k, v in alert_to_json(a).items() if k not in ("drivers", "related")} | {"key": a.key}
            for a in notification.alerts
        ]
        fields = {"notifier": self.name, "id": notification.id, "digest": notification.digest, "alerts": alerts}
        if self._text:
            fields["text"] = strip_bidi(notification.text())
        self._emit("alert", **fields)
