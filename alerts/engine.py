"""The alert engine: detector findings become remembered, explained, delivered events.

`await engine.run(detector, now)`:

1. fetches the detector's series (its `query` over [now - lookback, now)) from the store;
2. evaluates the detector (pure CPU work, in a worker thread so the event loop keeps serving);
3. applies the lifecycle (`alerts.lifecycle.step`) to every key the detector returned and
   every key of that rule still open, with each key's state in the store (`alert:<key>`);
4. attaches drivers from the store to each event (terms, hashtags, authors, example posts,
   sentiment split over the episode so far);
5. commits the key's new state with the event, records the event in the alert history
   (`record_alert`), queues it for every notifier that accepts it (`outbox:<notifier>:<id>`),
   and delivers what is due.

A muted key (`alert-mute:<key>`, set from the web app with `mute_value`) still goes through the
lifecycle and the history, but nothing about it is queued for any notifier until the mute ends.

A delivery that fails stays in the outbox and `await engine.retry_deliveries(now)` (the service
calls it every 30 s) tries again with exponential backoff, or when the channel's Retry-After
says; it also sends digests whose window has passed and forgets delivery records older than
`keep_delivered`. A delivered entry is kept as the delivery record, so a re-queue after a crash
is recognised and not sent twice. A failed entry also keeps how many messages of it went out
(`parts_sent`, for a channel that splits a long notification), so the retry sends only the rest.

Crash safety comes from committing before acting, and from ids that do not depend on timing.
A lifecycle transition and its event are written together in one state value (the event as
`pending_event`); only then is the event recorded in the history (and marked so), queued in
each notifier's outbox (index first, then the entry; an entry is recognised by the event's id,
derived from key, episode start and sequence number), and cleared from the state. A restart
finishes whatever a crash interrupted, from the state, without repeating what was done. An
opening key enters the rule's open index before its state says open, so it is evaluated again
(and resolves) even if the detector never mentions it again. Two windows remain, both tiny and
both on the side of repetition, never loss: a crash between recording an event and marking it
recorded repeats the history record; a crash between a channel accepting a message and the
engine marking it delivered sends it again after the restart, with the same delivery id
(webhooks: `X-Trendwatch-Delivery`; email: `Message-ID`), so receivers can drop it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog

from alerts.codec import alert_from_json, alert_to_json
from alerts.detector import Detector, Notifier
from alerts.digest import digest_id, window_end
from alerts.explain import AlertContext, Notification, digest, explain, single
from alerts.lifecycle import DEFAULT_POLICY, LifecyclePolicy, State, is_open, step
from trendwatch.errors import DeliveryError, StoreError
from trendwatch.metrics import ALERTS, NOTIFICATIONS
from trendwatch.models import Alert, Drivers, Series, SeriesQuery
from trendwatch.timeutil import floor_time

__all__ = ["AlertContext", "AlertEngine", "AlertStore", "mute_active", "mute_key", "mute_value", "next_run"]

log = structlog.get_logger(__name__)

OUTBOX_VERSION = 1
PENDING = "pending_event"  # in an alert state: an event committed but not yet recorded and queued


class AlertStore(Protocol):
    """What the alert engine needs from a store: a subset of `indexer.store.Store`.

    The engine reads series and drivers, keeps its lifecycle state and outbox in the key-value
    state table (JSON values; setting None deletes a key), and appends events to the alert
    history. Any object with these methods will do, so alerts never import the indexer.
    """

    async def series(self, query: SeriesQuery, since: datetime, until: datetime) -> list[Series]: ...

    async def drivers(
        self, query: SeriesQuery, subject: str, since: datetime, until: datetime, limit: int = 5
    ) -> Drivers: ...

    async def get_state(self, key: str) -> Any | None: ...

    async def set_state(self, key: str, value: Any) -> None: ...

    async def record_alert(self, alert: Alert) -> None: ...


def next_run(detector: Detector, now: datetime, settle: timedelta = timedelta(seconds=1)) -> datetime:
    """When to run `detector` next so it sees each bucket as soon as it is complete.

    Detectors judge the last *complete* bucket, so a run just after a bucket closes (plus
    `settle`, for posts of that bucket still being committed) alerts within one interval of
    the posts that caused it; an unaligned loop can take up to two. Runs are aligned to the
    larger of the detector's interval and its bucket width, on the epoch grid the store uses.
    Pass the time of the previous run as `now`: if that run was slow, the slot it overran is
    then already due, and no bucket is skipped.
    """
    every = max(detector.interval, detector.query.step)
    return floor_time(now - settle, every) + every + settle


def alert_key(key: str) -> str:
    return f"alert:{key}"


def open_index_key(rule: str) -> str:
    return f"alert-open:{rule}"


def outbox_key(notifier: str, entry_id: str) -> str:
    return f"outbox:{notifier}:{entry_id}"


def pending_key(notifier: str) -> str:
    return f"outbox-pending:{notifier}"


def done_key(notifier: str) -> str:
    return f"outbox-done:{notifier}"


def mute_key(key: str) -> str:
    return f"alert-mute:{key}"


def mute_value(now: datetime, until: datetime | None, by: str | None = None) -> dict[str, Any]:
    """The state saved under `mute_key` to silence a key until `until` (None: until unmuted)."""
    return {"at": now.isoformat(), "until": None if until is None else until.isoformat(), "by": by}


def mute_active(value: Any, now: datetime) -> bool:
    """Whether a saved mute silences its key at `now` (an expired one no longer does)."""
    if not isinstance(value, dict):
        return False
    until = value.get("until")
    return until is None or datetime.fromisoformat(until) > now


class AlertEngine:
    """Runs detectors through the lifecycle and delivers their events (module docstring)."""

    def __init__(
        self,
        store: AlertStore,
        detectors: Sequence[Detector],
        notifiers: Sequence[Notifier],
        context: AlertContext,
        *,
        policy: LifecyclePolicy = DEFAULT_POLICY,
        retry_first: timedelta = timedelta(seconds=30),
        retry_max: timedelta = timedelta(hours=1),
        keep_delivered: timedelta = timedelta(days=7),
        drivers_limit: int = 5,
    ) -> None:
        self.store = store
        self.detectors = {d.name: d for d in detectors}
        self.notifiers = {n.name: n for n in notifiers}
        self.context = context
        self.policy = policy
        self.retry_first, self.retry_max, self.keep_delivered = retry_first, retry_max, keep_delivered
        self.drivers_limit = drivers_limit
        self._rule_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._outbox_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._in_flight: defaultdict[str, set[str]] = defaultdict(set)

    def policy_for(self, detector: Detector) -> LifecyclePolicy:
        """A detector may carry its own `policy` (e.g. from its Options); else the engine's."""
        policy = getattr(detector, "policy", None)
        return policy if isinstance(policy, LifecyclePolicy) else self.policy

    # ------------------------------------------------------------------------------- detection

    async def run(self, detector: Detector, now: datetime) -> list[Alert]:
        """One evaluation of `detector` at `now`; returns the lifecycle events it produced (and
        any event a crash interrupted before it was queued, now queued)."""
        async with self._rule_locks[detector.name]:
            series = await self.store.series(detector.query, now - detector.lookback, now)
            candidates = await asyncio.to_thread(detector.evaluate, series, now)
            events, queued = await self._advance(detector, candidates, now)
        if queued:
            await self._deliver_due(now, only=queued)
        return events

    async def _advance(
        self, detector: Detector, candidates: Sequence[Alert], now: datetime
    ) -> tuple[list[Alert], dict[str, set[str]]]:
        rule, policy = detector.name, self.policy_for(detector)
        by_key: dict[str, Alert] = {}
        for candidate in candidates:
            if candidate.rule != rule:
                candidate = dataclasses.replace(candidate, rule=rule)
            known = by_key.get(candidate.key)
            if known is None or abs(candidate.z) > abs(known.z):
                by_key[candidate.key] = candidate
        indexed = set(await self.store.get_state(open_index_key(rule)) or [])
        events: list[Alert] = []
        queued: dict[str, set[str]] = defaultdict(set)
        for key in sorted(by_key.keys() | indexed):
            stored: State | None = await self.store.get_state(alert_key(key))
            state = stored
            if state is not None and PENDING in state:  # committed before a crash, not yet queued
                events.append(alert_from_json(state[PENDING]["alert"]))
                state = await self._dispatch(key, state, now, queued)
            result = step(state, by_key.get(key), now, policy)
            # An opening key is indexed before its state says open, a closing one forgotten by
            # the index after: a crash in between leaves an extra look, never a lost alert.
            if is_open(result.state) and key not in indexed:
                indexed.add(key)
                await self.store.set_state(open_index_key(rule), sorted(indexed))
            if result.event is not None and result.event_id is not None and result.state is not None:
                event = await self._with_drivers(detector, result.event, now)
                # Commit the transition and the event together (one write), then queue it.
                committed = {**result.state, PENDING: {"id": result.event_id, "alert": alert_to_json(event)}}
                await self.store.set_state(alert_key(key), committed)
                await self._dispatch(key, committed, now, queued)
                events.append(event)
            elif result.state != stored:
                await self.store.set_state(alert_key(key), result.state)
            if not is_open(result.state) and key in indexed:
                indexed.discard(key)
                await self.store.set_state(open_index_key(rule), sorted(indexed))
        return events, queued

    async def _dispatch(self, key: str, state: State, now: datetime, queued: dict[str, set[str]]) -> State:
        """Record and queue the event a state holds as pending; return the state without it.

        Each part is idempotent or marked done in the state, so a crash anywhere repeats only
        what had not happened: the history record (marked `recorded`), then the outbox entries
        (recognised by id), then the state is cleared of the event.
        """
        pending = state[PENDING]
        event = alert_from_json(pending["alert"])
        if not pending.get("recorded"):
            await self.store.record_alert(event)
            ALERTS.labels(rule=event.rule, status=event.status).inc()
            log.info(
                "alert",
                rule=event.rule,
                key=key,
                status=event.status,
                severity=event.severity,
                observed=event.observed,
                expected=event.expected,
                z=round(event.z, 2) if math.isfinite(event.z) else str(event.z),
            )
            state = {**state, PENDING: {**pending, "recorded": True}}
            await self.store.set_state(alert_key(key), state)
        for name in await self._queue(event, pending["id"], now):
            queued[name].add(pending["id"])
        clean = {k: v for k, v in state.items() if k != PENDING}
        await self.store.set_state(alert_key(key), clean)
        return clean

    async def _with_drivers(self, detector: Detector, event: Alert, now: datetime) -> Alert:
        """The event with what drove it over the episode so far (resolutions need none)."""
        if event.status == "resolved":
            return event
        query = dataclasses.replace(
            detector.query,
            subject=event.subject,
            platform=event.platform or detector.query.platform,
            lang=event.lang or detector.query.lang,
        )
        since = min(event.started_at, now - detector.query.step)
        try:
            drivers = await self.store.drivers(query, event.subject, since, now, self.drivers_limit)
        except StoreError as exc:  # explain what we can rather than hold the alert back
            log.warning("drivers unavailable", key=event.key, error=str(exc))
            return event
        return dataclasses.replace(event, drivers=drivers)

    # --------------------------------------------------------------------------------- outbox

    async def _queue(self, event: Alert, event_id: str, now: datetime) -> list[str]:
        """Put `event` in the outbox of every notifier that wants it (once: an entry queued
        before a crash is kept as it is), unless its key is muted; returns the names of those
        notifiers."""
        mute = await self.store.get_state(mute_key(event.key))
        if mute is not None and mute_active(mute, now):
            wanting = [n.name for n in self.notifiers.values() if n.accepts(event)]
            for name in wanting:
                NOTIFICATIONS.labels(notifier=name, result="muted").inc()
            log.info("alert muted; not notified", key=event.key, status=event.status, until=mute.get("until"))
            return []
        names = []
        for notifier in self.notifiers.values():
            if not notifier.accepts(event):
                continue
            key = outbox_key(notifier.name, event_id)
            names.append(notifier.name)  # due now, or already queued before a crash: try it now
            async with self._outbox_locks[notifier.name]:
                if await self.store.get_state(key) is not None:
                    continue  # queued (or delivered) before a crash: never twice
                due = now if notifier.digest is None else window_end(now, notifier.digest, self.context.clock)
                await self._index_add(notifier.name, event_id)
                await self.store.set_state(
                    key,
                    {
                        "v": OUTBOX_VERSION,
                        "id": event_id,
                        "kind": "alert" if notifier.digest is None else "digest_item",
                        "alerts": [alert_to_json(event)],
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now.isoformat(),
                        "next_at": due.isoformat(),
                        "last_error": None,
                        "last_reason": None,
                    },
                )
        return names

    async def _index_add(self, notifier: str, entry_id: str) -> None:
        pending = list(await self.store.get_state(pending_key(notifier)) or [])
        if entry_id not in pending:
            pending.append(entry_id)
            await self.store.set_state(pending_key(notifier), pending)

    async def _index_remove(self, notifier: str, entry_ids: set[str]) -> None:
        pending = list(await self.store.get_state(pending_key(notifier)) or [])
        kept = [i for i in pending if i not in entry_ids]
        if kept != pending:
            await self.store.set_state(pending_key(notifier), kept)

    async def pending(self, notifier: str) -> list[dict[str, Any]]:
        """The outbox entries of a notifier not yet delivered (for status pages and tests)."""
        out = []
        for entry_id in await self.store.get_state(pending_key(notifier)) or []:
            entry = await self.store.get_state(outbox_key(notifier, entry_id))
            if entry is not None and entry.get("status") == "pending":
                out.append(entry)
        return out

    # ------------------------------------------------------------------------------- delivery

    async def retry_deliveries(self, now: datetime) -> int:
        """Deliver every due outbox entry (failed ones and digests); returns how many went out."""
        delivered = await self._deliver_due(now)
        for name in self.notifiers:
            await self._prune_done(name, now)
        return delivered

    async def _deliver_due(self, now: datetime, only: dict[str, set[str]] | None = None) -> int:
        names = list(only) if only is not None else list(self.notifiers)
        counts = await asyncio.gather(
            *(self._deliver_notifier(self.notifiers[n], now, None if only is None else only[n]) for n in names)
        )
        return sum(counts)

    async def _deliver_notifier(self, notifier: Notifier, now: datetime, only: set[str] | None) -> int:
        """Send the notifier's due entries. The outbox lock guards reading and writing entries
        and the index, never the network: an entry being sent is marked in flight instead."""
        in_flight = self._in_flight[notifier.name]
        async with self._outbox_locks[notifier.name]:
            due: dict[str, dict[str, Any]] = {}
            items: list[dict[str, Any]] = []
            covered: dict[str, str] = {}  # digest item id -> the pending digest that holds it
            missing: set[str] = set()
            for entry_id in await self.store.get_state(pending_key(notifier.name)) or []:
                if only is not None and entry_id not in only:
                    continue
                entry = await self.store.get_state(outbox_key(notifier.name, entry_id))
                if entry is None or entry.get("status") != "pending":
                    missing.add(entry_id)  # listed before a crash but never written, or done
                    continue
                if entry["kind"] == "digest":
                    covered.update(dict.fromkeys(entry["items"], entry_id))
                if entry_id in in_flight or datetime.fromisoformat(entry["next_at"]) > now:
                    continue
                if entry["kind"] == "digest_item":
                    items.append(entry)
                else:
                    due[entry_id] = entry
            if missing:
                await self._index_remove(notifier.name, missing)
            if items and only is None:  # digests are built in full rounds only
                held = [item for item in items if item["id"] in covered]
                if held:  # a digest was built but its items not all marked before a crash
                    await self._mark_digested(notifier.name, held, covered, now)
                fresh = [item for item in items if item["id"] not in covered]
                for entry in await self._build_digests(notifier, fresh, now):
                    due.setdefault(entry["id"], entry)
            in_flight.update(due)
        try:
            outcomes = [(entry, await self._send(notifier, entry)) for entry in due.values()]
        finally:
            in_flight.difference_update(due)
        async with self._outbox_locks[notifier.name]:
            for entry, error in outcomes:
                await self._record(notifier, entry, error, now)
        return sum(1 for _, error in outcomes if error is None)

    async def _build_digests(
        self, notifier: Notifier, items: list[dict[str, Any]], now: datetime
    ) -> list[dict[str, Any]]:
        """Turn due digest items into one digest entry per window (see alerts/digest.py)."""
        windows: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in items:
            windows[item["next_at"]].append(item)
        built = []
        for window, group in sorted(windows.items()):
            ids = [item["id"] for item in group]
            entry_id = digest_id(notifier.name, ids)
            key = outbox_key(notifier.name, entry_id)
            entry = await self.store.get_state(key)
            if entry is None:
                entry = {
                    "v": OUTBOX_VERSION,
                    "id": entry_id,
                    "kind": "digest",
                    "window_end": window,
                    "items": ids,
                    "alerts": [a for item in group for a in item["alerts"]],
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now.isoformat(),
                    "next_at": now.isoformat(),
                    "last_error": None,
                    "last_reason": None,
                }
                await self._index_add(notifier.name, entry_id)
                await self.store.set_state(key, entry)
            await self._mark_digested(notifier.name, group, dict.fromkeys(ids, entry_id), now)
            if entry.get("status") == "pending":
                built.append(entry)
        return built

    async def _mark_digested(
        self, notifier: str, items: list[dict[str, Any]], digests: dict[str, str], now: datetime
    ) -> None:
        for item in items:
            await self.store.set_state(
                outbox_key(notifier, item["id"]),
                {**item, "status": "digested", "digest": digests[item["id"]], "alerts": [], "done_at": now.isoformat()},
            )
        ids = [item["id"] for item in items]
        await self._index_remove(notifier, set(ids))
        await self._note_done(notifier, ids, now)

    def _notification(self, entry: dict[str, Any]) -> Notification:
        explained = [explain(alert_from_json(a), self.context) for a in entry["alerts"]]
        if entry["kind"] == "digest":
            note = digest(entry["id"], explained, self.context)
        else:
            note = single(entry["id"], explained[0])
        return dataclasses.replace(note, parts_sent=int(entry.get("parts_sent") or 0))

    async def _send(self, notifier: Notifier, entry: dict[str, Any]) -> Exception | None:
        """One delivery (the notifier retries briefly inside); the failure, or None."""
        try:
            await notifier.send(self._notification(entry))
        except Exception as exc:  # DeliveryError by contract; anything else is a bug, still kept
            if not isinstance(exc, DeliveryError):
                NOTIFICATIONS.labels(notifier=notifier.name, result="failed").inc()
                log.error("notifier crashed; delivery kept", notifier=notifier.name, id=entry["id"], exc_info=exc)
            return exc
        return None

    async def _record(self, notifier: Notifier, entry: dict[str, Any], error: Exception | None, now: datetime) -> None:
        """Write the outcome of a delivery: the delivery record, or when to try again."""
        key = outbox_key(notifier.name, entry["id"])
        attempts = int(entry["attempts"]) + 1
        if error is None:
            await self.store.set_state(
                key,
                {**entry, "status": "delivered", "attempts": attempts, "delivered_at": now.isoformat(), "alerts": []},
            )
            await self._index_remove(notifier.name, {entry["id"]})
            await self._note_done(notifier.name, [entry["id"]], now)
            return
        retryable = error.retryable if isinstance(error, DeliveryError) else True
        reason = str(getattr(error, "reason", type(error).__name__))
        wait = self._backoff(attempts) if retryable else self.retry_max
        asked = getattr(error, "retry_after", None)
        if isinstance(asked, int | float) and asked > 0:
            wait = max(wait, timedelta(seconds=asked))
        next_at = now + wait
        log.warning(
            "delivery kept in outbox",
            notifier=notifier.name,
            id=entry["id"],
            attempts=attempts,
            reason=reason,
            retryable=retryable,
            retry_at=next_at.isoformat(),
            error=str(error)[:300],
        )
        await self.store.set_state(
            key,
            {
                **entry,
                "attempts": attempts,
                "next_at": next_at.isoformat(),
                "last_error": str(error)[:500],
                "last_reason": reason,
                "parts_sent": max(int(entry.get("parts_sent") or 0), getattr(error, "parts_sent", 0)),
            },
        )

    def _backoff(self, attempts: int) -> timedelta:
        return min(self.retry_max, self.retry_first * 2 ** min(attempts - 1, 20))

    async def _note_done(self, notifier: str, entry_ids: Sequence[str], now: datetime) -> None:
        done = list(await self.store.get_state(done_key(notifier)) or [])
        done += [[i, now.isoformat()] for i in entry_ids]
        await self.store.set_state(done_key(notifier), done)

    async def _prune_done(self, notifier: str, now: datetime) -> None:
        """Forget delivery records older than `keep_delivered` (their ids can no longer recur)."""
        async with self._outbox_locks[notifier]:
            done = list(await self.store.get_state(done_key(notifier)) or [])
            cutoff = now - self.keep_delivered
            old = [entry_id for entry_id, at in done if datetime.fromisoformat(at) < cutoff]
            if not old:
                return
            for entry_id in old:
                await self.store.set_state(outbox_key(notifier, entry_id), None)
            kept = [pair for pair in done if pair[0] not in set(old)]
            await self.store.set_state(done_key(notifier), kept)
