"""Chart buckets that follow the display time zone's calendar, over a store that buckets by the epoch.

The stores cut series into buckets aligned to the Unix epoch (the Store contract). For people in
Asia/Tehran (UTC+3:30) that puts 3.5 hours of each local day under the previous date, and hourly
buckets at HH:30 local time. `LocalGrid` says where a bucket starts in the display zone: steps of
whole days start at local midnight (several days: counted from the local date 1970-01-01, as the
epoch grid counts from the epoch), shorter steps on the local wall clock (an hour at HH:00).

`local_series` answers a brand series on that grid. Where the epoch grid already coincides with
the local one at every bucket of the window (UTC; 15-minute steps in Tehran; hours in whole-hour zones) it is
one store query. Elsewhere it asks the store once per local bucket, with a step longer than the
epoch's age so the whole bucket is one store bucket: counts and tone could be summed from finer
buckets, but distinct authors cannot, and they must stay exact. A store that takes a bucket
origin would make this one query again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from trendwatch.models import Bucket, Series, SeriesQuery
from trendwatch.timeutil import as_utc, floor_time, zone

DAY = timedelta(days=1)
LOCAL_EPOCH = date(1970, 1, 1)
CONCURRENT_QUERIES = 8


class SeriesStore(Protocol):
    async def series(self, query: SeriesQuery, since: datetime, until: datetime) -> list[Series]: ...


@dataclass(frozen=True, slots=True)
class LocalGrid:
    """Buckets of `step` on the calendar and wall clock of the zone `tz`."""

    tz: str
    step: timedelta

    @property
    def _days(self) -> int:
        """The step in whole days, 0 when it is not a whole number of days."""
        return self.step.days if self.step >= DAY and self.step % DAY == timedelta(0) else 0

    def floor(self, value: datetime) -> datetime:
        """Start (UTC) of the bucket that holds `value`."""
        where = zone(self.tz)
        local = as_utc(value).astimezone(where)
        if self._days:
            age = (local.date() - LOCAL_EPOCH).days
            first = LOCAL_EPOCH + timedelta(days=age - age % self._days)
            return datetime.combine(first, time(0), tzinfo=where).astimezone(UTC)
        offset = local.utcoffset() or timedelta(0)
        size = int(self.step.total_seconds())
        wall = int(as_utc(value).timestamp() + offset.total_seconds())
        return datetime.fromtimestamp(wall - wall % size, UTC) - offset

    def next(self, start: datetime) -> datetime:
        """Start of the bucket after the one starting at `start` (a local day can be 23 or 25 h)."""
        if self._days:
            where = zone(self.tz)
            first = as_utc(start).astimezone(where).date() + timedelta(days=self._days)
            return datetime.combine(first, time(0), tzinfo=where).astimezone(UTC)
        return self.floor(start + self.step)

    def ceil(self, value: datetime) -> datetime:
        start = self.floor(value)
        return start if start == value else self.next(start)

    def starts(self, since: datetime, until: datetime) -> list[datetime]:
        """Starts of the buckets that overlap [since, until)."""
        out, t = [], self.floor(since)
        while t < until:
            out.append(t)
            t = self.next(t)
        return out

    def native(self, starts: Sequence[datetime]) -> bool:
        """Whether these bucket starts (from `starts`) are the store's epoch-aligned buckets:
        every one of them, since an offset can change inside a window (daylight saving)."""
        return all(t == floor_time(t, self.step) for t in starts)


def whole_window(until: datetime) -> timedelta:
    """A step whose first epoch-aligned bucket holds every instant before `until` (one store
    bucket for a whole window)."""
    return timedelta(seconds=int(until.timestamp()) + 1)


async def local_series(
    store: SeriesStore, query: SeriesQuery, since: datetime, until: datetime, grid: LocalGrid
) -> list[Series]:
    """`store.series(query, since, until)` with buckets on `grid` (module docstring).

    Brand series, or one named term: the set of subjects must not depend on the window."""
    starts = grid.starts(since, until)
    if grid.native(starts):
        return await store.series(query, since, until)
    if query.kind != "brand" and query.subject is None:
        raise ValueError("a local-calendar series needs a brand series or a named subject")
    ends = [*starts[1:], grid.next(starts[-1])] if starts else []
    slots = asyncio.Semaphore(CONCURRENT_QUERIES)

    async def one(start: datetime, end: datetime) -> list[Series]:
        lo, hi = max(start, since), min(end, until)
        whole = replace(query, step=whole_window(hi))
        async with slots:
            return await store.series(whole, lo, hi)

    answers = await asyncio.gather(*(one(s, e) for s, e in zip(starts, ends, strict=True)))
    return _assemble(query, since, until, starts, answers)


def _assemble(
    query: SeriesQuery, since: datetime, until: datetime, starts: Sequence[datetime], answers: Sequence[list[Series]]
) -> list[Series]:
    buckets: dict[str, list[Bucket]] = {}
    for start, answer in zip(starts, answers, strict=True):
        for found in answer:
            for b in found.buckets:
                buckets.setdefault(found.subject, []).append(replace(b, start=start))
    if query.subject is not None:
        buckets.setdefault(query.subject, [])
    return [
        Series(
            subject=subject,
            kind=query.kind,
            step=query.step,
            start=starts[0] if starts else since,
            end=until,
            buckets=tuple(found),
            platform=query.platform,
            lang=query.lang,
        )
        for subject, found in sorted(buckets.items())
    ]
