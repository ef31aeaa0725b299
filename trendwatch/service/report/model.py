"""What a report says, before it is formatted: figures per brand, series, top posts, alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from trendwatch.models import Alert, Bucket, TermCount
from trendwatch.service.tone import net_sentiment
from trendwatch.timeutil import DisplayClock

Language = Literal["en", "fa"]
Format = Literal["html", "pdf", "csv"]
FORMATS: tuple[Format, ...] = ("html", "pdf", "csv")


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """The period [since, until), the brands (the own brand first) and how to show it.

    `other_brands` are configured brands left out of this report (their alerts are left out).
    """

    since: datetime
    until: datetime
    brands: tuple[str, ...]
    own_brand: str
    language: Language
    clock: DisplayClock
    other_brands: tuple[str, ...] = ()
    top_posts: int = 3
    top_terms: int = 6

    @property
    def span(self) -> timedelta:
        return self.until - self.since


@dataclass(frozen=True, slots=True)
class TopPost:
    """A post with the most engagement about a brand in the period."""

    id: str
    brand: str
    text: str
    url: str | None
    author: str | None
    platform: str
    created_at: datetime
    sentiment: float
    likes: int | None
    reposts: int | None
    replies: int | None
    views: int | None

    @property
    def engagement(self) -> int:
        """Likes + reposts + replies (a count the platform did not report counts as 0)."""
        return (self.likes or 0) + (self.reposts or 0) + (self.replies or 0)


@dataclass(frozen=True, slots=True)
class BrandSummary:
    """One brand's figures over the period (tone is what was said about this brand)."""

    brand: str
    own: bool
    mentions: int
    previous_mentions: int
    authors: int
    positive: int
    negative: int
    share: float
    series: tuple[Bucket, ...]
    hashtags: tuple[TermCount, ...] = ()
    topics: tuple[TermCount, ...] = ()
    top_posts: tuple[TopPost, ...] = ()

    @property
    def neutral(self) -> int:
        return self.mentions - self.positive - self.negative

    @property
    def change(self) -> float | None:
        """Relative change of mentions against the previous period of the same length."""
        if self.previous_mentions == 0:
            return None
        return (self.mentions - self.previous_mentions) / self.previous_mentions

    @property
    def net_sentiment(self) -> float | None:
        """Share of positive minus share of negative mentions, in [-1, 1]."""
        tone = net_sentiment(self.positive, self.negative, self.mentions)
        return None if tone is None else tone[0]

    @property
    def net_margin(self) -> float | None:
        """Half-width of the 95% interval of `net_sentiment` (each mention scores +1, 0 or -1)."""
        tone = net_sentiment(self.positive, self.negative, self.mentions)
        return None if tone is None else tone[1]


@dataclass(frozen=True, slots=True)
class Report:
    request: ReportRequest
    generated_at: datetime
    step: timedelta
    brands: tuple[BrandSummary, ...]
    alerts: tuple[Alert, ...]

    @property
    def total_mentions(self) -> int:
        return sum(b.mentions for b in self.brands)

    @property
    def leader(self) -> BrandSummary | None:
        """The brand with the most mentions (None when nobody was mentioned)."""
        ranked = sorted(self.brands, key=lambda b: b.mentions, reverse=True)
        return ranked[0] if ranked and ranked[0].mentions else None
