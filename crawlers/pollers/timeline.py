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
  descent was under way are above its top; the next descent picks them up.

Items are ordered by a platform-specific `Mark` (a tuple: the numeric id, or (time, id)), so
the platform's filters can be inclusive or even ignored: whatever is at or below `hw`, or at or
above the descent's position, is dropped here. `max_pages` bounds one round; a long backfill
continues in the next one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from crawlers.pollers.base import ITEM_ERRORS, Poller, Step
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
class _Descent:
    upper: Mark
    pos: Mark
    token: str | None


@dataclass(frozen=True, slots=True)
class _State:
    hw: Mark | None = None
    floor: datetime | None = None
    descent: _Descent | None = None

    @classmethod
    def load(cls, data: Any) -> _State:
        if not isinstance(data, dict):
            return cls()
        try:
            descent = data.get("descent")
            return cls(
                hw=tuple(data["hw"]) if data.get("hw") is not None else None,
                floor=datetime.fromisoformat(data["floor"]) if data.get("floor") else None,
                descent=_Descent(tuple(descent["upper"]), tuple(descent["pos"]), descent.get("token"))
                if descent
                else None,
            )
        except (KeyError, TypeError, ValueError):
            return cls()

    def dump(self) -> dict[str, Any]:
        return {
            "hw": list(self.hw) if self.hw is not None else None,
            "floor": self.floor.isoformat() if self.floor else None,
            "descent": {"upper": list(self.descent.upper), "pos": list(self.descent.pos), "token": self.descent.token}
            if self.descent
            else None,
        }


class Timeline:
    """One query against a newest-first API (a `Stream`). See the module docstring.

    `page(window)` asks the platform; `mark(raw)` orders an item; `to_post(raw)` maps it (one
    post, or several: a video and its comments); `keep(post)` filters (keywords) after the
    position has advanced past the item. The poller counts and skips items that fail to map.
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
        self.backfill = backfill
        self.max_pages = max_pages
        self.clock = clock

    async def run(self, state: Any) -> AsyncIterator[Step]:
        st = _State.load(state)
        if st.hw is None and st.floor is None:
            st = _State(floor=self.clock() - self.backfill)
        for _ in range(self.max_pages):
            st, posts, done = await self._page(st)
            yield Step(tuple(posts), st.dump())
            if done:
                return

    async def _page(self, st: _State) -> tuple[_State, list[Post], bool]:
        descent = st.descent
        first_backfill = st.hw is None
        window = Window(
            after=st.hw,
            before=descent.pos if descent else None,
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
            if st.hw is not None and mark <= st.hw:
                crossed = True
                continue
            if descent is not None and window.token is None and mark >= descent.pos:
                continue
            entries.setdefault(mark, raw)
        ordered = sorted(entries.items(), key=lambda pair: pair[0], reverse=True)

        posts: list[Post] = []
        floor_reached = False
        for _, raw in ordered:
            mapped = self.poller.map_item(self.to_post, raw)
            if not mapped:
                continue
            if first_backfill and st.floor is not None and mapped[0].created_at < st.floor:
                floor_reached = True
                continue
            posts.extend(post for post in mapped if self.keep(post))

        upper = descent.upper if descent else (ordered[0][0] if ordered else None)
        done = not ordered or not page.more or crossed or floor_reached
        if done:
            marks = [m for m in (st.hw, upper) if m is not None]
            return _State(hw=max(marks) if marks else None, floor=st.floor), posts, True
        assert upper is not None
        return _State(hw=st.hw, floor=st.floor, descent=_Descent(upper, ordered[-1][0], page.token)), posts, False
