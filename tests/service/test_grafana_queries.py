"""Every panel's Elasticsearch request validates against Elastic's published API specification.

Each target of each dashboard is turned into the `_search` body Grafana would send
(`trendwatch.service.grafana.es_request`) with the template variables set three ways (All, one
value, several values) and validated against the request body of `POST /{index}/_search` in
../shared/contracts/elasticsearch/elasticsearch-serverless-openapi.json.

The specification is read strictly: an object key the specification does not declare is an
error (`unevaluatedProperties: false` at every place a schema is used), so a misspelt option
fails here instead of in production. Three corrections make the specification say what
Elasticsearch does, each noted where it is made:

* unions are written as `oneOf` but overlap (a range query is valid as a date range and as an
  untyped range), so they are read as `anyOf`;
* "container" objects (an aggregation: exactly one aggregation type plus `aggregations` and
  `meta`) carry `maxProperties: 1` over the whole object, which would forbid sub-aggregations;
  the limit is applied to the variant keys only ("exactly one of ...");
* sort options declare only `_score`, `_doc`, `_geo_distance` and `_script`; the field sort
  (`{"created_at": {"order": "desc"}}`, Elasticsearch's most common sort) is missing, and is
  added with the options Elasticsearch documents for it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.conftest import shared_path
from trendwatch.service.grafana import catalog, es_request
from trendwatch.service.grafana.contract import ALERTS_INDEX, ALERTS_TIME_FIELD, POSTS_TIME_FIELD

SPEC = ("contracts", "elasticsearch", "elasticsearch-serverless-openapi.json")
SEARCH_BODY = "#/components/requestBodies/search/content/application~1json/schema"
START_MS, END_MS = 1_767_225_600_000, 1_767_830_400_000  # 2026-01-01 .. 2026-01-08 UTC

VARIABLE_SETTINGS = {
    "all": {"brand": "$__all", "platform": "$__all", "lang": "$__all", "rule": "$__all", "interval": "1h"},
    "one": {"brand": "Digikala", "platform": "mastodon", "lang": "fa", "rule": "volume-spike", "interval": "1d"},
    "several": {
        "brand": ["Digikala", "Snapp Shop", "دیجی‌کالا"],
        "platform": ["mastodon", "reddit"],
        "lang": ["fa", "en"],
        "rule": ["volume-spike", "tone-shift"],
        "interval": "7d",
    },
}


def _strict(spec: dict[str, Any]) -> dict[str, Any]:
    """The specification with unknown keys forbidden and the three corrections applied."""
    spec = copy.deepcopy(spec)
    schemas = spec["components"]["schemas"]

    # Correction 3: field sorts, e.g. {"created_at": {"order": "desc", "unmapped_type": "boolean"}}.
    schemas["_types.SortOptions"]["additionalProperties"] = {
        "anyOf": [
            {"$ref": "#/components/schemas/_types.SortOrder"},
            {
                "type": "object",
                "properties": {
                    "order": {"$ref": "#/components/schemas/_types.SortOrder"},
                    "unmapped_type": {"type": "string"},
                    "missing": {"type": ["string", "number", "boolean"]},
                    "mode": {"enum": ["min", "max", "sum", "avg", "median"]},
                    "numeric_type": {"enum": ["long", "double", "date", "date_nanos"]},
                    "format": {"type": "string"},
                },
                "additionalProperties": False,
            },
        ]
    }
    schemas["_types.SortOptions"].pop("maxProperties", None)

    def walk(node: Any, *, allof_member: bool = False, root: bool = False) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        if "oneOf" in node:  # correction 1
            node["anyOf"] = node.pop("oneOf")
        members = node.get("allOf")
        if isinstance(members, list):  # correction 2
            variants = [m for m in members if isinstance(m, dict) and m.get("maxProperties") == 1 and "properties" in m]
            if variants and len(members) > 1:
                variant = variants[0]
                variant.pop("maxProperties")
                variant.pop("minProperties", None)
                node["oneOf"] = [{"required": [key]} for key in variant["properties"]]
        for key, value in list(node.items()):
            if key == "allOf":
                for member in value:
                    walk(member, allof_member=True)
            elif key == "properties" and isinstance(value, dict):
                for sub in value.values():
                    walk(sub)
            elif key in ("anyOf", "items", "additionalProperties", "not"):
                walk(value)
        declares = "$ref" in node or "properties" in node or "allOf" in node
        if declares and not allof_member and not root and "additionalProperties" not in node:
            node["unevaluatedProperties"] = False

    for schema in schemas.values():
        walk(schema, root=True)
    for body in spec["components"].get("requestBodies", {}).values():
        for media in body.get("content", {}).values():
            walk(media["schema"])
    return spec


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    spec = json.loads(shared_path(*SPEC).read_text(encoding="utf-8"))
    registry: Registry = Registry().with_resource(
        "spec.json", Resource.from_contents(_strict(spec), default_specification=DRAFT202012)
    )
    return jsonschema.Draft202012Validator({"$ref": f"spec.json{SEARCH_BODY}"}, registry=registry)


def _problems(validator: jsonschema.Draft202012Validator, body: dict[str, Any]) -> list[str]:
    """The deepest message of each error (the top-level one only says "not valid under any")."""

    def leaves(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
        if not error.context:
            return [error]
        return [leaf for child in error.context for leaf in leaves(child)]

    out = []
    for error in validator.iter_errors(body):
        deepest = max(leaves(error), key=lambda e: len(e.absolute_path))
        out.append(f"{'/'.join(map(str, deepest.absolute_path))}: {deepest.message[:200]}")
    return out


def _targets() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (dashboard.uid or "", title, target)
        for dashboard in catalog.build_dashboards()
        for title, target in es_request.panel_targets(dashboard)
    ]


TARGETS = _targets()


def test_every_dashboard_has_elasticsearch_targets() -> None:
    per_dashboard: dict[str, int] = {}
    for uid, _, target in TARGETS:
        per_dashboard[uid] = per_dashboard.get(uid, 0) + 1
        assert target["datasource"]["type"] == "elasticsearch"
    assert set(per_dashboard) == {uid for uid, _ in catalog.DASHBOARDS}
    assert all(count >= 5 for count in per_dashboard.values()), per_dashboard


@pytest.mark.parametrize("setting", sorted(VARIABLE_SETTINGS))
@pytest.mark.parametrize(
    ("uid", "title", "target"), TARGETS, ids=[f"{uid}:{title}:{t['refId']}" for uid, title, t in TARGETS]
)
def test_panel_query_is_a_valid_search_request(
    validator: jsonschema.Draft202012Validator, uid: str, title: str, target: dict[str, Any], setting: str
) -> None:
    time_field = ALERTS_TIME_FIELD if target["datasource"]["uid"] == ALERTS_INDEX else POSTS_TIME_FIELD
    resolved = es_request.interpolate_target(target, VARIABLE_SETTINGS[setting])
    assert "$" not in json.dumps(resolved, ensure_ascii=False), f"{uid}/{title}: a variable was not resolved"
    body = es_request.search_body(resolved, time_field, start_ms=START_MS, end_ms=END_MS)
    assert _problems(validator, body) == [], json.dumps(body, ensure_ascii=False)


# The validator must be able to fail: each of these is a real mistake it has to catch.
BAD_BODIES = {
    "unknown aggregation type": {"size": 0, "aggregations": {"a": {"termz": {"field": "brands"}}}},
    "misspelt terms option": {"size": 0, "aggregations": {"a": {"terms": {"feild": "brands"}}}},
    "two aggregation types in one": {
        "size": 0,
        "aggregations": {"a": {"terms": {"field": "brands"}, "avg": {"field": "sentiment"}}},
    },
    "unknown query type": {"query": {"bool": {"filter": [{"rang": {"created_at": {"gte": "now-1d"}}}]}}},
    "size as text": {"size": "ten"},
    "script as bare number": {"size": 0, "aggregations": {"a": {"sum": {"script": 3}}}},
    "misspelt sort option": {"sort": [{"created_at": {"ordre": "desc"}}]},
}


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
def test_validator_rejects_a_malformed_request(validator: jsonschema.Draft202012Validator, name: str) -> None:
    assert _problems(validator, BAD_BODIES[name]), f"{name} passed validation"


def test_validator_accepts_sub_aggregations_and_field_sorts(validator: jsonschema.Draft202012Validator) -> None:
    body = {
        "size": 10,
        "sort": [{"created_at": {"order": "desc", "unmapped_type": "boolean"}}, {"_doc": {"order": "desc"}}],
        "aggregations": {"a": {"terms": {"field": "brands"}, "aggregations": {"b": {"avg": {"field": "sentiment"}}}}},
    }
    assert _problems(validator, body) == []


def test_lucene_interpolation_follows_grafana() -> None:
    values = {"brand": ["Digikala", "Snapp Shop"], "lang": "fa", "platform": "$__all"}
    query = es_request.interpolate("brands:$brand AND lang:${lang:lucene} AND platform:[[platform]]", values)
    assert query == 'brands:("Digikala" OR "Snapp\\ Shop") AND lang:fa AND platform:*'
    assert es_request.interpolate("subject:$brand", {"brand": "a:b"}) == "subject:a\\:b"
    assert es_request.interpolate("x:$unknown", {}) == "x:$unknown"


def test_terms_ordered_by_a_metric_carries_that_metric() -> None:
    target = {
        "refId": "A",
        "query": "*",
        "metrics": [{"id": "1", "type": "cardinality", "field": "author.id"}],
        "bucketAggs": [
            {
                "id": "2",
                "type": "terms",
                "field": "hashtags",
                "settings": {"size": "5", "orderBy": "1", "order": "desc"},
            }
        ],
    }
    body = es_request.search_body(target, "created_at", start_ms=0, end_ms=1)
    terms = body["aggregations"]["2"]
    assert terms["terms"]["order"] == {"1": "desc"}
    assert terms["aggregations"]["1"] == {"cardinality": {"field": "author.id"}}


def test_bucket_script_paths_name_counts_as_doc_count() -> None:
    target = {
        "refId": "A",
        "query": "*",
        "metrics": [
            {"id": "1", "type": "count"},
            {"id": "2", "type": "sum", "settings": {"script": "1"}},
            {
                "id": "3",
                "type": "bucket_script",
                "pipelineVariables": [{"name": "n", "pipelineAgg": "1"}, {"name": "s", "pipelineAgg": "2"}],
                "settings": {"script": "params.s / params.n"},
            },
        ],
        "bucketAggs": [{"id": "4", "type": "date_histogram", "field": "created_at", "settings": {"interval": "1w"}}],
    }
    body = es_request.search_body(target, "created_at", start_ms=0, end_ms=1)
    histogram = body["aggregations"]["4"]
    assert histogram["date_histogram"]["calendar_interval"] == "1w"
    assert histogram["aggregations"]["3"]["bucket_script"]["buckets_path"] == {"n": "_count", "s": "2"}
    assert histogram["aggregations"]["3"]["bucket_script"]["script"] == {"source": "params.s / params.n"}
    assert "1" not in histogram["aggregations"]
