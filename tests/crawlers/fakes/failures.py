"""The failure modes every JSON source must survive (issue 3), as responders a fake server can
inject ahead of its real answers, keyed by the metrics reason the source must report."""

from __future__ import annotations

from tests.crawlers.helpers import Responder, reply, slow, truncated

JSON = "application/json"

JSON_FAILURES: dict[str, Responder] = {
    "http_401": reply(b'{"error": "unauthorized"}', status=401, content_type=JSON),
    "http_403": reply(b'{"error": "forbidden"}', status=403, content_type=JSON),
    "http_404": reply(b'{"error": "Record not found"}', status=404, content_type=JSON),
    "http_429": reply(
        b'{"error": "Too many requests"}', status=429, content_type=JSON, headers={"Retry-After": "3600"}
    ),
    "http_500": reply(b"Internal Server Error", status=500, content_type="text/plain"),
    "timeout": slow(1.0, reply(b"[]", content_type=JSON)),
    "truncated_json": reply(b'[{"id": "1", "content": "cut', content_type=JSON),
    "malformed_json": reply(b'[{"id": "1",, }]', content_type=JSON),
    "html_instead_of_json": reply(
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        content_type="text/html",
    ),
    "invalid_utf8": reply(b'[{"id": "1", "content": "\xff\xfe\xfd"}]', content_type=JSON),
    "empty_body": reply(b"", content_type=JSON),
    "truncated_body": truncated(b'[{"id": "1"', claimed=4096),
}

#: How many times each failure must be served so that it outlasts the session's retries.
PERSISTENT = 10
