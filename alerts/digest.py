"""Digests: a channel may ask for its alerts grouped into one message per window.

A notifier with `digest: 1h` (or `30m`, `1d`, ...) does not receive each event at once; the
engine queues the event in the outbox as a digest item due at the end of its window, and when
the window has passed, `retry_deliveries` gathers the channel's due items into one digest
notification (`alerts.explain.digest`). Windows that divide a day start at local midnight of the
display time zone, so `digest: 1d` arrives at midnight where the team is and `digest: 6h` at
00:00, 06:00, 12:00 and 18:00 local time; other windows are aligned to the Unix epoch.

A digest's id is derived from the ids of the items it holds, so rebuilding it after a crash
(before its items were marked as digested) yields the same outbox entry, not a second message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from trendwatch.timeutil import DisplayClock, floor_time

DAY = timedelta(days=1)


def window_end(at: datetime, every: timedelta, clock: DisplayClock) -> datetime:
    """The end (UTC) of the digest window of length `every` that contains `at`."""
    if every <= timedelta(0):
        raise ValueError("a digest window must be positive")
    seconds = every.total_seconds()
    if every <= DAY and DAY.total_seconds() % seconds == 0:
        local = clock.local(at)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        done = int((local - midnight).total_seconds() // seconds)
        return (midnight + (done + 1) * every).astimezone(UTC)
    return floor_time(at, every) + every


def digest_id(notifier: str, item_ids: Iterable[str]) -> str:
    """A stable id for the digest of these items on this channel."""
    text = "\x00".join([notifier, *sorted(item_ids)])
    return "digest-" + hashlib.blake2b(text.encode(), digest_size=10).hexdigest()
