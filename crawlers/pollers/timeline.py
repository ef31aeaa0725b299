"""Paging a newest-first API without losing or repeating a post: written once, used by every poller.

Most platforms list matching posts newest first and page towards older ones (Mastodon
`max_id`, Reddit `after`, Bluesky `cursor`/`until`, Algolia and YouTube time filters, X
`until_id`). A `Timeline` runs one such query as a series of *descents*:

- a descent starts at the newest page and walks down, page by page, until it reaches what was
  already collected (the high-water mark `hw`), or, on the very first round, the backfill
  floor (now minus the configured period), or the platform says there is nothing older;
- each page is one `Step`: its posts, and a state recording the descent's position, so a
  restart resumes mid-descent exactly where the last committed page ended;
- when the descent ends, its top becomes the new high-water mark. Posts published while a
  descent was under way are above its top; the next descent picks them up (in the same round
  when the descent was resumed from a saved cursor, so a restart catches up at once).

Items are ordered by a platform-specific `Mark` (a tuple: the numeric id, or (time, id)) that
must follow the platform's own order; so the platform's filters can be inclusive or even ignored,
and its cursor may be an offset that new posts push down: whatever is at or below `hw`, or at or
above the descent's position, is dropped here. Ties on the first component (the same second)
are told apart by identity: each edge keeps the marks collected at its first component.
`max_pages` bounds one round; a long backfill continues in the next one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crawlers.pollers.base import ITEM_ERRORS, PagedOptions, Poller, Step
from trendwatch.errors import DropPost
from trendwatch.models import Post
from trendwatch.timeutil import utcnow

Mark = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Window:
    """What to ask the platform for.

    `after`: the newest item already collected (exclusive), None before the first one.
    `before`: the oldest item of the current descent (exclusive), None on its first page.
    `token`: the platform's own handle on the next older page when it gave one; prefer it to
    `before`. `since`: on a first backfill, nothing older than this is wanted.
    """

    after: Mark | None = None
    before: Mark | None = None
    token: str | None = None
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """One response: its raw items, whether the platform has older ones, and its handle on them."""

    items: Sequence[Any]
    more: bool
    token: str | None = None


@dataclass(frozen=True, slots=True)
class _Edge:
    """A position in the order: `mark`, plus every collected mark sharing its first component
    (items of the same second, say), so ties are told apart by identity rather than by order."""

    mark: Mark
    ties: frozenset[Mark]

    @classmethod
    def of(cls, marks: Sequence[Mark], at: Mark, also: _Edge | None = None) -> _Edge:
        ties = {m for m in marks if m[0] == at[0]}
        if also is not None and also.mark[0] == at[0]:
            ties |= also.ties
        return cls(at, frozenset(ties))

    def collected(self, mark: Mark) -> bool:
        """Already collected, as far as this edge can tell: beyond it, or one of its ties."""
        return mark[0] == self.mark[0] and mark in self.ties

    def merge(self, other: _Edge) -> _Edge:
        if other.mark[0] != self.mark[0]:
            return other if other.mark[0] > self.mark[0] else self
        return _Edge(max(self.mark, other.mark), self.ties | other.ties)

    def dump(self) -> dict[str, Any]:
        return {"mark": list(self.mark), "ties": sorted(list(t) for t in self.ties)}

    @classmethod
    def load(cls, data: Any) -> _Edge:
        return cls(tuple(data["mark"]), frozenset(tuple(t) for t in data["ties"]))


@dataclass(frozen=True, slots=True)
class _Descent:
    upper: _Edge
    pos: _Edge
    token: str | None


@dataclass(frozen=True, slots=True)
class _State:
    hw: _Edge | None = None
    floor: datetime | None = None
    descent: _Descent | None = None

    @classmethod
    def load(cls, data: Any) -> _State:
        if not isinstance(data, dict):
            return cls()
        try:
            descent = data.get("descent")
            return cls(
                hw=_Edge.load(data["hw"]) if data.get("hw") else None,
                floor=datetime.fromisoformat(data["floor"]) if data.get("floor") else None,
                descent=_Descent(_Edge.load(descent["upper"]), _Edge.load(descent["pos"]), descent.get("token"))
                if descent
                else None,
            )
        except (KeyError, TypeError, ValueError):
            return cls()

    def dump(self) -> dict[str, Any]:
        return {
            "hw": self.hw.dump() if self.hw else None,
            "floor": self.floor.isoformat() if self.floor else None,
            "descent": {"upper": self.descent.upper.dump(), "pos": self.descent.pos.dump(), "token": self.descent.token}
            if self.descent
            else None,
        }


class Timeline:
    """One query against a newest-first API (a `Stream`). See the module docstring.

    `page(window)` asks the platform; `mark(raw)` orders an item; `expand(raws)` (optional)
    fetches details for the items that are new, in order; `to_post(raw)` maps one (to a post, or
    several: a video and its comments); `keep(post)` filters (keywords) after the position has
    moved past the item. The poller counts and skips items that fail to map.
    """

    def __init__(
        self,
        key: str,
        poller: Poller,
        *,
        page: Callable[[Window], Awaitable[Page]],
        mark: Callable[[Any], Mark],
        to_post: Callable[[Any], Post | Sequence[Post]],
        keep: Callable[[Post], bool] | None = None,
        expand: Callable[[list[Any]], Awaitable[list[Any]]] | None = None,
        backfill: timedelta,
        max_pages: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.key = key
        self.poller = poller
        self.page = page
        self.mark = mark
        self.to_post = to_post
        self.keep = keep or (lambda post: True)
        self.expand = expand
        self.backfill = backfill
        self.max_pages = max_pages
        self.clock = clock

    async def run(self, state: Any) -> AsyncIterator[Step]:
        st = _State.load(state)
        if st.hw is None and st.floor is None:
            st = _State(floor=self.clock() - self.backfill)
        started_here = st.descent is None
        for _ in range(self.max_pages):
            st, posts, done = await self._page(st)
            yield Step(tuple(posts), st.dump())
            if done:
                if started_here:
                    return
                started_here = True  # a descent resumed from the cursor ended: catch up from the top

    async def _page(self, st: _State) -> tuple[_State, list[Post], bool]:
        descent, hw = st.descent, st.hw
        first_backfill = hw is None
        window = Window(
            after=hw.mark if hw else None,
            before=descent.pos.mark if descent else None,
            token=descent.token if descent else None,
            since=st.floor if first_backfill else None,
        )
        page = await self.page(window)
        entries: dict[Mark, Any] = {}
        crossed = False
        for raw in page.items:
            try:
                mark = tuple(self.mark(raw))
            except DropPost as exc:
                self.poller.skip(exc.reason, str(exc), query=self.key)
                continue
            except ITEM_ERRORS as exc:
                self.poller.skip("malformed_item", f"{type(exc).__name__}: {exc}", query=self.key)
                continue
            if hw is not None:
                if mark[0] < hw.mark[0] or (len(mark) == 1 and mark == hw.mark):
                    crossed = True  # back in what was collected before: nothing older is new
                    continue
                if hw.collected(mark):
                    continue  # a tie of the newest collected second; others of it may still be new
            # Already collected in this descent: the platform's bound was inclusive or ignored, or
            # its cursor is an offset that new posts have pushed down.
            if descent is not None and (mark[0] > descent.pos.mark[0] or descent.pos.collected(mark)):
                continue
            entries.setdefault(mark, raw)
        ordered = sorted(entries, reverse=True)
        raws = [entries[mark] for mark in ordered]
        if self.expand is not None and raws:
            raws = await self.expand(raws)  # details fetched for new items only (statistics, comments)

        posts: list[Post] = []
        floor_reached = False
        for raw in raws:
            mapped = self.poller.map_item(self.to_post, raw)
            if not mapped:
                continue
            if first_backfill and st.floor is not None and mapped[0].created_at < st.floor:
                floor_reached = True
                continue
            posts.extend(post for post in mapped if self.keep(post))

        upper = descent.upper if descent else None
        if ordered:
            top = _Edge.of(ordered, ordered[0])
            upper = upper.merge(top) if upper else top
        # A page of nothing new still moves on when the platform's cursor did (it was all seen).
        moved = bool(ordered) or (page.token is not None and page.token != window.token)
        done = not page.items or not moved or not page.more or crossed or floor_reached
        if done:
            if upper is not None:
                hw = hw.merge(upper) if hw else upper
            return _State(hw=hw, floor=st.floor), posts, True
        if not ordered:  # nothing new on this page, but the platform's cursor moved on: follow it
            kept = descent or (_Descent(hw, hw, None) if hw else None)
            if kept is None:
                return _State(hw=hw, floor=st.floor), posts, True
            return _State(hw=hw, floor=st.floor, descent=_Descent(kept.upper, kept.pos, page.token)), posts, False
        assert upper is not None
        pos = _Edge.of(ordered, ordered[-1], also=descent.pos if descent else None)
        return _State(hw=hw, floor=st.floor, descent=_Descent(upper, pos, page.token)), posts, False


class TimelinePoller(Poller):
    """A poller whose queries are all `Timeline`s over a newest-first API."""

    options: PagedOptions

    def timeline(
        self,
        key: str,
        *,
        page: Callable[[Window], Awaitable[Page]],
        mark: Callable[[Any], Mark],
        to_post: Callable[[Any], Post | Sequence[Post]],
        keep: Callable[[Post], bool] | None = None,
        expand: Callable[[list[Any]], Awaitable[list[Any]]] | None = None,
    ) -> Timeline:
        return Timeline(
            key,
            self,
            page=page,
            mark=mark,
            to_post=to_post,
            keep=keep,
            expand=expand,
            backfill=self.options.backfill,
            max_pages=self.options.max_pages,
        )
