"""The Elasticsearch store's browsing queries (`facets`, `posts`): every request shape validates
against Elastic's OpenAPI specification, and answers shaped as the specification says read into
the same `Facet`s and posts the SQLite store gives (the behaviour suite, test_store_browse.py,
runs both stores on the same data when TRENDWATCH_ES_URL points at a cluster)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest

from indexer import elastic_browse as browse
from indexer.elastic_requests import Request
from indexer.elastic_schema import Names, to_document
from indexer.store import Facet, PostFilter
from tests.indexer import es_contract
from tests.indexer.factory import T0, make
from tests.indexer.test_elastic_responses import search, terms
from trendwatch.errors import StoreError

NAMES = Names("trendwatch")
WINDOW = (T0, T0 + timedelta(days=1))
WHERE = [
    PostFilter(),
    PostFilter(brand="Digikala"),
    PostFilter(platform="telegram", lang="fa"),
    PostFilter(tone="negative"),
    PostFilter(brand="Digikala", tone="positive", lang="en"),
]


def every_request() -> list[tuple[str, Request]]:
    out = []
    for field, order, where in itertools.product(browse.FIELD, browse.ORDER, WHERE):
        request = browse.facets_request(NAMES, field, *WINDOW, where, order, 20)  # type: ignore[arg-type]
        out.append((f"facets {field} by {order} {where}", request))
    for order, where in itertools.product(("newest", "engagement"), WHERE):
        out.append((f"posts {order} {where}", browse.posts_request(NAMES, *WINDOW, where, order, 50, 100)))  # type: ignore[arg-type]
    return out


REQUESTS = every_request()


@pytest.mark.parametrize(("label", "request_"), REQUESTS, ids=[label for label, _ in REQUESTS])
def test_request_validates_against_the_specification(label: str, request_: Request) -> None:
    assert es_contract.validate(request_) == "search-3"


def test_filters_sorting_and_tone_ask_what_the_sqlite_store_computes() -> None:
    body = browse.facets_request(NAMES, "topic", *WINDOW, WHERE[4], "authors", 8).body
    clauses = body["query"]["bool"]["filter"]
    assert {"term": {"brands": {"value": "Digikala"}}} in clauses
    nested = next(c["nested"] for c in clauses if "nested" in c)
    assert nested["query"]["bool"]["filter"] == [
        {"term": {"brand_sentiment.brand": {"value": "Digikala"}}},
        {"term": {"brand_sentiment.label": {"value": "positive"}}},
    ], "tone about the brand, not the post's"
    facets = body["aggs"]["facets"]
    assert facets["terms"]["order"] == [{"authors": "desc"}, {"_count": "desc"}, {"_key": "asc"}]
    assert facets["aggs"]["tone"]["aggs"]["this"]["filter"] == {
        "term": {"brand_sentiment.brand": {"value": "Digikala"}}
    }
    plain = browse.facets_request(NAMES, "platform", *WINDOW, PostFilter(tone="negative"), "count", 5).body
    assert {"term": {"sentiment_label": {"value": "negative"}}} in plain["query"]["bool"]["filter"]
    posts = browse.posts_request(NAMES, *WINDOW, PostFilter(), "engagement", 20, 40).body
    assert posts["sort"][0] == {"engagement.total": {"order": "desc", "missing": "_last"}}
    assert (posts["size"], posts["from"]) == (20, 40)


def _labels(**counts: int) -> dict[str, Any]:
    return terms([{"key": k, "doc_count": v} for k, v in counts.items()])


def test_brand_facets_read_each_brands_own_tone() -> None:
    def bucket(key: str, count: int, authors: int, engagement: float, tones: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "key": key, "doc_count": count, "authors": {"value": authors}, "engagement": {"value": engagement},
            "tone": {"doc_count": count + 1, "brand": terms(tones)},
        }  # fmt: skip

    torob = {"key": "Torob", "doc_count": 3, "score": {"value": -0.3}, "labels": _labels(negative=2, positive=1)}
    digikala_in_torob_posts = {
        "key": "Digikala",
        "doc_count": 1,
        "score": {"value": 0.6},
        "labels": _labels(positive=1),
    }
    digikala = {"key": "Digikala", "doc_count": 2, "score": {"value": -0.1}, "labels": _labels(negative=1, positive=1)}
    body = search({"facets": terms([
        bucket("Torob", 3, 3, 51.0, [torob, digikala_in_torob_posts]),
        bucket("Digikala", 2, 2, 13.0, [digikala]),
    ])})  # fmt: skip
    assert browse.read_facets(body, "brand", PostFilter()) == [
        Facet("Torob", count=3, authors=3, engagement=51, sentiment_sum=-0.3, negative=2, positive=1),
        Facet("Digikala", count=2, authors=2, engagement=13, sentiment_sum=-0.1, negative=1, positive=1),
    ]


def test_author_facets_with_a_brand_read_the_brands_tone_and_the_handle() -> None:
    body = search({"facets": terms([{
        "key": "ali", "doc_count": 2, "authors": {"value": 1}, "engagement": {"value": 62.0},
        "handle": terms([{"key": "@ali", "doc_count": 2}]),
        "tone": {"doc_count": 2, "this": {"doc_count": 2, "score": {"value": -1.1}, "labels": _labels(negative=2)}},
    }])})  # fmt: skip
    assert browse.read_facets(body, "author", PostFilter(brand="Torob")) == [
        Facet("ali", count=2, authors=1, engagement=62, sentiment_sum=-1.1, negative=2, positive=0, label="@ali")
    ]


def test_term_facets_without_a_brand_read_the_posts_tone() -> None:
    body = search({"facets": terms([{
        "key": "price", "doc_count": 3, "authors": {"value": 3}, "engagement": {"value": 50.0},
        "score": {"value": 0.4}, "labels": _labels(positive=1, negative=1, neutral=1),
    }])})  # fmt: skip
    assert browse.read_facets(body, "topic", PostFilter()) == [
        Facet("price", count=3, authors=3, engagement=50, sentiment_sum=0.4, negative=1, positive=1)
    ]
    assert browse.read_facets(search({"facets": terms([])}), "topic", PostFilter()) == []


def test_a_partial_answer_is_an_error_not_a_short_list() -> None:
    failed = search(
        {"facets": terms([])},
        _shards={"total": 2, "successful": 1, "skipped": 0, "failed": 1,
                 "failures": [{"shard": 1, "index": "x", "reason": {"type": "too_many_buckets", "reason": "x"}}]},
    )  # fmt: skip
    with pytest.raises(StoreError, match="too_many_buckets"):
        browse.read_facets(failed, "hashtag", PostFilter())


def test_post_lists_read_the_stored_posts() -> None:
    posts = [make(2, "Torob slow", brands=["Torob"]), make(1, "Digikala fine", brands=["Digikala"])]
    hits = [{"_index": ".ds-x", "_id": p.id, "_source": to_document(p), "sort": [1, p.id]} for p in posts]
    from indexer.elastic_responses import posts as read_posts

    assert read_posts(search(hits=hits)) == posts
