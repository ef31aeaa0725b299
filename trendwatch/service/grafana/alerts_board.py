"""The Alerts dashboard: what fired, what is still open, and which rules are noisy.

`trendwatch-alerts` holds one document per lifecycle event of an alert (opened, updated,
resolved) with the fields of `trendwatch.models.Alert`. Grafana cannot pick the latest event per
alert key from Elasticsearch, so "still open" is counted per (rule, subject) over the last 30
days as events opened minus events resolved: 1 or more means an alert is open now.
Platform and language are not filters here: an alert about a brand across all platforms has no
platform, and a `platform:*` filter would hide it.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import elasticsearch as es
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from trendwatch.service.grafana import panels, variables
from trendwatch.service.grafana.queries import (
    ALERTS,
    average,
    bucket_script,
    count,
    histogram,
    keyword_is,
    lucene,
    maximum,
    raw_data,
    scripted_sum,
    target,
    terms,
)

UID = "trendwatch-alerts"
TIME = "at"
SCOPE = ("rule:$rule", "(subject:$brand OR related:$brand)")


def _status_count(status: str, *extra: str) -> es.Dataquery:
    return target(
        ALERTS, lucene(*SCOPE, f"status:{status}", *extra), metrics=[count("1")], buckets=[histogram("2", TIME)]
    )


def build() -> db.Dashboard:
    by_rule_over_time = target(
        ALERTS,
        lucene(*SCOPE),
        metrics=[count("1")],
        buckets=[terms("2", "rule", size=20), histogram("3", TIME)],
        alias="{{term rule}}",
    )
    by_rule = target(
        ALERTS,
        lucene(*SCOPE),
        metrics=[
            count("1"),
            scripted_sum("2", keyword_is("status", "open")),
            scripted_sum("3", keyword_is("status", "resolved")),
            average("4", "score"),
            maximum("5", "score"),
        ],
        buckets=[terms("6", "rule", size=50)],
    )
    still_open = target(
        ALERTS,
        lucene(*SCOPE),
        metrics=[
            scripted_sum("1", keyword_is("status", "open"), hide=True),
            scripted_sum("2", keyword_is("status", "resolved"), hide=True),
            bucket_script("3", "params.opened - params.resolved", {"opened": "1", "resolved": "2"}),
            maximum("4", TIME),
            maximum("5", "score"),
        ],
        buckets=[terms("6", "rule", size=50), terms("7", "subject", size=100)],
    )
    log = target(ALERTS, lucene(*SCOPE), metrics=[raw_data("1", 200)])

    open_table = (
        panels.data_table(
            "Open alerts (last 30 days)",
            "Per rule and subject: opened minus resolved events in the last 30 days; 'open' means "
            "the alert has not resolved yet. Sorted in Grafana by clicking a column.",
            still_open,
            span=24,
            height=10,
        )
        .time_from("30d")
        .override_by_name(
            "Bucket Script",
            [
                panels.display_name("state"),
                dm.DynamicConfigValue(
                    id_val="mappings",
                    value=[
                        {"type": "value", "options": {"0": {"text": "resolved", "color": "green", "index": 0}}},
                        {
                            "type": "range",
                            "options": {"from": 1, "to": None, "result": {"text": "open", "color": "red", "index": 1}},
                        },
                    ],
                ),
                dm.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"}),
            ],
        )
        .override_by_name("Max at", [panels.display_name("last event"), panels.unit("dateTimeFromNow")])
        .override_by_name("Max score", [panels.display_name("max score"), panels.unit("percentunit")])
    )
    rule_table = (
        panels.data_table(
            "By rule",
            "Events per rule in the time range: how often each rule opens and resolves, and how "
            "surprising its alerts were (score 0-1).",
            by_rule,
            span=12,
            height=9,
        )
        .override_by_name("Count", [panels.display_name("events")])
        .override_by_name("Sum", [panels.display_name("opened")])
        .override_by_name("Average score", [panels.display_name("mean score"), panels.unit("percentunit")])
        .override_by_name("Max score", [panels.display_name("max score"), panels.unit("percentunit")])
    )
    log_table = panels.data_table(
        "Alert log",
        "The newest 200 lifecycle events, newest first.",
        log,
        span=24,
        height=12,
    ).with_transformation(
        dm.DataTransformerConfig(
            id_val="organize",
            options={
                "includeByName": {
                    name: True
                    for name in (
                        TIME,
                        "status",
                        "severity",
                        "rule",
                        "subject",
                        "metric",
                        "direction",
                        "expected",
                        "observed",
                        "score",
                        "platform",
                        "lang",
                    )
                },
                "indexByName": {TIME: 0, "status": 1, "severity": 2, "rule": 3, "subject": 4, "metric": 5},
            },
        )
    )

    return (
        db.Dashboard("trendwatch / Alerts")
        .uid(UID)
        .description("Alerts opened, updated and resolved; what is still open; which rules fire most.")
        .tags(["trendwatch", "alerts"])
        .time("now-7d", "now")
        .refresh("1m")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .with_variable(variables.rule())
        .with_variable(variables.brand())
        .with_variable(variables.interval())
        .with_row(panels.row("At a glance"))
        .with_panel(panels.single_stat("Opened", "Alerts opened in the time range.", _status_count("open")))
        .with_panel(
            panels.single_stat("Updated", "Updates to open alerts (grew, changed severity).", _status_count("updated"))
        )
        .with_panel(panels.single_stat("Resolved", "Alerts that resolved.", _status_count("resolved")))
        .with_panel(
            panels.single_stat(
                "Critical opened",
                "Alerts opened with severity critical.",
                _status_count("open", "severity:critical"),
            )
        )
        .with_row(panels.row("Activity"))
        .with_panel(
            panels.time_series(
                "Alert events per rule",
                "Lifecycle events per interval by rule (stacked).",
                by_rule_over_time,
                stack=cm.StackingMode.NORMAL,
                bars=True,
                span=12,
                height=9,
            )
        )
        .with_panel(rule_table)
        .with_row(panels.row("Open now"))
        .with_panel(open_table)
        .with_row(panels.row("Log"))
        .with_panel(log_table)
    )
