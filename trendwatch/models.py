"""The objects that cross a package boundary, and nothing else.

Every stage speaks in these frozen, slotted dataclasses: sources yield `Post`s, the NLP stage
returns one `Enrichment` per post, the store keeps `EnrichedPost`s and answers `SeriesQuery`s with
`Series` of `Bucket`s (plus `TermCount`s and `Drivers` for explanations), and detectors turn
series into `Alert`s. No spaCy `Doc`, Scrapy `Response`, aiohttp object or raw dict leaves the
package that made it; later stages return new objects instead of mutating earlier ones.

Invariants checked at construction (cheap, and they catch mapping bugs at the edge):
a post id is `<platform>:<native id>`, and every timestamp is timezone-aware.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

SentimentLabel = Literal["negative", "neutral", "positive"]
Severity = Literal["info", "warning", "critical"]
AlertStatus = Literal["open", "updated", "resolved"]
Direction = Literal["up", "down"]
SeriesKind = Literal["brand", "hashtag", "topic"]

SENTIMENT_LABELS: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")


def _require_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a post. `None` means the platform did not say (never 0 or "")."""

    id: str
    handle: str | None = None
    name: str | None = None
    followers: int | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Engagement:
    """Counts as the platform reported them when the post was fetched; `None` = not reported."""

    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    views: int | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """One public post, article, comment or message, normalised at the source's edge.

    `id` is `<platform>:<native id>`, the identity used for idempotent storage. `raw` is the
    JSON-serialisable payload the post was mapped from (kept beside it, so a mapping fix is a
    re-map, not a re-crawl). `lang` is the language the platform declared, if any.
    """

    id: str
    platform: str
    source: str
    text: str
    created_at: datetime
    url: str | None = None
    title: str | None = None
    author: Author | None = None
    lang: str | None = None
    hashtags: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    engagement: Engagement = field(default_factory=Engagement)
    edited_at: datetime | None = None
    reply_to: str | None = None
    raw: Any = None

    def __post_init__(self) -> None:
        if not self.id.startswith(f"{self.platform}:") or len(self.id) == len(self.platform) + 1:
            raise ValueError(f"post id {self.id!r} must look like '{self.platform}:<native id>'")
        _require_aware("created_at", self.created_at)
        _require_aware("edited_at", self.edited_at)

    @property
    def native_id(self) -> str:
        return self.id[len(self.platform) + 1 :]


@dataclass(frozen=True, slots=True)
class BrandMention:
    """A span of the normalised text that names a configured brand (by its config name)."""

    brand: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What the NLP stage understood about one post.

    `text` is the normalised text the offsets in `mentions` refer to. `sentiment` is in [-1, 1];
    `brand_sentiment` maps each mentioned brand to the sentiment expressed about that brand
    (differs from the post's overall score in "X was great, unlike Y"). Treat it as read-only.
    """

    post_id: str
    lang: str
    text: str
    sentiment: float
    sentiment_label: SentimentLabel
    mentions: tuple[BrandMention, ...] = ()
    hashtags: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    brand_sentiment: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not -1.0 <= self.sentiment <= 1.0:
            raise ValueError(f"sentiment {self.sentiment} is outside [-1, 1]")

    @property
    def brands(self) -> tuple[str, ...]:
        """Mentioned brands, each once, in order of first mention."""
        return tuple(dict.fromkeys(m.brand for m in self.mentions))


@dataclass(frozen=True, slots=True)
class EnrichedPost:
    """A post together with its enrichment: the unit the store keeps."""

    post: Post
    enrichment: Enrichment

    def __post_init__(self) -> None:
        if self.post.id != self.enrichment.post_id:
            raise ValueError(f"enrichment {self.enrichment.post_id!r} is not for {self.post.id!r}")

    @property
    def id(self) -> str:
        return self.post.id


@dataclass(frozen=True, slots=True)
class Bucket:
    """Aggregates of the posts whose `created_at` falls in [start, start + step)."""

    start: datetime
    count: int
    authors: int = 0
    sentiment_sum: float = 0.0
    negative: int = 0
    positive: int = 0

    @property
    def neutral(self) -> int:
        return self.count - self.negative - self.positive


@dataclass(frozen=True, slots=True)
class SeriesQuery:
    """What a detector (or a dashboard) asks the store for.

    kind "brand": one series per brand (`subject` None = every brand seen), counting posts that
    mention it. kind "hashtag"/"topic": one series per term (`subject` None = the `limit` terms
    with most unique authors in the window). `platform`/`lang` narrow the posts counted.
    """

    kind: SeriesKind
    step: timedelta
    subject: str | None = None
    platform: str | None = None
    lang: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class Series:
    """Buckets of one subject over [start, end), sorted by time. Empty buckets may be absent;
    use `dense()` for a zero-filled view."""

    subject: str
    kind: SeriesKind
    step: timedelta
    start: datetime
    end: datetime
    buckets: tuple[Bucket, ...]
    platform: str | None = None
    lang: str | None = None

    def dense(self) -> tuple[Bucket, ...]:
        by_start = {b.start: b for b in self.buckets}
        out: list[Bucket] = []
        t = self.start
        while t < self.end:
            out.append(by_start.get(t) or Bucket(start=t, count=0))
            t += self.step
        return tuple(out)


@dataclass(frozen=True, slots=True)
class TermCount:
    """A hashtag or topic term with how often, and by how many distinct authors, it was used."""

    term: str
    count: int
    authors: int


@dataclass(frozen=True, slots=True)
class PostRef:
    """A short pointer to an example post, for explanations and notifications."""

    id: str
    text: str
    url: str | None
    author: str | None
    created_at: datetime
    sentiment: float


@dataclass(frozen=True, slots=True)
class Drivers:
    """What drove a movement in a window: the store's answer used to explain an alert."""

    hashtags: tuple[TermCount, ...] = ()
    terms: tuple[TermCount, ...] = ()
    authors: tuple[TermCount, ...] = ()
    posts: tuple[PostRef, ...] = ()
    negative: int = 0
    neutral: int = 0
    positive: int = 0


@dataclass(frozen=True, slots=True)
class Alert:
    """Something moved. Made by a pure detector; `drivers` is attached later from the store.

    `rule` is the configured detector name and `subject` what moved (a brand or a term);
    together with `platform`/`lang` they form the `key` that suppression and the lifecycle
    (open -> updated -> resolved) track. `expected`/`observed` are in the detector's unit
    (posts, authors, share, net sentiment) named by `metric`; `score` is the detector's own
    measure of surprise in [0, 1] and `z` the same as a signed standard score.
    """

    rule: str
    kind: str
    subject: str
    metric: str
    status: AlertStatus
    severity: Severity
    direction: Direction
    started_at: datetime
    at: datetime
    expected: float
    observed: float
    score: float
    z: float
    platform: str | None = None
    lang: str | None = None
    related: tuple[str, ...] = ()
    drivers: Drivers | None = None

    def __post_init__(self) -> None:
        _require_aware("started_at", self.started_at)
        _require_aware("at", self.at)
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"alert score {self.score} is outside [0, 1]")

    @property
    def key(self) -> str:
        parts = [self.rule, self.subject]
        if self.platform:
            parts.append(f"platform={self.platform}")
        if self.lang:
            parts.append(f"lang={self.lang}")
        return "|".join(parts)
