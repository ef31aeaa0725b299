"""The Elasticsearch store's browsing queries (`Store.facets`, `Store.posts`): requests and
the reading of their answers, kept beside the store's other requests and responses.

The filtered posts are a bool filter: the window, platform and language, `brands` for a brand,
and the tone — `sentiment_label`, or for a brand the nested `brand_sentiment` entry of that brand
with that label (the brand-specific tone, as SQLite's `brand_facts` keeps it). A facet is a terms
aggregation on the field with distinct authors (cardinality of `author.id`), summed
`engagement.total` and the tone: the post's (`sentiment`, `sentiment_label`), the filter brand's
(a nested filter), or, for brand facets, each bucket's own brand's (a nested terms aggregation
whose bucket with the outer key is read, as `series` does).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from indexer.elastic_requests import MAX_SUBJECTS, PRECISION, Request, _exact, _filtered, _narrow, _window
from indexer.elastic_responses import _labels, check_search
from indexer.elastic_schema import Names
from indexer.store import Facet, FacetField, FacetOrder, PostFilter, PostOrder

FIELD = {
    "brand": "brands",
    "platform": "platform",
    "lang": "lang",
    "author": "author.id",
    "hashtag": "hashtags",
    "topic": "topics",
}
ORDER: dict[str, list[dict[str, str]]] = {
    "count": [{"_count": "desc"}, {"_key": "asc"}],
    "authors": [{"authors": "desc"}, {"_count": "desc"}, {"_key": "asc"}],
    "engagement": [{"engagement": "desc"}, {"_count": "desc"}, {"_key": "asc"}],
}


def _filters(since: datetime, until: datetime, where: PostFilter) -> list[dict[str, Any]]:
    clauses = _window(since, until) + _narrow(where.platform, where.lang)
    if where.brand is not None:
        clauses.append(_exact("brands", where.brand))
    if where.tone is not None:
        if where.brand is None:
            clauses.append(_exact("sentiment_label", where.tone))
        else:
            about = [_exact("brand_sentiment.brand", where.brand), _exact("brand_sentiment.label", where.tone)]
            clauses.append({"nested": {"path": "brand_sentiment", "query": {"bool": {"filter": about}}}})
    return clauses


def _tone(field: FacetField, where: PostFilter) -> dict[str, Any]:
    sums = {
        "score": {"sum": {"field": "brand_sentiment.score"}},
        "labels": {"terms": {"field": "brand_sentiment.label", "size": 3}},
    }
    if field == "brand":
        brands = {"terms": {"field": "brand_sentiment.brand", "size": MAX_SUBJECTS}, "aggs": sums}
        return {"tone": {"nested": {"path": "brand_sentiment"}, "aggs": {"brand": brands}}}
    if where.brand is not None:
        this = {"filter": _exact("brand_sentiment.brand", where.brand), "aggs": sums}
        return {"tone": {"nested": {"path": "brand_sentiment"}, "aggs": {"this": this}}}
    return {"score": {"sum": {"field": "sentiment"}}, "labels": {"terms": {"field": "sentiment_label", "size": 3}}}


def facets_request(
    names: Names, field: FacetField, since: datetime, until: datetime, where: PostFilter, order: FacetOrder, limit: int
) -> Request:
    aggs: dict[str, Any] = {
        "authors": {"cardinality": {"field": "author.id", "precision_threshold": PRECISION}},
        "engagement": {"sum": {"field": "engagement.total"}},
        **_tone(field, where),
    }
    if field == "author":
        aggs["handle"] = {"terms": {"field": "author.handle", "size": 1}}
    terms = {"field": FIELD[field], "size": limit, "shard_size": max(limit * 5, 100), "order": ORDER[order]}
    body = {
        "size": 0,
        "track_total_hits": False,
        "query": _filtered(_filters(since, until, where)),
        "aggs": {"facets": {"terms": terms, "aggs": aggs}},
    }
    return Request("POST", f"/{names.posts}/_search", body)


def read_facets(body: Mapping[str, Any], field: FacetField, where: PostFilter) -> list[Facet]:
    check_search(body, "facets query")
    out = []
    for bucket in body.get("aggregations", {}).get("facets", {}).get("buckets", ()):
        key = str(bucket["key"])
        inner: Mapping[str, Any]
        if field == "brand":
            inner = next((b for b in bucket["tone"]["brand"]["buckets"] if b["key"] == key), {})
        elif where.brand is not None:
            inner = bucket["tone"]["this"]
        else:
            inner = bucket
        negative, _, positive = _labels(inner.get("labels"))
        handles = bucket.get("handle", {}).get("buckets", ())
        out.append(
            Facet(
                value=key,
                count=int(bucket["doc_count"]),
                authors=int(bucket["authors"]["value"]),
                engagement=int(bucket["engagement"]["value"] or 0),
                sentiment_sum=float((inner.get("score") or {}).get("value") or 0.0),
                negative=negative,
                positive=positive,
                label=str(handles[0]["key"]) if handles else None,
            )
        )
    return out


def posts_request(
    names: Names, since: datetime, until: datetime, where: PostFilter, order: PostOrder, limit: int, offset: int
) -> Request:
    newest = [{"created_at": {"order": "desc"}}, {"id": {"order": "desc"}}]
    sort = [{"engagement.total": {"order": "desc", "missing": "_last"}}, *newest] if order == "engagement" else newest
    body = {
        "size": limit,
        "from": offset,
        "track_total_hits": False,
        "query": _filtered(_filters(since, until, where)),
        "sort": sort,
    }
    return Request("POST", f"/{names.posts}/_search", body)
