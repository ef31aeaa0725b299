"""The Store protocol: what every backend (embedded SQLite, Elasticsearch) answers identically.

One behaviour suite (tests/indexer/test_store_behaviour.py) runs against every backend.

Writes are idempotent by post id: upserting a post that is already stored replaces its
engagement, edit time and enrichment but never adds a second row, so counts never double.
Series and term queries count posts by `created_at`, in UTC buckets aligned to the Unix epoch,
over the half-open window [since, until). State is a small JSON key-value table for source
cursors, alert suppression and notification outboxes, kept in the same store so it survives
restarts together with the data it describes; setting a key to None deletes it.

`search` takes a query in the user query language (trendwatch.query) and raises
QuerySyntaxError for one that does not parse; every other failure is a StoreError.

`facets` and `posts` are what a dashboard browses by: the posts of a window narrowed by a
`PostFilter` (brand, platform, language, tone), grouped by one field with counts, distinct
authors, engagement and tone, or listed newest or most engaging first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel

from trendwatch.models import (
    Alert,
    AlertStatus,
    Drivers,
    EnrichedPost,
    SentimentLabel,
    Series,
    SeriesQuery,
    TermCount,
)

TermKind = Literal["hashtag", "topic"]
FacetField = Literal["brand", "platform", "lang", "author", "hashtag", "topic"]
FacetOrder = Literal["count", "authors", "engagement"]
PostOrder = Literal["newest", "engagement"]


@dataclass(frozen=True, slots=True)
class UpsertResult:
    inserted: int
    updated: int


@dataclass(frozen=True, slots=True)
class PostFilter:
    """Which posts of a window a browsing query reads; None means any.

    `brand` keeps posts that mention it; `tone` keeps posts of that sentiment label, judged
    about `brand` when one is given (its brand-specific tone) and by the post's own otherwise.
    """

    brand: str | None = None
    platform: str | None = None
    lang: str | None = None
    tone: SentimentLabel | None = None


@dataclass(frozen=True, slots=True)
class Facet:
    """One value of a field among the filtered posts, with what a dashboard row shows.

    `value` is the brand name, platform, language, author id, hashtag (folded, without '#') or
    topic; `label` is the author's handle for author facets. `engagement` sums likes, reposts and
    replies. Tone (`sentiment_sum`, `negative`, `positive`) is about the brand for brand facets
    and for a filter with a brand, the post's own otherwise.
    """

    value: str
    count: int
    authors: int
    engagement: int = 0
    sentiment_sum: float = 0.0
    negative: int = 0
    positive: int = 0
    label: str | None = None


class Store(Protocol):
    """Constructed as `cls(options)`; `open()` creates or migrates, `close()` releases."""

    Options: ClassVar[type[BaseModel]]
    description: ClassVar[str]
    most_alerts: ClassVar[int | None]
    """The most alert events one `alerts` call can return (None: as many as asked for)."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def upsert(self, posts: Sequence[EnrichedPost]) -> UpsertResult:
        """Insert new posts, update known ones; atomic per call."""
        ...

    async def get(self, ids: Sequence[str]) -> list[EnrichedPost]:
        """The stored posts with these ids (unknown ids are left out)."""
        ...

    async def count(self, since: datetime | None = None, until: datetime | None = None) -> int: ...

    async def series(self, query: SeriesQuery, since: datetime, until: datetime) -> list[Series]:
        """Per-bucket counts, unique authors and sentiment sums for the query's subjects."""
        ...

    async def top_terms(
        self,
        kind: TermKind,
        since: datetime,
        until: datetime,
        *,
        brand: str | None = None,
        lang: str | None = None,
        limit: int = 20,
    ) -> list[TermCount]:
        """Most used hashtags or topic terms in the window, by unique authors then count."""
        ...

    async def emerging_terms(
        self,
        kind: TermKind,
        since: datetime,
        until: datetime,
        baseline_since: datetime,
        baseline_until: datetime,
        *,
        brand: str | None = None,
        lang: str | None = None,
        limit: int = 20,
        min_count: int = 3,
    ) -> list[TermCount]:
        """Hashtags or topics unusually common in the window compared with the baseline window
        (significant terms: the JLH score of the share of posts using each term, as
        Elasticsearch computes it), most significant first; `min_count` posts at least."""
        ...

    async def drivers(
        self, query: SeriesQuery, subject: str, since: datetime, until: datetime, limit: int = 5
    ) -> Drivers:
        """What the posts of `subject` in the window were about: terms, authors, examples, tone."""
        ...

    async def search(
        self, query: str, *, since: datetime | None = None, until: datetime | None = None, limit: int = 50
    ) -> list[EnrichedPost]:
        """Posts matching a user query (the query language), newest first."""
        ...

    def scan(
        self, since: datetime | None = None, after: Any = None, page: int = 1000
    ) -> AsyncIterator[tuple[list[EnrichedPost], Any]]:
        """Every post created at or after `since`, a page at a time in a stable order, each page
        with a JSON-serialisable cursor: pass it as `after` to continue from there (resumable
        export and reindex). Posts written during a scan may or may not be included."""
        ...

    async def get_state(self, key: str) -> Any | None:
        """The JSON value saved under `key`, or None."""
        ...

    async def get_states(self, prefix: str) -> dict[str, Any]:
        """Every saved key starting with `prefix` (e.g. "outbox:"), with its value, sorted by key."""
        ...

    async def set_state(self, key: str, value: Any) -> None:
        """Save a JSON-serialisable value under `key` (durably, before returning); None deletes."""
        ...

    async def record_alert(self, alert: Alert) -> None:
        """Append one lifecycle event of an alert (opened, updated, resolved). Idempotent: the
        same event (alert key, status and time) recorded again, by a retry or after a restart,
        leaves the history as it was (the first record stays)."""
        ...

    async def alerts(
        self, *, since: datetime | None = None, status: AlertStatus | None = None, limit: int = 200
    ) -> list[Alert]:
        """Recorded alert events, newest first."""
        ...

    async def facets(
        self,
        field: FacetField,
        since: datetime,
        until: datetime,
        *,
        where: PostFilter | None = None,
        order: FacetOrder = "count",
        limit: int = 20,
    ) -> list[Facet]:
        """The values of `field` among the filtered posts of [since, until), most first by `order`
        (count; distinct authors then count; engagement then count), ties by value."""
        ...

    async def posts(
        self,
        since: datetime,
        until: datetime,
        *,
        where: PostFilter | None = None,
        order: PostOrder = "newest",
        limit: int = 50,
        offset: int = 0,
    ) -> list[EnrichedPost]:
        """The filtered posts of [since, until), newest first or by engagement (then newest)."""
        ...
