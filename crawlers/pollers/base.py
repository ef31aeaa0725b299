"""What every poller shares: options, queries run side by side, the cursor, error accounting.

A poller is configured with several *queries* (feeds, hashtags on instances, keywords,
subreddits, ...). Each query is a `Stream`: given its own saved state it yields `Step`s, each
the posts of one response and the query's state once those posts are committed. `Poller.fetch`
runs the streams concurrently (at most `concurrency` at once), and turns their steps, one at a
time and in order, into `Batch`es whose cursor holds every query's state as of that batch, so
the service can commit a batch and save its cursor without ever covering an uncommitted post.

The cursor is `{"v": 1, "queries": {<query key>: <state>}}`; a query removed from the config
drops out of it, a new one starts with its backfill.

Failures: a query that fails (timeout, 404, 429, a malformed page, ...) is logged once and
counted in `SOURCE_ERRORS` by reason while the other queries go on; when every query of the
round failed, the last failure is raised instead (not counted here: the scheduler counts what it
catches and backs off, honouring `RateLimited.retry_after`). One bad item is skipped and counted
by `map_items`; the rest of its page is kept. A query that ends its round without a new post is
logged and counted once as `empty_results` (the round itself succeeded).
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Protocol

import aiohttp
import structlog
from pydantic import AfterValidator, Field
from yarl import URL

from crawlers.source import Batch, Cursor, found_nothing
from trendwatch.config import PluginOptions
from trendwatch.errors import DropPost, NotConfigured, SourceError
from trendwatch.metrics import POSTS_FETCHED, SOURCE_ERRORS
from trendwatch.models import Post
from trendwatch.timeutil import Duration

log = structlog.get_logger("crawlers.pollers")

CURSOR_VERSION = 1
#: Exceptions a mapping of one odd item may raise besides DropPost; anything else is a bug.
ITEM_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def base_url(value: str) -> str:
    """An instance or API base URL as options take it: "mastodon.social" -> "https://mastodon.social"."""
    text = value.strip().rstrip("/")
    if "://" not in text:
        text = f"https://{text}"
    url = URL(text)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"{value!r} is not an http(s) base URL")
    return text


#: An http(s) base URL option, normalised by `base_url`.
BaseUrl = Annotated[str, AfterValidator(base_url)]


class PollerOptions(PluginOptions):
    """Options every poller has; each platform adds its own queries and credentials."""

    interval: Duration = Field(timedelta(minutes=5), description="Time between rounds.")
    backfill: Duration = Field(
        timedelta(days=1), description="How far back a newly added query reaches on its first round."
    )
    concurrency: int = Field(4, ge=1, le=64, description="Queries of this source fetched at the same time.")


class PagedOptions(PollerOptions):
    """Options of pollers that page through an API (everything but feeds)."""

    max_pages: int = Field(
        50, ge=1, le=100_000, description="Pages per query per round; a longer backfill goes on next round."
    )


@dataclass(frozen=True, slots=True)
class Step:
    """The posts of one response and the query's state once they are committed."""

    posts: tuple[Post, ...]
    state: Any


class Stream(Protocol):
    """One query of a source (a feed, a hashtag on one instance, a keyword search...).

    `key` names it in the cursor and must stay stable across restarts and config reorderings.
    `run(state)` resumes after `state` (None the first time) and yields steps in order; every
    yielded state is a new object (never mutated afterwards), JSON-serialisable.
    """

    key: str

    def run(self, state: Any) -> AsyncIterator[Step]: ...


class Poller(ABC):
    """Base of the aiohttp pollers: construction, mapping with counting, and `fetch`.

    Subclasses set `platform`, `Options`, `description`, and implement `streams()`; an empty
    list means the source has nothing to watch and it declines with `NotConfigured(needs)`.
    """

    platform: ClassVar[str]
    Options: ClassVar[type[PollerOptions]]
    description: ClassVar[str]
    needs: ClassVar[str] = "at least one query"

    def __init__(self, name: str, options: PollerOptions, session: aiohttp.ClientSession) -> None:
        self.name = name
        self.options = options
        self.session = session
        self.interval: timedelta = options.interval
        self.log = log.bind(source=name, type=self.platform)
        self._streams = tuple(self.streams())
        if not self._streams:
            raise NotConfigured(f"{self.platform} source {name!r} has nothing to watch: set {self.needs}")
        keys = [s.key for s in self._streams]
        if len(set(keys)) != len(keys):
            raise NotConfigured(f"{self.platform} source {name!r} lists the same query twice: {keys}")

    @abstractmethod
    def streams(self) -> Sequence[Stream]:
        """The queries this source runs, built once from its options."""

    @property
    def queries(self) -> tuple[str, ...]:
        return tuple(s.key for s in self._streams)

    # ----------------------------------------------------------------- items

    def skip(self, reason: str, detail: str = "", **context: Any) -> None:
        """Count and log one item (or one query) that could not be used."""
        SOURCE_ERRORS.labels(source=self.name, reason=reason).inc()
        self.log.warning("item skipped", reason=reason, detail=detail[:300], **context)

    def map_item(self, to_post: Callable[[Any], Post | Sequence[Post]], raw: Any) -> tuple[Post, ...]:
        """`to_post(raw)` as a tuple of posts; an item it rejects is counted, logged and skipped."""
        try:
            result = to_post(raw)
        except DropPost as exc:
            self.skip(exc.reason, str(exc), item=_item_hint(raw))
            return ()
        except ITEM_ERRORS as exc:
            self.skip("malformed_item", f"{type(exc).__name__}: {exc}", item=_item_hint(raw))
            return ()
        return (result,) if isinstance(result, Post) else tuple(result)

    def map_items(self, to_post: Callable[[Any], Post | Sequence[Post]], items: Iterable[Any]) -> list[Post]:
        return [post for raw in items for post in self.map_item(to_post, raw)]

    # ----------------------------------------------------------------- the round

    def load_cursor(self, cursor: Cursor | None) -> dict[str, Any]:
        """Query states from a saved cursor; one of unknown shape starts over, with a warning."""
        if cursor is None:
            self.restore({})
            return {}
        if isinstance(cursor, dict) and cursor.get("v") == CURSOR_VERSION and isinstance(cursor.get("queries"), dict):
            self.restore(cursor)
            queries: dict[str, Any] = cursor["queries"]
            return {key: queries[key] for key in self.queries if key in queries}
        self.log.warning("cursor not understood; starting over with the backfill", cursor_type=type(cursor).__name__)
        self.restore({})
        return {}

    def dump_cursor(self, states: dict[str, Any]) -> Cursor:
        return {"v": CURSOR_VERSION, "queries": dict(states), **self.shared_state()}

    def restore(self, cursor: dict[str, Any]) -> None:  # noqa: B027 (a hook: most pollers keep none)
        """Take back source-wide state (beside the queries) from a saved cursor; none by default."""

    def shared_state(self) -> dict[str, Any]:
        """Source-wide state to save with every batch (e.g. a quota spent today); none by default."""
        return {}

    async def fetch(self, cursor: Cursor | None) -> AsyncIterator[Batch]:
        """One round over every query; see the module docstring for ordering and failures."""
        states = self.load_cursor(cursor)
        queue: asyncio.Queue[tuple[str, Step | BaseException | None]] = asyncio.Queue(maxsize=1)
        gate = asyncio.Semaphore(self.options.concurrency)

        async def pump(stream: Stream) -> None:
            try:
                async with gate:
                    async for step in stream.run(states.get(stream.key)):
                        await queue.put((stream.key, step))
            except (SourceError, aiohttp.ClientError, TimeoutError) as exc:
                await queue.put((stream.key, exc))
            except Exception as exc:  # a bug in one query must not take the others down
                self.log.exception("query crashed", query=stream.key)
                await queue.put((stream.key, exc))
            else:
                await queue.put((stream.key, None))

        tasks = [asyncio.create_task(pump(stream), name=f"{self.name}:{stream.key}") for stream in self._streams]
        failures: list[tuple[str, BaseException]] = []
        finished = 0
        yielded: set[str] = set()
        found: set[str] = set()  # queries that brought at least one post this round
        try:
            while finished < len(tasks):
                key, item = await queue.get()
                if item is None or isinstance(item, BaseException):
                    finished += 1
                    if item is not None:
                        failures.append((key, item))
                    elif key not in found:
                        found_nothing(self.name, key, self.log)
                    continue
                if item.posts:
                    found.add(key)
                changed = states.get(key) != item.state
                states[key] = item.state
                posts = tuple(p for p in item.posts if p.id not in yielded)
                yielded.update(p.id for p in posts)
                if posts or changed:
                    if posts:
                        POSTS_FETCHED.labels(source=self.name).inc(len(posts))
                    yield Batch(posts, self.dump_cursor(states))
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)
        self._report(failures, succeeded=len(tasks) - len(failures))

    def _report(self, failures: list[tuple[str, BaseException]], *, succeeded: int) -> None:
        if not failures:
            return
        last_key, last = failures[-1]
        counted = failures if succeeded else failures[:-1]
        for key, exc in counted:
            reason = _reason(exc)
            SOURCE_ERRORS.labels(source=self.name, reason=reason).inc()
            self.log.warning("query failed", query=key, reason=reason, error=str(exc) or type(exc).__name__)
        if not succeeded:
            if isinstance(last, SourceError):
                raise last
            raise SourceError(f"query {last_key!r} failed: {type(last).__name__}: {last}", reason=_reason(last))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, SourceError):
        return exc.reason
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, aiohttp.ClientError):
        return "connection"
    return "internal_error"


def _item_hint(raw: Any) -> str:
    """A short, safe description of an item for a log line (its id if it has one)."""
    if isinstance(raw, dict):
        for key in ("id", "uri", "objectID", "name", "url", "link"):
            value = raw.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool):
                return f"{key}={str(value)[:120]}"
        for nested in ("data", "entry", "status", "tweet", "video", "post"):
            if isinstance(raw.get(nested), dict):
                return _item_hint(raw[nested])
    return type(raw).__name__
