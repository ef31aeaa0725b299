"""The OpenAPI 3.1 document of the web app, written from the route table and the models.

`openapi.json` next to this module is the document as generated; the service serves that file
at `/api/openapi.json` and a test checks it equals what `document()` builds now. After changing
a route or a model, regenerate it:

    python -m trendwatch.service.web.openapi
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

import trendwatch
from trendwatch.service.web import schema
from trendwatch.service.web.routes import OPENAPI_FILE, ROUTES, Route

FILE = OPENAPI_FILE
REF = "#/components/schemas/{model}"
ERRORS = {
    400: "The request is malformed: a bad parameter, body or search query (see `param` and `position`).",
    401: "A token is configured and the request did not carry it.",
    403: "A cross-origin request tried to change something.",
    404: "Nothing with that name.",
    415: "The body was not application/json.",
    503: "The store cannot answer now.",
}


def _models() -> list[tuple[type[BaseModel], Any]]:
    out: list[tuple[type[BaseModel], Any]] = [(schema.ApiError, "serialization")]
    for route in ROUTES:
        if route.response is not None:
            out.append((route.response, "serialization"))
        if route.body is not None:
            out.append((route.body, "validation"))
    return list(dict.fromkeys(out))


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _operation(route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": route.name, "summary": route.summary, "tags": [route.tag]}
    if route.params:
        op["parameters"] = [
            {
                "name": p.name,
                "in": p.where,
                "required": p.required or p.where == "path",
                "description": p.description,
                "schema": p.schema,
            }
            for p in route.params
        ]
    if route.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(route.body)}}}
    if route.response is not None:
        content = {"application/json": {"schema": _ref(route.response)}}
    elif route.content_type == "application/json":
        content = {"application/json": {"schema": {"type": "object"}}}
    else:
        content = {route.content_type: {"schema": {"type": "string"}}}
    responses: dict[str, Any] = {"200": {"description": "OK", "content": content}}
    for status in route.errors:
        error_content = {"application/json": {"schema": _ref(route.error_body)}}
        responses[str(status)] = {"description": ERRORS[status], "content": error_content}
    op["responses"] = responses
    if not route.open:
        op["security"] = [{"token": []}, {}]
    return op


def document() -> dict[str, Any]:
    _, definitions = models_json_schema(_models(), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "trendwatch web app API",
            "version": trendwatch.__version__,
            "description": (
                "The JSON API behind trendwatch's built-in web app (docs/webapp.md). Instants are ISO-8601 "
                "UTC; `*_display` fields are written for people in the configured display time zone, calendar "
                "and digits. Post text, author names and terms are untrusted input returned as data. When "
                "`web.token` is configured, /api/* and /metrics need `Authorization: Bearer <token>`."
            ),
            "license": {"name": "Apache-2.0"},
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "views", "description": "What each page of the web app draws."},
            {"name": "alerts", "description": "Alert episodes; acknowledging and muting them."},
            {"name": "posts", "description": "Post lists and search."},
            {"name": "service", "description": "Health, metrics, this document."},
            {"name": "page", "description": "The web app itself."},
        ],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
    }


def text() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> None:
    FILE.write_text(text(), encoding="utf-8")
    print(f"wrote {FILE}")


if __name__ == "__main__":
    main()
