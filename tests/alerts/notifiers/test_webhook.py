"""The webhook notifier against a local HTTP receiver: signed JSON, retries, every failure mode."""

from __future__ import annotations

import socket
import time
from typing import Any

import aiohttp
import orjson
import pytest
from structlog.testing import capture_logs

from alerts.notifiers.base import DeliveryFailed
from alerts.notifiers.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookNotifier,
    WebhookOptions,
    verify_signature,
)
from tests.alerts.factories import MARKUP_POST, notification
from tests.alerts.servers import ChannelServer, Reply
from trendwatch.errors import NotConfigured
from trendwatch.metrics import NOTIFICATIONS

SECRET = "hmac-key-never-logged"


def make(channels: ChannelServer, session: aiohttp.ClientSession, **options: Any) -> WebhookNotifier:
    defaults: dict[str, Any] = {"url": f"{channels.url}/hook", "secret": SECRET, "backoff": "10ms", "timeout": "2s"}
    return WebhookNotifier("hook", WebhookOptions(**(defaults | options)), session)


def counted(result: str) -> float:
    return NOTIFICATIONS.labels(notifier="hook", result=result)._value.get()


async def test_posts_signed_json_with_the_alert_and_its_drivers(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    note = notification(note_id="evt-42", platform="mastodon")
    await make(channels, session).send(note)
    [got] = channels.received["hook"]
    assert got.headers[DELIVERY_HEADER] == "evt-42"
    assert got.headers["Content-Type"] == "application/json"
    assert verify_signature(SECRET.encode(), got.body, got.headers[TIMESTAMP_HEADER], got.headers[SIGNATURE_HEADER])
    assert not verify_signature(b"other key", got.body, got.headers[TIMESTAMP_HEADER], got.headers[SIGNATURE_HEADER])
    assert not verify_signature(
        SECRET.encode(), got.body + b" ", got.headers[TIMESTAMP_HEADER], got.headers[SIGNATURE_HEADER]
    ), "a tampered body fails"
    data = got.json
    assert data["id"] == "evt-42"
    assert data["type"] == "alert"
    assert data["lang"] == "en"
    [alert] = data["alerts"]
    assert alert["key"] == "volume|Acme|platform=mastodon"
    assert alert["status"] == "open"
    assert alert["expected"] == 12.0
    assert alert["drivers"]["hashtags"][0] == {"term": "#digikala", "count": 40, "authors": 31}
    assert alert["drivers"]["posts"][0]["text"] == MARKUP_POST, "post text arrives as the exact string"
    assert alert["link"].startswith("https://tw.example/?brand=Acme")
    assert "Spike in mentions of Acme" in data["text"]


async def test_signature_rejects_stale_timestamps(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    await make(channels, session).send(notification())
    [got] = channels.received["hook"]
    ts, sig = got.headers[TIMESTAMP_HEADER], got.headers[SIGNATURE_HEADER]
    assert verify_signature(SECRET.encode(), got.body, ts, sig, now=int(ts) + 60)
    assert not verify_signature(SECRET.encode(), got.body, ts, sig, now=int(ts) + 3600)
    assert not verify_signature(SECRET.encode(), got.body, "not a number", sig)


async def test_without_a_secret_there_is_no_signature(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    await make(channels, session, secret=None, unsigned=True).send(notification())
    [got] = channels.received["hook"]
    assert SIGNATURE_HEADER not in got.headers
    assert DELIVERY_HEADER in got.headers


async def test_429_with_retry_after_is_honoured(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    channels.script("hook", Reply(429, {"error": "slow down"}, headers={"Retry-After": "1"}))
    before = counted("retry")
    started = time.monotonic()
    await make(channels, session).send(notification())
    assert time.monotonic() - started >= 0.95
    first, second = channels.received["hook"]
    assert second.at - first.at >= 0.95
    assert counted("retry") == before + 1


async def test_5xx_then_success(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    channels.script("hook", Reply(500, "boom"), Reply(503, "busy"))
    before = counted("delivered")
    await make(channels, session).send(notification())
    assert len(channels.received["hook"]) == 3
    assert counted("delivered") == before + 1


async def test_persistent_5xx_fails_retryably_after_the_attempts(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    channels.script("hook", *[Reply(502, "<html>bad gateway</html>", content_type="text/html")] * 3)
    before = counted("failed")
    with pytest.raises(DeliveryFailed) as info:
        await make(channels, session, attempts=3).send(notification())
    assert info.value.retryable
    assert info.value.reason == "http_502"
    assert len(channels.received["hook"]) == 3
    assert counted("failed") == before + 1


async def test_a_long_retry_after_goes_back_to_the_outbox(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    channels.script("hook", Reply(429, {}, headers={"Retry-After": "120"}))
    with pytest.raises(DeliveryFailed) as info:
        await make(channels, session, max_wait="5s").send(notification())
    assert info.value.retryable
    assert info.value.retry_after == 120
    assert len(channels.received["hook"]) == 1, "no blocking two-minute sleep inside send"


@pytest.mark.parametrize(("header", "kept"), [("inf", None), ("1e400", None), ("nan", None), ("99999999", 86400.0)])
async def test_an_endless_retry_after_is_not_believed(
    channels: ChannelServer, session: aiohttp.ClientSession, header: str, kept: float | None
) -> None:
    channels.script("hook", Reply(429, {}, headers={"Retry-After": header}))
    with pytest.raises(DeliveryFailed) as info:
        await make(channels, session, max_wait="5s", attempts=1).send(notification())
    assert info.value.retryable
    assert info.value.retry_after == kept, "a wait is finite and at most a day"


async def test_400_is_not_retried(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    channels.script("hook", Reply(400, {"error": "bad schema"}))
    with pytest.raises(DeliveryFailed) as info:
        await make(channels, session).send(notification())
    assert not info.value.retryable
    assert "HTTP 400" in str(info.value)
    assert len(channels.received["hook"]) == 1


async def test_timeout(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    channels.script("hook", *[Reply(200, {"late": True}, delay=1.0)] * 2)
    with pytest.raises(DeliveryFailed) as info:
        await make(channels, session, timeout="0.2s", attempts=2).send(notification())
    assert info.value.reason == "timeout"
    assert info.value.retryable


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    notifier = WebhookNotifier(
        "hook", WebhookOptions(url=f"http://127.0.0.1:{port}/x", unsigned=True, backoff="10ms"), session
    )
    with pytest.raises(DeliveryFailed) as info:
        await notifier.send(notification())
    assert info.value.reason == "connect"
    assert info.value.retryable
    assert f"127.0.0.1:{port}" in str(info.value)


async def test_secrets_never_reach_logs_or_errors(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    url = f"{channels.url}/hook?token=url-token-secret"
    channels.script("hook", *[Reply(500, "nope")] * 2)
    with capture_logs() as logs, pytest.raises(DeliveryFailed) as info:
        await make(channels, session, url=url, attempts=2).send(notification())
    dumped = orjson.dumps([{k: str(v) for k, v in entry.items()} for entry in logs]).decode() + str(info.value)
    assert SECRET not in dumped
    assert "url-token-secret" not in dumped
    assert any(entry["event"] == "notification failed" for entry in logs)


async def test_needs_a_url(session: aiohttp.ClientSession) -> None:
    with pytest.raises(NotConfigured, match="needs url"):
        WebhookNotifier("hook", WebhookOptions(), session)
    with pytest.raises(NotConfigured, match="http:// or https://"):
        WebhookNotifier("hook", WebhookOptions(url="ftp://x"), session)


async def test_unsigned_deliveries_must_be_asked_for(session: aiohttp.ClientSession) -> None:
    with pytest.raises(NotConfigured, match=r"needs secret.*or unsigned: true"):
        WebhookNotifier("hook", WebhookOptions(url="http://x"), session)
    with pytest.raises(NotConfigured, match="needs secret"):
        WebhookNotifier("hook", WebhookOptions(url="http://x", secret=""), session)  # ${WEBHOOK_SECRET:-} unset
    assert WebhookNotifier("hook", WebhookOptions(url="http://x", unsigned=True), session).url == "http://x"


def test_options_keep_the_secret_secret() -> None:
    options = WebhookOptions(url="http://x", secret=SECRET)
    assert SECRET not in repr(options)
    assert SECRET not in str(options.model_dump())
