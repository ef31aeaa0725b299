"""Small builders of enriched posts for the store tests (the project's own fixtures)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from trendwatch.models import Author, BrandMention, Engagement, EnrichedPost, Enrichment, Post, SentimentLabel

T0 = datetime(2026, 11, 20, tzinfo=UTC)
"""A midnight: day boundaries and bucket alignment are easy to reason about from here."""


def at(minutes: float = 0, *, hours: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, hours=hours, days=days)


def label_of(score: float) -> SentimentLabel:
    return "negative" if score < -0.05 else "positive" if score > 0.05 else "neutral"


def make(
    native: str | int,
    text: str = "hello",
    *,
    when: datetime | None = None,
    platform: str = "mastodon",
    source: str = "test",
    author: str | None = "alice",
    handle: str | None = None,
    title: str | None = None,
    brands: Sequence[str] = (),
    hashtags: Sequence[str] = (),
    topics: Sequence[str] = (),
    lang: str = "en",
    sentiment: float = 0.0,
    brand_sentiment: Mapping[str, float] | None = None,
    likes: int | None = None,
    reposts: int | None = None,
    raw: Any = None,
    url: str | None = None,
) -> EnrichedPost:
    post_id = f"{platform}:{native}"
    post = Post(
        id=post_id,
        platform=platform,
        source=source,
        text=text,
        created_at=when or T0,
        url=url,
        title=title,
        author=Author(id=author, handle=handle if handle is not None else f"@{author}") if author else None,
        lang=lang,
        hashtags=tuple(hashtags),
        engagement=Engagement(likes=likes, reposts=reposts),
        raw=raw if raw is not None else {"id": str(native), "content": text},
    )
    enrichment = Enrichment(
        post_id=post_id,
        lang=lang,
        text=text.lower(),
        sentiment=sentiment,
        sentiment_label=label_of(sentiment),
        mentions=tuple(BrandMention(brand=b, text=b, start=0, end=len(b)) for b in brands),
        hashtags=tuple(h.lstrip("#").lower() for h in hashtags),
        topics=tuple(topics),
        brand_sentiment=dict(brand_sentiment or {}),
    )
    return EnrichedPost(post=post, enrichment=enrichment)
