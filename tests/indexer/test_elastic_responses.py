"""Reading Elasticsearch responses, on bodies shaped as Elastic's OpenAPI specification says
(each canned body is validated against the operation's response schema first)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from indexer import elastic_responses as res
from indexer.elastic_requests import Location
from indexer.elastic_schema import to_document
from tests.indexer import es_contract
from tests.indexer.factory import T0, at, make
from trendwatch.errors import StoreError
from trendwatch.models import Bucket, PostRef, SeriesQuery, TermCount

HOUR = timedelta(hours=1)
MS = 1795132800000  # T0 in epoch milliseconds


def shaped(operation: str, body: dict[str, Any]) -> dict[str, Any]:
    es_contract.validate_response(operation, body)
    return body


def search(
    aggregations: dict[str, Any] | None = None, hits: list[dict[str, Any]] | None = None, **top: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "took": 2,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"hits": hits or []},
    }
    if aggregations is not None:
        body["aggregations"] = aggregations
    body.update(top)
    return shaped("search-3", body)


def terms(buckets: list[dict[str, Any]]) -> dict[str, Any]:
    return {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": buckets}


def test_t0_constant_is_right() -> None:
    assert T0.timestamp() * 1000 == MS


# --------------------------------------------------------------------------- bulk


def test_bulk_items_are_sorted_by_what_to_do_next() -> None:
    def item(
        op: str, status: int, post: str, error: tuple[str, str] | None = None, result: str = "created"
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"_index": ".ds-tw-posts-000001", "_id": post, "status": status}
        if error:
            body["error"] = {"type": error[0], "reason": error[1]}
        else:
            body.update(
                result=result,
                _version=1,
                _seq_no=0,
                _primary_term=1,
                _shards={"total": 2, "successful": 1, "failed": 0},
            )
        return {op: body}

    body = shaped(
        "bulk",
        {
            "took": 12,
            "errors": True,
            "items": [
                item("create", 201, "x:1"),
                item("index", 200, "x:2", result="updated"),
                item("create", 409, "x:3", ("version_conflict_engine_exception", "document already exists")),
                item(
                    "create",
                    429,
                    "x:4",
                    ("es_rejected_execution_exception", "rejected execution of coordinating operation"),
                ),
                item("index", 503, "x:5", ("unavailable_shards_exception", "primary shard is not active")),
                item("create", 400, "x:6", ("document_parsing_exception", "failed to parse field [sentiment]")),
                item(
                    "index",
                    409,
                    "x:7",
                    (
                        "version_conflict_engine_exception",
                        "[x:7]: version conflict, required seqNo [3], primary term [1]. current document has seqNo "
                        "[5] and primary term [1]",
                    ),
                ),
            ],
        },
    )
    outcome = res.read_bulk(body)
    assert (outcome.created, outcome.updated) == (1, 1)
    assert [f.post_id for f in outcome.conflicts] == ["x:3", "x:7"]  # exists already / changed since looked up
    assert outcome.conflicts[0].index == ".ds-tw-posts-000001"
    assert [f.post_id for f in outcome.retry] == ["x:4", "x:5"]
    assert [(f.post_id, f.kind) for f in outcome.rejected] == [("x:6", "document_parsing_exception")]
    assert outcome.rejected[0].reason == "failed to parse field [sentiment]"


def test_located_posts_carry_their_backing_index_and_version() -> None:
    hits = [
        {"_index": ".ds-tw-posts-2026.11.20-000001", "_id": "x:1", "_seq_no": 7, "_primary_term": 2},
        {"_index": ".ds-tw-posts-2026.11.27-000002", "_id": "x:2", "_seq_no": 0, "_primary_term": 1},
        {"_index": ".ds-tw-posts-2026.11.20-000001", "_id": "x:2", "_seq_no": 3, "_primary_term": 1},
    ]
    where = res.located(search(hits=hits))
    assert where["x:1"] == Location(".ds-tw-posts-2026.11.20-000001", 7, 2)
    assert where["x:2"] == Location(".ds-tw-posts-2026.11.27-000002", 0, 1)  # copies: the newest is updated


# --------------------------------------------------------------------------- partial answers


def test_shard_failures_and_timeouts_are_errors_not_partial_counts() -> None:
    failed = search(
        _shards={
            "total": 5,
            "successful": 3,
            "skipped": 0,
            "failed": 2,
            "failures": [
                {
                    "shard": 0,
                    "index": "i",
                    "node": "n",
                    "reason": {"type": "circuit_breaking_exception", "reason": "too much data"},
                },
                {
                    "shard": 1,
                    "index": "i",
                    "node": "n",
                    "reason": {"type": "circuit_breaking_exception", "reason": "too much data"},
                },
            ],
        }
    )
    with pytest.raises(StoreError, match="failed on 2 of 5 shards: circuit_breaking_exception: too much data"):
        res.top_terms(failed)
    with pytest.raises(StoreError, match="timed out"):
        res.posts(search(timed_out=True))
    count = shaped("count-2", {"count": 3, "_shards": {"total": 2, "successful": 1, "skipped": 0, "failed": 1}})
    with pytest.raises(StoreError, match="count failed on 1 of 2 shards"):
        res.count(count)
    assert (
        res.count(shaped("count-2", {"count": 3, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}}))
        == 3
    )


def test_delete_by_query_failures_are_errors() -> None:
    ok = shaped("delete-by-query", {"took": 5, "timed_out": False, "deleted": 7, "failures": []})
    assert res.delete_count(ok) == 7
    with pytest.raises(StoreError, match="timed out"):
        res.delete_count(shaped("delete-by-query", {"took": 5, "timed_out": True, "deleted": 1, "failures": []}))


# --------------------------------------------------------------------------- series and terms


def _hist(key_ms: int, count: int, authors: int, **inner: Any) -> dict[str, Any]:
    return {"key_as_string": "x", "key": key_ms, "doc_count": count, "authors": {"value": authors}, **inner}


def test_brand_series_take_each_brands_own_tone() -> None:
    def tone(*brands: tuple[str, int, float, dict[str, int]]) -> dict[str, Any]:
        return {
            "doc_count": sum(b[1] for b in brands),
            "brand": terms(
                [
                    {"key": name, "doc_count": n, "score": {"value": score},
                     "labels": terms([{"key": k, "doc_count": v} for k, v in labels.items()])}
                    for name, n, score, labels in brands
                ]
            ),
        }  # fmt: skip

    body = search(
        aggregations={
            "subjects": terms(
                [
                    {"key": "Digikala", "doc_count": 3, "authors": {"value": 2}, "buckets": {"buckets": [
                        _hist(MS, 2, 2, tone=tone(("Digikala", 2, 0.5, {"positive": 1, "negative": 1}),
                                                  ("Torob", 1, -0.9, {"negative": 1}))),
                        _hist(MS + 3600_000, 1, 1, tone=tone(("Digikala", 1, -0.25, {"negative": 1}))),
                    ]}},
                    {"key": "Torob", "doc_count": 1, "authors": {"value": 1}, "buckets": {"buckets": [
                        _hist(MS, 1, 1, tone=tone(("Digikala", 2, 0.5, {"positive": 2}),
                                                  ("Torob", 1, -0.9, {"negative": 1}))),
                    ]}},
                ]
            )
        }
    )  # fmt: skip
    query = SeriesQuery("brand", HOUR)
    series = {s.subject: s for s in res.series(body, query, at(30), at(hours=3), None)}
    assert series["Digikala"].start == T0
    assert series["Digikala"].buckets == (
        Bucket(start=T0, count=2, authors=2, sentiment_sum=0.5, negative=1, positive=1),
        Bucket(start=at(60), count=1, authors=1, sentiment_sum=-0.25, negative=1, positive=0),
    )
    assert series["Torob"].buckets == (
        Bucket(start=T0, count=1, authors=1, sentiment_sum=-0.9, negative=1, positive=0),
    )


def test_a_subject_without_posts_is_an_empty_series() -> None:
    body = search(aggregations={"subjects": terms([])})
    (series,) = res.series(body, SeriesQuery("hashtag", HOUR), T0, at(hours=2), "#Quiet")
    assert series.subject == "quiet"
    assert series.buckets == ()


def test_term_series_top_terms_and_emerging_terms() -> None:
    labels = terms([{"key": "negative", "doc_count": 2}, {"key": "neutral", "doc_count": 1}])
    body = search(
        aggregations={
            "subjects": terms(
                [{"key": "late", "doc_count": 3, "authors": {"value": 3}, "buckets": {"buckets": [
                    _hist(MS, 3, 3, score={"value": -1.5}, labels=labels)]}}]
            )
        }
    )  # fmt: skip
    (late,) = res.series(body, SeriesQuery("hashtag", HOUR), T0, at(hours=1), None)
    assert late.buckets == (Bucket(start=T0, count=3, authors=3, sentiment_sum=-1.5, negative=2, positive=0),)

    top = search(aggregations={"top": terms([
        {"key": "late", "doc_count": 9, "authors": {"value": 4}},
        {"key": "sale", "doc_count": 12, "authors": {"value": 3}},
    ])})  # fmt: skip
    assert res.top_terms(top) == [TermCount("late", 9, 4), TermCount("sale", 12, 3)]

    emerging = search(
        aggregations={
            "emerging": {
                "doc_count": 40,
                "bg_count": 900,
                "buckets": [
                    {"key": "new", "doc_count": 3, "score": 0.6, "bg_count": 0, "authors": {"value": 3}},
                    {"key": "rising", "doc_count": 6, "score": 3.0, "bg_count": 1, "authors": {"value": 5}},
                    {"key": "flat", "doc_count": 9, "score": 0.0, "bg_count": 200, "authors": {"value": 9}},
                ],
            }
        }
    )
    assert res.emerging_terms(emerging) == [TermCount("rising", 6, 5), TermCount("new", 3, 3)]


def test_drivers_read_terms_authors_examples_and_tone() -> None:
    hit = {"_index": "i", "_id": "mastodon:2", "_score": None, "sort": [50, MS, "mastodon:2"], "_source": {
        "id": "mastodon:2", "text": "late and rude", "url": "https://x/2", "created_at": T0.isoformat(),
        "sentiment": -0.6, "author": {"id": "a", "handle": "@ann"}}}  # fmt: skip
    body = search(
        hits=[hit],
        aggregations={
            "hashtags": terms([{"key": "late", "doc_count": 2, "authors": {"value": 1}}]),
            "topics": terms([]),
            "authors": terms([{"key": "a", "doc_count": 2, "handle": terms([{"key": "@ann", "doc_count": 2}])},
                              {"key": "b", "doc_count": 1, "handle": terms([])}]),
            "tone": {"doc_count": 3, "this": {"doc_count": 3, "labels": terms(
                [{"key": "negative", "doc_count": 2}, {"key": "neutral", "doc_count": 1}])}},
        },
    )  # fmt: skip
    drivers = res.drivers(body, SeriesQuery("brand", HOUR))
    assert drivers.hashtags == (TermCount("late", 2, 1),)
    assert drivers.authors == (TermCount("@ann", 2, 1), TermCount("b", 1, 1))
    assert drivers.posts == (PostRef("mastodon:2", "late and rude", "https://x/2", "@ann", T0, -0.6),)
    assert (drivers.negative, drivers.neutral, drivers.positive) == (2, 1, 0)


# --------------------------------------------------------------------------- posts, state, alerts


def test_search_hits_give_back_the_stored_posts() -> None:
    posts = [make(1, "دیجی‌کالا", brands=["Digikala"], raw=[1, 2]), make(2, "second", title="T")]
    hits = [
        {
            "_index": "i",
            "_id": p.id,
            "_score": None,
            "sort": [MS, p.id],
            "_source": json.loads(json.dumps(to_document(p))),
        }
        for p in posts
    ]
    assert res.posts(search(hits=hits)) == posts
    page, cursor = res.scan_page(search(hits=hits))
    assert page == posts
    assert cursor == [MS, "mastodon:2"]
    assert res.scan_page(search(hits=[])) == ([], None)


def test_state_documents() -> None:
    found = shaped(
        "get", {"_index": "tw-state", "_id": "k", "found": True, "_source": {"key": "k", "value": {"json": [1, "x"]}}}
    )
    assert res.state_value(found) == [1, "x"]
    assert res.state_value(shaped("get", {"_index": "tw-state", "_id": "k", "found": False})) is None
    hits = [
        {"_index": "s", "_id": k, "_score": None, "_source": {"key": k, "value": {"json": v}}}
        for k, v in (("outbox:a", {"n": 1}), ("outbox:b", None))
    ]
    assert res.states(search(hits=hits), "outbox:") == {"outbox:a": {"n": 1}, "outbox:b": None}
