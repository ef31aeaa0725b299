"""Template variables shared by the dashboards: brand, platform, language, interval, alert rule.

Values come from the data (a `terms` lookup on the field), so a new competitor or platform
appears in the drop-down as soon as its first post is indexed. Multi-value variables use `*` as
their "All" value, which Grafana substitutes as is into `field:$var` (any value present). The
time range is Grafana's own time picker; `interval` sets the width of time buckets.
"""

from __future__ import annotations

import json

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import dashboard as dm

from trendwatch.service.grafana.queries import ALERTS, POSTS

INTERVALS = ("1h", "3h", "6h", "12h", "1d", "7d")


def _terms(name: str, label: str, source: dm.DataSourceRef, field: str, *, multi: bool = True) -> db.QueryVariable:
    variable = (
        db.QueryVariable(name)
        .id(name)
        .label(label)
        .datasource(source)
        .query(json.dumps({"find": "terms", "field": field, "size": 500}))
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dm.VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC)
        .multi(multi)
        .include_all(multi)
    )
    if multi:
        variable = variable.all_value("*").current(dm.VariableOption(selected=True, text=["All"], value=["$__all"]))
    return variable


def brand(*, multi: bool = True) -> db.QueryVariable:
    """Brands named in posts (the own brand and competitors, by their configured names)."""
    return _terms("brand", "Brand", POSTS, "brands", multi=multi).description(
        "Brands as configured (brand, competitors)"
    )


def platform() -> db.QueryVariable:
    return _terms("platform", "Platform", POSTS, "platform").description("Where posts come from")


def language() -> db.QueryVariable:
    return _terms("lang", "Language", POSTS, "lang").description("Detected language of the post")


def rule() -> db.QueryVariable:
    return _terms("rule", "Rule", ALERTS, "rule").description("Alert rules (configured detectors)")


def interval() -> db.IntervalVariable:
    """Bucket width for time series; `auto` picks about 50 buckets for the time range."""
    return (
        db.IntervalVariable("interval")
        .id("interval")
        .label("Interval")
        .values(",".join(INTERVALS))
        .auto(True)
        .step_count(50)
        .min_interval("1h")
        .current(dm.VariableOption(selected=True, text="auto", value="$__auto_interval_interval"))
    )
