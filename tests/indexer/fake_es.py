"""A local HTTP server that speaks enough of Elasticsearch's REST protocol for the store.

It answers the set-up calls, bulk and searches the way a cluster does (the product header the
official client checks, JSON and NDJSON bodies, the response shapes of the specification), keeps
the posts it was given, and can be scripted to misbehave: reject requests with 429 or 5xx, fail
single bulk items, answer slowly, report shard failures. Every request it receives can be
checked against Elastic's OpenAPI specification.
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
BACKING = ".ds-tw-posts-2026.11.20-000001"

Handler = Callable[["Received"], Awaitable[tuple[int, Any]] | tuple[int, Any]]


@dataclass
class Received:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    ndjson: bool

    def as_request(self) -> Request:
        return Request(self.method, self.path, self.body, self.params, self.ndjson)


@dataclass
class FakeElasticsearch:
    """State and scripted behaviour; `url` is set once the server listens."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)  # _id -> source (posts)
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)  # _id -> source
    overrides: list[tuple[str, str, Handler]] = field(default_factory=list)
    delay: float = 0.0
    bulk_in_flight: int = 0
    max_bulk_in_flight: int = 0

    def on(self, method: str, path_contains: str, handler: Handler) -> None:
        """Answer matching requests with `handler` (first match wins) before the defaults."""
        self.overrides.append((method, path_contains, handler))

    def bulks(self) -> list[Received]:
        return [r for r in self.received if r.path.endswith("/_bulk")]

    # ------------------------------------------------------------------ defaults

    def default(self, r: Received) -> tuple[int, Any]:
        if r.path.endswith("/_bulk"):
            return 200, self.bulk(r.body)
        if r.path.endswith("/_search") and "-state" in r.path:
            prefix = r.body["query"]["prefix"]["key"]["value"]
            hits = [
                {"_index": "tw-state", "_id": k, "_source": v}
                for k, v in sorted(self.state.items())
                if k.startswith(prefix)
            ]
            return 200, search_body(hits)
        if r.path.endswith("/_search") and isinstance(r.body, dict) and "ids" in r.body.get("query", {}):
            ids = r.body["query"]["ids"]["values"]
            hits = [
                {"_index": BACKING, "_id": i, **({} if r.body.get("_source") is False else {"_source": self.docs[i]})}
                for i in ids
                if i in self.docs
            ]
            return 200, search_body(hits)
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
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if r.method == "PUT" and ("/_index_template/" in r.path or "/_lifecycle" in r.path):
            return 200, {"acknowledged": True}
        if r.method == "PUT" and r.path.startswith("/_data_stream/"):
            return 200, {"acknowledged": True}
        if r.method == "PUT":
            return 200, {"acknowledged": True, "shards_acknowledged": True, "index": r.path.strip("/")}
        return 404, {"error": {"type": "unsupported_in_fake", "reason": f"{r.method} {r.path}"}, "status": 404}

    def bulk(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        items = []
        for action, source in zip(lines[::2], lines[1::2], strict=True):
            op, meta = next(iter(action.items()))
            post_id = meta["_id"]
            if op == "create" and post_id in self.docs:
                items.append(
                    {
                        op: {
                            "_index": BACKING,
                            "_id": post_id,
                            "status": 409,
                            "error": {
                                "type": "version_conflict_engine_exception",
                                "reason": f"[{post_id}]: version conflict, document already exists",
                            },
                        }
                    }
                )
                continue
            result = "updated" if post_id in self.docs else "created"
            self.docs[post_id] = source
            items.append({op: {**doc_result(post_id, result, BACKING), "status": 201 if result == "created" else 200}})
        errors = any("error" in next(iter(i.values())) for i in items)
        return {"took": 1, "errors": errors, "items": items}

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
