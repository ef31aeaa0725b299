"""The `_search` request body Grafana's Elasticsearch datasource sends for a panel target.

Grafana turns a target (Lucene query, metrics, bucket aggregations) into a search request on
its server side; this module does the same translation, following the rules of Grafana's
Elasticsearch query builder: a `bool.filter` of the time range and a `query_string`; bucket
aggregations nested in the order given; metrics inside the innermost bucket; pipeline
metrics' `buckets_path` naming other metrics (`_count` for a count); a terms aggregation
ordered by a metric carrying that metric; raw-data targets sorted newest first.

The body is written in Elasticsearch's canonical form, which Elastic's specification describes:
`aggregations` where Grafana writes the alias `aggs`, and scripts as `{"source": ...}` where
Grafana sends the string shorthand (Elasticsearch expands both the same way).

It exists so the dashboards can be checked without a Grafana: every request a panel implies is
validated against Elastic's published API specification in the tests, and run against a real
cluster when one is available (tests/service/test_grafana_live.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from grafana_foundation_sdk.models import dashboard as dm

CALENDAR_INTERVALS = ("1w", "1M", "1q", "1y")
PIPELINE_TYPES = ("moving_avg", "moving_fn", "derivative", "serial_diff", "cumulative_sum", "bucket_script")
DOCUMENT_TYPES = ("raw_data", "raw_document", "logs")
_VARIABLE = re.compile(r"\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]|\$(\w+)")
_LUCENE_SPECIAL = re.compile(r'([!*+\-=<>\s&|()\[\]{}^~?:\\/"])')

VariableValues = Mapping[str, str | Sequence[str]]


def search_body(target: Mapping[str, Any], time_field: str, *, start_ms: int, end_ms: int) -> dict[str, Any]:
    """The request body for one target (already interpolated: no `$variables` left)."""
    metrics: list[dict[str, Any]] = list(target.get("metrics") or [])
    buckets: list[dict[str, Any]] = list(target.get("bucketAggs") or [])
    filters: list[dict[str, Any]] = [
        {"range": {time_field: {"gte": str(start_ms), "lte": str(end_ms), "format": "epoch_millis"}}}
    ]
    query = target.get("query") or "*"
    filters.append({"query_string": {"analyze_wildcard": True, "query": query}})
    body: dict[str, Any] = {"query": {"bool": {"filter": filters}}}

    if metrics and metrics[0]["type"] in DOCUMENT_TYPES:
        settings = metrics[0].get("settings") or {}
        body["size"] = int(settings.get("size") or 500)
        body["sort"] = [
            {time_field: {"order": "desc", "unmapped_type": "boolean"}},
            {"_doc": {"order": "desc"}},
        ]
        body["docvalue_fields"] = [{"field": time_field}]
        body["fields"] = [{"field": time_field, "format": "strict_date_optional_time_nanos"}]
        return body

    if not buckets:
        raise ValueError(f"target {target.get('refId')!r} has metrics but no bucket aggregation")
    body["size"] = 0
    root: dict[str, Any] = {}
    level = root
    for bucket in buckets:
        agg, children = _bucket(bucket, metrics, time_field, start_ms, end_ms)
        level[bucket["id"]] = agg
        level = children
    for metric in metrics:
        if metric["type"] == "count":
            continue
        level[metric["id"]] = _metric(metric, metrics)
    body["aggregations"] = _drop_empty(root)
    return body


def _bucket(
    bucket: Mapping[str, Any], metrics: Sequence[Mapping[str, Any]], time_field: str, start_ms: int, end_ms: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the aggregation, the dict its sub-aggregations go into)."""
    kind = bucket["type"]
    settings = dict(bucket.get("settings") or {})
    children: dict[str, Any] = {}
    if kind == "date_histogram":
        interval = str(settings.get("interval") or "auto")
        spec: dict[str, Any] = {"field": bucket.get("field") or time_field}
        if interval in CALENDAR_INTERVALS:
            spec["calendar_interval"] = interval
        else:
            spec["fixed_interval"] = "1h" if interval == "auto" else interval
        spec["min_doc_count"] = int(settings.get("min_doc_count") or 0)
        spec["extended_bounds"] = {"min": start_ms, "max": end_ms}
        spec["format"] = "epoch_millis"
        agg: dict[str, Any] = {"date_histogram": spec}
    elif kind == "terms":
        spec = {"field": bucket["field"], "size": int(settings.get("size") or 500) or 500}
        if "min_doc_count" in settings:
            spec["min_doc_count"] = int(settings["min_doc_count"])
        order_by = settings.get("orderBy")
        if order_by:
            direction = settings.get("order", "desc")
            metric = next((m for m in metrics if m["id"] == order_by), None)
            if metric is not None and metric["type"] == "count":
                spec["order"] = {"_count": direction}
            elif metric is not None:
                spec["order"] = {order_by: direction}
                children[metric["id"]] = {metric["type"]: _field_only(metric)}
            else:
                spec["order"] = {order_by: direction}
        agg = {"terms": spec}
    elif kind == "filters":
        agg = {
            "filters": {
                "filters": {
                    f.get("label") or f.get("query") or "*": {
                        "query_string": {"query": f.get("query") or "*", "analyze_wildcard": True}
                    }
                    for f in settings.get("filters") or [{"query": "*"}]
                }
            }
        }
    elif kind == "nested":
        agg = {"nested": {"path": bucket["field"]}}
    elif kind == "histogram":
        agg = {
            "histogram": {
                "field": bucket["field"],
                "interval": float(settings.get("interval") or 1000),
                "min_doc_count": int(settings.get("min_doc_count") or 0),
            }
        }
    else:
        raise ValueError(f"bucket aggregation {kind!r} is not supported by the dashboards")
    agg["aggregations"] = children
    return agg, children


def _metric(metric: Mapping[str, Any], metrics: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    kind = metric["type"]
    settings = dict(metric.get("settings") or {})
    if kind in PIPELINE_TYPES:
        by_id = {m["id"]: m for m in metrics}
        if kind == "bucket_script":
            paths = {
                v["name"]: "_count" if by_id[v["pipelineAgg"]]["type"] == "count" else v["pipelineAgg"]
                for v in metric.get("pipelineVariables") or []
            }
            return {kind: {"buckets_path": paths, **_scripts(settings)}}
        source = metric.get("field") or metric.get("pipelineAgg")
        path = "_count" if by_id[source]["type"] == "count" else source
        return {kind: {"buckets_path": path, **_scripts(settings)}}
    body = _field_only(metric)
    for key, value in settings.items():
        if key == "precision_threshold" or key == "sigma":
            body[key] = float(value)
        elif key == "missing":
            body[key] = value
        elif key == "script":
            body[key] = _script(value)
        else:
            body[key] = value
    return {kind: body}


def _script(value: str | Mapping[str, Any]) -> dict[str, Any]:
    return {"source": value if isinstance(value, str) else value.get("inline", "")}


def _scripts(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _script(v) if k == "script" else v for k, v in settings.items()}


def _drop_empty(aggs: dict[str, Any]) -> dict[str, Any]:
    """Remove empty `aggregations` objects (Grafana only writes sub-aggregations that exist)."""
    for agg in aggs.values():
        children = agg.get("aggregations")
        if children is not None:
            if children:
                _drop_empty(children)
            else:
                del agg["aggregations"]
    return aggs


def _field_only(metric: Mapping[str, Any]) -> dict[str, Any]:
    return {"field": metric["field"]} if metric.get("field") else {}


# ------------------------------------------------------------------------------ variables


def interpolate(text: str, values: VariableValues, all_values: Mapping[str, str] | None = None) -> str:
    """Replace `$var`, `${var}`, `${var:lucene}` and `[[var]]` the way Grafana does for a Lucene query.

    A list of values becomes `("a" OR "b")`; the value `$__all` becomes the variable's All value
    (`all_values`, `*` by default). Unknown variables are left as they are.
    """
    all_values = all_values or {}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3) or match.group(4)
        if name not in values:
            return match.group(0)
        value = values[name]
        items = [value] if isinstance(value, str) else list(value)
        if items == ["$__all"]:
            return all_values.get(name, "*")
        if len(items) == 1:
            return _lucene_escape(items[0])
        return "(" + " OR ".join(f'"{_lucene_escape(v)}"' for v in items) + ")"

    return _VARIABLE.sub(replace, text)


def _lucene_escape(value: str) -> str:
    try:
        float(value)
        return value
    except ValueError:
        return _LUCENE_SPECIAL.sub(r"\\\1", value)


def interpolate_target(target: Mapping[str, Any], values: VariableValues) -> dict[str, Any]:
    """A copy of a target JSON with every string interpolated (queries, intervals, filter labels)."""

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return interpolate(node, values)
        if isinstance(node, list):
            return [walk(n) for n in node]
        if isinstance(node, dict):
            return {walk(k): walk(v) for k, v in node.items()}
        return node

    result: dict[str, Any] = walk(dict(target))
    return result


def panel_targets(dashboard: dm.Dashboard) -> list[tuple[str, dict[str, Any]]]:
    """(panel title, target JSON) of every Elasticsearch target of a dashboard, rows included."""
    out: list[tuple[str, dict[str, Any]]] = []
    for panel in dashboard.panels or []:
        for item in [panel, *(getattr(panel, "panels", None) or [])]:
            for target in getattr(item, "targets", None) or []:
                data = target.to_json()
                data = {k: _plain(v) for k, v in data.items()}
                out.append((getattr(item, "title", "") or "", data))
    return out


def _plain(value: Any) -> Any:
    """A JSON-plain copy of an SDK model value (nested models turned into dicts)."""
    if hasattr(value, "to_json"):
        return _plain(value.to_json())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
