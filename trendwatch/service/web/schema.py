"""The JSON API's shapes: every request body and response is one of these models.

Handlers build responses from them, and `trendwatch.service.web.openapi` turns them into the
OpenAPI document served at `/api/openapi.json`, so the documentation is the code's own shape.

Conventions: instants are ISO-8601 in UTC (`at`, `since`, ...); each has a `*_display` twin
already written for people (display time zone, Gregorian or Jalali calendar, Latin or Persian
digits, as `display` in the configuration says). Chart axes get local wall-clock times without
an offset (`times`), which is what plotly draws. Post text, author names and terms are untrusted
input: they are data, and the page only ever sets them as text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ApiError(_Out):
    """What every 4xx/5xx answer of the API carries."""

    error: str = Field(description="What was wrong, in words a person can act on.")
    param: str | None = Field(None, description="The query parameter or body field at fault.")
    query: str | None = Field(None, description="The search query, for query-language errors.")
    position: int | None = Field(None, description="0-based character (code point) offset of the problem in `query`.")


class Window(_Out):
    since: datetime = Field(description="Start of the window (inclusive, UTC).")
    until: datetime = Field(description="End of the window (exclusive, UTC), a whole bucket after the last one.")
    step_seconds: int = Field(description="Width of a chart bucket.")
    since_display: str
    until_display: str
    timezone: str = Field(description="Display time zone of `*_display` values and chart `times`.")


class Filters(_Out):
    brand: str | None = None
    platform: str | None = None
    lang: str | None = None


class Tone(_Out):
    """Sentiment of a set of posts (about a brand when one is in question)."""

    positive: int
    neutral: int
    negative: int
    net: float | None = Field(description="(positive - negative) / posts, in [-1, 1]; null without posts.")
    margin: float | None = Field(description="Half-width of the 95% interval of `net`.")
    mean: float | None = Field(description="Mean sentiment score in [-1, 1].")


class Series(_Out):
    times: list[str] = Field(description="Bucket starts, local wall-clock time in the display time zone.")
    posts: list[int]
    authors: list[int] = Field(description="Distinct authors per bucket.")
    positive: list[int]
    negative: list[int]
    net: list[float | None] = Field(description="Net sentiment per bucket; null for an empty bucket.")


class Term(_Out):
    term: str = Field(description="Hashtag (folded, without '#') or topic.")
    posts: int
    authors: int


class EmergingTerm(_Out):
    """A term unusually common in the recent part of the window compared with the rest of it
    (the store's `emerging_terms`: significant terms, JLH score), most significant first."""

    term: str
    kind: Literal["hashtag", "topic"]
    posts: int = Field(description="Posts using it in the recent part of the window.")
    authors: int = Field(description="Their distinct authors.")


class BrandFigures(_Out):
    name: str
    own: bool
    posts: int
    authors: int = Field(description="Distinct authors over the whole window.")
    engagement: int = Field(description="Likes + reposts + replies of the posts.")
    share: float | None = Field(description="Share of voice: this brand's posts over all brands' posts.")
    previous_posts: int = Field(description="Posts in the window of equal length just before.")
    change: float | None = Field(description="Relative change against the previous window; null when it had none.")
    tone: Tone


class OverviewBrand(BrandFigures):
    series: Series


class Author(_Out):
    id: str
    handle: str | None = None
    name: str | None = None
    url: str | None = Field(None, description="http(s) only; other schemes are dropped.")


class Engagement(_Out):
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    views: int | None = None
    total: int


class Segment(_Out):
    text: str
    brand: str | None = Field(None, description="The brand this stretch of text names (a highlighted mention).")


class BrandTone(_Out):
    brand: str
    sentiment: float


class Post(_Out):
    id: str
    platform: str
    url: str | None = Field(None, description="http(s) only; other schemes are dropped.")
    created_at: datetime
    created_display: str
    lang: str
    dir: Literal["rtl", "ltr", "auto"] = Field(description="Text direction to render the post with.")
    author: Author | None
    title: str | None
    segments: list[Segment] = Field(description="The normalised text, cut at brand mentions.")
    hashtags: list[str]
    sentiment: float
    sentiment_label: Literal["negative", "neutral", "positive"]
    brands: list[BrandTone]
    engagement: Engagement


class AlertFact(_Out):
    label: str
    value: str


class AlertDrivers(_Out):
    label: str
    items: list[str]


class AlertQuote(_Out):
    author: str
    when: str
    text: str
    url: str | None = Field(None, description="http(s) only; other schemes are dropped.")


class Explanation(_Out):
    """The alert explained as in notifications (alerts.explain), in the brand's language."""

    lang: Literal["en", "fa"]
    rtl: bool
    title: str
    summary: str
    facts: list[AlertFact]
    drivers: list[AlertDrivers]
    quotes: list[AlertQuote]


class Acknowledgement(_Out):
    at: datetime
    at_display: str
    by: str | None = None


class Mute(_Out):
    at: datetime
    until: datetime | None = Field(description="When notifications resume; null = until unmuted.")
    until_display: str | None = None
    by: str | None = None


class AlertItem(_Out):
    """One episode of an alert key: from its opening to its resolution (or now)."""

    key: str
    rule: str
    kind: str
    subject: str
    metric: str
    status: Literal["open", "resolved"]
    severity: Literal["info", "warning", "critical"]
    direction: Literal["up", "down"]
    started_at: datetime
    started_display: str
    at: datetime = Field(description="Time of the latest event of the episode.")
    at_display: str
    observed: float
    expected: float
    score: float
    z: float | None = Field(description="Signed standard score; null when infinite.")
    platform: str | None = None
    lang: str | None = None
    events: int = Field(description="Events of the episode recorded in the window.")
    acknowledged: Acknowledgement | None = Field(description="Set when this episode was acknowledged.")
    muted: Mute | None = Field(description="Set while notifications about the key are muted.")
    explanation: Explanation


class Overview(_Out):
    window: Window
    filters: Filters
    brands: list[OverviewBrand]
    hashtags: list[Term]
    topics: list[Term]
    emerging: list[EmergingTerm]
    alerts: list[AlertItem] = Field(description="Alert episodes of the window: open first, then most severe, newest.")


class CompareBrand(BrandFigures):
    series: Series
    complaints: list[Term] = Field(description="Topics of posts negative about the brand, by distinct authors.")
    praise: list[Term] = Field(description="Topics of posts positive about the brand, by distinct authors.")
    hashtags: list[Term]


class Compare(_Out):
    window: Window
    filters: Filters
    brands: list[CompareBrand]


class Breakdown(_Out):
    value: str
    posts: int
    authors: int
    engagement: int
    share: float
    tone: Tone


class AuthorRow(_Out):
    id: str
    handle: str | None
    posts: int
    engagement: int
    tone: Tone


class Drilldown(_Out):
    window: Window
    filters: Filters
    brand: BrandFigures
    series: Series
    platforms: list[Breakdown]
    languages: list[Breakdown]
    top_posts: list[Post] = Field(description="By engagement.")
    top_authors: list[AuthorRow] = Field(description="By engagement.")
    hashtags: list[Term]
    topics: list[Term]


class RuleCount(_Out):
    rule: str
    open: int
    resolved: int


class Alerts(_Out):
    window: Window
    filters: Filters
    alerts: list[AlertItem]
    by_rule: list[RuleCount]
    open: int
    resolved: int


class Posts(_Out):
    window: Window
    filters: Filters
    query: str | None
    order: Literal["newest", "engagement"]
    offset: int
    posts: list[Post]
    more: bool = Field(description="Whether another page follows.")


class BrandInfo(_Out):
    name: str
    own: bool
    language: Literal["en", "fa"]


class Display(_Out):
    timezone: str
    calendar: Literal["gregorian", "jalali"]
    digits: Literal["latin", "persian"]
    language: Literal["en", "fa"]


class Meta(_Out):
    version: str
    brands: list[BrandInfo] = Field(description="The own brand first, then competitors.")
    display: Display
    platforms: list[str] = Field(description="Platforms with posts in the window.")
    languages: list[str] = Field(description="Languages with posts in the window.")
    window: Window


class AlertState(_Out):
    key: str
    acknowledged: Acknowledgement | None
    muted: Mute | None


class AckRequest(_Out):
    key: str = Field(min_length=1, max_length=1000, description="The alert key (AlertItem.key).")


class MuteRequest(_Out):
    key: str = Field(min_length=1, max_length=1000, description="The alert key (AlertItem.key).")
    duration: str | None = Field(
        None, description="How long, e.g. '1h', '24h', '7d'; null mutes until unmuted.", max_length=32
    )


class UnmuteRequest(_Out):
    key: str = Field(min_length=1, max_length=1000)


class LoopHealth(_Out):
    last_ok: datetime | None
    last_error: datetime | None
    last_reason: str | None
    failures_in_a_row: int


class Health(_Out):
    status: Literal["ok", "degraded"]
    started_at: datetime
    sources: dict[str, LoopHealth]
    detectors: dict[str, LoopHealth]
    posts: int | None = Field(None, description="Posts in the store (absent when the store cannot answer).")
    store_error: str | None = Field(None, description="Why the store cannot answer (an exception type).")
