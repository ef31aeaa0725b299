"""The Elasticsearch store against a local server speaking Elasticsearch's protocol.

The official async client talks real HTTP to `fake_es.FakeElasticsearch`, which plays a cluster
that rejects, fails items, stalls or loses shards on cue. Every request the store sends in these
tests is also validated against Elastic's OpenAPI specification (skipped with the reason when
../shared is absent).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from structlog.testing import capture_logs

from indexer.elastic import ElasticStore
from indexer.elastic_schema import TEMPLATE_VERSION
from indexer.store import UpsertResult
from tests.indexer import es_contract
from tests.indexer.factory import T0, at, make
from tests.indexer.fake_es import BACKING, FakeElasticsearch, Received, error_body, search_body
from trendwatch.errors import NotConfigured, StoreError
from trendwatch.metrics import POSTS_DROPPED
from trendwatch.models import Alert, SeriesQuery


@pytest.fixture
async def cluster() -> AsyncIterator[FakeElasticsearch]:
    fake = FakeElasticsearch()
    app = web.Application(client_max_size=64 * 2**20)
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.url = f"http://127.0.0.1:{port}"
    yield fake
    await runner.cleanup()


def options(cluster: FakeElasticsearch, **kw: Any) -> ElasticStore.Options:
    base: dict[str, Any] = {"url": cluster.url, "prefix": "tw", "backoff": 0.01, "retries": 3, "timeout": 2}
    base.update(kw)
    return ElasticStore.Options(**base)


@pytest.fixture
async def store(cluster: FakeElasticsearch) -> AsyncIterator[ElasticStore]:
    s = ElasticStore(options(cluster))
    await s.open()
    yield s
    await s.close()


def assert_all_valid(cluster: FakeElasticsearch) -> None:
    for received in cluster.received:
        es_contract.validate(received.as_request())


# --------------------------------------------------------------------------- set-up


def test_declines_without_a_url() -> None:
    with pytest.raises(NotConfigured, match="needs `url`"):
        ElasticStore(ElasticStore.Options())


async def test_open_installs_template_lifecycle_and_indices(cluster: FakeElasticsearch) -> None:
    store = ElasticStore(options(cluster, retention="90d", shards=2, replicas=0))
    await store.open()
    await store.close()
    calls = [(r.method, r.path) for r in cluster.received]
    assert calls[:5] == [
        ("PUT", "/_index_template/tw-posts"),
        ("PUT", "/_data_stream/tw-posts"),
        ("PUT", "/_data_stream/tw-posts/_lifecycle"),
        ("PUT", "/tw-alerts"),
        ("PUT", "/tw-state"),
    ]
    template = cluster.received[0].body
    assert template["index_patterns"] == ["tw-posts*"]
    assert template["template"]["lifecycle"] == {"enabled": True, "data_retention": "90d"}
    assert template["template"]["settings"]["number_of_shards"] == 2
    assert template["version"] == TEMPLATE_VERSION
    assert cluster.received[2].body == {"enabled": True, "data_retention": "90d"}
    assert_all_valid(cluster)


async def test_open_again_tolerates_what_already_exists(cluster: FakeElasticsearch) -> None:
    exists = error_body(400, "resource_already_exists_exception", "index [tw-state] already exists")
    cluster.on("PUT", "/tw-state", lambda r: (400, exists))
    cluster.on("PUT", "/tw-alerts", lambda r: (400, exists))
    cluster.on("PUT", "/_data_stream/tw-posts", lambda r: (None, None) if "_lifecycle" in r.path else (400, exists))
    store = ElasticStore(options(cluster))
    await store.open()
    await store.close()


async def test_refused_credentials_are_a_clear_error_without_the_secret(cluster: FakeElasticsearch) -> None:
    cluster.on(
        "PUT", "/_index_template/", lambda r: (401, error_body(401, "security_exception", "unable to authenticate"))
    )
    store = ElasticStore(options(cluster, api_key="s3cr3t-key"))
    with pytest.raises(StoreError) as caught:
        await store.open()
    assert "refused the credentials" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


async def test_an_unreachable_cluster_is_a_clear_error() -> None:
    store = ElasticStore(ElasticStore.Options(url="http://127.0.0.1:9", timeout=1))
    with pytest.raises(StoreError, match=r"cannot reach Elasticsearch at http://127\.0\.0\.1:9"):
        await store.open()


# --------------------------------------------------------------------------- writes


async def test_upsert_creates_then_updates_in_place(store: ElasticStore, cluster: FakeElasticsearch) -> None:
    assert await store.upsert([make(1, likes=1), make(2)]) == UpsertResult(inserted=2, updated=0)
    stored = cluster.stream().live[BACKING]["mastodon:1"]
    assert await store.upsert([make(1, likes=9)]) == UpsertResult(inserted=0, updated=1)
    first, second = cluster.bulks()
    assert [next(iter(line)) for line in first.body[::2]] == ["create", "create"]
    assert second.body[0] == {  # the backing index holding it, conditional on the version found there
        "index": {"_index": BACKING, "_id": "mastodon:1", "if_seq_no": stored.seq_no, "if_primary_term": 1}
    }
    assert cluster.docs["mastodon:1"]["engagement"]["likes"] == 9
    assert cluster.copies("mastodon:1") == [BACKING]
    assert await store.get_states("rejected:") == {}
    assert_all_valid(cluster)


async def test_re_ingest_updates_engagement_every_time_and_keeps_nothing_rejected(
    store: ElasticStore, cluster: FakeElasticsearch
) -> None:
    await store.upsert([make(1, likes=1)])
    for likes in (2, 3, 4):
        assert await store.upsert([make(1, likes=likes)]) == UpsertResult(inserted=0, updated=1)
        assert cluster.docs["mastodon:1"]["engagement"]["likes"] == likes
    assert cluster.copies("mastodon:1") == [BACKING]
    assert await store.get_states("rejected:") == {}
    assert cluster.state == {}


async def test_the_fake_refuses_an_unconditional_index_into_a_backing_index_as_elasticsearch_does(
    store: ElasticStore, cluster: FakeElasticsearch
) -> None:
    """A data stream is append-only: an `index` into a backing index needs if_seq_no and
    if_primary_term (Elasticsearch's TransportBulkAction.prohibitAppendWritesInBackingIndices)."""
    await store.upsert([make(1, likes=1)])
    doc = cluster.docs["mastodon:1"]
    body = cluster.bulk(
        [
            {"index": {"_index": BACKING, "_id": "mastodon:1"}},
            doc,
            {"create": {"_index": BACKING, "_id": "mastodon:2"}},
            doc,
            {"index": {"_index": "tw-posts", "_id": "mastodon:3"}},
            doc,
        ]
    )
    assert body["errors"] is True
    unconditional, create_in_backing, index_into_stream = (item[next(iter(item))] for item in body["items"])
    assert unconditional["status"] == 400
    assert unconditional["error"] == {
        "type": "illegal_argument_exception",
        "reason": "index request with op_type=index and no if_primary_term and if_seq_no set targeting backing "
        "indices is disallowed, target corresponding data stream [tw-posts] instead",
    }
    assert create_in_backing["status"] == 400
    assert create_in_backing["error"]["reason"] == (
        "index request with op_type=create targeting backing indices is disallowed, "
        "target corresponding data stream [tw-posts] instead"
    )
    assert index_into_stream["status"] == 400
    assert (
        "only write ops with an op_type of create are allowed in data streams" in index_into_stream["error"]["reason"]
    )
    stale = cluster.bulk(
        [{"index": {"_index": BACKING, "_id": "mastodon:1", "if_seq_no": 0, "if_primary_term": 1}}, doc]
    )
    assert stale["items"][0]["index"]["status"] == 409
    assert stale["items"][0]["index"]["error"]["type"] == "version_conflict_engine_exception"
    assert set(cluster.docs) == {"mastodon:1"}


async def test_a_create_that_collides_is_looked_up_again_and_sent_as_an_update(
    store: ElasticStore, cluster: FakeElasticsearch
) -> None:
    raced = {"done": False}

    def another_writer(r: Received) -> tuple[int | None, Any]:
        if not raced["done"]:  # it writes the post between our lookup and our bulk, unrefreshed
            raced["done"] = True
            cluster.put("mastodon:1", {"id": "mastodon:1"}, refreshed=False)
        return None, None

    cluster.on("POST", "/_bulk", another_writer)
    assert await store.upsert([make(1, likes=5)]) == UpsertResult(inserted=0, updated=1)
    first, second = cluster.bulks()
    assert first.body[0] == {"create": {"_index": "tw-posts", "_id": "mastodon:1"}}
    assert second.body[0]["index"]["_index"] == BACKING
    assert "if_seq_no" in second.body[0]["index"]
    assert cluster.docs["mastodon:1"]["engagement"]["likes"] == 5
    assert cluster.copies("mastodon:1") == [BACKING]
    assert_all_valid(cluster)


async def test_an_update_of_a_version_changed_since_the_lookup_is_looked_up_again(
    store: ElasticStore, cluster: FakeElasticsearch
) -> None:
    await store.upsert([make(1, likes=1)])
    cluster.auto_refresh = False  # searches keep showing the version they saw until a refresh
    raced = {"done": False}

    def another_writer(r: Received) -> tuple[int | None, Any]:
        if not raced["done"]:  # a newer version lands after our lookup, not yet refreshed
            raced["done"] = True
            cluster.put("mastodon:1", cluster.docs["mastodon:1"], refreshed=False)
        return None, None

    cluster.on("POST", "/_bulk", another_writer)
    assert await store.upsert([make(1, likes=7)]) == UpsertResult(inserted=0, updated=1)
    refused, accepted = cluster.bulks()[1:]
    assert refused.body[0]["index"]["if_seq_no"] < accepted.body[0]["index"]["if_seq_no"]
    assert cluster.docs["mastodon:1"]["engagement"]["likes"] == 7
    assert await store.get_states("rejected:") == {}


async def test_a_post_written_just_before_a_rollover_is_updated_not_duplicated(
    store: ElasticStore, cluster: FakeElasticsearch
) -> None:
    """The write goes to backing index 1, the data stream rolls over, and the post comes again
    before index 1 is refreshed: a search cannot see it, and a create would land a second copy
    in index 2 (a create only collides within the write index)."""
    cluster.auto_refresh = False
    await store.upsert([make(1, likes=1)])
    assert "mastodon:1" not in cluster.stream().visible[BACKING]  # written, not yet searchable
    second = cluster.rollover()
    assert await store.upsert([make(1, likes=4)]) == UpsertResult(inserted=0, updated=1)
    assert cluster.copies("mastodon:1") == [BACKING]
    assert cluster.stream().live[second] == {}
    assert cluster.docs["mastodon:1"]["engagement"]["likes"] == 4
    assert_all_valid(cluster)


async def test_a_batch_of_searchable_posts_costs_no_refresh(store: ElasticStore, cluster: FakeElasticsearch) -> None:
    await store.upsert([make(1), make(2)])
    refreshes = sum(r.path.endswith("/_refresh") for r in cluster.received)
    await store.upsert([make(1, likes=3), make(2, likes=3)])
    assert sum(r.path.endswith("/_refresh") for r in cluster.received) == refreshes


async def test_a_rejected_bulk_request_is_retried_with_backoff(store: ElasticStore, cluster: FakeElasticsearch) -> None:
    refusals = iter([429, 503])

    def busy(r: Received) -> tuple[int | None, Any]:
        status = next(refusals, None)
        if status is None:
            return None, None  # fall through to the default bulk handler
        return status, error_body(status, "es_rejected_execution_exception", "queue full")

    cluster.on("POST", "/_bulk", busy)
    assert await store.upsert([make(1), make(2)]) == UpsertResult(2, 0)
    assert len(cluster.bulks()) == 3
    assert set(cluster.docs) == {"mastodon:1", "mastodon:2"}


async def test_items_rejected_for_now_are_retried_alone(store: ElasticStore, cluster: FakeElasticsearch) -> None:
    attempts = {"n": 0}

    def partial(r: Received) -> tuple[int | None, Any]:
        attempts["n"] += 1
        if attempts["n"] > 1:
            return None, None
        body = cluster.bulk(r.body[:2])  # the first post is written, the second refused for now
        body["errors"] = True
        body["items"].append(
            {
                "create": {
                    "_index": BACKING,
                    "_id": r.body[2]["create"]["_id"],
                    "status": 429,
                    "error": {"type": "es_rejected_execution_exception", "reason": "queue full"},
                }
            }
        )
        return 200, body

    cluster.on("POST", "/_bulk", partial)
    assert await store.upsert([make(1), make(2)]) == UpsertResult(2, 0)
    retry = cluster.bulks()[1]
    assert [line["create"]["_id"] for line in retry.body[::2]] == ["mastodon:2"]


async def test_a_document_refused_for_good_is_logged_counted_and_kept(
    store: ElasticStore, cluster: FakeElasticsearch, caplog: pytest.LogCaptureFixture
) -> None:
    def mapping_error(r: Received) -> tuple[int | None, Any]:
        lines = r.body
        bad = [i for i in range(0, len(lines), 2) if lines[i][next(iter(lines[i]))]["_id"] == "mastodon:2"]
        if not bad:
            return None, None
        good = [x for i in range(0, len(lines), 2) if i not in bad for x in lines[i : i + 2]]
        body = cluster.bulk(good)
        body["errors"] = True
        body["items"].append(
            {
                "create": {
                    "_index": BACKING,
                    "_id": "mastodon:2",
                    "status": 400,
                    "error": {
                        "type": "document_parsing_exception",
                        "reason": "[1:20] failed to parse field [sentiment] of type [float]",
                    },
                }
            }
        )
        return 200, body

    cluster.on("POST", "/_bulk", mapping_error)
    before = POSTS_DROPPED.labels(stage="store", reason="document_parsing_exception")._value.get()
    with caplog.at_level(logging.WARNING):
        assert await store.upsert([make(1), make(2, "the poisoned one")]) == UpsertResult(1, 0)
    assert POSTS_DROPPED.labels(stage="store", reason="document_parsing_exception")._value.get() == before + 1
    kept = await store.get_states("rejected:")
    assert list(kept) == ["rejected:mastodon:2"]
    assert kept["rejected:mastodon:2"]["reason"].startswith("document_parsing_exception: [1:20] failed to parse")
    assert kept["rejected:mastodon:2"]["document"]["text"] == "the poisoned one"

    # After the fix (here: the cluster accepts it now), the next start sends it again.
    cluster.overrides.clear()
    await store.close()
    await store.open()
    assert "mastodon:2" in cluster.docs
    assert await store.get_states("rejected:") == {}


async def test_retries_run_out_into_an_error_and_nothing_is_acknowledged(
    store: ElasticStore, cluster: FakeElasticsearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[int] = []
    pause = store._pause

    async def counted(attempt: int) -> None:
        pauses.append(attempt)
        await pause(attempt)

    monkeypatch.setattr(store, "_pause", counted)
    cluster.on(
        "POST",
        "/_bulk",
        lambda r: (503, error_body(503, "unavailable_shards_exception", "primary shard is not active")),
    )
    with pytest.raises(StoreError, match=r"did not accept 1 posts after 3 retries \(last: .*shard is not active"):
        await store.upsert([make(1)])
    assert len(cluster.bulks()) == 4
    assert pauses == [0, 1, 2]  # a backoff before each retry, none after the last attempt


async def test_posts_refused_for_good_are_kept_even_when_the_retries_of_others_run_out(
    store: ElasticStore, cluster: FakeElasticsearch
) -> None:
    def refuse(r: Received) -> tuple[int | None, Any]:
        items = []
        for action in r.body[::2]:
            post_id = action["create"]["_id"]
            if post_id == "mastodon:2":
                error = {"type": "document_parsing_exception", "reason": "failed to parse field [sentiment]"}
                items.append({"create": {"_index": BACKING, "_id": post_id, "status": 400, "error": error}})
            else:
                error = {"type": "es_rejected_execution_exception", "reason": "queue full"}
                items.append({"create": {"_index": BACKING, "_id": post_id, "status": 429, "error": error}})
        return 200, {"took": 1, "errors": True, "items": items}

    cluster.on("POST", "/_bulk", refuse)
    with capture_logs() as logs, pytest.raises(StoreError, match=r"did not accept 1 posts after 3 retries"):
        await store.upsert([make(1), make(2, "the poisoned one")])
    assert [len(b.body) // 2 for b in cluster.bulks()] == [2, 1, 1, 1]  # the refused one is not sent again
    cluster.overrides.clear()
    kept = await store.get_states("rejected:")
    assert list(kept) == ["rejected:mastodon:2"]
    assert kept["rejected:mastodon:2"]["reason"] == "document_parsing_exception: failed to parse field [sentiment]"
    assert kept["rejected:mastodon:2"]["document"]["text"] == "the poisoned one"
    rejected = [e for e in logs if e["event"] == "post rejected by Elasticsearch; kept for retry"]
    assert [(e["post_id"], e["status"]) for e in rejected] == [("mastodon:2", 400)]


async def test_a_slow_cluster_times_out_and_is_retried(cluster: FakeElasticsearch) -> None:
    store = ElasticStore(options(cluster, timeout=0.3))
    await store.open()
    try:
        slow = {"left": 1}

        async def stall(r: Received) -> tuple[int | None, Any]:
            if slow["left"]:
                slow["left"] -= 1
                await asyncio.sleep(1.0)
            return None, None

        cluster.on("POST", "/_bulk", stall)
        assert await store.upsert([make(1)]) == UpsertResult(1, 0)
        assert len(cluster.bulks()) == 2
    finally:
        await store.close()


async def test_bulk_requests_in_flight_are_bounded(cluster: FakeElasticsearch) -> None:
    store = ElasticStore(options(cluster, bulk_size=2, bulk_concurrency=2))
    await store.open()
    try:

        async def slowly(r: Received) -> tuple[int | None, Any]:
            await asyncio.sleep(0.05)
            return None, None

        cluster.on("POST", "/_bulk", slowly)
        result = await store.upsert([make(i) for i in range(12)])
        assert result == UpsertResult(12, 0)
        assert len(cluster.bulks()) == 6
        assert cluster.max_bulk_in_flight == 2
    finally:
        await store.close()


# --------------------------------------------------------------------------- reads


async def test_partial_search_results_are_errors(store: ElasticStore, cluster: FakeElasticsearch) -> None:
    failed = search_body([])
    failed["_shards"] = {
        "total": 3,
        "successful": 2,
        "skipped": 0,
        "failed": 1,
        "failures": [
            {
                "shard": 1,
                "index": BACKING,
                "reason": {"type": "query_shard_exception", "reason": "failed to create query"},
            }
        ],
    }
    cluster.on("POST", "/tw-posts/_search", lambda r: (200, failed))
    with pytest.raises(StoreError, match="failed on 1 of 3 shards: query_shard_exception: failed to create query"):
        await store.search("late")
    cluster.overrides.clear()
    cluster.on("POST", "/tw-posts/_search", lambda r: (200, search_body([], timed_out=True)))
    with pytest.raises(StoreError, match="timed out"):
        await store.series(SeriesQuery("brand", at(60) - T0), T0, at(days=1))


async def test_a_malformed_query_never_reaches_the_cluster(store: ElasticStore, cluster: FakeElasticsearch) -> None:
    from trendwatch.errors import QuerySyntaxError

    sent = len(cluster.received)
    with pytest.raises(QuerySyntaxError):
        await store.search("late AND")
    assert len(cluster.received) == sent


async def test_state_round_trip(store: ElasticStore, cluster: FakeElasticsearch) -> None:
    assert await store.get_state("cursor:news feed") is None
    await store.set_state("cursor:news feed", {"etag": "x", "n": [1, 2]})
    assert await store.get_state("cursor:news feed") == {"etag": "x", "n": [1, 2]}
    await store.set_state("cursor:news feed", None)
    assert await store.get_state("cursor:news feed") is None
    await store.set_state("cursor:gone", None)  # deleting what is not there is fine
    assert_all_valid(cluster)


async def test_an_alert_event_recorded_again_is_one_document(store: ElasticStore, cluster: FakeElasticsearch) -> None:
    """The id is the event's (alert key, status, time): a retry is refused as a conflict, which
    means it is recorded already; another status is another event."""
    opened = Alert(
        rule="spike", kind="brand", subject="Digikala", metric="posts", status="open", severity="warning",
        direction="up", started_at=T0, at=at(60), expected=2.0, observed=9.0, score=0.9, z=3.1, lang="fa",
    )  # fmt: skip
    await store.record_alert(opened)
    await store.record_alert(opened)
    await store.record_alert(dataclasses.replace(opened, observed=10.0))  # recomputed on retry: that event still
    await store.record_alert(dataclasses.replace(opened, status="resolved"))
    await store.record_alert(dataclasses.replace(opened, platform="telegram"))  # another alert key
    assert sorted((a["status"], a["observed"], a.get("platform", "")) for a in cluster.alerts.values()) == [
        ("open", 9.0, ""),
        ("open", 9.0, "telegram"),
        ("resolved", 9.0, ""),
    ]
    assert len([r for r in cluster.received if "/_create/" in r.path]) == 5  # conflicts taken as recorded
    assert_all_valid(cluster)
