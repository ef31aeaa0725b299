"""The Alerts view: episodes of each alert key, explained, and acknowledging or muting them.

An *episode* is one alert key from its opening to its resolution: the events the engine
recorded for it (open, updated, resolved) grouped by key and start. The view lists the episodes
with an event in the window, plus those still open that began before it (from the engine's
open index and lifecycle state), each explained as in notifications (alerts.explain).

Acknowledging records who looked at an episode (`alert-ack:<key>`, for the current episode
only: a new episode of the key is unacknowledged again). Muting silences the key's
notifications for a while or until unmuted (`alert-mute:<key>`, honoured by the alert engine).
Both are state in the store, so every page and a restarted service see them.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from alerts.engine import mute_active, mute_key, mute_value
from alerts.explain import AlertContext, explain
from alerts.lifecycle import last_alert
from trendwatch.links import safe_url
from trendwatch.models import Alert
from trendwatch.service.web import schema
from trendwatch.service.web.params import BadRequest, Scope, choice
from trendwatch.service.web.state import Env
from trendwatch.timeutil import DisplayClock, parse_duration

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
MAX_EVENTS = 5000
MAX_MUTE = timedelta(days=365)


def ack_key(key: str) -> str:
    return f"alert-ack:{key}"


def _matches(alert: Alert, scope: Scope) -> bool:
    """An alert concerns the filters: about the brand (or related to it), and on the platform
    and in the language asked for, or on every platform/language."""
    if scope.brand is not None:
        brand = scope.brand.casefold()
        if alert.subject.casefold() != brand and brand not in (r.casefold() for r in alert.related):
            return False
    if scope.platform is not None and alert.platform not in (None, scope.platform):
        return False
    return scope.lang is None or alert.lang in (None, scope.lang)


def _explanation(alert: Alert, context: AlertContext) -> schema.Explanation:
    e = explain(alert, context)
    return schema.Explanation(
        lang=e.lang,
        rtl=e.rtl,
        title=e.title,
        summary=e.summary,
        facts=[schema.AlertFact(label=f.label, value=f.value) for f in e.facts],
        drivers=[schema.AlertDrivers(label=d.label, items=list(d.items)) for d in e.drivers],
        quotes=[schema.AlertQuote(author=q.author, when=q.when, text=q.text, url=safe_url(q.url)) for q in e.quotes],
    )


def _ack(value: Any, started_at: datetime, clock: DisplayClock) -> schema.Acknowledgement | None:
    if not isinstance(value, dict) or datetime.fromisoformat(value["episode"]) != started_at:
        return None
    at = datetime.fromisoformat(value["at"])
    return schema.Acknowledgement(at=at, at_display=clock.format(at), by=value.get("by"))


def _mute(value: Any, now: datetime, clock: DisplayClock) -> schema.Mute | None:
    if value is None or not mute_active(value, now):
        return None
    until = datetime.fromisoformat(value["until"]) if value.get("until") else None
    return schema.Mute(
        at=datetime.fromisoformat(value["at"]),
        until=until,
        until_display=clock.format(until) if until else None,
        by=value.get("by"),
    )


def _item(
    events: list[Alert], recorded: int, env: Env, context: AlertContext, acks: dict[str, Any], mutes: dict[str, Any]
) -> schema.AlertItem:
    """One episode from its events (newest first), `recorded` of them in the window."""
    latest = events[0]
    explained = next((e for e in events if e.status != "resolved"), latest)
    severity = max((e.severity for e in events), key=SEVERITY_RANK.__getitem__)
    clock = env.clock
    return schema.AlertItem(
        key=latest.key,
        rule=latest.rule,
        kind=latest.kind,
        subject=latest.subject,
        metric=latest.metric,
        status="resolved" if latest.status == "resolved" else "open",
        severity=severity,
        direction=latest.direction,
        started_at=latest.started_at,
        started_display=clock.format(latest.started_at),
        at=latest.at,
        at_display=clock.format(latest.at),
        observed=round(explained.observed, 4),
        expected=round(explained.expected, 4),
        score=round(explained.score, 4),
        z=round(explained.z, 3) if math.isfinite(explained.z) else None,
        platform=latest.platform,
        lang=latest.lang,
        events=recorded,
        acknowledged=_ack(acks.get(ack_key(latest.key)), latest.started_at, clock),
        muted=_mute(mutes.get(mute_key(latest.key)), env.now, clock),
        explanation=_explanation(explained, context),
    )


async def episodes(env: Env, scope: Scope) -> list[schema.AlertItem]:
    """Every episode with an event in the window or still open from before it (module docstring)."""
    store = env.store
    recorded = await store.alerts(since=scope.since, limit=MAX_EVENTS)
    grouped: dict[tuple[str, datetime], list[Alert]] = defaultdict(list)
    for event in recorded:  # newest first
        if event.at < scope.until and _matches(event, scope):
            grouped[(event.key, event.started_at)].append(event)
    seen_open = {key for (key, _), events in grouped.items() if events[0].status != "resolved"}
    held: list[Alert] = []
    for keys in (await store.get_states("alert-open:")).values():
        for key in keys or ():
            if key in seen_open:
                continue
            state = await store.get_state(f"alert:{key}")
            if not state or state.get("status") != "open" or not state.get("announced"):
                continue
            last = last_alert(state)
            started = datetime.fromisoformat(state["started_at"])
            if started < scope.until and (key, started) not in grouped and _matches(last, scope):
                held.append(dataclasses.replace(last, started_at=started, status="open"))
    acks = await store.get_states("alert-ack:")
    mutes = await store.get_states("alert-mute:")
    context = env.alert_context()
    items = [_item(events, len(events), env, context, acks, mutes) for events in grouped.values()]
    items += [_item([last], 0, env, context, acks, mutes) for last in held]
    items.sort(key=lambda a: (a.status != "open", -SEVERITY_RANK[a.severity], -a.at.timestamp(), a.key))
    return items


async def alerts_view(request: web.Request) -> schema.Alerts:
    """GET /api/alerts: episodes in the window, by status and rule."""
    env = Env.of(request)
    scope = env.scope(request)
    status = choice(request.query, "status", ("all", "open", "resolved"), "all")
    rule = request.query.get("rule", "").strip() or None
    items = await episodes(env, scope)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"open": 0, "resolved": 0})
    for item in items:
        counts[item.rule][item.status] += 1
    chosen = [a for a in items if (status == "all" or a.status == status) and (rule is None or a.rule == rule)]
    return schema.Alerts(
        window=scope.window(env.clock),
        filters=scope.filters(),
        alerts=chosen,
        by_rule=[schema.RuleCount(rule=r, **c) for r, c in sorted(counts.items())],
        open=sum(c["open"] for c in counts.values()),
        resolved=sum(c["resolved"] for c in counts.values()),
    )


# ------------------------------------------------------------------------------ acting on alerts


async def _body(request: web.Request, model: type[BaseModel]) -> Any:
    try:
        data = await request.json()
    except ValueError:
        raise BadRequest("the body must be JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise BadRequest(f"{field or 'body'}: {first['msg']}", param=field) from None


async def _episode_start(env: Env, key: str) -> datetime:
    state = await env.store.get_state(f"alert:{key}")
    if not state or "started_at" not in state:
        raise web.HTTPNotFound(
            text=schema.ApiError(error=f"no alert with key {key!r}", param="key").model_dump_json(),
            content_type="application/json",
        )
    return datetime.fromisoformat(state["started_at"])


async def _alert_state(env: Env, key: str, started: datetime) -> schema.AlertState:
    return schema.AlertState(
        key=key,
        acknowledged=_ack(await env.store.get_state(ack_key(key)), started, env.clock),
        muted=_mute(await env.store.get_state(mute_key(key)), env.now, env.clock),
    )


async def ack_view(request: web.Request) -> schema.AlertState:
    """POST /api/alerts/ack: acknowledge the current episode of a key."""
    env = Env.of(request)
    body: schema.AckRequest = await _body(request, schema.AckRequest)
    started = await _episode_start(env, body.key)
    await env.store.set_state(
        ack_key(body.key), {"at": env.now.isoformat(), "episode": started.isoformat(), "by": "web"}
    )
    return await _alert_state(env, body.key, started)


async def mute_view(request: web.Request) -> schema.AlertState:
    """POST /api/alerts/mute: no notifications about a key for `duration` (or until unmuted)."""
    env = Env.of(request)
    body: schema.MuteRequest = await _body(request, schema.MuteRequest)
    until = None
    if body.duration is not None:
        try:
            length = parse_duration(body.duration)
        except ValueError as exc:
            raise BadRequest(f"duration: {exc}", param="duration") from None
        if not timedelta(0) < length <= MAX_MUTE:
            raise BadRequest(f"duration must be more than 0 and at most {MAX_MUTE.days} days", param="duration")
        until = env.now + length
    started = await _episode_start(env, body.key)
    await env.store.set_state(mute_key(body.key), mute_value(env.now, until, by="web"))
    return await _alert_state(env, body.key, started)


async def unmute_view(request: web.Request) -> schema.AlertState:
    """POST /api/alerts/unmute: notifications about a key resume."""
    env = Env.of(request)
    body: schema.UnmuteRequest = await _body(request, schema.UnmuteRequest)
    started = await _episode_start(env, body.key)
    await env.store.set_state(mute_key(body.key), None)
    return await _alert_state(env, body.key, started)
