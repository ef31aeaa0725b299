"""Alerts from `trendwatch-alerts` drawn as annotations on the time series panels.

The SDK's `AnnotationQuery` models the built-in Grafana annotations only (its `target` has
`limit`, `matchAny`, `tags`, `type`). Grafana's Elasticsearch datasource reads the Lucene query
from `target.query` and the document fields from `timeField`, `timeEndField`, `textField` and
`tagsField` on the annotation, so this subclass adds exactly those keys to the typed model.
"""

from __future__ import annotations

import typing

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import dashboard as dm

from trendwatch.service.grafana.contract import ALERTS_TIME_FIELD
from trendwatch.service.grafana.queries import ALERTS


class ElasticsearchAnnotation(dm.AnnotationQuery):
    """An annotation query against an Elasticsearch datasource."""

    def __init__(
        self,
        name: str = "",
        datasource: dm.DataSourceRef | None = None,
        enable: bool = True,
        icon_color: str = "red",
        query: str = "*",
        time_field: str = ALERTS_TIME_FIELD,
        time_end_field: str | None = None,
        text_field: str | None = None,
        tags_field: str | None = None,
        limit: int = 100,
    ) -> None:
        super().__init__(
            name=name,
            datasource=datasource,
            enable=enable,
            hide=False,
            icon_color=icon_color,
            target=dm.AnnotationTarget(limit=limit, match_any=False, tags=[], type_val="tags"),
        )
        self.query = query
        self.time_field = time_field
        self.time_end_field = time_end_field
        self.text_field = text_field
        self.tags_field = tags_field

    def to_json(self) -> dict[str, object]:
        payload = super().to_json()
        target = self.target.to_json() if self.target is not None else {}
        payload["target"] = {**target, "query": self.query, "refId": "Anno"}
        payload["timeField"] = self.time_field
        for key, value in (
            ("timeEndField", self.time_end_field),
            ("textField", self.text_field),
            ("tagsField", self.tags_field),
        ):
            if value is not None:
                payload[key] = value
        return payload

    @classmethod
    def from_json(cls, data: dict[str, typing.Any]) -> typing.Self:
        target = data.get("target") or {}
        datasource = dm.DataSourceRef.from_json(data["datasource"]) if "datasource" in data else None
        return cls(
            name=data.get("name", ""),
            datasource=datasource,
            enable=data.get("enable", True),
            icon_color=data.get("iconColor", "red"),
            query=target.get("query", "*"),
            time_field=data.get("timeField", ALERTS_TIME_FIELD),
            time_end_field=data.get("timeEndField"),
            text_field=data.get("textField"),
            tags_field=data.get("tagsField"),
            limit=target.get("limit", 100),
        )


class AlertAnnotation(cogbuilder.Builder[dm.AnnotationQuery]):
    """Builder of the "trendwatch alerts" annotation: opened alerts whose subject is a selected brand."""

    def __init__(self, query: str = "status:open AND (subject:$brand OR related:$brand)") -> None:
        self._query = query

    def build(self) -> dm.AnnotationQuery:
        return ElasticsearchAnnotation(
            name="trendwatch alerts",
            datasource=ALERTS,
            icon_color="red",
            query=self._query,
            text_field="subject",
            tags_field="rule",
        )
