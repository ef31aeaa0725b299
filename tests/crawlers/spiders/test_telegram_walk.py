"""The cursor walk over t.me/s pages (pure): newest first, resumable, each message once."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from crawlers.spiders.telegram import ChannelState, Page, PageMessage, parse_page, walk
from tests.crawlers.spiders.fake_web import FakeMessage, persian_channel

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
HORIZON = NOW - timedelta(days=7)


def page(ids: list[int], before: int | None, *, hours_ago: dict[int, int] | None = None) -> Page:
    hours_ago = hours_ago or {}
    messages = tuple(PageMessage(i, NOW - timedelta(hours=hours_ago.get(i, 1)), f"<m{i}>") for i in sorted(ids))
    return Page(is_channel=True, messages=messages, before=before)


def kept(step_keep: tuple[PageMessage, ...]) -> list[int]:
    return [m.id for m in step_keep]


def test_first_round_single_page_finishes_at_the_newest() -> None:
    step = walk(ChannelState(), page([3, 4, 5], before=None), HORIZON)
    assert kept(step.keep) == [3, 4, 5]
    assert step.state == ChannelState(last=5)
    assert step.next_before is None


def test_first_round_with_older_pages_keeps_walking() -> None:
    step = walk(ChannelState(), page(list(range(21, 41)), before=21), HORIZON)
    assert kept(step.keep) == list(range(21, 41))
    assert step.state == ChannelState(last=None, top=40, before=21)
    assert step.next_before == 21
    assert step.state.walking


def test_walk_continues_and_remembers_where_it_started() -> None:
    state = ChannelState(last=None, top=40, before=21)
    step = walk(state, page(list(range(1, 21)), before=None), HORIZON)
    assert kept(step.keep) == list(range(1, 21))
    assert step.state == ChannelState(last=40)
    assert step.next_before is None


def test_walk_stops_at_the_last_committed_message() -> None:
    step = walk(ChannelState(last=35), page(list(range(21, 41)), before=21), HORIZON)
    assert kept(step.keep) == [36, 37, 38, 39, 40]
    assert step.state == ChannelState(last=40)
    assert step.next_before is None


def test_nothing_new_leaves_the_cursor_alone() -> None:
    state = ChannelState(last=40)
    step = walk(state, page(list(range(21, 41)), before=21), HORIZON)
    assert step.keep == ()
    assert step.state is state
    assert step.next_before is None


def test_backfill_stops_at_the_horizon() -> None:
    ages = {i: 180 - i for i in range(1, 41)}  # message i is (180 - i) hours old; 7 days = 168 hours
    step = walk(ChannelState(), page(list(range(21, 41)), before=21, hours_ago=ages), HORIZON)
    assert step.next_before == 21  # all 20 are inside the horizon
    step = walk(step.state, page(list(range(1, 21)), before=1, hours_ago=ages), HORIZON)
    assert kept(step.keep) == list(range(12, 21))
    assert step.state == ChannelState(last=40)
    assert step.next_before is None


def test_an_empty_page_ends_the_walk() -> None:
    assert walk(ChannelState(last=None, top=9, before=2), page([], before=None), HORIZON).state == ChannelState(last=9)
    assert walk(ChannelState(), page([], before=None), HORIZON).state == ChannelState()


def test_messages_without_time_do_not_end_the_walk() -> None:
    messages = (PageMessage(5, None, "<m5>"), PageMessage(6, NOW, "<m6>"))
    step = walk(ChannelState(), Page(True, messages, before=5), HORIZON)
    assert kept(step.keep) == [5, 6]
    assert step.next_before == 5


@pytest.mark.parametrize(
    "value",
    [{"last": "7"}, {"last": True}, {"top": 5, "before": None}, {"top": None, "before": 3}, {"last": 1.5}],
)
def test_malformed_channel_cursors_are_rejected(value: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="not a telegram channel cursor"):
        ChannelState.from_json(value)


def test_cursor_round_trips_through_json() -> None:
    state = ChannelState(last=3, top=90, before=41)
    assert ChannelState.from_json(state.to_json()) == state
    assert ChannelState.from_json(None) == ChannelState()


def test_interrupted_rounds_lose_and_repeat_nothing() -> None:
    """Rounds cut at random pages (a crash: steps after the last committed one are lost), with
    new messages arriving between rounds: every message newer than the horizon is committed
    exactly once. Mirrors the spider's order: resume an unfinished walk, then walk from the top."""
    rng = random.Random(7)
    channel = persian_channel("sim", 130, newest=NOW, step=timedelta(hours=2), skip=(17, 64, 65, 99))
    horizon = NOW - timedelta(days=7)
    committed: list[int] = []
    state = ChannelState()
    next_id = 131
    for _ in range(40):
        budget = rng.randint(1, 4)  # pages this round commits before it is cut
        request, resumed = (state, state.walking)
        while budget:
            html = channel.page(request.before if request.walking else None)
            step = walk(request, parse_page(html), horizon)
            committed.extend(m.id for m in step.keep)
            state = step.state  # committed: the service saved the cursor
            budget -= 1
            if step.next_before is not None:
                request = ChannelState(last=state.last, top=state.top, before=step.next_before)
            elif resumed:
                request, resumed = state, False
            else:
                break
        for _ in range(rng.randint(0, 3)):  # new messages while we were away
            channel.add(FakeMessage(id=next_id, time=NOW, text_html=f"new {next_id}"))
            next_id += 1
    while state.walking or state.last != max(channel.messages):  # let the last rounds finish
        request = state
        html = channel.page(request.before if request.walking else None)
        step = walk(request, parse_page(html), horizon)
        committed.extend(m.id for m in step.keep)
        state = step.state
    expected = sorted(i for i, m in channel.messages.items() if m.time >= horizon)
    assert len(expected) > 90  # backfill, interruptions and new messages all happened
    assert sorted(committed) == expected
    assert len(committed) == len(set(committed))
