"""Muting an alert key: its events are still remembered, but no notifier hears of them.

The mute is state in the store (`alert-mute:<key>`), as the web app writes it; deliveries go
over real HTTP to a local webhook receiver.
"""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from prometheus_client import REGISTRY

from alerts.engine import AlertEngine, mute_active, mute_key, mute_value
from alerts.lifecycle import LifecyclePolicy
from alerts.notifiers.webhook import WebhookNotifier, WebhookOptions
from tests.alerts.engine.support import ScriptedStore, ThresholdDetector
from tests.alerts.factories import STEP, T0, context
from tests.alerts.servers import ChannelServer

POLICY = LifecyclePolicy(cooldown="30m", realert="6h", resolve_after=1)


def _engine(store: ScriptedStore, channels: ChannelServer, session: aiohttp.ClientSession) -> AlertEngine:
    hook = WebhookNotifier(
        "hook", WebhookOptions(url=f"{channels.url}/hook", unsigned=True, backoff="10ms", attempts=2), session
    )
    return AlertEngine(store, [ThresholdDetector()], [hook], context(), policy=POLICY)


def _delivered_keys(channels: ChannelServer) -> list[str]:
    return [a["key"] for r in channels.received["hook"] if r.body for a in r.json["alerts"]]


def _muted_count() -> float:
    return REGISTRY.get_sample_value("trendwatch_notifications_total", {"notifier": "hook", "result": "muted"}) or 0.0


async def test_a_muted_key_is_recorded_but_not_notified_and_others_are(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    store = ScriptedStore(counts={"Acme": 50, "Digikala": 40})
    await store.set_state(mute_key("volume|Acme"), mute_value(T0, None, by="web"))
    before = _muted_count()
    events = await _engine(store, channels, session).run(ThresholdDetector(), T0)
    assert sorted(e.key for e in events) == ["volume|Acme", "volume|Digikala"]
    assert sorted(a.key for a in store.history) == ["volume|Acme", "volume|Digikala"], "history keeps both"
    assert _delivered_keys(channels) == ["volume|Digikala"]
    assert await store.get_state("outbox-pending:hook") in (None, [])
    assert _muted_count() == before + 1


async def test_a_mute_that_ended_lets_the_next_event_through(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    store = ScriptedStore(counts={"Acme": 50})
    await store.set_state(mute_key("volume|Acme"), mute_value(T0, T0 + 2 * STEP))
    engine = _engine(store, channels, session)
    detector = ThresholdDetector()
    assert [e.status for e in await engine.run(detector, T0)] == ["open"]
    assert _delivered_keys(channels) == []
    store.counts["Acme"] = 5  # normal again: resolves (resolve_after=1) after the mute has ended
    assert [e.status for e in await engine.run(detector, T0 + 3 * STEP)] == ["resolved"]
    assert _delivered_keys(channels) == ["volume|Acme"]


def test_mute_value_round_trip_and_expiry() -> None:
    forever = mute_value(T0, None)
    assert mute_active(forever, T0 + timedelta(days=365))
    until = mute_value(T0, T0 + timedelta(hours=1), by="web")
    assert mute_active(until, T0 + timedelta(minutes=59))
    assert not mute_active(until, T0 + timedelta(hours=1))
    assert not mute_active(None, T0)
