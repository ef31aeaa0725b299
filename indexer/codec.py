"""How every backend sees a stored post: one JSON form, and the facts a post contributes.

`dump_post`/`load_post` are the lossless JSON form of an `EnrichedPost` (raw payload included),
used by the SQLite store's `doc` column, the Elasticsearch document and
`trendwatch export --format ndjson`. `brand_tones`, `hashtags_of`, `searchable_hashtags` and `topics_of` derive what a
post counts towards — its brands (with the per-brand tone), hashtags and topics — the same way in
every backend, so series and term counts agree between SQLite and Elasticsearch.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from trendwatch.errors import StoreError
from trendwatch.models import (
    Alert,
    Author,
    BrandMention,
    Drivers,
    Engagement,
    EnrichedPost,
    Enrichment,
    Post,
    PostRef,
    SentimentLabel,
    TermCount,
)
from trendwatch.query import hashtag_key

BRAND_NEUTRAL_BAND = 0.05
"""A brand-specific sentiment score within ±this is neutral (the VADER convention)."""

LABEL_VALUE: dict[str, int] = {"negative": -1, "neutral": 0, "positive": 1}


def _default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


_OPTS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    """JSON bytes for a dataclass, dict or list (dataclasses and datetimes natively)."""
    try:
        return orjson.dumps(value, default=_default, option=_OPTS)
    except TypeError as exc:
        raise StoreError(f"cannot store a value that is not JSON-serialisable: {exc}") from None


def post_dict(post: EnrichedPost) -> dict[str, Any]:
    """The fields of an EnrichedPost as nested dicts, exactly as orjson would serialise the
    dataclasses themselves (same keys, same order), built about twice as fast: orjson looks
    every dataclass's fields up on each call. `_check_post_dict` keeps it in step with the models."""
    p, e = post.post, post.enrichment
    a, g = p.author, p.engagement
    return {
        "post": {
            "id": p.id,
            "platform": p.platform,
            "source": p.source,
            "text": p.text,
            "created_at": p.created_at,
            "url": p.url,
            "title": p.title,
            "author": None
            if a is None
            else {"id": a.id, "handle": a.handle, "name": a.name, "followers": a.followers, "url": a.url},
            "lang": p.lang,
            "hashtags": p.hashtags,
            "mentions": p.mentions,
            "links": p.links,
            "engagement": {"likes": g.likes, "reposts": g.reposts, "replies": g.replies, "views": g.views},
            "edited_at": p.edited_at,
            "reply_to": p.reply_to,
            "raw": p.raw,
        },
        "enrichment": {
            "post_id": e.post_id,
            "lang": e.lang,
            "text": e.text,
            "sentiment": e.sentiment,
            "sentiment_label": e.sentiment_label,
            "mentions": [{"brand": m.brand, "text": m.text, "start": m.start, "end": m.end} for m in e.mentions],
            "hashtags": e.hashtags,
            "topics": e.topics,
            "brand_sentiment": e.brand_sentiment,
        },
    }


def _check_post_dict() -> None:
    """Fail at import, not silently at storage, when a model gains a field `post_dict` lacks."""
    author, mention = Author(id="a"), BrandMention("b", "b", 0, 1)
    sample = EnrichedPost(
        Post(id="x:1", platform="x", source="x", text="t", created_at=datetime(2026, 1, 1, tzinfo=UTC), author=author),
        Enrichment(post_id="x:1", lang="en", text="t", sentiment=0.0, sentiment_label="neutral", mentions=(mention,)),
    )
    built = post_dict(sample)
    for name, value, fields in (
        ("EnrichedPost", built, EnrichedPost.__dataclass_fields__),
        ("Post", built["post"], Post.__dataclass_fields__),
        ("Author", built["post"]["author"], Author.__dataclass_fields__),
        ("Engagement", built["post"]["engagement"], Engagement.__dataclass_fields__),
        ("Enrichment", built["enrichment"], Enrichment.__dataclass_fields__),
        ("BrandMention", built["enrichment"]["mentions"][0], BrandMention.__dataclass_fields__),
    ):
        if list(value) != list(fields):
            raise RuntimeError(f"indexer.codec.post_dict is out of step with {name}'s fields: {list(fields)}")


_check_post_dict()


def dump_post(post: EnrichedPost) -> bytes:
    try:
        return orjson.dumps(post_dict(post), default=_default, option=_OPTS)
    except TypeError as exc:
        raise StoreError(f"post {post.id}: its raw payload is not JSON-serialisable ({exc})") from None


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def post_from_dict(data: Mapping[str, Any]) -> EnrichedPost:
    p, e = data["post"], data["enrichment"]
    author = p.get("author")
    post = Post(
        id=p["id"],
        platform=p["platform"],
        source=p["source"],
        text=p["text"],
        created_at=datetime.fromisoformat(p["created_at"]),
        url=p.get("url"),
        title=p.get("title"),
        author=Author(**author) if author else None,
        lang=p.get("lang"),
        hashtags=tuple(p.get("hashtags") or ()),
        mentions=tuple(p.get("mentions") or ()),
        links=tuple(p.get("links") or ()),
        engagement=Engagement(**(p.get("engagement") or {})),
        edited_at=_time(p.get("edited_at")),
        reply_to=p.get("reply_to"),
        raw=p.get("raw"),
    )
    enrichment = Enrichment(
        post_id=e["post_id"],
        lang=e["lang"],
        text=e["text"],
        sentiment=e["sentiment"],
        sentiment_label=e["sentiment_label"],
        mentions=tuple(BrandMention(**m) for m in e.get("mentions") or ()),
        hashtags=tuple(e.get("hashtags") or ()),
        topics=tuple(e.get("topics") or ()),
        brand_sentiment=dict(e.get("brand_sentiment") or {}),
    )
    return EnrichedPost(post=post, enrichment=enrichment)


def load_post(blob: bytes | str) -> EnrichedPost:
    return post_from_dict(orjson.loads(blob))


# --------------------------------------------------------------------------- facts


BrandTone = tuple[str, float, SentimentLabel]
"""(brand, score, label): the sentiment a post counts with towards one brand."""


def brand_label(score: float) -> SentimentLabel:
    if score <= -BRAND_NEUTRAL_BAND:
        return "negative"
    if score >= BRAND_NEUTRAL_BAND:
        return "positive"
    return "neutral"


def brand_tones(enrichment: Enrichment) -> list[BrandTone]:
    """Each mentioned brand, once, with its tone: the brand-specific score when the NLP stage
    gave one (labelled by `brand_label`), otherwise the post's own score and label."""
    specific = enrichment.brand_sentiment
    out: list[BrandTone] = []
    for brand in dict.fromkeys(m.brand for m in enrichment.mentions):
        score = specific.get(brand) if specific else None
        if score is None:
            out.append((brand, enrichment.sentiment, enrichment.sentiment_label))
        else:
            out.append((brand, float(score), brand_label(float(score))))
    return out


def hashtags_of(post: EnrichedPost) -> tuple[str, ...]:
    """The hashtags a post is *counted* under: the NLP stage's, each once. They already include
    the hashtags the platform declared, with variants merged (a brand's hashtags in any script
    count as the brand's one tag), so counting the platform's raw ones too would list a tag twice."""
    keys = (hashtag_key(t) for t in post.enrichment.hashtags)
    return tuple(dict.fromkeys(k for k in keys if k))


def searchable_hashtags(post: EnrichedPost) -> tuple[str, ...]:
    """The hashtags a post is *found* by: the counted ones plus the platform's as written, so
    `#کاوه_مارت` finds a post whose counted tag is its brand's."""
    keys = (hashtag_key(t) for t in (*post.enrichment.hashtags, *post.post.hashtags))
    return tuple(dict.fromkeys(k for k in keys if k))


def topics_of(post: EnrichedPost) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.strip() for t in post.enrichment.topics if t.strip()))


def jlh(subset_freq: int, subset_size: int, superset_freq: int, superset_size: int) -> float:
    """The JLH significance score, exactly as Elasticsearch's significant_terms computes it: the
    absolute times the relative change of a term's share from background to foreground."""
    if subset_size == 0 or superset_size == 0:
        return 0.0
    superset_freq = superset_freq or 1  # a term absent from the background counts once
    foreground = subset_freq / subset_size
    background = superset_freq / superset_size
    if foreground <= background:
        return 0.0
    return (foreground - background) * (foreground / background)


def engagement_total(post: Post) -> int:
    """Likes + reposts + replies: how example posts are ranked in explanations."""
    e = post.engagement
    return (e.likes or 0) + (e.reposts or 0) + (e.replies or 0)


def post_ref(post: EnrichedPost) -> PostRef:
    p = post.post
    author = p.author.handle or p.author.name or p.author.id if p.author else None
    return PostRef(
        id=p.id, text=p.text, url=p.url, author=author, created_at=p.created_at, sentiment=post.enrichment.sentiment
    )


# --------------------------------------------------------------------------- alerts


def alert_from_dict(data: Mapping[str, Any]) -> Alert:
    drivers = data.get("drivers")
    return Alert(
        rule=data["rule"],
        kind=data["kind"],
        subject=data["subject"],
        metric=data["metric"],
        status=data["status"],
        severity=data["severity"],
        direction=data["direction"],
        started_at=datetime.fromisoformat(data["started_at"]),
        at=datetime.fromisoformat(data["at"]),
        expected=data["expected"],
        observed=data["observed"],
        score=data["score"],
        z=data["z"],
        platform=data.get("platform"),
        lang=data.get("lang"),
        related=tuple(data.get("related") or ()),
        drivers=drivers_from_dict(drivers) if drivers else None,
    )


def drivers_from_dict(data: Mapping[str, Any]) -> Drivers:
    def terms(key: str) -> tuple[TermCount, ...]:
        return tuple(TermCount(**t) for t in data.get(key) or ())

    return Drivers(
        hashtags=terms("hashtags"),
        terms=terms("terms"),
        authors=terms("authors"),
        posts=tuple(
            PostRef(**{**p, "created_at": datetime.fromisoformat(p["created_at"])}) for p in data.get("posts") or ()
        ),
        negative=data.get("negative", 0),
        neutral=data.get("neutral", 0),
        positive=data.get("positive", 0),
    )
