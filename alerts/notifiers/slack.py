"""The Slack notifier: Block Kit messages through an incoming webhook.

Slack parses `mrkdwn` text objects (`*bold*`, `<url|label>`, `<!channel>`) and offers no escape
for its formatting characters, only HTML entities for `&`, `<` and `>`. So text we did not
write (brand names, hashtags, authors, quoted posts) goes only into `plain_text` objects, which
Slack never parses, and the few `mrkdwn` objects (fact labels in bold beside formatted numbers
and dates) have `&`, `<` and `>` escaped. A post full of markup arrives as the characters it was.
"""

from __future__ import annotations

from typing import Any, ClassVar

import aiohttp
import orjson
from pydantic import Field, SecretStr

from alerts.explain import Explanation, Notification
from alerts.notifiers.base import BaseNotifier, NotifierOptions, status_failure, where
from trendwatch.errors import NotConfigured

MAX_BLOCKS = 50
HEADER_CHARS = 150
TEXT_CHARS = 2900  # section text limit is 3,000
FIELD_CHARS = 1900  # field and context element limit is 2,000


def mrkdwn_escape(text: str) -> str:
    """The three characters Slack treats as control characters, as HTML entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = TEXT_CHARS) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit), "emoji": True}


def _mrkdwn(text: str, limit: int = TEXT_CHARS) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _cut(text, limit)}


def _button(item: Explanation) -> dict[str, Any] | None:
    if not item.link:
        return None
    return {"type": "button", "text": _plain(item.link_label, 75), "url": item.link}


def alert_blocks(item: Explanation) -> list[dict[str, Any]]:
    """Blocks for one explained alert."""
    m = item.mark
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"{m}{item.icon} {item.title}", HEADER_CHARS)},
        {"type": "section", "text": _plain(f"{m}{item.summary}")},
    ]
    fields = [_mrkdwn(f"{m}*{mrkdwn_escape(f.label)}*\n{m}{mrkdwn_escape(f.value)}", FIELD_CHARS) for f in item.facts]
    for start in range(0, len(fields), 10):  # at most 10 fields per section
        blocks.append({"type": "section", "fields": fields[start : start + 10]})
    for driver in item.drivers:
        items = ("، " if item.rtl else ", ").join(driver.items)
        blocks.append(
            {
                "type": "context",
                "elements": [_mrkdwn(f"{m}*{mrkdwn_escape(driver.label)}*"), _plain(f"{m}{items}", FIELD_CHARS)],
            }
        )
    if item.quotes:
        blocks.append({"type": "section", "text": _mrkdwn(f"{m}*{mrkdwn_escape(item.quotes_label)}*")})
        for quote in item.quotes:
            elements = [_plain(f"{m}{item.quote_line(quote)}", FIELD_CHARS)]
            if quote.url:
                url = mrkdwn_escape(quote.url.replace("|", "%7C"))
                elements.append(_mrkdwn(f"<{url}|↗>"))
            blocks.append({"type": "context", "elements": elements})
    button = _button(item)
    if button is not None:
        blocks.append({"type": "actions", "elements": [button]})
    return blocks


def digest_blocks(notification: Notification) -> list[dict[str, Any]]:
    """A digest: a header, then per alert its title and summary with a link button."""
    mark = notification.items[0].mark
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(f"{mark}{notification.icon} {notification.title}", HEADER_CHARS)}
    ]
    room = (MAX_BLOCKS - 2) // 2
    for item in notification.items[:room]:
        section: dict[str, Any] = {
            "type": "section",
            "text": _plain(f"{item.mark}{item.icon} {item.title}\n{item.mark}{item.summary}"),
        }
        button = _button(item)
        if button is not None:
            section["accessory"] = button
        blocks += [{"type": "divider"}, section]
    hidden = len(notification.items) - room
    if notification.more or hidden > 0:
        more = notification.more or f"… +{hidden}"
        blocks.append({"type": "context", "elements": [_plain(more, FIELD_CHARS)]})
    return blocks[:MAX_BLOCKS]


def message(notification: Notification) -> dict[str, Any]:
    """The JSON body posted to the webhook."""
    blocks = digest_blocks(notification) if notification.digest else alert_blocks(notification.items[0])
    fallback = mrkdwn_escape(f"{notification.items[0].mark}{notification.icon} {notification.title}")
    return {"text": fallback, "blocks": blocks[:MAX_BLOCKS], "unfurl_links": False, "unfurl_media": False}


class SlackOptions(NotifierOptions):
    webhook_url: SecretStr | None = Field(
        None, description="Incoming-webhook URL (a secret: write ${SLACK_WEBHOOK_URL})."
    )


class SlackNotifier(BaseNotifier):
    Options: ClassVar[type[SlackOptions]] = SlackOptions
    description: ClassVar[str] = "Post each alert to a Slack channel (Block Kit, via an incoming webhook)."

    def __init__(self, name: str, options: SlackOptions, session: aiohttp.ClientSession) -> None:
        super().__init__(name, options, session)
        if options.webhook_url is None or not options.webhook_url.get_secret_value():
            raise NotConfigured(f"notifier {name!r} needs webhook_url: the channel's incoming-webhook URL")
        self._url = options.webhook_url.get_secret_value()
        if not self._url.startswith(("http://", "https://")):
            raise NotConfigured(f"notifier {name!r}: webhook_url must start with https://")
        self._what = f"Slack webhook {where(self._url)}"

    async def deliver(self, notification: Notification) -> None:
        body = orjson.dumps(message(notification))
        headers = {"Content-Type": "application/json; charset=utf-8"}
        status, resp_headers, text = await self.post(self._url, body=body, headers=headers, what=self._what)
        if status != 200:
            raise status_failure(status, resp_headers, text, self._what)
