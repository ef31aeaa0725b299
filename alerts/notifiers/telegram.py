"""The Telegram notifier: messages from a bot, in HTML parse mode, right-to-left safe.

Everything is escaped for Telegram's HTML (`&`, `<`, `>` and quotes in attributes); our own
markup is only `<b>`, `<a href>` and `<blockquote>`, so a post full of tags arrives as text.
Persian lines start with a right-to-left mark and values sit in directional isolates (see
alerts/explain.py). A message longer than Telegram's 4,096 characters is split between
blocks (never inside a tag or an entity; a block too long on its own is cut between words, each
piece right-to-left marked, its links after the last), each part well-formed and numbered.
Parts already sent are not sent again when a later part is retried: the failure says how many
went out and the outbox keeps that number, so this holds across restarts too. If Telegram
rejects the HTML ("can't parse entities"), the part is sent again as plain text rather than lost.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any, ClassVar

import aiohttp
import orjson
from pydantic import Field, SecretStr

from alerts.explain import Explanation, Notification, templates
from alerts.notifiers.base import BaseNotifier, DeliveryFailed, NotifierOptions, retry_after, where
from trendwatch.errors import NotConfigured

MAX_MESSAGE = 4096
_TAG = re.compile(r"<[^>]*>")


def esc(text: str) -> str:
    return html.escape(text, quote=False)


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def to_plain(part: str) -> str:
    """Our HTML part as the plain text it displays (tags dropped, entities decoded)."""
    return html.unescape(_TAG.sub("", part))


def alert_blocks(item: Explanation) -> list[str]:
    """One explained alert as HTML blocks, each well-formed on its own."""
    m = item.mark
    blocks = [f"{m}{item.icon} <b>{esc(item.title)}</b>\n{m}{esc(item.summary)}"]
    blocks.append("\n".join(f"{m}<b>{esc(f.label)}:</b> {esc(f.value)}" for f in item.facts))
    if item.drivers:
        sep = "، " if item.rtl else ", "
        blocks.append("\n".join(f"{m}<b>{esc(d.label)}:</b> {esc(sep.join(d.items))}" for d in item.drivers))
    if item.quotes:
        blocks.append(f"{m}<b>{esc(item.quotes_label)}:</b>")
        for quote in item.quotes:
            link = f' <a href="{attr(quote.url)}">↗</a>' if quote.url else ""
            blocks.append(f"<blockquote>{m}{esc(item.quote_line(quote))}{link}</blockquote>")
    if item.link:
        blocks.append(f'{m}<a href="{attr(item.link)}">{esc(item.link_label)}</a>')
    return blocks


def notification_blocks(notification: Notification) -> list[str]:
    if not notification.digest:
        return alert_blocks(notification.items[0])
    mark = notification.items[0].mark
    blocks = [f"{mark}{notification.icon} <b>{esc(notification.title)}</b>"]
    for item in notification.items:
        item_blocks = alert_blocks(item)
        item_blocks[0] = "\u2014\n" + item_blocks[0]
        blocks += item_blocks
    if notification.more:
        blocks.append(f"{mark}{esc(notification.more)}")
    return blocks


def split(blocks: list[str], limit: int = MAX_MESSAGE, *, like: Explanation | None = None) -> list[str]:
    """Pack blocks into messages of at most `limit` units, numbering the parts after the first."""
    reserve = 40  # room for "(continued i/n)"
    room = limit - reserve
    pieces: list[str] = []
    for block in blocks:
        pieces += [block] if units(block) <= room else _hard_split(block, room, like.mark if like else "")
    parts: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n\n{piece}" if current else piece
        if units(candidate) <= room:
            current = candidate
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    if len(parts) > 1:
        label = str(templates(like.lang if like else "en")["split"])
        mark = like.mark if like else ""
        num = like.number if like else str
        parts = [
            part if i == 0 else f"{mark}<i>{esc(label.format(i=num(i + 1), n=num(len(parts))))}</i>\n{part}"
            for i, part in enumerate(parts)
        ]
    return parts


def _hard_split(block: str, room: int, mark: str = "") -> list[str]:
    """A block too long for one message, as plain-text pieces (escaped again, so well-formed):
    cut between words where it can, never inside a character sequence that draws as one
    (emoji with modifiers, a letter and its marks); each piece starts with the direction mark
    and the block's links follow the last piece."""
    links = _LINK.findall(block)
    text = to_plain(_LINK.sub("", block)).replace(mark, "")  # replace("", "") changes nothing
    room -= units(mark)
    pieces: list[str] = []
    current = ""
    for word in re.findall(r"\s*\S+", text.strip()):
        if units(esc(current + word)) <= room:
            current += word
            continue
        if current:
            pieces.append(current)
        word = word.lstrip()
        while units(esc(word)) > room:  # one word longer than a message
            cut = _cut(word, room)
            pieces.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        pieces.append(current)
    out = [mark + esc(piece.strip()) for piece in pieces]
    tail = " ".join(links)
    if tail and out and units(f"{out[-1]} {tail}") <= room + units(mark):
        out[-1] = f"{out[-1]} {tail}"
    elif tail:
        out.append(mark + tail)
    return out


_LINK = re.compile(r'<a href="[^"]*">[^<]*</a>')


def _cut(word: str, room: int) -> int:
    """Where to cut a word so its escaped head fits in `room` units, at a character boundary
    that is also a boundary of what is drawn (not before a combining mark, a joiner, a variation
    selector or a skin-tone modifier, and not after a joiner)."""
    n = 1
    while n < len(word) and units(esc(word[: n + 1])) <= room:
        n += 1
    while 1 < n < len(word) and (_joins(word[n]) or word[n - 1] == "\u200d"):
        n -= 1
    return n


def _joins(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch in "\u200d\ufe0e\ufe0f" or 0x1F3FB <= ord(ch) <= 0x1F3FF


class TelegramOptions(NotifierOptions):
    token: SecretStr | None = Field(None, description="Bot token from @BotFather; write ${TELEGRAM_BOT_TOKEN}.")
    chat_id: str | None = Field(None, description="Chat, group or channel: a numeric id or @channelname.")
    api_url: str = Field("https://api.telegram.org", description="Bot API server (change for a local Bot API).")
    silent: bool = Field(False, description="Send without sound (disable_notification).")
    max_length: int = Field(MAX_MESSAGE, ge=200, le=MAX_MESSAGE, description="Split messages longer than this.")


class TelegramNotifier(BaseNotifier):
    Options: ClassVar[type[TelegramOptions]] = TelegramOptions
    description: ClassVar[str] = "Send each alert from a Telegram bot to a chat or channel (HTML, RTL-safe)."

    def __init__(self, name: str, options: TelegramOptions, session: aiohttp.ClientSession) -> None:
        super().__init__(name, options, session)
        if options.token is None or not options.token.get_secret_value():
            raise NotConfigured(f"notifier {name!r} needs token: the bot token (e.g. ${{TELEGRAM_BOT_TOKEN}})")
        if not options.chat_id:
            raise NotConfigured(f"notifier {name!r} needs chat_id: the chat or @channel to post to")
        self._url = f"{options.api_url.rstrip('/')}/bot{options.token.get_secret_value()}/sendMessage"
        self._what = f"Telegram Bot API {where(options.api_url)}"
        self._chat_id = options.chat_id
        self._silent = options.silent
        self._limit = options.max_length

    async def deliver(self, notification: Notification) -> None:
        parts = split(notification_blocks(notification), self._limit, like=notification.items[0])
        for index in range(notification.parts_sent, len(parts)):
            try:
                await self._send_part(parts[index])
            except DeliveryFailed as exc:
                exc.parts_sent = index
                raise

    async def _send_part(self, part: str) -> None:
        try:
            await self._call({"text": part, "parse_mode": "HTML"})
        except DeliveryFailed as exc:
            if exc.reason != "bad_entities":
                raise
            await self._call({"text": to_plain(part)})  # better plain than lost

    async def _call(self, fields: dict[str, Any]) -> None:
        request = {
            "chat_id": self._chat_id,
            "link_preview_options": {"is_disabled": True},
            "disable_notification": self._silent,
            **fields,
        }
        headers = {"Content-Type": "application/json"}
        status, resp_headers, text = await self.post(
            self._url, body=orjson.dumps(request), headers=headers, what=self._what
        )
        try:
            answer = orjson.loads(text)
        except orjson.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict):
            raise DeliveryFailed(
                f"{self._what} answered HTTP {status} with a body that is not the Bot API's JSON",
                reason="bad_payload",
                retryable=status >= 500 or status in (200, 429),
                retry_after=retry_after(resp_headers),
            )
        if answer.get("ok") is True:
            return
        raise self._failure(status, answer, resp_headers)

    def _failure(self, status: int, answer: dict[str, Any], headers: Any) -> DeliveryFailed:
        code = int(answer.get("error_code") or status)
        description = " ".join(str(answer.get("description") or "").split())[:200]
        message = f"{self._what} refused the message: {code} {description}".rstrip()
        if code == 429:
            params = answer.get("parameters") or {}
            wait = params.get("retry_after") if isinstance(params, dict) else None
            return DeliveryFailed(
                message, reason="http_429", retry_after=float(wait) if wait is not None else retry_after(headers)
            )
        if code >= 500:
            return DeliveryFailed(message, reason=f"http_{code}")
        if code == 400 and "parse entities" in description.lower():
            return DeliveryFailed(message, reason="bad_entities", retryable=False)
        if code in (401, 403, 404):
            return DeliveryFailed(
                message + " (check the bot token and that the bot is in the chat)", reason="auth", retryable=False
            )
        return DeliveryFailed(message, reason=f"http_{code}", retryable=False)
