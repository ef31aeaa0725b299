"""Reading Elasticsearch responses: pure functions from response bodies to trendwatch objects.

Searches that did not fully succeed — `timed_out`, failed shards — raise StoreError rather than
return partial counts that would look like a real drop in mentions. Bulk responses are sorted
into what was written, what conflicted (a create whose id already exists, or an update whose
version changed since it was looked up: look it up again and send it again), what may succeed
if retried (429 / rejected execution / 5xx) and what Elasticsearch refused for good (e.g. a
mapping error), each with the reason it gave.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from indexer import codec
from indexer.elastic_requests import Location, subject_value
from indexer.elastic_schema import from_document
from trendwatch.errors import StoreError
from trendwatch.models import Alert, Bucket, Drivers, EnrichedPost, PostRef, Series, SeriesQuery, TermCount
from trendwatch.timeutil import floor_time

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def check_search(body: Mapping[str, Any], what: str) -> None:
    """Raise when a search answered only in part."""
    if body.get("timed_out"):
        raise StoreError(f"Elasticsearch {what} timed out before every shard answered; the result would be partial")
    shards = body.get("_shards") or {}
    if shards.get("failed"):
        reasons = sorted(
            {
                f"{(f.get('reason') or {}).get('type', 'error')}: {(f.get('reason') or {}).get('reason', '')}".strip()
                for f in shards.get("failures") or ()
            }
        )
        detail = "; ".join(reasons) or "no reason given"
        raise StoreError(
            f"Elasticsearch {what} failed on {shards['failed']} of {shards.get('total', '?')} shards: {detail}"
        )


def _time(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


# --------------------------------------------------------------------------- bulk


@dataclass(frozen=True, slots=True)
class ItemFailure:
    post_id: str
    status: int
    kind: str
    reason: str
    index: str | None = None


@dataclass(slots=True)
class BulkOutcome:
    created: int = 0
    updated: int = 0
    conflicts: list[ItemFailure] = field(default_factory=list)
    retry: list[ItemFailure] = field(default_factory=list)
    rejected: list[ItemFailure] = field(default_factory=list)


def read_bulk(body: Mapping[str, Any]) -> BulkOutcome:
    outcome = BulkOutcome()
    for item in body.get("items") or ():
        op, result = next(iter(item.items()))
        status = int(result.get("status", 0))
        post_id = str(result.get("_id"))
        if 200 <= status < 300:
            if result.get("result") == "updated":
                outcome.updated += 1
            else:
                outcome.created += 1
            continue
        error = result.get("error") or {}
        kind = str(error.get("type", "error")) if isinstance(error, Mapping) else "error"
        reason = str(error.get("reason", "")) if isinstance(error, Mapping) else str(error)
        failure = ItemFailure(post_id, status, kind, reason, result.get("_index"))
        if status == 409 and op in ("create", "index"):
            outcome.conflicts.append(failure)
        elif status in RETRYABLE_STATUS or kind == "es_rejected_execution_exception":
            outcome.retry.append(failure)
        else:
            outcome.rejected.append(failure)
    return outcome


def located(body: Mapping[str, Any]) -> dict[str, Location]:
    """{post id: where it is} from a `locate` search. Should a post have copies in two backing
    indices, the newest (the last generation) is the one updated."""
    check_search(body, "lookup of existing posts")
    out: dict[str, Location] = {}
    for hit in sorted(body.get("hits", {}).get("hits", ()), key=lambda h: str(h["_index"])):
        out[hit["_id"]] = Location(hit["_index"], int(hit["_seq_no"]), int(hit["_primary_term"]))
    return out


# --------------------------------------------------------------------------- posts


def posts(body: Mapping[str, Any], what: str = "search") -> list[EnrichedPost]:
    check_search(body, what)
    return [from_document(hit["_source"]) for hit in body.get("hits", {}).get("hits", ())]


def count(body: Mapping[str, Any]) -> int:
    shards = body.get("_shards") or {}
    if shards.get("failed"):
        check_search(body, "count")
    return int(body["count"])


def _labels(agg: Mapping[str, Any] | None) -> tuple[int, int, int]:
    counts = {b["key"]: int(b["doc_count"]) for b in (agg or {}).get("buckets", ())}
    return counts.get("negative", 0), counts.get("neutral", 0), counts.get("positive", 0)


def series(
    body: Mapping[str, Any], query: SeriesQuery, since: datetime, until: datetime, subject: str | None
) -> list[Series]:
    check_search(body, "series query")
    out = []
    first = floor_time(since, query.step)
    found = {b["key"]: b for b in body.get("aggregations", {}).get("subjects", {}).get("buckets", ())}
    names = [subject] if subject is not None else list(found)
    for name in names:
        key = name if subject is None else _stored_subject(query, name)
        bucket_agg = found.get(key)
        buckets = []
        for b in (bucket_agg or {}).get("buckets", {}).get("buckets", ()):
            if query.kind == "brand":
                inner = next((t for t in b["tone"]["brand"]["buckets"] if t["key"] == key), None)
                score = inner["score"]["value"] if inner else 0.0
                negative, _, positive = _labels(inner["labels"] if inner else None)
            else:
                score = b["score"]["value"]
                negative, _, positive = _labels(b["labels"])
            buckets.append(
                Bucket(
                    start=_time(b["key"]),
                    count=int(b["doc_count"]),
                    authors=int(b["authors"]["value"]),
                    sentiment_sum=float(score or 0.0),
                    negative=negative,
                    positive=positive,
                )
            )
        out.append(
            Series(
                subject=key if subject is None else _stored_subject(query, name),
                kind=query.kind,
                step=query.step,
                start=first,
                end=until,
                buckets=tuple(buckets),
                platform=query.platform,
                lang=query.lang,
            )
        )
    return out


def _stored_subject(query: SeriesQuery, subject: str) -> str:
    return subject_value(query.kind, subject)


def _terms(agg: Mapping[str, Any] | None) -> list[TermCount]:
    return [
        TermCount(term=str(b["key"]), count=int(b["doc_count"]), authors=int(b["authors"]["value"]))
        for b in (agg or {}).get("buckets", ())
    ]


def top_terms(body: Mapping[str, Any]) -> list[TermCount]:
    check_search(body, "top terms query")
    return _terms(body.get("aggregations", {}).get("top"))


def emerging_terms(body: Mapping[str, Any]) -> list[TermCount]:
    check_search(body, "emerging terms query")
    buckets = body.get("aggregations", {}).get("emerging", {}).get("buckets", ())
    positive = [b for b in buckets if float(b.get("score", 0.0)) > 0]
    ranked = sorted(positive, key=lambda b: (-float(b.get("score", 0.0)), str(b["key"])))
    return [
        TermCount(term=str(b["key"]), count=int(b["doc_count"]), authors=int(b["authors"]["value"])) for b in ranked
    ]


def drivers(body: Mapping[str, Any], query: SeriesQuery) -> Drivers:
    check_search(body, "drivers query")
    aggs = body.get("aggregations", {})
    authors = []
    for b in aggs.get("authors", {}).get("buckets", ()):
        handles = b.get("handle", {}).get("buckets", ())
        authors.append(
            TermCount(term=str(handles[0]["key"]) if handles else str(b["key"]), count=int(b["doc_count"]), authors=1)
        )
    tone = aggs.get("tone", {})
    negative, neutral, positive = _labels(tone.get("this", {}).get("labels") if query.kind == "brand" else tone)
    refs = []
    for hit in body.get("hits", {}).get("hits", ()):
        src = hit["_source"]
        author = src.get("author") or {}
        refs.append(
            PostRef(
                id=src["id"],
                text=src.get("text", ""),
                url=src.get("url"),
                author=author.get("handle") or author.get("name") or author.get("id"),
                created_at=_time(src["created_at"]),
                sentiment=float(src.get("sentiment", 0.0)),
            )
        )
    return Drivers(
        hashtags=tuple(_terms(aggs.get("hashtags"))),
        terms=tuple(_terms(aggs.get("topics"))),
        authors=tuple(authors),
        posts=tuple(refs),
        negative=negative,
        neutral=neutral,
        positive=positive,
    )


def scan_page(body: Mapping[str, Any]) -> tuple[list[EnrichedPost], list[Any] | None]:
    check_search(body, "export scan")
    hits = body.get("hits", {}).get("hits", ())
    return [from_document(h["_source"]) for h in hits], (hits[-1]["sort"] if hits else None)


# --------------------------------------------------------------------------- state and alerts


def state_value(body: Mapping[str, Any]) -> Any | None:
    if not body.get("found"):
        return None
    return body["_source"]["value"].get("json")


def states(body: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    check_search(body, "state lookup")
    out = {}
    for hit in body.get("hits", {}).get("hits", ()):
        src = hit["_source"]
        if src["key"].startswith(prefix):
            out[src["key"]] = src["value"].get("json")
    return out


def alerts(body: Mapping[str, Any]) -> list[Alert]:
    check_search(body, "alert history")
    return [codec.alert_from_dict(hit["_source"]["record"]) for hit in body.get("hits", {}).get("hits", ())]


def delete_count(body: Mapping[str, Any]) -> int:
    if body.get("timed_out"):
        raise StoreError("Elasticsearch delete-by-query timed out; run it again to finish")
    failures = body.get("failures") or ()
    if failures:
        raise StoreError(f"Elasticsearch delete-by-query failed for {len(failures)} documents: {failures[0]}")
    return int(body.get("deleted", 0))
