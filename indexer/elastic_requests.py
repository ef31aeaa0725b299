"""Every request the Elasticsearch store sends, built by pure functions.

Each function returns a `Request` (method, path, query parameters, JSON body) and the store
sends exactly that through the client's `perform_request`. Keeping them pure is what lets the
contract tests validate every body against Elastic's OpenAPI specification without a server.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from indexer import elastic_schema as schema
from indexer.elastic_query import compile_query
from indexer.elastic_schema import Names
from trendwatch.models import Alert, SeriesQuery
from trendwatch.query import Query, hashtag_key

PRECISION = 40000
"""Cardinality precision threshold (the maximum): distinct counts are exact below about this
many authors per bucket, and a close HyperLogLog++ estimate above it."""
MAX_SUBJECTS = 1000
_TERM_FIELD = {"brand": "brands", "hashtag": "hashtags", "topic": "topics"}


@dataclass(frozen=True, slots=True)
class Location:
    """Where a post is stored: its backing index and the version found there."""

    index: str
    seq_no: int
    primary_term: int


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)
    ndjson: bool = False


def _id(value: str) -> str:
    return quote(value, safe="")


def iso(value: datetime) -> str:
    return value.isoformat()


def subject_value(kind: str, subject: str) -> str:
    return hashtag_key(subject) if kind == "hashtag" else subject.strip() if kind == "topic" else subject


# --------------------------------------------------------------------------- set-up


def put_template(names: Names, retention: str | None, shards: int | None, replicas: int | None) -> Request:
    return Request(
        "PUT", f"/_index_template/{names.template}", schema.posts_template(names, retention, shards, replicas)
    )


def create_data_stream(names: Names) -> Request:
    return Request("PUT", f"/_data_stream/{names.posts}")


def put_lifecycle(names: Names, retention: str | None) -> Request:
    return Request("PUT", f"/_data_stream/{names.posts}/_lifecycle", schema.lifecycle(retention))


def create_index(name: str, body: dict[str, Any]) -> Request:
    return Request("PUT", f"/{name}", body)


def refresh(names: Names) -> Request:
    return Request("POST", f"/{names.posts},{names.alerts},{names.state}/_refresh")


def drop(names: Names) -> list[Request]:
    """Everything the store created (tests and `trendwatch` maintenance only)."""
    return [
        Request("DELETE", f"/_data_stream/{names.posts}"),
        Request("DELETE", f"/_index_template/{names.template}"),
        Request("DELETE", f"/{names.alerts}"),
        Request("DELETE", f"/{names.state}"),
    ]


# --------------------------------------------------------------------------- posts


def _window(since: datetime | None, until: datetime | None) -> list[dict[str, Any]]:
    if since is None and until is None:
        return []
    bounds: dict[str, Any] = {}
    if since is not None:
        bounds["gte"] = iso(since)
    if until is not None:
        bounds["lt"] = iso(until)
    return [{"range": {"created_at": bounds}}]


def _exact(field_name: str, value: str) -> dict[str, Any]:
    return {"term": {field_name: {"value": value}}}


def _narrow(platform: str | None, lang: str | None) -> list[dict[str, Any]]:
    out = []
    if platform is not None:
        out.append(_exact("platform", platform))
    if lang is not None:
        out.append(_exact("lang", lang))
    return out


def _filtered(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def locate(names: Names, ids: Sequence[str]) -> Request:
    """Which backing index holds each of these posts, and the sequence number and primary term
    of its current version: a re-ingest must update it in place, and a data stream accepts an
    `index` into a backing index only with `if_seq_no` and `if_primary_term`. A search sees the
    posts as of the last refresh (see `refresh_posts`)."""
    body = {
        "query": {"ids": {"values": list(ids)}},
        "size": len(ids),
        "_source": False,
        "seq_no_primary_term": True,
        "track_total_hits": False,
    }
    return Request("POST", f"/{names.posts}/_search", body)


def refresh_posts(names: Names) -> Request:
    """Make every write to the posts' backing indices visible to searches (e.g. `locate`)."""
    return Request("POST", f"/{names.posts}/_refresh")


def get_posts(names: Names, ids: Sequence[str]) -> Request:
    body = {"query": {"ids": {"values": list(ids)}}, "size": len(ids), "track_total_hits": False}
    return Request("POST", f"/{names.posts}/_search", body)


def bulk(lines: list[dict[str, Any]], refresh_mode: str | None) -> Request:
    params = {"refresh": refresh_mode} if refresh_mode else {}
    return Request("POST", "/_bulk", lines, params=params, ndjson=True)


def create_line(names: Names, post_id: str) -> dict[str, Any]:
    return {"create": {"_index": names.posts, "_id": post_id}}


def index_line(where: Location, post_id: str) -> dict[str, Any]:
    """Replace a post where it is, provided it is still the version `locate` found (a data stream
    refuses an unconditional `index` into a backing index; a changed version answers 409)."""
    return {
        "index": {
            "_index": where.index,
            "_id": post_id,
            "if_seq_no": where.seq_no,
            "if_primary_term": where.primary_term,
        }
    }


def count(names: Names, since: datetime | None, until: datetime | None) -> Request:
    return Request("POST", f"/{names.posts}/_count", {"query": _filtered(_window(since, until))})


def series(names: Names, query: SeriesQuery, since: datetime, until: datetime, subject: str | None) -> Request:
    """Buckets per subject: counts, distinct authors, tone. Brands take their per-brand tone from
    the nested `brand_sentiment` (the inner terms bucket whose key is the brand); hashtags and
    topics count with the post's tone. Without a subject, brands come alphabetically and terms
    are the `limit` with most distinct authors in the window."""
    term_field = _TERM_FIELD[query.kind]
    filters = _window(since, until) + _narrow(query.platform, query.lang)
    if subject is not None:
        filters.append(_exact(term_field, subject_value(query.kind, subject)))
    authors = {"cardinality": {"field": "author.id", "precision_threshold": PRECISION}}
    if query.kind == "brand":
        tone: dict[str, Any] = {
            "tone": {
                "nested": {"path": "brand_sentiment"},
                "aggs": {
                    "brand": {
                        "terms": {"field": "brand_sentiment.brand", "size": MAX_SUBJECTS},
                        "aggs": {
                            "score": {"sum": {"field": "brand_sentiment.score"}},
                            "labels": {"terms": {"field": "brand_sentiment.label", "size": 3}},
                        },
                    }
                },
            }
        }
    else:
        tone = {
            "score": {"sum": {"field": "sentiment"}},
            "labels": {"terms": {"field": "sentiment_label", "size": 3}},
        }
    histogram = {
        "date_histogram": {
            "field": "created_at",
            "fixed_interval": f"{int(query.step.total_seconds())}s",
            "min_doc_count": 1,
        },
        "aggs": {"authors": authors, **tone},
    }
    terms: dict[str, Any] = {"field": term_field}
    if subject is not None:
        terms.update(size=1, include=[subject_value(query.kind, subject)])
    elif query.kind == "brand":
        terms.update(size=MAX_SUBJECTS, order=[{"_key": "asc"}])
    else:
        terms.update(size=query.limit, order=_BY_AUTHORS)
    aggs = {"subjects": {"terms": terms, "aggs": {"authors": authors, "buckets": histogram}}}
    body = {"size": 0, "track_total_hits": False, "query": _filtered(filters), "aggs": aggs}
    return Request("POST", f"/{names.posts}/_search", body)


_BY_AUTHORS = [{"authors": "desc"}, {"_count": "desc"}, {"_key": "asc"}]


def _term_stats(field_name: str, size: int, exclude: str | None = None) -> dict[str, Any]:
    terms: dict[str, Any] = {"field": field_name, "size": size, "shard_size": max(size * 5, 100), "order": _BY_AUTHORS}
    if exclude is not None:
        terms["exclude"] = [exclude]
    return {
        "terms": terms,
        "aggs": {"authors": {"cardinality": {"field": "author.id", "precision_threshold": PRECISION}}},
    }


def top_terms(
    names: Names, kind: str, since: datetime, until: datetime, brand: str | None, lang: str | None, limit: int
) -> Request:
    filters = _window(since, until) + _narrow(None, lang)
    if brand is not None:
        filters.append(_exact("brands", brand))
    body = {
        "size": 0,
        "track_total_hits": False,
        "query": _filtered(filters),
        "aggs": {"top": _term_stats(_TERM_FIELD[kind], limit)},
    }
    return Request("POST", f"/{names.posts}/_search", body)


def emerging_terms(
    names: Names,
    kind: str,
    since: datetime,
    until: datetime,
    baseline: tuple[datetime, datetime],
    brand: str | None,
    lang: str | None,
    limit: int,
    min_count: int,
) -> Request:
    """Significant terms of the window against the baseline window (JLH score)."""
    narrow = _narrow(None, lang) + ([_exact("brands", brand)] if brand is not None else [])
    body = {
        "size": 0,
        "track_total_hits": False,
        "query": _filtered(_window(since, until) + narrow),
        "aggs": {
            "emerging": {
                "significant_terms": {
                    "field": _TERM_FIELD[kind],
                    "size": limit,
                    "min_doc_count": min_count,
                    "background_filter": _filtered(_window(*baseline) + narrow),
                    "jlh": {},
                },
                "aggs": {"authors": {"cardinality": {"field": "author.id", "precision_threshold": PRECISION}}},
            }
        },
    }
    return Request("POST", f"/{names.posts}/_search", body)


def drivers(names: Names, query: SeriesQuery, subject: str, since: datetime, until: datetime, limit: int) -> Request:
    value = subject_value(query.kind, subject)
    filters = [*_window(since, until), *_narrow(query.platform, query.lang), _exact(_TERM_FIELD[query.kind], value)]
    if query.kind == "brand":
        tone: dict[str, Any] = {
            "nested": {"path": "brand_sentiment"},
            "aggs": {
                "this": {
                    "filter": _exact("brand_sentiment.brand", value),
                    "aggs": {"labels": {"terms": {"field": "brand_sentiment.label", "size": 3}}},
                }
            },
        }
    else:
        tone = {"terms": {"field": "sentiment_label", "size": 3}}
    body = {
        "size": limit,
        "track_total_hits": False,
        "query": _filtered(filters),
        "sort": [
            {"engagement.total": {"order": "desc"}},
            {"created_at": {"order": "desc"}},
            {"id": {"order": "asc"}},
        ],
        "_source": {"includes": ["id", "text", "url", "author", "created_at", "sentiment"]},
        "aggs": {
            "hashtags": _term_stats("hashtags", limit, exclude=value if query.kind == "hashtag" else None),
            "topics": _term_stats("topics", limit, exclude=value if query.kind == "topic" else None),
            "authors": {
                "terms": {"field": "author.id", "size": limit, "order": [{"_count": "desc"}, {"_key": "asc"}]},
                "aggs": {"handle": {"terms": {"field": "author.handle", "size": 1}}},
            },
            "tone": tone,
        },
    }
    return Request("POST", f"/{names.posts}/_search", body)


def search(names: Names, query: Query, since: datetime | None, until: datetime | None, limit: int) -> Request:
    body = {
        "size": limit,
        "track_total_hits": False,
        "query": {"bool": {"filter": [compile_query(query), *_window(since, until)]}},
        "sort": [{"created_at": {"order": "desc"}}, {"id": {"order": "desc"}}],
    }
    return Request("POST", f"/{names.posts}/_search", body)


def delete_posts_before(names: Names, cutoff: datetime) -> Request:
    body = {"query": {"range": {"created_at": {"lt": iso(cutoff)}}}}
    return Request("POST", f"/{names.posts}/_delete_by_query", body, params={"conflicts": "proceed"})


def scan_posts(names: Names, since: datetime | None, after: list[Any] | None, size: int) -> Request:
    """One page of every post in (created_at, id) order, for export and reindex."""
    body: dict[str, Any] = {
        "size": size,
        "track_total_hits": False,
        "query": _filtered(_window(since, None)),
        "sort": [{"created_at": {"order": "asc"}}, {"id": {"order": "asc"}}],
    }
    if after is not None:
        body["search_after"] = after
    return Request("POST", f"/{names.posts}/_search", body)


# --------------------------------------------------------------------------- state and alerts


def get_state(names: Names, key: str) -> Request:
    return Request("GET", f"/{names.state}/_doc/{_id(key)}")


def put_state(names: Names, key: str, value: Any, now: datetime) -> Request:
    body = {"key": key, "value": {"json": value}, "updated_at": iso(now)}
    return Request("PUT", f"/{names.state}/_doc/{_id(key)}", body, params={"refresh": "true"})


def delete_state(names: Names, key: str) -> Request:
    return Request("DELETE", f"/{names.state}/_doc/{_id(key)}", params={"refresh": "true"})


def states(names: Names, prefix: str, size: int = 10000) -> Request:
    body = {
        "query": {"prefix": {"key": {"value": prefix}}},
        "size": size,
        "sort": [{"key": {"order": "asc"}}],
        "track_total_hits": False,
    }
    return Request("POST", f"/{names.state}/_search", body)


def record_alert(names: Names, alert: Alert, record: dict[str, Any], seq: int) -> Request:
    doc = {
        "key": alert.key,
        "rule": alert.rule,
        "kind": alert.kind,
        "subject": alert.subject,
        "metric": alert.metric,
        "status": alert.status,
        "severity": alert.severity,
        "direction": alert.direction,
        "started_at": iso(alert.started_at),
        "at": iso(alert.at),
        "expected": alert.expected,
        "observed": alert.observed,
        "score": alert.score,
        "z": alert.z,
        "platform": alert.platform,
        "lang": alert.lang,
        "related": list(alert.related),
        "seq": seq,
        "record": record,
    }
    body = {k: v for k, v in doc.items() if v is not None}
    return Request("PUT", f"/{names.alerts}/_create/{alert_id(alert)}", body, {"refresh": "true"})


def alert_id(alert: Alert) -> str:
    """The document id of an alert event: the same (alert key, status, time) always gets the
    same id, so recording it again is refused by `_create` (a conflict the store ignores)
    instead of adding a second history entry."""
    event = "\x1f".join((alert.key, alert.status, iso(alert.at)))
    return hashlib.sha256(event.encode()).hexdigest()[:40]


def alerts(names: Names, since: datetime | None, status: str | None, limit: int) -> Request:
    filters: list[dict[str, Any]] = []
    if since is not None:
        filters.append({"range": {"at": {"gte": iso(since)}}})
    if status is not None:
        filters.append(_exact("status", status))
    body = {
        "size": limit,
        "track_total_hits": False,
        "query": _filtered(filters),
        "sort": [{"at": {"order": "desc"}}, {"seq": {"order": "desc"}}],
    }
    return Request("POST", f"/{names.alerts}/_search", body)


def delete_alerts_before(names: Names, cutoff: datetime) -> Request:
    body = {"query": {"range": {"at": {"lt": iso(cutoff)}}}}
    return Request("POST", f"/{names.alerts}/_delete_by_query", body, params={"conflicts": "proceed"})


def retention_text(value: timedelta | None) -> str | None:
    """A retention as Elasticsearch writes durations: whole days, or seconds."""
    if value is None:
        return None
    seconds = int(value.total_seconds())
    return f"{seconds // 86400}d" if seconds % 86400 == 0 else f"{seconds}s"
