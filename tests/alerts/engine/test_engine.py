"""The alert engine: lifecycle with state in the store, drivers, outbox, retries, restarts.

Deliveries go over real HTTP to a local webhook receiver. The store's state is a JSON dict here
(`ScriptedStore`); test_engine_sqlite.py repeats the restart cases on a real SQLite file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from alerts.engine import AlertEngine, next_run, outbox_key, pending_key
from alerts.explain import AlertContext, Notification
from alerts.lifecycle import LifecyclePolicy
from alerts.notifiers.base import BaseNotifier, NotifierOptions
from alerts.notifiers.webhook import WebhookNotifier, WebhookOptions
from tests.alerts.engine.support import BrokenDetector, ScriptedStore, ThresholdDetector
from tests.alerts.factories import STEP, T0, context
from tests.alerts.servers import ChannelServer, Reply

POLICY = LifecyclePolicy(cooldown="30m", realert="6h", resolve_after=3)
EngineFactory = Callable[..., AlertEngine]


@pytest.fixture
async def make_engine(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> AsyncIterator[Callable[..., AlertEngine]]:
    def make(store: ScriptedStore, *, notifiers: list[Any] | None = None, **kw: Any) -> AlertEngine:
        hook = WebhookNotifier(
            "hook", WebhookOptions(url=f"{channels.url}/hook", unsigned=True, backoff="10ms", attempts=2), session
        )
        return AlertEngine(
            store, [ThresholdDetector()], [hook] if notifiers is None else notifiers, context(), policy=POLICY, **kw
        )

    return make


def bodies(channels: ChannelServer) -> list[dict[str, Any]]:
    return [r.json for r in channels.received["hook"] if r.body]


async def test_a_spike_opens_is_explained_delivered_and_remembered(
    make_engine: EngineFactory, channels: ChannelServer
) -> None:
    store = ScriptedStore(counts={"Acme": 50, "Digikala": 3})
    engine = make_engine(store)
    events = await engine.run(ThresholdDetector(), T0)
    [event] = events
    assert event.status == "open"
    assert event.subject == "Acme"
    assert event.drivers is not None, "drivers attached from the store"
    assert event.drivers.hashtags[0].term == "#digikala"
    assert store.history == [event]
    [got] = bodies(channels)
    assert got["alerts"][0]["key"] == "volume|Acme"
    assert got["alerts"][0]["drivers"]["negative"] == 45
    assert (await store.get_state("alert:volume|Acme"))["status"] == "open"
    assert await store.get_state("alert-open:volume") == ["volume|Acme"]
    assert await engine.pending("hook") == []
    record = await store.get_state(outbox_key("hook", got["id"]))
    assert record["status"] == "delivered", "the delivery is recorded"
    assert record["attempts"] == 1


async def test_still_elevated_is_quiet_and_normal_resolves(make_engine: EngineFactory, channels: ChannelServer) -> None:
    store = ScriptedStore(counts={"Acme": 50})
    engine = make_engine(store)
    detector = ThresholdDetector()
    statuses = []
    for i in range(4):
        statuses += [e.status for e in await engine.run(detector, T0 + i * STEP)]
    store.counts["Acme"] = 5
    for i in range(4, 8):
        statuses += [e.status for e in await engine.run(detector, T0 + i * STEP)]
    assert statuses == ["open", "resolved"]
    assert [b["alerts"][0]["status"] for b in bodies(channels)] == ["open", "resolved"]
    assert await store.get_state("alert-open:volume") == []


async def test_a_restart_neither_refires_nor_forgets(make_engine: EngineFactory, channels: ChannelServer) -> None:
    store = ScriptedStore(counts={"Acme": 50})
    await make_engine(store).run(ThresholdDetector(), T0)
    # the process dies; a new one starts with the same store contents
    store = ScriptedStore(counts={"Acme": 50}, state=dict(store.state))
    engine = make_engine(store)
    assert await engine.run(ThresholdDetector(), T0 + STEP) == [], "no second 'open' after the restart"
    store.counts["Acme"] = 0
    statuses = []
    for i in range(2, 5):
        statuses += [e.status for e in await engine.run(ThresholdDetector(), T0 + i * STEP)]
    assert statuses == ["resolved"], "the open alert was remembered and resolves"
    assert [b["alerts"][0]["status"] for b in bodies(channels)] == ["open", "resolved"]


async def test_escalation_is_delivered_as_an_update(make_engine: EngineFactory, channels: ChannelServer) -> None:
    store = ScriptedStore(counts={"Acme": 30})
    engine = make_engine(store)
    await engine.run(ThresholdDetector(), T0)
    store.counts["Acme"] = 90
    [event] = await engine.run(ThresholdDetector(), T0 + STEP)
    assert (event.status, event.severity) == ("updated", "critical")
    assert [b["alerts"][0]["severity"] for b in bodies(channels)] == ["warning", "critical"]


async def test_a_failed_delivery_is_kept_and_retried_with_backoff(
    make_engine: EngineFactory, channels: ChannelServer
) -> None:
    channels.script("hook", *[Reply(503, "down")] * 4)
    store = ScriptedStore(counts={"Acme": 50})
    engine = make_engine(store)
    with capture_logs() as logs:
        [event] = await engine.run(ThresholdDetector(), T0)
    assert event.status == "open", "the event happened even though no channel took it yet"
    [entry] = await engine.pending("hook")
    assert entry["attempts"] == 1
    assert entry["last_reason"] == "http_503"
    assert any(e["event"] == "delivery kept in outbox" for e in logs)
    assert await engine.retry_deliveries(T0 + timedelta(seconds=10)) == 0, "not due yet (30 s backoff)"
    assert len(channels.received["hook"]) == 2
    assert await engine.retry_deliveries(T0 + timedelta(seconds=31)) == 0, "fails again: 503 twice more"
    [entry] = await engine.pending("hook")
    assert entry["attempts"] == 2
    assert entry["next_at"] == (T0 + timedelta(seconds=31 + 60)).isoformat(), "backoff doubles"
    assert await engine.retry_deliveries(T0 + timedelta(seconds=95)) == 1
    assert await engine.pending("hook") == []
    assert await engine.retry_deliveries(T0 + timedelta(hours=3)) == 0, "delivered once, never again"
    delivered = [r for r in channels.received["hook"] if r.body and r.json]
    assert len({r.headers["X-Trendwatch-Delivery"] for r in delivered}) == 1


async def test_outbox_survives_a_restart_and_delivers_exactly_once(
    make_engine: EngineFactory, channels: ChannelServer
) -> None:
    channels.script("hook", *[Reply(500, "down")] * 2)
    store = ScriptedStore(counts={"Acme": 50})
    await make_engine(store).run(ThresholdDetector(), T0)
    assert len(channels.received["hook"]) == 2
    # restart: a new engine over the same stored state retries the kept delivery once
    for _ in range(2):
        store = ScriptedStore(counts={"Acme": 50}, state=dict(store.state))
        engine = make_engine(store)
        await engine.retry_deliveries(T0 + timedelta(minutes=5))
        await engine.run(ThresholdDetector(), T0 + timedelta(minutes=5))
    accepted = [r for r in channels.received["hook"]][2:]
    assert len(accepted) == 1
    assert accepted[0].json["alerts"][0]["status"] == "open"


async def test_non_retryable_failures_wait_the_longest(make_engine: EngineFactory, channels: ChannelServer) -> None:
    channels.script("hook", Reply(400, "bad"))
    store = ScriptedStore(counts={"Acme": 50})
    engine = make_engine(store, retry_max=timedelta(hours=2))
    await engine.run(ThresholdDetector(), T0)
    [entry] = await engine.pending("hook")
    assert entry["next_at"] == (T0 + timedelta(hours=2)).isoformat()
    assert entry["last_reason"] == "http_400"
    assert await engine.retry_deliveries(T0 + timedelta(hours=2)) == 1, "kept, not dropped"


async def test_retry_after_longer_than_backoff_is_respected(
    make_engine: EngineFactory, channels: ChannelServer
) -> None:
    channels.script("hook", Reply(429, "slow", headers={"Retry-After": "600"}))
    store = ScriptedStore(counts={"Acme": 50})
    engine = make_engine(store)
    await engine.run(ThresholdDetector(), T0)
    [entry] = await engine.pending("hook")
    assert entry["next_at"] == (T0 + timedelta(seconds=600)).isoformat()


async def test_a_crash_before_the_state_is_saved_does_not_duplicate(
    make_engine: EngineFactory, channels: ChannelServer
) -> None:
    store = ScriptedStore(counts={"Acme": 50}, fail_set_state={"alert:volume|Acme": 1})
    engine = make_engine(store)
    with pytest.raises(Exception, match="simulated crash"):
        await engine.run(ThresholdDetector(), T0)
    # the outbox entry was written before the state; after the restart the step runs again
    store = ScriptedStore(counts={"Acme": 50}, state=dict(store.state))
    engine = make_engine(store)
    await engine.retry_deliveries(T0 + timedelta(seconds=20))
    [event] = await engine.run(ThresholdDetector(), T0 + timedelta(seconds=40))
    assert event.status == "open"
    assert len(channels.received["hook"]) == 1, "the re-run found its queued entry: one message"
    assert (await store.get_state("alert:volume|Acme"))["status"] == "open"


async def test_a_crash_between_index_and_entry_loses_nothing(
    make_engine: EngineFactory, channels: ChannelServer
) -> None:
    store = ScriptedStore(counts={"Acme": 50}, fail_set_state={"outbox:hook:": 1})
    with pytest.raises(Exception, match="simulated crash"):
        await make_engine(store).run(ThresholdDetector(), T0)
    assert await store.get_state(pending_key("hook")), "the index was written first"
    store = ScriptedStore(counts={"Acme": 50}, state=dict(store.state))
    engine = make_engine(store)
    assert await engine.retry_deliveries(T0 + timedelta(seconds=5)) == 0
    assert await store.get_state(pending_key("hook")) == [], "a listed id without an entry is dropped"
    [event] = await engine.run(ThresholdDetector(), T0 + timedelta(seconds=10))
    assert event.status == "open"
    assert len(channels.received["hook"]) == 1


async def test_digest_groups_events_until_the_window_ends(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    hook = WebhookNotifier("digest", WebhookOptions(url=f"{channels.url}/hook", unsigned=True, digest="1h"), session)
    store = ScriptedStore(counts={"Acme": 50, "Digikala": 40})
    ctx = AlertContext(brands=context().brands)  # UTC display: windows end on the hour
    engine = AlertEngine(store, [ThresholdDetector()], [hook], ctx, policy=POLICY)
    start = T0 + timedelta(minutes=10)
    assert len(await engine.run(ThresholdDetector(), start)) == 2
    assert channels.received["hook"] == [], "nothing sent before the window ends"
    # restart in the middle of the window
    store = ScriptedStore(counts={"Acme": 50, "Digikala": 40}, state=dict(store.state))
    engine = AlertEngine(store, [ThresholdDetector()], [hook], ctx, policy=POLICY)
    assert await engine.retry_deliveries(T0 + timedelta(minutes=59)) == 0
    assert await engine.retry_deliveries(T0 + timedelta(minutes=60)) == 1
    [got] = bodies(channels)
    assert got["type"] == "digest"
    assert sorted(a["subject"] for a in got["alerts"]) == ["Acme", "Digikala"]
    assert await engine.retry_deliveries(T0 + timedelta(minutes=90)) == 0
    assert len(channels.received["hook"]) == 1


async def test_each_channel_gets_what_it_accepts(channels: ChannelServer, session: aiohttp.ClientSession) -> None:
    everything = WebhookNotifier("all", WebhookOptions(url=f"{channels.url}/hook", unsigned=True), session)
    critical = WebhookNotifier(
        "crit", WebhookOptions(url=f"{channels.url}/hook", unsigned=True, min_severity="critical"), session
    )
    store = ScriptedStore(counts={"Acme": 30, "Digikala": 90})
    engine = AlertEngine(store, [ThresholdDetector()], [everything, critical], context(), policy=POLICY)
    await engine.run(ThresholdDetector(), T0)
    subjects = sorted(r.json["alerts"][0]["subject"] for r in channels.received["hook"])
    assert subjects == ["Acme", "Digikala", "Digikala"]


class Exploding(BaseNotifier):
    Options = NotifierOptions
    description = "raises a bug"

    async def deliver(self, notification: Notification) -> None:
        raise RuntimeError("notifier bug")


async def test_a_notifier_bug_keeps_the_delivery(session: aiohttp.ClientSession) -> None:
    store = ScriptedStore(counts={"Acme": 50})
    engine = AlertEngine(store, [], [Exploding("boom", NotifierOptions(), session)], context(), policy=POLICY)
    with capture_logs() as logs:
        [event] = await engine.run(ThresholdDetector(), T0)
    assert event.status == "open"
    [entry] = await engine.pending("boom")
    assert entry["last_reason"] == "RuntimeError"
    assert any(e["event"] == "notifier crashed; delivery kept" for e in logs)


async def test_a_detector_failure_changes_nothing(make_engine: EngineFactory) -> None:
    store = ScriptedStore(counts={"Acme": 50})
    with pytest.raises(ZeroDivisionError):
        await make_engine(store).run(BrokenDetector(), T0)
    assert store.writes == []
    assert store.history == []


async def test_a_detector_can_carry_its_own_policy(make_engine: EngineFactory, channels: ChannelServer) -> None:
    store = ScriptedStore(counts={"Acme": 50})
    engine = make_engine(store)
    eager = ThresholdDetector(policy=LifecyclePolicy(resolve_after=1))
    await engine.run(eager, T0)
    store.counts["Acme"] = 0
    [event] = await engine.run(eager, T0 + STEP)
    assert event.status == "resolved"


async def test_delivery_records_are_pruned_after_a_week(make_engine: EngineFactory, channels: ChannelServer) -> None:
    store = ScriptedStore(counts={"Acme": 50})
    engine = make_engine(store)
    await engine.run(ThresholdDetector(), T0)
    event_id = channels.received["hook"][0].headers["X-Trendwatch-Delivery"]
    await engine.retry_deliveries(T0 + timedelta(days=6))
    assert await store.get_state(outbox_key("hook", event_id)) is not None
    await engine.retry_deliveries(T0 + timedelta(days=8))
    assert await store.get_state(outbox_key("hook", event_id)) is None
    assert await store.get_state("outbox-done:hook") == []


async def test_a_retry_while_a_delivery_is_in_flight_sends_once(
    make_engine: EngineFactory, channels: ChannelServer
) -> None:
    channels.script("hook", Reply(200, {"ok": 1}, delay=0.5))
    store = ScriptedStore(counts={"Acme": 50})
    engine = make_engine(store)
    running = asyncio.create_task(engine.run(ThresholdDetector(), T0))
    await asyncio.wait_for(channels.arrivals.get(), 5)  # on the wire, not yet answered
    assert await engine.retry_deliveries(T0 + timedelta(seconds=1)) == 0
    await running
    await engine.retry_deliveries(T0 + timedelta(minutes=1))
    assert len(channels.received["hook"]) == 1


async def test_a_crash_while_building_a_digest_sends_it_once(
    channels: ChannelServer, session: aiohttp.ClientSession
) -> None:
    hook = WebhookNotifier("digest", WebhookOptions(url=f"{channels.url}/hook", unsigned=True, digest="1h"), session)
    ctx = AlertContext(brands=context().brands)
    store = ScriptedStore(counts={"Acme": 50, "Digikala": 40})
    engine = AlertEngine(store, [], [hook], ctx, policy=POLICY)
    await engine.run(ThresholdDetector(), T0 + timedelta(minutes=10))
    items = await store.get_state(pending_key("digest"))
    assert len(items) == 2
    store.fail_set_state = {outbox_key("digest", items[1]): 1}  # dies marking the second item digested
    with pytest.raises(Exception, match="simulated crash"):
        await engine.retry_deliveries(T0 + timedelta(hours=1))
    store = ScriptedStore(state=dict(store.state))
    engine = AlertEngine(store, [], [hook], ctx, policy=POLICY)
    assert await engine.retry_deliveries(T0 + timedelta(hours=1, minutes=1)) == 1
    assert await engine.retry_deliveries(T0 + timedelta(hours=2)) == 0
    [got] = bodies(channels)
    assert len(got["alerts"]) == 2


def test_next_run_is_just_after_the_next_bucket_closes() -> None:
    detector = ThresholdDetector()  # 5-minute buckets, 5-minute interval
    settle = timedelta(seconds=1)
    assert next_run(detector, T0 + timedelta(minutes=2), settle) == T0 + timedelta(minutes=5, seconds=1)
    assert next_run(detector, T0 + timedelta(seconds=1), settle) == T0 + timedelta(minutes=5, seconds=1)
    assert next_run(detector, T0 + timedelta(seconds=0.5), settle) == T0 + timedelta(seconds=1), "this bucket's run"
    detector.interval = timedelta(minutes=15)
    assert next_run(detector, T0 + timedelta(minutes=2), settle) == T0 + timedelta(minutes=15, seconds=1)


async def test_a_crash_before_the_commit_leaves_no_trace(make_engine: EngineFactory, channels: ChannelServer) -> None:
    """Dying while indexing an opening key (before the transition is committed), then the
    subject vanishes: nothing was promised, so nothing is sent and nothing stays open."""
    store = ScriptedStore(counts={"Acme": 50}, fail_set_state={"alert-open:volume": 1})
    with pytest.raises(Exception, match="simulated crash"):
        await make_engine(store).run(ThresholdDetector(), T0)
    store = ScriptedStore(counts={}, state=dict(store.state))
    engine = make_engine(store)
    assert [e for i in range(1, 5) for e in await engine.run(ThresholdDetector(), T0 + i * STEP)] == []
    await engine.retry_deliveries(T0 + timedelta(hours=1))
    assert channels.received["hook"] == []
    assert await store.get_state("alert:volume|Acme") is None


@pytest.mark.parametrize("write", [2, 3], ids=["before-recorded-mark", "before-clean-state"])
async def test_a_crash_after_the_commit_is_finished_and_resolves_even_if_the_subject_vanished(
    make_engine: EngineFactory, channels: ChannelServer, write: int
) -> None:
    """Dying after the transition was committed (the 2nd or 3rd write of the key): the restarted
    engine finishes queueing the 'open', once, and the key resolves although it never appears
    again."""
    store = ScriptedStore(counts={"Acme": 50}, fail_set_state={"alert:volume|Acme": write})
    with pytest.raises(Exception, match="simulated crash"):
        await make_engine(store).run(ThresholdDetector(), T0)
    history_before = len(store.history)
    store = ScriptedStore(counts={}, state=dict(store.state))
    engine = make_engine(store)
    statuses = [e.status for i in range(1, 5) for e in await engine.run(ThresholdDetector(), T0 + i * STEP)]
    assert statuses == ["open", "resolved"], "the interrupted open is finished, then resolved"
    assert [r.json["alerts"][0]["status"] for r in channels.received["hook"]] == ["open", "resolved"]
    assert history_before + len(store.history) == (3 if write == 2 else 2), (
        "a crash right after recording (write 2) repeats the record: the one documented window"
    )
