"""The Slack notifier against a local incoming webhook that checks Block Kit like Slack does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from alerts.explain import digest, explain, single, strip_bidi
from alerts.notifiers.base import DeliveryFailed
from alerts.notifiers.slack import SlackNotifier, SlackOptions, message, mrkdwn_escape
from tests.alerts.factories import MARKUP_POST, alert, context, drivers, notification
from tests.alerts.servers import ChannelServer, Reply
from trendwatch.errors import NotConfigured

HOOK_PATH = "T000/B000/secret-path-XXXX"


def make(channels: ChannelServer, session: aiohttp.ClientSession, **options: Any) -> SlackNotifier:
    defaults: dict[str, Any] = {"webhook_url": f"{channels.url}/slack/{HOOK_PATH}", "backoff": "10ms"}
    return SlackNotifier("slack", SlackOptions(**(defaults | options)), session)


def text_objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and "text" in node:
            yield node
        for value in node.values():
            yield from text_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from text_objects(value)


async def test_delivers_valid_blocks(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    await make(channels, session).send(notification())
    [sent] = channels.slack_messages
    assert sent["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "🟠 Spike in mentions of Acme", "emoji": True},
    }
    assert sent["text"] == "🟠 Spike in mentions of Acme"
    assert sent["blocks"][-1]["type"] == "actions"
    assert sent["blocks"][-1]["elements"][0]["url"].startswith("https://tw.example/?brand=Acme")


async def test_a_post_full_of_markup_arrives_as_plain_text(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    await make(channels, session).send(notification(post=MARKUP_POST))
    [sent] = channels.slack_messages
    objects = list(text_objects(sent["blocks"]))
    quoted = [o for o in objects if MARKUP_POST in strip_bidi(o["text"])]
    assert len(quoted) == 2, "both example posts are quoted verbatim"
    assert all(o["type"] == "plain_text" for o in quoted), "Slack never parses plain_text"
    for o in objects:
        if o["type"] != "mrkdwn":
            continue
        # every < in mrkdwn is one of our own links; & only starts an entity; no raw >
        without_links = re.sub(r"<https?://[^|<>]+\|[^<>]*>", "", o["text"])
        assert "<" not in without_links, o["text"]
        assert ">" not in without_links.replace("&gt;", ""), o["text"]
        assert "<!channel>" not in o["text"]


def test_mrkdwn_escape() -> None:
    assert mrkdwn_escape("a & <b> <!here>") == "a &amp; &lt;b&gt; &lt;!here&gt;"


async def test_a_subject_with_markup_cannot_break_out(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    hostile = alert(subject="<!channel> *Acme*", drivers=drivers())
    note = single("n-2", explain(hostile, context()))
    await make(channels, session).send(note)
    [sent] = channels.slack_messages
    for o in text_objects(sent["blocks"]):
        if o["type"] == "mrkdwn":
            assert "<!channel>" not in o["text"]


async def test_persian_lines_are_right_to_left(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    await make(channels, session).send(notification(subject="Digikala"))
    [sent] = channels.slack_messages
    assert sent["blocks"][0]["text"]["text"].startswith("\u200f"), "the header too"
    section = sent["blocks"][1]["text"]["text"]
    assert section.startswith("\u200f")
    assert "۶۰" in section


async def test_a_large_digest_keeps_within_slack_limits(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    items = [explain(alert(subject="Acme", observed=60 + i, drivers=drivers()), context()) for i in range(40)]
    note = digest("d-1", items, context(), limit=40)
    assert len(message(note)["blocks"]) <= 50
    await make(channels, session).send(note)
    [sent] = channels.slack_messages
    assert sent["blocks"][0]["text"]["text"] == "🗞 trendwatch: 40 alerts"
    assert sent["blocks"][-1]["type"] == "context", "the alerts that did not fit are counted"


async def test_rate_limited_then_delivered(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    channels.script("slack", Reply(429, "rate_limited", headers={"Retry-After": "1"}, content_type="text/plain"))
    await make(channels, session).send(notification())
    assert len(channels.received["slack"]) == 2
    assert len(channels.slack_messages) == 1


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [(404, "no_service", "http_404"), (403, "invalid_token", "auth"), (410, "channel_is_archived", "http_410")],
)
async def test_slack_refusals_are_not_retried(
    channels: ChannelServer, session: aiohttp.ClientSession, status: int, body: str, reason: str
) -> None:
    channels.script("slack", Reply(status, body, content_type="text/plain"))
    with capture_logs() as logs, pytest.raises(DeliveryFailed) as info:
        await make(channels, session).send(notification())
    assert info.value.reason == reason
    assert not info.value.retryable
    assert body in str(info.value)
    assert HOOK_PATH not in str(info.value) + str(logs), "the webhook URL is a secret"


async def test_server_errors_are_retried(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    channels.script("slack", Reply(500, "internal", content_type="text/plain"))
    await make(channels, session).send(notification())
    assert len(channels.slack_messages) == 1


async def test_needs_the_webhook_url(session: aiohttp.ClientSession) -> None:
    with pytest.raises(NotConfigured, match="needs webhook_url"):
        SlackNotifier("slack", SlackOptions(), session)
