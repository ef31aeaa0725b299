"""The Elasticsearch store: the Store protocol for when one machine is not enough.

Posts go to the `<prefix>-posts` data stream (document `_id` = post id) through bulk requests:
at most `bulk_concurrency` in flight at once (further upserts wait: backpressure), each retried
with exponential backoff on 429, 5xx, timeouts and lost connections, and per document on
rejected execution. A data stream only appends, so a re-ingest is sent as an `index` into the
backing index that already holds the post, conditional on the version found there
(`if_seq_no`/`if_primary_term`, which a data stream requires of such a write): looked up first
by a search, again after a refresh for what the search did not see (a post written moments
before a rollover must not be created a second time in the new write index), and again when a
write conflicts (409: the post exists already or changed meanwhile). Re-ingesting updates the
post in place and never duplicates it. A document Elasticsearch refuses for
good (a mapping error, say) is logged with its reason, counted, and kept in the state index under
`rejected:<post id>` to be retried on the next start; it is never silently dropped.

Requests are built by `indexer.elastic_requests` (validated against Elastic's OpenAPI
specification by the contract tests) and read by `indexer.elastic_responses`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

import orjson
import structlog
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, AsyncElasticsearch
from pydantic import Field, SecretStr

from indexer import codec
from indexer import elastic_browse as browse
from indexer import elastic_requests as req
from indexer import elastic_responses as res
from indexer.elastic_requests import Location, Request
from indexer.elastic_schema import Names, alerts_index, from_document, state_index, to_document
from indexer.store import Facet, FacetField, FacetOrder, PostFilter, PostOrder, TermKind, UpsertResult
from trendwatch.config import PluginOptions
from trendwatch.errors import NotConfigured, StoreError
from trendwatch.metrics import POSTS_DROPPED, POSTS_STORED
from trendwatch.models import Alert, AlertStatus, Drivers, EnrichedPost, Series, SeriesQuery, TermCount
from trendwatch.query import parse
from trendwatch.timeutil import Duration, parse_duration, utcnow

log = structlog.get_logger(__name__)
REJECTED = "rejected:"
MAX_BACKOFF = 30.0
LOOKUP_SIZE = 1000
"""Posts looked up per `locate` search (a search returns at most 10,000 hits)."""
MOST_ALERTS = 10_000
"""Alert events one `alerts` call can return: a search returns at most this many hits
(index.max_result_window)."""


class ElasticOptions(PluginOptions):
    url: str | None = Field(None, description="Cluster URL, e.g. https://es.example.com:9200 (required).")
    api_key: SecretStr | None = Field(None, description="API key (preferred), e.g. ${TRENDWATCH_ES_API_KEY}.")
    username: str | None = Field(None, description="Basic-auth user, when not using an API key.")
    password: SecretStr | None = Field(None, description="Basic-auth password, e.g. ${TRENDWATCH_ES_PASSWORD}.")
    ca_certs: Path | None = Field(None, description="CA bundle for a cluster with its own certificate authority.")
    verify_certs: bool = Field(True, description="Verify the cluster's TLS certificate.")
    prefix: str = Field("trendwatch", pattern=r"^[a-z0-9][a-z0-9_.-]*$", description="Names: <prefix>-posts, ...")
    retention: Duration | None = Field(None, description="Data stream lifecycle: delete posts older than this.")
    shards: int | None = Field(None, ge=1, le=1024, description="Primary shards per backing index (not on serverless).")
    replicas: int | None = Field(None, ge=0, le=16, description="Replicas per shard (not on serverless).")
    bulk_size: int = Field(1000, ge=1, le=50_000, description="Posts per bulk request.")
    bulk_concurrency: int = Field(2, ge=1, le=64, description="Bulk requests in flight at once (backpressure).")
    retries: int = Field(5, ge=0, le=20, description="Retries of a bulk request or of a document refused for now.")
    backoff: Duration = Field(parse_duration("500ms"), description="First retry delay; doubles each time, up to 30s.")
    timeout: Duration = Field(parse_duration("30s"), description="Per request.")
    refresh: bool | Literal["wait_for"] = Field(
        False, description="wait_for: upsert returns once the posts are searchable (slower ingest)."
    )


class _Transient(Exception):
    """A bulk request that may succeed if sent again."""


class ElasticStore:
    """The Store protocol on Elasticsearch (see indexer/store.py for the contract)."""

    Options: ClassVar[type[ElasticOptions]] = ElasticOptions
    description: ClassVar[str] = (
        "Elasticsearch store: data stream with lifecycle, Persian/English analysis; scales out."
    )
    most_alerts: ClassVar[int | None] = MOST_ALERTS

    def __init__(self, options: ElasticOptions) -> None:
        if not options.url:
            raise NotConfigured(
                "the elasticsearch store needs `url` (e.g. url: ${TRENDWATCH_ES_URL} with "
                "TRENDWATCH_ES_URL=http://localhost:9200)"
            )
        self.options = options
        self.url = options.url
        self.names = Names(options.prefix)
        self._client: AsyncElasticsearch | None = None
        self._inflight = asyncio.Semaphore(options.bulk_concurrency)
        self._refresh = "wait_for" if options.refresh == "wait_for" else ("true" if options.refresh is True else None)

    def __repr__(self) -> str:
        return f"ElasticStore({self.url!r}, prefix={self.options.prefix!r})"

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        if self._client is not None:
            return
        o = self.options
        auth: dict[str, Any] = {}
        if o.api_key is not None:
            auth["api_key"] = o.api_key.get_secret_value()
        elif o.username is not None:
            auth["basic_auth"] = (o.username, o.password.get_secret_value() if o.password else "")
        if o.ca_certs is not None:
            auth["ca_certs"] = str(o.ca_certs)
        self._client = AsyncElasticsearch(
            self.url,
            verify_certs=o.verify_certs,
            request_timeout=o.timeout.total_seconds(),
            max_retries=0,
            retry_on_timeout=False,
            **auth,
        )
        try:
            retention = req.retention_text(o.retention)
            await self._send(req.put_template(self.names, retention, o.shards, o.replicas))
            await self._send(req.create_data_stream(self.names), allow={"resource_already_exists_exception"})
            await self._send(req.put_lifecycle(self.names, retention))
            await self._send(req.create_index(self.names.alerts, alerts_index()), allow=_EXISTS)
            await self._send(req.create_index(self.names.state, state_index()), allow=_EXISTS)
        except BaseException:
            await self.close()
            raise
        await self.retry_rejected()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def drop_everything(self) -> None:
        """Delete the data stream, template and indices this store made (tests, uninstall)."""
        for request in req.drop(self.names):
            await self._send(request, allow={"index_not_found_exception", "resource_not_found_exception"})

    # ------------------------------------------------------------------ transport

    def _require(self) -> AsyncElasticsearch:
        if self._client is None:
            raise StoreError(f"{self} is not open")
        return self._client

    async def _raw(self, request: Request) -> Any:
        client = self._require()
        mime = "application/x-ndjson" if request.ndjson else "application/json"
        response = await client.perform_request(
            request.method,
            request.path,
            params=request.params or None,
            headers={"accept": "application/json", "content-type": mime},
            body=request.body,
        )
        return response.body

    async def _send(self, request: Request, allow: frozenset[str] | set[str] = frozenset()) -> Any:
        """Send one request; errors become StoreErrors that say what failed (never a secret)."""
        try:
            return await self._raw(request)
        except ApiError as exc:
            kind, reason = _error(exc.body)
            if kind in allow or (exc.meta.status == 404 and "not_found" in allow):
                return exc.body
            if exc.meta.status in (401, 403):
                raise StoreError(
                    f"Elasticsearch at {self.url} refused the credentials ({exc.meta.status} {kind}); "
                    "check api_key or username/password"
                ) from None
            raise StoreError(
                f"Elasticsearch {request.method} {request.path}: {exc.meta.status} {kind}: {reason}"
            ) from None
        except ConnectionTimeout:
            raise StoreError(
                f"Elasticsearch at {self.url} did not answer {request.method} {request.path} within "
                f"{self.options.timeout.total_seconds():g}s"
            ) from None
        except TransportConnectionError as exc:
            raise StoreError(f"cannot reach Elasticsearch at {self.url}: {exc.message}") from None

    # ------------------------------------------------------------------ writes

    async def upsert(self, posts: Sequence[EnrichedPost]) -> UpsertResult:
        batch = list({p.id: p for p in posts}.values())
        if not batch:
            return UpsertResult(0, 0)
        where = await self._locate([p.id for p in batch])
        size = self.options.bulk_size
        chunks = [batch[i : i + size] for i in range(0, len(batch), size)]
        outcomes = await asyncio.gather(*(self._write(chunk, where) for chunk in chunks))
        result = UpsertResult(inserted=sum(o[0] for o in outcomes), updated=sum(o[1] for o in outcomes))
        POSTS_STORED.labels(result="inserted").inc(result.inserted)
        POSTS_STORED.labels(result="updated").inc(result.updated)
        return result

    async def _locate(self, ids: Sequence[str], *, stale: bool = False) -> dict[str, Location]:
        """Where each of these posts is stored now (absent: not stored yet).

        A search sees the backing indices as of their last refresh, so a post written moments
        ago would look new, and after a rollover its `create` would land a second copy in the
        new write index. So what the first search does not find is looked up again after a
        refresh of the posts' backing indices; that refresh is only paid for when a batch holds
        posts not seen before (re-ingests of searchable posts need none). `stale`: what a
        search shows of these posts is known to be out of date (a write conflicted), so refresh
        first."""
        if stale:
            await self._send(req.refresh_posts(self.names), allow=_MISSING)
        where: dict[str, Location] = {}
        for start in range(0, len(ids), LOOKUP_SIZE):
            where.update(await self._search_locations(ids[start : start + LOOKUP_SIZE]))
        unseen = [i for i in ids if i not in where]
        if unseen and not stale:
            await self._send(req.refresh_posts(self.names), allow=_MISSING)
            for start in range(0, len(unseen), LOOKUP_SIZE):
                where.update(await self._search_locations(unseen[start : start + LOOKUP_SIZE]))
        return where

    async def _search_locations(self, ids: Sequence[str]) -> dict[str, Location]:
        return res.located(await self._send(req.locate(self.names, ids), allow=_MISSING))

    async def _write(self, posts: list[EnrichedPost], where: dict[str, Location]) -> tuple[int, int, set[str]]:
        """Bulk-write posts; return (created, updated, ids refused for good and kept).

        A post refused for good is logged and kept (`rejected:<id>`) also when the retries of
        the others run out and the batch fails. A conflict (the post exists already, or changed
        since it was looked up) is looked up again and sent at once; only refusals for now
        (429, 5xx, rejected execution) wait a backoff, and never after the last attempt."""
        docs = {p.id: to_document(p) for p in posts}
        target = {p.id: where.get(p.id) for p in posts}
        pending = list(docs)
        created = updated = 0
        rejected: list[res.ItemFailure] = []
        why = ""
        retries = self.options.retries
        for attempt in range(retries + 1):
            final = attempt == retries
            lines: list[dict[str, Any]] = []
            for post_id in pending:
                found = target[post_id]
                lines.append(req.index_line(found, post_id) if found else req.create_line(self.names, post_id))
                lines.append(docs[post_id])
            try:
                async with self._inflight:
                    body = await self._bulk(req.bulk(lines, self._refresh))
            except _Transient as exc:
                why = str(exc)
                if not final:
                    log.info("bulk request will be retried", store=repr(self), posts=len(pending), reason=why)
                    await self._pause(attempt)
                continue
            outcome = res.read_bulk(body)
            created += outcome.created
            updated += outcome.updated
            rejected.extend(outcome.rejected)
            pending = [f.post_id for f in (*outcome.conflicts, *outcome.retry)]
            if not pending:
                break
            if outcome.conflicts:
                first = outcome.conflicts[0]
                why = f"{first.status} {first.kind}: {first.reason}"
                if not final:
                    moved = [f.post_id for f in outcome.conflicts]
                    now = await self._locate(moved, stale=True)
                    target.update((post_id, now.get(post_id)) for post_id in moved)
            if outcome.retry:
                first = outcome.retry[0]
                why = f"{first.status} {first.kind}: {first.reason}"
                if not final:
                    await self._pause(attempt)
        else:
            if rejected:
                await self._keep_rejected(rejected, docs)
            raise StoreError(
                f"Elasticsearch did not accept {len(pending)} posts after {retries} retries (last: {why}); "
                "nothing is lost: the batch is not acknowledged and will be delivered again"
            )
        if rejected:
            await self._keep_rejected(rejected, docs)
        return created, updated, {f.post_id for f in rejected}

    async def _bulk(self, request: Request) -> Any:
        try:
            return await self._raw(request)
        except ApiError as exc:
            if exc.meta.status in res.RETRYABLE_STATUS:
                kind, reason = _error(exc.body)
                raise _Transient(f"{exc.meta.status} {kind}: {reason}") from None
            kind, reason = _error(exc.body)
            raise StoreError(f"Elasticsearch refused a bulk request: {exc.meta.status} {kind}: {reason}") from None
        except ConnectionTimeout:
            raise _Transient(f"no answer within {self.options.timeout.total_seconds():g}s") from None
        except TransportConnectionError as exc:
            raise _Transient(f"connection failed: {exc.message}") from None

    async def _pause(self, attempt: int) -> None:
        delay = min(self.options.backoff.total_seconds() * 2**attempt, MAX_BACKOFF)
        await asyncio.sleep(delay * (0.5 + random.random() / 2))

    async def _keep_rejected(self, rejected: list[res.ItemFailure], docs: dict[str, dict[str, Any]]) -> None:
        for failure in rejected:
            log.warning(
                "post rejected by Elasticsearch; kept for retry",
                store=repr(self),
                post_id=failure.post_id,
                status=failure.status,
                reason=f"{failure.kind}: {failure.reason}",
            )
            POSTS_DROPPED.labels(stage="store", reason=failure.kind).inc()
            previous = await self.get_state(REJECTED + failure.post_id)
            attempts = int(previous.get("attempts", 0)) + 1 if isinstance(previous, dict) else 1
            entry = {
                "status": failure.status,
                "reason": f"{failure.kind}: {failure.reason}",
                "attempts": attempts,
                "at": utcnow().isoformat(),
                "document": docs[failure.post_id],
            }
            await self.set_state(REJECTED + failure.post_id, entry)

    async def retry_rejected(self) -> int:
        """Send the posts Elasticsearch refused earlier again (after a mapping fix, say);
        return how many it accepted this time. Called on every open."""
        kept = await self.get_states(REJECTED)
        if not kept:
            return 0
        posts = [from_document(entry["document"]) for entry in kept.values()]
        _, _, refused = await self._write(posts, await self._locate([p.id for p in posts]))
        for post in posts:
            if post.id not in refused:
                await self.set_state(REJECTED + post.id, None)
        accepted = len(posts) - len(refused)
        log.info("retried rejected posts", store=repr(self), kept=len(posts), accepted=accepted)
        return accepted

    async def flush(self) -> int:
        """Make everything written so far searchable now (a refresh)."""
        await self._send(req.refresh(self.names))
        return 0

    async def set_state(self, key: str, value: Any) -> None:
        if value is None:
            await self._send(req.delete_state(self.names, key), allow={"not_found"})
            return
        normalised = orjson.loads(codec.dumps(value))  # StoreError when not JSON-serialisable
        await self._send(req.put_state(self.names, key, normalised, utcnow()))

    async def record_alert(self, alert: Alert) -> None:
        record = orjson.loads(codec.dumps(alert))
        # the same event again (a retry, a restart) is a conflict on its id: already recorded
        await self._send(req.record_alert(self.names, alert, record, time.time_ns()), allow=_RECORDED)

    async def delete_before(self, cutoff: datetime, progress: Callable[[int], None] | None = None) -> int:
        """Retention on demand (the lifecycle does it by itself for whole backing indices)."""
        deleted = res.delete_count(await self._send(req.delete_posts_before(self.names, cutoff)))
        res.delete_count(await self._send(req.delete_alerts_before(self.names, cutoff)))
        if progress is not None:
            progress(deleted)
        return deleted

    # ------------------------------------------------------------------ reads

    async def get(self, ids: Sequence[str]) -> list[EnrichedPost]:
        unique = list(dict.fromkeys(ids))
        found: dict[str, EnrichedPost] = {}
        for start in range(0, len(unique), 1000):
            body = await self._send(req.get_posts(self.names, unique[start : start + 1000]))
            found.update((p.id, p) for p in res.posts(body, "lookup"))
        return [found[i] for i in unique if i in found]

    async def count(self, since: datetime | None = None, until: datetime | None = None) -> int:
        return res.count(await self._send(req.count(self.names, since, until)))

    async def series(self, query: SeriesQuery, since: datetime, until: datetime) -> list[Series]:
        body = await self._send(req.series(self.names, query, since, until, query.subject))
        return res.series(body, query, since, until, query.subject)

    async def top_terms(
        self,
        kind: TermKind,
        since: datetime,
        until: datetime,
        *,
        brand: str | None = None,
        lang: str | None = None,
        limit: int = 20,
    ) -> list[TermCount]:
        body = await self._send(req.top_terms(self.names, kind, since, until, brand, lang, limit))
        return res.top_terms(body)

    async def emerging_terms(
        self,
        kind: TermKind,
        since: datetime,
        until: datetime,
        baseline_since: datetime,
        baseline_until: datetime,
        *,
        brand: str | None = None,
        lang: str | None = None,
        limit: int = 20,
        min_count: int = 3,
    ) -> list[TermCount]:
        body = await self._send(
            req.emerging_terms(
                self.names, kind, since, until, (baseline_since, baseline_until), brand, lang, limit, min_count
            )
        )
        return res.emerging_terms(body)

    async def drivers(
        self, query: SeriesQuery, subject: str, since: datetime, until: datetime, limit: int = 5
    ) -> Drivers:
        body = await self._send(req.drivers(self.names, query, subject, since, until, limit))
        return res.drivers(body, query)

    async def search(
        self, query: str, *, since: datetime | None = None, until: datetime | None = None, limit: int = 50
    ) -> list[EnrichedPost]:
        parsed = parse(query)
        return res.posts(await self._send(req.search(self.names, parsed, since, until, limit)))

    async def scan(
        self, since: datetime | None = None, after: Any = None, page: int = 1000
    ) -> AsyncIterator[tuple[list[EnrichedPost], Any]]:
        cursor: list[Any] | None = after
        while True:
            posts, cursor = res.scan_page(await self._send(req.scan_posts(self.names, since, cursor, page)))
            if not posts:
                return
            yield posts, cursor

    async def get_state(self, key: str) -> Any | None:
        return res.state_value(await self._send(req.get_state(self.names, key), allow={"not_found"}))

    async def get_states(self, prefix: str) -> dict[str, Any]:
        return res.states(await self._send(req.states(self.names, prefix)), prefix)

    async def alerts(
        self, *, since: datetime | None = None, status: AlertStatus | None = None, limit: int = 200
    ) -> list[Alert]:
        return res.alerts(await self._send(req.alerts(self.names, since, status, min(limit, MOST_ALERTS))))

    async def facets(
        self,
        field: FacetField,
        since: datetime,
        until: datetime,
        *,
        where: PostFilter | None = None,
        order: FacetOrder = "count",
        limit: int = 20,
    ) -> list[Facet]:
        where = where or PostFilter()
        if until <= since or limit <= 0:
            return []
        body = await self._send(browse.facets_request(self.names, field, since, until, where, order, limit))
        return browse.read_facets(body, field, where)

    async def posts(
        self,
        since: datetime,
        until: datetime,
        *,
        where: PostFilter | None = None,
        order: PostOrder = "newest",
        limit: int = 50,
        offset: int = 0,
    ) -> list[EnrichedPost]:
        if until <= since or limit <= 0:
            return []
        # a search returns at most 10,000 hits (index.max_result_window)
        size = min(limit, max(0, 10_000 - offset))
        request = browse.posts_request(self.names, since, until, where or PostFilter(), order, size, max(0, offset))
        return res.posts(await self._send(request)) if size else []


_EXISTS = {"resource_already_exists_exception"}
_RECORDED = {"version_conflict_engine_exception"}
_MISSING = {"index_not_found_exception"}


def _error(body: Any) -> tuple[str, str]:
    """(type, reason) of an Elasticsearch error body, whatever its shape."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("type", "error")), str(error.get("reason", ""))
        if isinstance(error, str):
            return "error", error
        if body.get("found") is False:
            return "not_found", "document not found"
        if body.get("result") == "not_found":
            return "not_found", "document not found"
    return "error", str(body)[:200]
