"""The Elasticsearch documents the dashboards read: indices, time fields and field types.

This mirrors the contract in docs/ARCHITECTURE.md ("Elasticsearch documents"), which
`indexer/elastic.py` writes. Panels may only name fields listed here; a test walks every
panel of every dashboard and fails on a field that is not in the contract, so a renamed field
is caught here instead of showing up as an empty panel in production.
"""

from __future__ import annotations

from typing import Final, Literal

FieldType = Literal["keyword", "text", "date", "float", "long", "nested", "boolean"]

POSTS_INDEX: Final = "trendwatch-posts"
ALERTS_INDEX: Final = "trendwatch-alerts"
POSTS_TIME_FIELD: Final = "created_at"
ALERTS_TIME_FIELD: Final = "at"

#: Fields of a post document (`trendwatch-posts`), by type.
POST_FIELDS: Final[dict[str, FieldType]] = {
    "id": "keyword",
    "platform": "keyword",
    "source": "keyword",
    "created_at": "date",
    "url": "keyword",
    "title": "text",
    "text": "text",
    "text.fa": "text",
    "text.en": "text",
    "lang": "keyword",
    "declared_lang": "keyword",
    "author.id": "keyword",
    "author.handle": "keyword",
    "author.name": "text",
    "author.name.keyword": "keyword",
    "author.followers": "long",
    "hashtags": "keyword",
    "mentions": "keyword",
    "topics": "keyword",
    "brands": "keyword",
    "sentiment": "float",
    "sentiment_label": "keyword",
    "brand_sentiment": "nested",
    "brand_sentiment.brand": "keyword",
    "brand_sentiment.score": "float",
    "engagement.likes": "long",
    "engagement.reposts": "long",
    "engagement.replies": "long",
    "engagement.views": "long",
}

#: Fields of an alert lifecycle event (`trendwatch-alerts`): the fields of `trendwatch.models.Alert`.
ALERT_FIELDS: Final[dict[str, FieldType]] = {
    "rule": "keyword",
    "kind": "keyword",
    "subject": "keyword",
    "metric": "keyword",
    "status": "keyword",
    "severity": "keyword",
    "direction": "keyword",
    "started_at": "date",
    "at": "date",
    "expected": "float",
    "observed": "float",
    "score": "float",
    "z": "float",
    "platform": "keyword",
    "lang": "keyword",
    "related": "keyword",
}

#: Engagement fields summed into one "engagement" figure (absent counts count as 0).
ENGAGEMENT_FIELDS: Final = ("engagement.likes", "engagement.reposts", "engagement.replies")


def fields_of(index: str) -> dict[str, FieldType]:
    """The field table of one of the two indices."""
    if index == POSTS_INDEX:
        return POST_FIELDS
    if index == ALERTS_INDEX:
        return ALERT_FIELDS
    raise KeyError(f"no field contract for index {index!r}")
