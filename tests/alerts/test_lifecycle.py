"""The lifecycle step: open -> updated -> resolved, cool-down, re-alert, severity, restarts.

Every test drives `step` with literal candidates, the way the engine and the backtest do, and
passes the state through JSON between evaluations, as the store does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from alerts.lifecycle import DEFAULT_POLICY, LifecyclePolicy, State, Step, step
from tests.alerts.factories import STEP, T0, alert
from trendwatch.models import Alert

POLICY = LifecyclePolicy(cooldown="30m", realert="6h", resolve_after=3, growth=1.0)


def run(
    candidates: Sequence[Alert | None],
    *,
    policy: LifecyclePolicy = POLICY,
    start: datetime = T0,
    every: timedelta = STEP,
    state: State | None = None,
) -> tuple[list[tuple[int, str | None]], State | None, list[Step]]:
    """Feed one candidate per evaluation; return (index, status) of each event, final state, steps."""
    events: list[tuple[int, str | None]] = []
    steps = []
    for i, candidate in enumerate(candidates):
        now = start + i * every
        result = step(state, candidate, now, policy)
        state = json.loads(json.dumps(result.state))  # the store keeps JSON
        steps.append(result)
        if result.event is not None:
            events.append((i, result.event.status))
    return events, state, steps


def spike(i: int = 0, **kw: object) -> Alert:
    return alert(at=T0 + i * STEP, started_at=T0 + i * STEP - STEP, **kw)  # type: ignore[arg-type]


def test_a_new_candidate_opens_an_alert_with_an_id() -> None:
    result = step(None, spike(), T0, POLICY)
    assert result.event is not None
    assert result.event.status == "open"
    assert result.event_id
    assert len(result.event_id) == 20
    assert result.state is not None
    assert result.state["status"] == "open"
    assert result.state["announced"] is True


def test_nothing_seen_and_nothing_now_keeps_no_state() -> None:
    assert step(None, None, T0, POLICY) == Step(None)


def test_still_elevated_does_not_refire() -> None:
    events, state, _ = run([spike(i) for i in range(20)])
    assert events == [(0, "open")]
    assert state is not None
    assert state["status"] == "open"


def test_resolves_after_consecutive_normal_evaluations_only() -> None:
    candidates: list[Alert | None] = [spike(0), None, None, spike(3), None, None, None, None]
    events, state, steps = run(candidates)
    # the streak is broken at 3, so resolution needs evaluations 4, 5, 6
    assert events == [(0, "open"), (6, "resolved")]
    resolved = steps[6].event
    assert resolved is not None
    assert resolved.at == T0 + 6 * STEP
    assert resolved.started_at == spike(0).started_at, "the resolution names when the episode began"
    assert state is not None
    assert state["status"] == "resolved"


def test_escalation_is_announced_at_once_even_within_the_cooldown() -> None:
    events, _, steps = run([spike(0), spike(1, severity="critical"), spike(2, severity="warning")])
    assert events == [(0, "open"), (1, "updated")]
    event = steps[1].event
    assert event is not None
    assert event.severity == "critical"
    assert event.started_at == spike(0).started_at


def test_escalation_can_be_turned_off() -> None:
    policy = POLICY.model_copy(update={"escalate": False})
    events, _, _ = run([spike(0), spike(1, severity="critical")], policy=policy)
    assert events == [(0, "open")]


def test_a_growing_spike_is_announced_again_after_the_cooldown() -> None:
    # excess 48 at open; 100 (more than doubled) from evaluation 2, but the cool-down is 30m = 6 steps
    candidates = [spike(0)] + [spike(i, observed=112.0) for i in range(1, 10)]
    events, state, steps = run(candidates)
    assert events == [(0, "open"), (6, "updated")]
    assert state is not None
    assert state["announced_excess"] == pytest.approx(100.0)
    updated = steps[6].event
    assert updated is not None
    assert updated.observed == 112.0


def test_growth_below_the_threshold_is_still_elevated() -> None:
    events, _, _ = run([spike(0)] + [spike(i, observed=100.0) for i in range(1, 12)])
    assert events == [(0, "open")]  # excess 88 < 2 x 48


def test_growth_is_judged_against_the_largest_excess_announced() -> None:
    # A plateau that swings with the daily rhythm: excess 48 at open, then it falls to 10 and
    # climbs to 100 (doubled against the open) -> one update; falling back and climbing to
    # 100 again is not new (not doubled against the largest announced, 100).
    swings = [60.0, 22.0, 22.0, 22.0, 22.0, 22.0, 22.0, 112.0, 22.0, 22.0, 22.0, 22.0, 22.0, 22.0, 112.0, 180.0, 212.0]
    events, state, _ = run([spike(i, observed=o) for i, o in enumerate(swings)])
    assert events == [(0, "open"), (7, "updated"), (16, "updated")]  # 212 - 12 = 200 = 2 x 100
    assert state is not None
    assert state["announced_excess"] == pytest.approx(200.0)


def test_the_default_policy_reminds_once_a_day() -> None:
    every = timedelta(hours=1)
    events, _, _ = run([alert(at=T0 + i * every) for i in range(50)], policy=DEFAULT_POLICY, every=every)
    assert events == [(0, "open"), (24, "updated"), (48, "updated")]


def test_a_reminder_after_the_realert_interval() -> None:
    every = timedelta(hours=1)
    candidates = [alert(at=T0 + i * every) for i in range(14)]
    events, _, _ = run(candidates, every=every)
    assert events == [(0, "open"), (6, "updated"), (12, "updated")]


def test_realert_zero_means_never() -> None:
    every = timedelta(hours=1)
    policy = POLICY.model_copy(update={"realert": timedelta(0)})
    events, _, _ = run([alert(at=T0 + i * every) for i in range(30)], every=every, policy=policy)
    assert events == [(0, "open")]


def test_direction_flip_is_an_update_after_the_cooldown() -> None:
    candidates = [spike(0)] + [spike(i, direction="down", observed=1.0) for i in range(1, 8)]
    events, _, _ = run(candidates)
    assert events == [(0, "open"), (6, "updated")]


def test_a_relapse_within_the_cooldown_is_held_then_announced_if_it_lasts() -> None:
    # open at 0, resolved at 3 (three normals), relapse at 4: within 30m of the resolution
    candidates: list[Alert | None] = [spike(0), None, None, None] + [spike(i) for i in range(4, 12)]
    events, state, steps = run(candidates)
    assert events == [(0, "open"), (3, "resolved"), (9, "open")]  # 9 = first evaluation 30m after 3
    reopened = steps[9].event
    assert reopened is not None
    assert reopened.started_at == spike(4).started_at, "held episode keeps its start"
    assert state is not None
    assert state["announced"] is True


def test_a_held_relapse_that_ends_quickly_is_never_announced() -> None:
    candidates: list[Alert | None] = [spike(0), None, None, None, spike(4), None, None, None, None]
    events, state, _ = run(candidates)
    assert events == [(0, "open"), (3, "resolved")]
    assert state is not None
    assert state["status"] == "resolved"


def test_a_held_relapse_that_escalates_is_announced_at_once() -> None:
    candidates: list[Alert | None] = [spike(0), None, None, None, spike(4, severity="critical")]
    events, _, _ = run(candidates)
    assert events == [(0, "open"), (3, "resolved"), (4, "open")]


def test_the_tail_of_a_resolved_episode_does_not_reopen_it() -> None:
    # The detector still dates its candidates to the episode's start after it was resolved (its
    # surprise flickering around the threshold as the spike fades): not a new episode.
    def tail(i: int, **kw: object) -> Alert:
        return alert(at=T0 + i * STEP, started_at=T0 - STEP, **kw)  # type: ignore[arg-type]

    quiet_tail: list[Alert | None] = [tail(0), None, None, None] + [tail(i, observed=20.0) for i in range(4, 40)]
    events, state, _ = run([*quiet_tail, None, None, None])
    assert events == [(0, "open"), (3, "resolved")]
    assert state is not None
    assert state["status"] == "resolved"
    # ... unless it is news again: more severe, or its excess doubled beyond what was announced
    events, _, _ = run([tail(0), None, None, None, tail(4), tail(5, severity="critical")])
    assert events == [(0, "open"), (3, "resolved"), (5, "open")]
    events, _, _ = run([tail(0), None, None, None, tail(4), tail(5, observed=110.0)])
    assert events == [(0, "open"), (3, "resolved"), (5, "open")]


def test_a_held_episode_that_returns_is_announced_after_the_cooldown() -> None:
    # Episode B begins within the cool-down after A, is held, ends quietly, then comes back
    # (dated to its own start) and lasts: never announced before, so not a "tail".
    def b(i: int) -> Alert:
        return alert(at=T0 + i * STEP, started_at=T0 + 3 * STEP)

    candidates: list[Alert | None] = [spike(0), None, None, None, b(4), None, None, None] + [b(i) for i in range(8, 20)]
    events, _, _ = run(candidates)
    assert events == [(0, "open"), (3, "resolved"), (9, "open")]


def test_a_new_episode_after_the_cooldown_opens_with_a_new_id() -> None:
    candidates: list[Alert | None] = [spike(0), None, None, None] + [None] * 10 + [spike(14)]
    events, _, steps = run(candidates)
    assert events == [(0, "open"), (3, "resolved"), (14, "open")]
    ids = [s.event_id for s in steps if s.event is not None]
    assert len(set(ids)) == 3


def test_min_severity_treats_lesser_candidates_as_normal() -> None:
    policy = POLICY.model_copy(update={"min_severity": "warning"})
    events, state, _ = run([spike(0, severity="info"), spike(1, severity="info")], policy=policy)
    assert events == []
    assert state is None


def test_critical_z_promotes_severity() -> None:
    policy = POLICY.model_copy(update={"critical_z": 8.0})
    result = step(None, spike(0, z=-9.5, direction="down"), T0, policy)
    assert result.event is not None
    assert result.event.severity == "critical"


def test_json_round_trip_is_what_a_restart_sees() -> None:
    """Evaluating with state re-read from JSON (a restart between every step) changes nothing."""
    candidates: list[Alert | None] = [spike(0), spike(1, severity="critical"), None, None, None, spike(5)]
    live_state: State | None = None
    live_events = []
    for i, candidate in enumerate(candidates):
        result = step(live_state, candidate, T0 + i * STEP, POLICY)
        live_state = result.state
        live_events.append((result.event, result.event_id))
    _events, final, steps = run(candidates)
    assert [(s.event, s.event_id) for s in steps] == live_events
    assert final == live_state


def test_the_same_evaluation_twice_gives_the_same_event_id() -> None:
    """A crash after emitting but before saving the state re-runs the step: same id, so the engine
    can recognise the event it already queued."""
    first = step(None, spike(0), T0, POLICY)
    again = step(None, spike(0), T0 + timedelta(seconds=40), POLICY)
    assert first.event_id == again.event_id


def test_an_unknown_state_layout_starts_afresh() -> None:
    result = step({"v": 999, "whatever": True}, spike(0), T0, POLICY)
    assert result.event is not None
    assert result.event.status == "open"


def test_a_clock_jump_backwards_does_not_refire() -> None:
    _, state, _ = run([spike(0), spike(1)])
    result = step(state, spike(0), T0 - timedelta(hours=2), POLICY)
    assert result.event is None


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValidationError):
        LifecyclePolicy(resolve_after=0)
    with pytest.raises(ValidationError):
        LifecyclePolicy(cooldown="soon")
    with pytest.raises(ValidationError):
        LifecyclePolicy(unknown=1)  # type: ignore[call-arg]
    assert DEFAULT_POLICY.cooldown == timedelta(minutes=30)
