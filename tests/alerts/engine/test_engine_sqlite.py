"""The engine on the real embedded store: posts in SQLite, the file closed and re-opened.

These prove the promises that need a real store: series and drivers come from stored posts; a
restart (a new process opening the same file) neither re-fires nor forgets an alert; a kept
delivery is sent exactly once after a restart; a post full of markup travels from the store to
a Telegram chat and arrives as the characters it was written with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from alerts.engine import AlertEngine
from alerts.explain import strip_bidi
from alerts.lifecycle import LifecyclePolicy
from alerts.notifiers.telegram import TelegramNotifier, TelegramOptions
from alerts.notifiers.webhook import WebhookNotifier, WebhookOptions
from indexer.sqlite import SqliteOptions, SqliteStore
from tests.alerts.engine.support import ThresholdDetector
from tests.alerts.factories import MARKUP_POST, STEP, T0, context
from tests.alerts.servers import TELEGRAM_CHAT, TELEGRAM_TOKEN, ChannelServer, Reply, tg_reply
from trendwatch.models import Author, BrandMention, EnrichedPost, Enrichment, Post

POLICY = LifecyclePolicy(cooldown="30m", realert="6h", resolve_after=3)
SPIKE_AT = T0 - STEP  # the last complete bucket before T0


def post(
    n: int, when: datetime, text: str = "Acme delivery late again #acmefail", sentiment: float = -0.6
) -> EnrichedPost:
    pid = f"mastodon:{n}"
    return EnrichedPost(
        Post(
            id=pid,
            platform="mastodon",
            source="fedi",
            text=text,
            created_at=when,
            url=f"https://social.example/@u{n % 7}/{n}",
            author=Author(id=f"u{n % 7}", handle=f"@user{n % 7}"),
            hashtags=("#acmefail",),
        ),
        Enrichment(
            post_id=pid,
            lang="en",
            text=text,
            sentiment=sentiment,
            sentiment_label="negative" if sentiment < -0.05 else "positive" if sentiment > 0.05 else "neutral",
            mentions=(BrandMention("Acme", "Acme", 0, 4),),
            hashtags=("#acmefail",),
        ),
    )


@pytest.fixture
async def open_store(tmp_path: Path) -> AsyncIterator[Callable[[], Any]]:
    opened: list[SqliteStore] = []

    async def open_() -> SqliteStore:
        for store in opened:  # one process at a time: close the previous "process" first
            await store.close()
        opened.clear()
        store = SqliteStore(SqliteOptions(path=tmp_path / "tw.db", fts_delay="10ms"))
        await store.open()
        opened.append(store)
        return store

    yield open_
    for store in opened:
        await store.close()


async def seed_spike(store: SqliteStore, *, text: str = "Acme delivery late again #acmefail") -> None:
    quiet = [post(i, T0 - timedelta(minutes=60) + timedelta(minutes=i % 50)) for i in range(10)]
    spike = [post(100 + i, SPIKE_AT + timedelta(seconds=5 * i), text=text) for i in range(40)]
    await store.upsert(quiet + spike)


def webhook(channels: ChannelServer, session: aiohttp.ClientSession) -> WebhookNotifier:
    return WebhookNotifier(
        "hook", WebhookOptions(url=f"{channels.url}/hook", unsigned=True, backoff="10ms", attempts=2), session
    )


async def test_restart_on_sqlite_neither_refires_nor_forgets(
    open_store: Callable[[], Any], channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    store = await open_store()
    await seed_spike(store)
    engine = AlertEngine(store, [], [webhook(channels, session)], context(), policy=POLICY)
    [opened] = await engine.run(ThresholdDetector(threshold=20), T0)
    assert (opened.status, opened.subject, opened.observed) == ("open", "Acme", 40.0)
    assert opened.drivers is not None
    assert opened.drivers.hashtags[0].term == "acmefail"
    assert opened.drivers.negative == 40
    assert len(opened.drivers.posts) == 5

    store = await open_store()  # a new process on the same file
    engine = AlertEngine(store, [], [webhook(channels, session)], context(), policy=POLICY)
    assert await engine.run(ThresholdDetector(threshold=20), T0 + timedelta(seconds=30)) == [], "no re-fire"
    statuses = []
    for i in range(1, 4):  # the spike bucket is no longer the last one: normal three times
        statuses += [e.status for e in await engine.run(ThresholdDetector(threshold=20), T0 + i * STEP)]
    assert statuses == ["resolved"], "the open alert was not forgotten"
    history = await store.alerts(since=T0 - timedelta(days=1))
    assert sorted(a.status for a in history) == ["open", "resolved"]
    assert [r.json["alerts"][0]["status"] for r in channels.received["hook"]] == ["open", "resolved"]


async def test_a_kept_delivery_is_sent_once_after_a_restart(
    open_store: Callable[[], Any], channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    channels.script("hook", *[Reply(503, "down")] * 2)
    store = await open_store()
    await seed_spike(store)
    await AlertEngine(store, [], [webhook(channels, session)], context(), policy=POLICY).run(
        ThresholdDetector(threshold=20), T0
    )
    assert len(channels.received["hook"]) == 2, "two attempts, both refused"
    for minutes in (1, 2, 3):
        store = await open_store()
        engine = AlertEngine(store, [], [webhook(channels, session)], context(), policy=POLICY)
        await engine.retry_deliveries(T0 + timedelta(minutes=minutes))
    delivered = channels.received["hook"][2:]
    assert len(delivered) == 1
    assert delivered[0].json["alerts"][0]["subject"] == "Acme"
    assert await engine.pending("hook") == []


async def test_a_split_telegram_message_resumes_after_a_restart_at_the_part_that_failed(
    open_store: Callable[[], Any], channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    def telegram() -> TelegramNotifier:
        options = TelegramOptions(
            token=TELEGRAM_TOKEN, chat_id=TELEGRAM_CHAT, api_url=channels.url, max_length=300, attempts=1
        )
        return TelegramNotifier("tg", options, session)

    channels.script("telegram", Reply(status=200, body=None), tg_reply(400, "Bad Request: chat is being migrated"))
    store = await open_store()
    await seed_spike(store)
    await AlertEngine(store, [], [telegram()], context(), policy=POLICY).run(ThresholdDetector(threshold=20), T0)
    assert len(channels.received["telegram"]) == 2, "part 1 accepted, part 2 refused"
    assert len(channels.telegram_messages) == 1

    store = await open_store()  # a new process: nothing of the first is in memory
    engine = AlertEngine(store, [], [telegram()], context(), policy=POLICY)
    assert await engine.retry_deliveries(T0 + timedelta(days=1)) == 1
    texts = [m["text"] for m in channels.telegram_messages]
    assert len(texts) >= 3, "the alert needed several parts at 300 characters"
    assert len(set(texts)) == len(texts), "no part sent twice"
    assert all(f"(continued {n}/{len(texts)})" in t for n, t in enumerate(texts[1:], start=2)), "parts in order"
    assert await engine.pending("tg") == []


async def test_a_stored_post_full_of_markup_reaches_telegram_as_plain_text(
    open_store: Callable[[], Any], channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    store = await open_store()
    await seed_spike(store, text=f"Acme {MARKUP_POST}")
    telegram = TelegramNotifier(
        "tg", TelegramOptions(token=TELEGRAM_TOKEN, chat_id=TELEGRAM_CHAT, api_url=channels.url), session
    )
    engine = AlertEngine(store, [], [telegram], context(), policy=POLICY)
    await engine.run(ThresholdDetector(threshold=20), T0)
    [message] = channels.telegram_messages
    assert message["parse_mode"] == "HTML"
    rendered = strip_bidi(message["rendered"])
    assert f"Acme {MARKUP_POST}" in rendered
    assert "Hashtags: #acmefail (7)" in rendered, "7 distinct authors; the '#' restored for display"
