"""The webhook notifier: each notification POSTed as JSON, signed with HMAC-SHA256.

The body carries the machine-readable alerts (every field, drivers included, plus `key` and the
dashboard `link`) beside the explained text. Headers:

- `X-Trendwatch-Delivery`: the delivery id, the same on every retry: receivers drop repeats.
- `X-Trendwatch-Timestamp`: Unix seconds when this attempt was signed.
- `X-Trendwatch-Signature`: `sha256=<hex>`, the HMAC-SHA256 with the shared `secret` over
  `"<timestamp>." + body`; `verify_signature` checks it (and the timestamp's age) for receivers.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, ClassVar

import aiohttp
import orjson
from pydantic import Field, SecretStr, field_validator

from alerts.codec import alert_to_json
from alerts.explain import Notification, strip_bidi
from alerts.notifiers.base import BaseNotifier, NotifierOptions, status_failure, where
from trendwatch.errors import NotConfigured

SIGNATURE_HEADER = "X-Trendwatch-Signature"
TIMESTAMP_HEADER = "X-Trendwatch-Timestamp"
DELIVERY_HEADER = "X-Trendwatch-Delivery"


class WebhookOptions(NotifierOptions):
    url: str | None = Field(None, description="Where to POST (http or https).")
    secret: SecretStr | None = Field(
        None, description="HMAC-SHA256 key for the signature header; e.g. ${WEBHOOK_SECRET}."
    )
    unsigned: bool = Field(False, description="Send without a signature (no secret); receivers cannot verify them.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra request headers.")

    @field_validator("url", "secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def verify_signature(
    secret: bytes, body: bytes, timestamp: str, signature: str, *, tolerance: float = 300.0, now: float | None = None
) -> bool:
    """True when `signature` is ours for this body and the timestamp is within `tolerance` s."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


def payload(notification: Notification) -> dict[str, Any]:
    """The JSON document a webhook receives."""
    alerts = []
    for item in notification.items:
        data = alert_to_json(item.alert)
        data["key"] = item.alert.key
        data["link"] = item.link
        data["title"] = strip_bidi(item.title)
        data["summary"] = strip_bidi(item.summary)
        alerts.append(data)
    return {
        "id": notification.id,
        "type": "digest" if notification.digest else "alert",
        "lang": notification.lang,
        "title": strip_bidi(notification.title),
        "text": notification.text(),
        "alerts": alerts,
    }


class WebhookNotifier(BaseNotifier):
    Options: ClassVar[type[WebhookOptions]] = WebhookOptions
    description: ClassVar[str] = "POST each alert as signed JSON (HMAC-SHA256) to a URL of yours."

    def __init__(self, name: str, options: WebhookOptions, session: aiohttp.ClientSession) -> None:
        super().__init__(name, options, session)
        if not options.url:
            raise NotConfigured(f"notifier {name!r} needs url: the address to POST alerts to")
        if not options.url.startswith(("http://", "https://")):
            raise NotConfigured(f"notifier {name!r}: url must start with http:// or https://")
        if options.secret is None and not options.unsigned:
            raise NotConfigured(
                f"notifier {name!r} needs secret: the HMAC key receivers verify deliveries with"
                " (e.g. secret: ${WEBHOOK_SECRET}), or unsigned: true to send without a signature"
            )
        self.url = options.url
        self._secret = options.secret.get_secret_value().encode() if options.secret else None
        self._headers = {"Content-Type": "application/json", **options.headers}
        self._what = f"webhook {where(options.url)}"

    async def deliver(self, notification: Notification) -> None:
        body = orjson.dumps(payload(notification))
        headers = dict(self._headers)
        headers[DELIVERY_HEADER] = notification.id
        if self._secret is not None:
            ts = int(time.time())
            headers[TIMESTAMP_HEADER] = str(ts)
            headers[SIGNATURE_HEADER] = sign(self._secret, ts, body)
        status, resp_headers, text = await self.post(self.url, body=body, headers=headers, what=self._what)
        if not 200 <= status < 300:
            raise status_failure(status, resp_headers, text, self._what)
