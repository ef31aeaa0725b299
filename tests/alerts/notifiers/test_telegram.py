"""The Telegram notifier against a local Bot API that parses HTML as strictly as Telegram."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from alerts.explain import RLM, digest, explain, strip_bidi
from alerts.notifiers.base import DeliveryFailed
from alerts.notifiers.telegram import TelegramNotifier, TelegramOptions, notification_blocks, split, to_plain, units
from tests.alerts.factories import MARKUP_POST, alert, context, drivers, notification
from tests.alerts.servers import (
    TELEGRAM_CHAT,
    TELEGRAM_TOKEN,
    ChannelServer,
    Reply,
    TelegramHtmlError,
    telegram_render,
    tg_reply,
)
from trendwatch.errors import NotConfigured
from trendwatch.timeutil import PERSIAN_DIGITS


def make(channels: ChannelServer, session: aiohttp.ClientSession, **options: Any) -> TelegramNotifier:
    defaults: dict[str, Any] = {
        "token": TELEGRAM_TOKEN,
        "chat_id": TELEGRAM_CHAT,
        "api_url": channels.url,
        "backoff": "10ms",
    }
    return TelegramNotifier("tg", TelegramOptions(**(defaults | options)), session)


def test_the_fake_bot_api_is_strict() -> None:
    assert telegram_render("<b>a</b> &lt;x&gt; &amp; &#1575;") == "a <x> & ا"
    for bad in ["<div>x</div>", "a < b", "a > b", "&nbsp;", "<b>x", "<b>x</i>", "AT&T"]:
        with pytest.raises(TelegramHtmlError):
            telegram_render(bad)


async def test_a_post_full_of_markup_arrives_as_plain_text(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    await make(channels, session).send(notification(post=MARKUP_POST))
    [sent] = channels.telegram_messages
    assert sent["parse_mode"] == "HTML"
    assert sent["link_preview_options"] == {"is_disabled": True}
    rendered = strip_bidi(sent["rendered"])
    assert rendered.count(MARKUP_POST) == 2, "displayed exactly as written, tags and all"
    assert rendered.startswith("🟠 Spike in mentions of Acme\n")
    assert "Open in the dashboard" in rendered


async def test_persian_message_is_right_to_left(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    await make(channels, session).send(notification(subject="Digikala", post="ارسال دیجی‌کالا دیر شد <b>!</b>"))
    [sent] = channels.telegram_messages
    lines = [line for line in sent["rendered"].split("\n") if line]
    assert all(line.startswith(RLM) for line in lines), [line for line in lines if not line.startswith(RLM)]
    assert "ارسال دیجی‌کالا دیر شد <b>!</b>" in strip_bidi(sent["rendered"])
    assert "۱۴۰۵-۰۸-۲۹" in sent["rendered"], "Jalali date with Persian digits"


async def test_a_long_digest_is_split_under_4096_and_every_part_is_valid(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    long_post = "خبر " * 70 + MARKUP_POST
    items = [
        explain(alert(subject="Digikala", observed=60 + i, drivers=drivers(long_post, n_posts=3)), context())
        for i in range(12)
    ]
    note = digest("d-1", items, context(), limit=12)
    await make(channels, session).send(note)
    sent = channels.telegram_messages
    assert len(sent) >= 3
    for part in sent:
        assert units(part["rendered"]) <= 4096
    assert strip_bidi(sent[1]["rendered"]).startswith(f"(ادامه ۲/{str(len(sent)).translate(PERSIAN_DIGITS)})")
    whole = "".join(strip_bidi(p["rendered"]) for p in sent)
    assert whole.count("جهش در اشاره‌ها به") == 12, "no alert lost or cut across parts"


def test_an_oversized_block_is_cut_into_valid_parts() -> None:
    parts = split(["<b>" + "x&amp;" * 3000 + "</b>"], 4096)
    assert len(parts) >= 2
    for part in parts:
        assert units(part) <= 4096
        telegram_render(part)


def test_an_oversized_quote_is_cut_between_words_keeps_its_mark_and_its_link() -> None:
    like = explain(alert(subject="Digikala"), context())
    words = ["سلام", "👩\u200d💻", "👍🏽", "دیجی‌کالا", "a&b"] * 60
    block = f'<blockquote>{RLM}{" ".join(words)} <a href="https://example.com/p?a=1&amp;b=2">↗</a></blockquote>'
    parts = split([block], 400, like=like)
    assert len(parts) >= 4
    bodies = [part.split("</i>\n", 1)[-1] for part in parts]  # after the "(continued i/n)" line
    for part, body in zip(parts, bodies, strict=True):
        assert units(part) <= 400
        telegram_render(part)
        assert body.startswith(RLM), "every piece starts right-to-left"
    assert parts[-1].endswith('<a href="https://example.com/p?a=1&amp;b=2">↗</a>'), "the link survives"
    shown = " ".join(strip_bidi(to_plain(body)) for body in bodies).removesuffix(" ↗")
    assert shown.split() == words, "no word or emoji cut in two"


def test_a_word_longer_than_a_message_is_cut_between_drawn_characters() -> None:
    emoji = "👩\u200d👩\u200d👧\u200d👦"  # one family: seven code points
    parts = split([emoji * 200], 200)
    for part in parts:
        assert units(part) <= 200
        body = part.split("</i>\n", 1)[-1]
        assert body.startswith("👩")
        assert body.endswith("👦")


async def test_429_with_retry_after_in_the_body(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    channels.script("telegram", tg_reply(429, "Too Many Requests: retry after 1", retry_after=1))
    await make(channels, session).send(notification())
    first, second = channels.received["telegram"]
    assert second.at - first.at >= 0.95
    assert len(channels.telegram_messages) == 1


async def test_a_rejected_html_message_is_sent_as_plain_text(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    channels.reject_html = True
    await make(channels, session).send(notification(post=MARKUP_POST))
    [sent] = channels.telegram_messages
    assert "parse_mode" not in sent
    assert "<b>" not in sent["text"].replace("<b>bold</b>", ""), "our own tags are gone"
    assert sent["text"].count(MARKUP_POST) == 2


async def test_parts_already_sent_are_not_sent_again(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    items = [
        explain(alert(subject="Acme", observed=60 + i, drivers=drivers("w " * 130, n_posts=3)), context())
        for i in range(8)
    ]
    note = digest("d-2", items, context(), limit=8)
    parts = split(notification_blocks(note), like=note.items[0])
    assert len(parts) >= 2
    channels.script(
        "telegram",
        Reply(status=200, body=None),
        tg_reply(500, "Internal Server Error"),  # part 2, first attempt
        Reply(status=200, body=None),  # part 2, retried within the same send
        *[tg_reply(500, "Internal Server Error")] * 2,  # part 3, both attempts
    )
    notifier = make(channels, session, attempts=2)
    with pytest.raises(DeliveryFailed) as info:
        await notifier.send(note)
    assert info.value.retryable
    assert info.value.parts_sent == 2, "the failure says how many parts went out"
    assert len(channels.telegram_messages) == 2
    await notifier.send(replace(note, parts_sent=info.value.parts_sent))  # the outbox retries later
    texts = [m["text"] for m in channels.telegram_messages]
    assert texts == parts, "each part exactly once, in order"


async def test_an_html_error_page_from_a_proxy_is_retried(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    channels.script("telegram", Reply(502, "<html><body>Bad Gateway</body></html>", content_type="text/html"))
    await make(channels, session).send(notification())
    assert len(channels.telegram_messages) == 1


async def test_bad_token_fails_at_once_without_revealing_it(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    with capture_logs() as logs, pytest.raises(DeliveryFailed) as info:
        await make(channels, session, token="999:wrong-token-value").send(notification())
    assert info.value.reason == "auth"
    assert not info.value.retryable
    assert "Unauthorized" in str(info.value)
    assert "wrong-token-value" not in str(info.value) + str(logs)
    assert len(channels.received["telegram"]) == 1


async def test_unknown_chat_is_not_retried(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    with pytest.raises(DeliveryFailed) as info:
        await make(channels, session, chat_id="-1").send(notification())
    assert "chat not found" in str(info.value)
    assert not info.value.retryable


async def test_timeout_then_success(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    channels.script("telegram", Reply(200, {"ok": True}, delay=1.0))
    await make(channels, session, timeout="0.2s").send(notification())
    assert len(channels.received["telegram"]) == 2
    assert len(channels.telegram_messages) == 1


async def test_needs_token_and_chat(session: aiohttp.ClientSession) -> None:
    with pytest.raises(NotConfigured, match="needs token"):
        TelegramNotifier("tg", TelegramOptions(chat_id="1"), session)
    with pytest.raises(NotConfigured, match="needs chat_id"):
        TelegramNotifier("tg", TelegramOptions(token="x"), session)
