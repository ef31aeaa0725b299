"""Validate requests against Elastic's OpenAPI specification (../shared/contracts/elasticsearch).

One adaptation, applied to the loaded copy only: every `oneOf` becomes `anyOf`. The generator
writes unions as `oneOf` with overlapping members — `_types.FieldValue` lists `number` twice and
`string` twice — so under strict `oneOf` no string or number would ever validate. `anyOf` is what
those unions mean.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from jsonschema.exceptions import best_match
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.validators import V30RequestBodyValidator

from indexer.elastic_requests import Request
from tests.conftest import shared_path

SPEC = ("contracts", "elasticsearch", "elasticsearch-serverless-openapi.json")


def _any_of(node: Any) -> Any:
    if isinstance(node, dict):
        return {("anyOf" if k == "oneOf" else k): _any_of(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_any_of(v) for v in node]
    return node


@cache
def _load(path: str) -> tuple[OpenAPI, dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        spec = _any_of(json.load(handle))
    from openapi_core import Config

    api = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None, request_validator_cls=V30RequestBodyValidator))
    return api, spec


def spec() -> tuple[OpenAPI, dict[str, Any]]:
    """The loaded specification, or skip (with the reason) when ../shared is not there."""
    return _load(str(shared_path(*SPEC)))


class _Request:
    def __init__(self, request: Request) -> None:
        self.host_url = "http://localhost:9200"
        self.path = request.path.split("?")[0]
        self.method = request.method.lower()
        self.parameters = RequestParameters(query=dict(request.params), header={}, cookie={}, path={})
        self.content_type = "application/json"
        self.body = json.dumps(request.body).encode() if request.body is not None else None

    @property
    def full_url_pattern(self) -> str:
        return self.host_url + self.path


def operation(request: Request) -> tuple[str, dict[str, Any]]:
    """The specification's path template and operation for a request (AssertionError if none)."""
    _, document = spec()
    path = request.path.split("?")[0]
    candidates = []
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and request.method.lower() in item:
            literal = len(re.sub(r"\{[^}]+\}", "", template))
            candidates.append((literal, template, item[request.method.lower()]))
    assert candidates, f"{request.method} {path} is not an operation of the Elasticsearch specification"
    _, template, op = max(candidates)
    return template, op


def validate(request: Request) -> str:
    """Validate the request's path, method, query parameter names and body; return the
    operation id. Raises AssertionError naming the offending part of the body."""
    _, op = operation(request)
    known = {p.get("name") for p in op.get("parameters", ()) if isinstance(p, dict)}
    known |= {_resolve_param(p) for p in op.get("parameters", ()) if isinstance(p, dict) and "$ref" in p}
    unknown = set(request.params) - known
    assert not unknown, f"{op['operationId']} has no query parameter {sorted(unknown)}"
    if request.body is None:
        return str(op["operationId"])
    assert "requestBody" in op, f"{op['operationId']} takes no body"
    api, _ = spec()
    try:
        api.validate_request(_Request(request))
    except Exception as exc:  # openapi-core wraps the jsonschema errors
        errors = getattr(exc.__cause__, "schema_errors", None) or []
        if errors:
            best = best_match(errors)
            where = "/".join(str(p) for p in best.absolute_path)
            raise AssertionError(f"{op['operationId']} body invalid at {where or '<root>'}: {best.message}") from None
        raise AssertionError(f"{op['operationId']} body invalid: {exc}") from None
    return str(op["operationId"])


def _resolve_param(ref: dict[str, Any]) -> str | None:
    _, document = spec()
    name = ref["$ref"].rsplit("/", 1)[-1]
    found = document["components"]["parameters"].get(name, {})
    return found.get("name")


def response_schema(operation_id: str, status: str = "200") -> dict[str, Any]:
    """The JSON schema of an operation's response (components resolved lazily by jsonschema)."""
    _, document = spec()
    for item in document["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                response = op["responses"][status]
                if "$ref" in response:
                    response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
                return dict(response["content"]["application/json"]["schema"])
    raise KeyError(operation_id)


def validate_response(operation_id: str, body: Any) -> None:
    """Check that a canned response body is shaped as the specification says."""
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    _, document = spec()
    schema = {**response_schema(operation_id), "components": document["components"]}
    registry: Registry[Any] = Registry().with_resource("", Resource(contents=schema, specification=DRAFT4))
    validator = Draft4Validator(_nullable(schema), registry=registry)
    errors = list(validator.iter_errors(body))
    if errors:
        best = best_match(errors)
        where = "/".join(str(p) for p in best.absolute_path)
        raise AssertionError(f"{operation_id} response invalid at {where or '<root>'}: {best.message}")


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` as JSON Schema: also allow null."""
    if isinstance(node, dict):
        out = {k: _nullable(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") and "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node
