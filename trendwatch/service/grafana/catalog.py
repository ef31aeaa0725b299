"""Every trendwatch dashboard, built once with the display options of the deployment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import dashboard as dm

from trendwatch.config import DisplayConfig
from trendwatch.service.grafana import alerts_board, comparison, drilldown, overview

#: (uid, builder) of each dashboard, in the order of the folder listing.
DASHBOARDS: tuple[tuple[str, Callable[[], db.Dashboard]], ...] = (
    (overview.UID, overview.build),
    (comparison.UID, comparison.build),
    (drilldown.UID, drilldown.build),
    (alerts_board.UID, alerts_board.build),
)


@dataclass(frozen=True, slots=True)
class DashboardOptions:
    """What a deployment changes about the dashboards: time zone and first day of the week."""

    timezone: str = "browser"
    week_start: str | None = None

    @classmethod
    def from_display(cls, display: DisplayConfig) -> DashboardOptions:
        """Dashboards in the configured zone; weeks start on Saturday with the Jalali calendar."""
        return cls(timezone=display.timezone, week_start="saturday" if display.calendar == "jalali" else None)


def build_dashboards(options: DashboardOptions | None = None) -> list[dm.Dashboard]:
    """Build every dashboard: typed SDK models, panels numbered 1..n in reading order."""
    options = options or DashboardOptions()
    built = []
    for _uid, build in DASHBOARDS:
        builder = build().timezone(options.timezone).link(_links())
        if options.week_start:
            builder = builder.week_start(options.week_start)
        dashboard = builder.build()
        _finish_panels(dashboard)
        built.append(dashboard)
    return built


def _links() -> db.DashboardLink:
    """A drop-down to the other trendwatch dashboards, keeping time range and variables."""
    return (
        db.DashboardLink("trendwatch")
        .type(dm.DashboardLinkType.DASHBOARDS)
        .tags(["trendwatch"])
        .as_dropdown(True)
        .include_vars(True)
        .keep_time(True)
        .icon("external link")
        .tooltip("Other trendwatch dashboards")
        .target_blank(False)
        .url("")
    )


def _finish_panels(dashboard: dm.Dashboard) -> None:
    """Number every panel and row (the SDK leaves ids unset; links and repeats need them) and give
    each panel the datasource of its targets: Grafana runs a panel's queries on the panel's
    datasource unless it is "mixed", so a panel without one would use the default datasource."""
    next_id = 1
    for panel in dashboard.panels or []:
        for item in [panel, *(getattr(panel, "panels", None) or [])]:
            item.id_val = next_id
            next_id += 1
            targets = getattr(item, "targets", None) or []
            sources = {(t.datasource.type_val, t.datasource.uid) for t in targets if t.datasource is not None}
            if len(sources) == 1 and getattr(item, "datasource", None) is None:
                item.datasource = targets[0].datasource
