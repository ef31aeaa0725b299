"""The alert lifecycle: open -> updated -> resolved, as a pure step over JSON state.

Detectors say what is unusual *now*; they keep no memory. Whether that deserves a notification
depends on what happened before, and that history lives in the store as one small JSON value
per alert key (`alert:<key>`). `step(state, candidate, now, policy)` takes that value (None if
the key was never seen), the candidate the detector returned for the key now (None when the
subject is normal now) and returns the new value with the event to emit, if any:

- **open**: a new episode starts, unless the key notified within the cool-down, in which case
  the episode is *held*: tracked, not announced, and announced at the first evaluation after the
  cool-down if it is still going (or at once when its severity rises above the last notified one).
- **updated**: an open alert changed in a way worth a message: its severity rose (immediately,
  cool-down or not), its direction flipped, its excess over the expectation grew by `growth`
  beyond the largest excess announced in the episode (so a plateau that swings with the daily
  rhythm is not re-announced at every daily peak), or `realert` passed without any message (a
  reminder). Anything else is "still elevated": the state is refreshed and nothing is emitted.
- **resolved**: `resolve_after` consecutive normal evaluations end the episode; the event is
  emitted only if the episode was announced (a held episode ends silently). A candidate the
  detector still dates to the start of an announced episode just resolved is its *tail* (its
  surprise flickering around the threshold as it fades), not a new one: it is held, and
  announced only if it escalates or its excess grows by `growth` beyond what was announced.

Because it is pure and its state is plain JSON, the same function drives the service (state in
the store, so a restart neither re-fires nor forgets), the backtest's `alert` column and tests
written with literal values. `Step.event_id` names each event deterministically, so the engine
can make writing and delivering an event idempotent across crashes.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ConfigDict, Field

from alerts.codec import alert_from_json, alert_to_json
from trendwatch.config import PluginOptions
from trendwatch.models import Alert, AlertStatus, Severity
from trendwatch.timeutil import Duration, parse_duration

STATE_VERSION = 1
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}

State = dict[str, Any]


class LifecyclePolicy(PluginOptions):
    """When a detector's findings become messages. The defaults are the service's defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cooldown: Duration = Field(
        parse_duration("30m"),
        description="Least time between two messages about one alert key (escalations excepted).",
    )
    realert: Duration = Field(
        parse_duration("24h"),
        description="Remind about an alert still open after this long without a message; 0 = never.",
    )
    resolve_after: int = Field(3, ge=1, le=1000, description="Consecutive normal evaluations that resolve.")
    escalate: bool = Field(True, description="Announce a rise in severity at once, even within the cool-down.")
    growth: float | None = Field(
        1.0,
        gt=0,
        description=(
            "Announce again when the excess over expected grew by this fraction beyond the largest"
            " announced in the episode (1.0 = doubled); null = never."
        ),
    )
    min_severity: Severity = Field("info", description="Candidates below this severity count as normal.")
    critical_z: float | None = Field(
        None, gt=0, description="Promote a candidate to critical when |z| reaches this; null = keep the detector's."
    )


DEFAULT_POLICY = LifecyclePolicy()


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one evaluation of one alert key."""

    state: State | None
    event: Alert | None = None
    event_id: str | None = None


def step(state: State | None, candidate: Alert | None, now: datetime, policy: LifecyclePolicy = DEFAULT_POLICY) -> Step:
    """Advance the lifecycle of one alert key by one evaluation (see the module docstring)."""
    candidate = _admit(candidate, policy)
    if state is not None and state.get("v") != STATE_VERSION:
        state = None  # an unknown layout: start afresh rather than misread it
    if state is None or state["status"] == "resolved":
        if candidate is None:
            return Step(state)
        return _begin(state, candidate, now, policy)
    if candidate is None:
        return _normal(state, now, policy)
    return _continue(state, candidate, now, policy)


def event_key_id(key: str, started_at: str, seq: int) -> str:
    """A short, stable id for the `seq`-th event of the episode of `key` that began at `started_at`."""
    digest = hashlib.blake2b(f"{key}\x00{started_at}\x00{seq}".encode(), digest_size=10).hexdigest()
    return digest


def last_alert(state: State) -> Alert:
    """The most recent candidate of the key, as kept in its state."""
    return alert_from_json(state["last"])


def is_open(state: State | None) -> bool:
    return state is not None and state.get("status") == "open"


# ------------------------------------------------------------------------------------------ steps


def _admit(candidate: Alert | None, policy: LifecyclePolicy) -> Alert | None:
    if candidate is None:
        return None
    if policy.critical_z is not None and abs(candidate.z) >= policy.critical_z and candidate.severity != "critical":
        candidate = dataclasses.replace(candidate, severity="critical")
    if SEVERITY_RANK[candidate.severity] < SEVERITY_RANK[policy.min_severity]:
        return None
    return candidate


def _begin(previous: State | None, candidate: Alert, now: datetime, policy: LifecyclePolicy) -> Step:
    """A new episode for a key that is not open (never seen, or resolved before)."""
    seq = previous["seq"] if previous else 0
    last_event = _time(previous.get("last_event_at")) if previous else None
    notified = previous.get("severity") if previous else None
    state: State = {
        "v": STATE_VERSION,
        "status": "open",
        "announced": False,
        "seq": seq,
        "started_at": candidate.started_at.isoformat(),
        "last_event_at": previous.get("last_event_at") if previous else None,
        "last_seen_at": now.isoformat(),
        "normal_streak": 0,
        "severity": notified,
        "peak_severity": candidate.severity,
        "announced_excess": None,
        "direction": candidate.direction,
        "resolved_at": None,
        "last": _keep(candidate),
    }
    if previous is not None and previous.get("announced") and previous.get("started_at") == state["started_at"]:
        state["tail"] = True
        state["announced_excess"] = previous.get("announced_excess")
        return _emit(state, candidate, "open", now) if _reopens(state, candidate, policy) else Step(state)
    cooling = last_event is not None and now - last_event < policy.cooldown
    if cooling and not _escalates(notified, candidate, policy):
        return Step(state)
    return _emit(state, candidate, "open", now)


def _continue(state: State, candidate: Alert, now: datetime, policy: LifecyclePolicy) -> Step:
    """An open key is still unusual now."""
    new = dict(state)
    new["normal_streak"] = 0
    new["last_seen_at"] = now.isoformat()
    new["last"] = _keep(candidate)
    if SEVERITY_RANK[candidate.severity] > SEVERITY_RANK[state["peak_severity"]]:
        new["peak_severity"] = candidate.severity
    since_last = _since(state.get("last_event_at"), now)
    cooled = since_last is None or since_last >= policy.cooldown
    notified = state.get("severity")

    if not state["announced"]:
        if state.get("tail"):
            return _emit(new, candidate, "open", now) if _reopens(state, candidate, policy) else Step(new)
        if cooled or _escalates(notified, candidate, policy):
            return _emit(new, candidate, "open", now)
        return Step(new)

    if _escalates(notified, candidate, policy):
        return _emit(new, candidate, "updated", now)
    if cooled and candidate.direction != state["direction"]:
        return _emit(new, candidate, "updated", now)
    if cooled and policy.growth is not None and _grew(state.get("announced_excess"), candidate, policy.growth):
        return _emit(new, candidate, "updated", now)
    if policy.realert > timedelta(0) and since_last is not None and since_last >= max(policy.realert, policy.cooldown):
        return _emit(new, candidate, "updated", now)
    return Step(new)  # still elevated: remembered, not re-announced


def _normal(state: State, now: datetime, policy: LifecyclePolicy) -> Step:
    """An open key looked normal in this evaluation."""
    new = dict(state)
    new["normal_streak"] = state["normal_streak"] + 1
    if new["normal_streak"] < policy.resolve_after:
        return Step(new)
    new["status"] = "resolved"
    new["resolved_at"] = now.isoformat()
    if not state["announced"]:
        return Step(new)  # a held episode ends as quietly as it began
    last = last_alert(state)
    severity = state.get("severity") or last.severity
    event = dataclasses.replace(
        last, status="resolved", at=now, started_at=_time(state["started_at"]) or last.started_at, severity=severity
    )
    new["seq"] = state["seq"] + 1
    new["last_event_at"] = now.isoformat()
    return Step(new, event, event_key_id(_key(last), state["started_at"], new["seq"]))


def _emit(state: State, candidate: Alert, status: AlertStatus, now: datetime) -> Step:
    new = dict(state)
    new["seq"] = state["seq"] + 1
    new["announced"] = True
    new["last_event_at"] = now.isoformat()
    new["severity"] = candidate.severity
    new["direction"] = candidate.direction
    new["announced_excess"] = max(_excess(candidate), state.get("announced_excess") or 0.0)
    started = _time(state["started_at"]) or candidate.started_at
    event = dataclasses.replace(candidate, status=status, started_at=started)
    return Step(new, event, event_key_id(candidate.key, state["started_at"], new["seq"]))


# ---------------------------------------------------------------------------------------- helpers


def _escalates(notified: str | None, candidate: Alert, policy: LifecyclePolicy) -> bool:
    if not policy.escalate or notified is None:
        return False
    return SEVERITY_RANK[candidate.severity] > SEVERITY_RANK[notified]


def _reopens(state: State, candidate: Alert, policy: LifecyclePolicy) -> bool:
    """Whether the tail of a resolved episode is news again: more severe, or grown."""
    if _escalates(state.get("severity"), candidate, policy):
        return True
    return policy.growth is not None and _grew(state.get("announced_excess"), candidate, policy.growth)


def _excess(alert: Alert) -> float:
    return abs(alert.observed - alert.expected)


def _grew(announced: float | None, candidate: Alert, growth: float) -> bool:
    if announced is None or announced <= 0:
        return False
    return _excess(candidate) >= announced * (1.0 + growth)


def _keep(alert: Alert) -> dict[str, Any]:
    return alert_to_json(dataclasses.replace(alert, drivers=None))


def _key(alert: Alert) -> str:
    return alert.key


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _since(value: str | None, now: datetime) -> timedelta | None:
    then = _time(value)
    return None if then is None else now - then
