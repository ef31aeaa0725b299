"""Grafana dashboards as code, over the Elasticsearch documents trendwatch writes.

The dashboards are built with the Grafana Foundation SDK's typed builders (so a typo in a panel
option is a type error, not a silently broken panel) and serialised with its JSON encoder.

    contract.py     the Elasticsearch indices and fields the panels may use (docs/ARCHITECTURE.md)
    queries.py      small helpers that build Elasticsearch targets (metrics, bucket aggregations)
    variables.py    template variables: brand, platform, language, interval, rule
    annotations.py  alerts from `trendwatch-alerts` as annotations on time series
    overview.py, comparison.py, drilldown.py, alerts_board.py   the four dashboards
    catalog.py      every dashboard, built once with the display options
    provisioning.py datasource and dashboard-provider files for Grafana's provisioning
    export.py       `trendwatch grafana export DIR`
    push.py         `trendwatch grafana push`: create or update through the HTTP API (grafana-client)
    es_request.py   the `_search` body Grafana's Elasticsearch datasource sends for a target
"""
