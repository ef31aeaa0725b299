"""A local HTTP server that speaks enough of Elasticsearch's REST protocol for the store.

It answers the set-up calls, bulk and searches the way a cluster does (the product header the
official client checks, JSON and NDJSON bodies, the response shapes of the specification), keeps
the posts it was given, and can be scripted to misbehave: reject requests with 429 or 5xx, fail
single bulk items, answer slowly, report shard failures. Every request it receives can be
checked against Elastic's OpenAPI specification.

Posts live in a data stream as a cluster keeps them, with the rules the store must live by:

- backing indices `.ds-<stream>-2026.11.20-00000N`; the last is the write index, and
  `rollover()` starts a new one;
- a bulk `create` names the stream and lands in the write index (409 when the id is already
  there; an id held by an older backing index is not seen: a second copy is made, as on a real
  cluster); `index` into a backing index needs `if_seq_no` and `if_primary_term` (400 without:
  a data stream is append-only) and answers 409 when they are not the document's current ones;
  `create` into a backing index and `index` into the stream are refused (400);
- searches see the backing indices as of their last refresh (`_refresh`, or a bulk with
  `refresh=true|wait_for`); writes since are invisible to them until then. `auto_refresh`
  (on by default) refreshes after every bulk, as a cluster does within `refresh_interval`;
  a test turns it off to model the gap.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from indexer.elastic_requests import Request

HEADERS = {"X-Elastic-Product": "Elasticsearch", "Content-Type": "application/json"}
PRIMARY_TERM = 1

Handler = Callable[["Received"], Awaitable[tuple[int, Any]] | tuple[int, Any]]


def backing_name(stream: str, generation: int) -> str:
    return f".ds-{stream}-2026.11.20-{generation:06d}"


BACKING = backing_name("tw-posts", 1)


@dataclass
class Received:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    ndjson: bool

    def as_request(self) -> Request:
        return Request(self.method, self.path, self.body, self.params, self.ndjson)


@dataclass(frozen=True)
class StoredDoc:
    source: dict[str, Any]
    seq_no: int
    primary_term: int = PRIMARY_TERM


@dataclass
class DataStream:
    name: str
    backing: list[str] = field(default_factory=list)
    live: dict[str, dict[str, StoredDoc]] = field(default_factory=dict)  # backing -> _id -> doc (realtime)
    visible: dict[str, dict[str, StoredDoc]] = field(default_factory=dict)  # as of the last refresh

    @property
    def write_index(self) -> str:
        return self.backing[-1]

    def roll_over(self) -> str:
        index = backing_name(self.name, len(self.backing) + 1)
        self.backing.append(index)
        self.live[index] = {}
        self.visible[index] = {}
        return index

    def refresh(self) -> None:
        self.visible = {index: dict(docs) for index, docs in self.live.items()}


@dataclass
class FakeElasticsearch:
    """State and scripted behaviour; `url` is set once the server listens."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    streams: dict[str, DataStream] = field(default_factory=dict)
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)  # _id -> source
    overrides: list[tuple[str, str, Handler]] = field(default_factory=list)
    delay: float = 0.0
    auto_refresh: bool = True
    bulk_in_flight: int = 0
    max_bulk_in_flight: int = 0
    seq_no: int = 0

    def on(self, method: str, path_contains: str, handler: Handler) -> None:
        """Answer matching requests with `handler` (first match wins) before the defaults."""
        self.overrides.append((method, path_contains, handler))

    def bulks(self) -> list[Received]:
        return [r for r in self.received if r.path.endswith("/_bulk")]

    # ------------------------------------------------------------------ posts

    def stream(self, name: str = "tw-posts") -> DataStream:
        """The data stream (created with its first backing index on first use)."""
        if name not in self.streams:
            self.streams[name] = DataStream(name)
            self.streams[name].roll_over()
        return self.streams[name]

    def _posts(self) -> DataStream:
        if not self.streams:
            return self.stream()
        return next(iter(self.streams.values()))

    def rollover(self) -> str:
        """Start a new write index for the posts, as the lifecycle does; return its name."""
        return self._posts().roll_over()

    def refresh(self) -> None:
        for stream in self.streams.values():
            stream.refresh()

    def put(self, post_id: str, source: dict[str, Any], *, refreshed: bool = True) -> StoredDoc:
        """Store a post in the write index directly (a write this test did not make)."""
        stream = self._posts()
        doc = self._next(source)
        stream.live[stream.write_index][post_id] = doc
        if refreshed:
            stream.visible[stream.write_index][post_id] = doc
        return doc

    @property
    def docs(self) -> dict[str, dict[str, Any]]:
        """_id -> source of every post (the newest backing index's copy when there are several)."""
        out: dict[str, dict[str, Any]] = {}
        for stream in self.streams.values():
            for index in stream.backing:
                out.update((i, d.source) for i, d in stream.live[index].items())
        return out

    def copies(self, post_id: str) -> list[str]:
        """The backing indices holding a post (more than one is a duplicate)."""
        return [index for s in self.streams.values() for index in s.backing if post_id in s.live[index]]

    def _next(self, source: dict[str, Any]) -> StoredDoc:
        self.seq_no += 1
        return StoredDoc(source, self.seq_no)

    def _owner(self, index: str) -> DataStream | None:
        return next((s for s in self.streams.values() if index in s.backing), None)

    # ------------------------------------------------------------------ defaults

    def default(self, r: Received) -> tuple[int, Any]:
        if r.path.endswith("/_bulk"):
            return 200, self.bulk(r.body, r.params.get("refresh"))
        if r.path.endswith("/_search") and "-state" in r.path:
            prefix = r.body["query"]["prefix"]["key"]["value"]
            hits = [
                {"_index": "tw-state", "_id": k, "_source": v}
                for k, v in sorted(self.state.items())
                if k.startswith(prefix)
            ]
            return 200, search_body(hits)
        if r.path.endswith("/_search") and isinstance(r.body, dict) and "ids" in r.body.get("query", {}):
            return 200, search_body(self._ids_hits(r.body))
        if "/_doc/" in r.path and "-state" in r.path:
            key = _unquote(r.path.rsplit("/", 1)[-1])
            if r.method == "GET":
                if key in self.state:
                    return 200, {"_index": "tw-state", "_id": key, "found": True, "_source": self.state[key]}
                return 404, {"_index": "tw-state", "_id": key, "found": False}
            if r.method == "PUT":
                created = key not in self.state
                self.state[key] = r.body
                return (201 if created else 200), doc_result(key, "created" if created else "updated")
            if r.method == "DELETE":
                found = self.state.pop(key, None) is not None
                return (200 if found else 404), doc_result(key, "deleted" if found else "not_found")
        if r.method == "PUT" and "/_create/" in r.path and "-alerts" in r.path:
            index, _, doc_id = r.path.strip("/").split("/")
            if doc_id in self.alerts:
                return 409, error_body(409, "version_conflict_engine_exception", f"[{doc_id}]: document already exists")
            self.alerts[doc_id] = r.body
            return 201, doc_result(doc_id, "created", index)
        if r.path.endswith("/_refresh"):
            self.refresh()
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if r.method == "PUT" and ("/_index_template/" in r.path or "/_lifecycle" in r.path):
            return 200, {"acknowledged": True}
        if r.method == "PUT" and r.path.startswith("/_data_stream/"):
            self.stream(r.path.split("/")[2])
            return 200, {"acknowledged": True}
        if r.method == "PUT":
            return 200, {"acknowledged": True, "shards_acknowledged": True, "index": r.path.strip("/")}
        return 404, {"error": {"type": "unsupported_in_fake", "reason": f"{r.method} {r.path}"}, "status": 404}

    def _ids_hits(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """An `ids` search: every copy visible as of the last refresh, in every backing index."""
        wanted = body["query"]["ids"]["values"]
        hits = []
        for stream in self.streams.values():
            for index in stream.backing:
                for post_id in wanted:
                    doc = stream.visible[index].get(post_id)
                    if doc is None:
                        continue
                    hit: dict[str, Any] = {"_index": index, "_id": post_id}
                    if body.get("seq_no_primary_term"):
                        hit.update(_seq_no=doc.seq_no, _primary_term=doc.primary_term)
                    if body.get("_source") is not False:
                        hit["_source"] = doc.source
                    hits.append(hit)
        return hits

    def bulk(self, lines: list[dict[str, Any]], refresh: str | None = None) -> dict[str, Any]:
        items = []
        for action, source in zip(lines[::2], lines[1::2], strict=True):
            op, meta = next(iter(action.items()))
            items.append({op: self._write(op, meta, source)})
        if self.auto_refresh or refresh in ("true", "wait_for", ""):
            self.refresh()
        errors = any("error" in next(iter(i.values())) for i in items)
        return {"took": 1, "errors": errors, "items": items}

    def _write(self, op: str, meta: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
        target, post_id = meta["_index"], meta["_id"]
        stream = self.streams.get(target)
        owner = self._owner(target)
        if stream is not None and op == "create":
            index = stream.write_index
            if post_id in stream.live[index]:
                return _conflict(index, post_id, "document already exists")
            stream.live[index][post_id] = doc = self._next(source)
            return _written(index, post_id, doc, "created")
        if stream is not None:
            return _refused(
                target,
                post_id,
                f"only write ops with an op_type of create are allowed in data streams, got [{op}]",
            )
        if owner is None:
            return _refused(target, post_id, f"no such index [{target}]", 404, "index_not_found_exception")
        if op == "create":
            return _refused(
                target,
                post_id,
                "index request with op_type=create targeting backing indices is disallowed, "
                f"target corresponding data stream [{owner.name}] instead",
            )
        if_seq_no, if_term = meta.get("if_seq_no"), meta.get("if_primary_term")
        if if_seq_no is None and if_term is None:
            return _refused(
                target,
                post_id,
                "index request with op_type=index and no if_primary_term and if_seq_no set targeting backing "
                f"indices is disallowed, target corresponding data stream [{owner.name}] instead",
            )
        current = owner.live[target].get(post_id)
        if current is None or (current.seq_no, current.primary_term) != (if_seq_no, if_term):
            required = f"required seqNo [{if_seq_no}], primary term [{if_term}]"
            found = (
                f"current document has seqNo [{current.seq_no}] and primary term [{current.primary_term}]"
                if current
                else "but no document was found"
            )
            return _conflict(target, post_id, f"{required}. {found}")
        owner.live[target][post_id] = doc = self._next(source)
        return _written(target, post_id, doc, "updated")

    # ------------------------------------------------------------------ server

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        ndjson = "ndjson" in request.headers.get("content-type", "")
        body: Any = None
        if raw:
            text = raw.decode()
            body = [json.loads(line) for line in text.splitlines() if line.strip()] if ndjson else json.loads(text)
        received = Received(request.method, request.path, dict(request.query), body, ndjson)
        self.received.append(received)
        bulk = request.path.endswith("/_bulk")
        if bulk:
            self.bulk_in_flight += 1
            self.max_bulk_in_flight = max(self.max_bulk_in_flight, self.bulk_in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            for method, fragment, handler in self.overrides:
                if method == request.method and fragment in request.path:
                    answer = handler(received)
                    status, payload = await answer if asyncio.iscoroutine(answer) else answer  # type: ignore[misc]
                    if status is not None:
                        break
            else:
                status, payload = self.default(received)
        finally:
            if bulk:
                self.bulk_in_flight -= 1
        return web.Response(status=status, text=json.dumps(payload), headers=HEADERS)


def _written(index: str, post_id: str, doc: StoredDoc, result: str) -> dict[str, Any]:
    return {
        **doc_result(post_id, result, index),
        "_seq_no": doc.seq_no,
        "_primary_term": doc.primary_term,
        "status": 201 if result == "created" else 200,
    }


def _conflict(index: str, post_id: str, detail: str) -> dict[str, Any]:
    return {
        "_index": index,
        "_id": post_id,
        "status": 409,
        "error": {"type": "version_conflict_engine_exception", "reason": f"[{post_id}]: version conflict, {detail}"},
    }


def _refused(
    index: str, post_id: str, reason: str, status: int = 400, kind: str = "illegal_argument_exception"
) -> dict[str, Any]:
    return {"_index": index, "_id": post_id, "status": status, "error": {"type": kind, "reason": reason}}


def _unquote(value: str) -> str:
    from urllib.parse import unquote

    return unquote(value)


def doc_result(doc_id: str, result: str, index: str = "tw-state") -> dict[str, Any]:
    return {
        "_index": index,
        "_id": doc_id,
        "_version": 1,
        "result": result,
        "_shards": {"total": 2, "successful": 1, "failed": 0},
        "_seq_no": 0,
        "_primary_term": 1,
    }


def search_body(hits: list[dict[str, Any]], aggregations: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "took": 1,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {"hits": hits},
    }
    if aggregations is not None:
        body["aggregations"] = aggregations
    body.update(top)
    return body


def error_body(status: int, kind: str, reason: str) -> dict[str, Any]:
    return {
        "error": {"type": kind, "reason": reason, "root_cause": [{"type": kind, "reason": reason}]},
        "status": status,
    }
