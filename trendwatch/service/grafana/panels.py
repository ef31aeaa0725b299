"""Panel presets: the few panel shapes the dashboards use, configured the same way everywhere.

Every preset takes the panel's title, a description (shown as the panel's (i) tooltip: what is
counted and how, so nobody has to guess), its targets and its size in grid units (24 wide).
"""

from __future__ import annotations

from typing import TypeVar

from grafana_foundation_sdk.builders import bargauge, common, piechart, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import elasticsearch as es
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import piechart as pcm

SENTIMENT_COLOURS = {"negative": "red", "neutral": "text", "positive": "green"}

AnyPanel = TypeVar("AnyPanel", timeseries.Panel, stat.Panel, bargauge.Panel, table.Panel, piechart.Panel)


def _legend(*, table: bool = True, calcs: tuple[str, ...] = ("sum", "max")) -> common.VizLegendOptions:
    mode = cm.LegendDisplayMode.TABLE if table else cm.LegendDisplayMode.LIST
    return (
        common.VizLegendOptions()
        .display_mode(mode)
        .placement(cm.LegendPlacement.BOTTOM)
        .show_legend(True)
        .calcs(list(calcs))
    )


def _each_row() -> common.ReduceDataOptions:
    """One bar or slice per row of a `terms` table (the term is the row's name), in ES order."""
    return common.ReduceDataOptions().values(True).calcs([]).limit(50)


def _tooltip() -> common.VizTooltipOptions:
    return common.VizTooltipOptions().mode(cm.TooltipDisplayMode.MULTI).sort(cm.SortOrder.DESCENDING)


def time_series(
    title: str,
    description: str,
    *targets: es.Dataquery,
    unit: str = "short",
    stack: cm.StackingMode | None = None,
    bars: bool = False,
    span: int = 12,
    height: int = 8,
    legend_calcs: tuple[str, ...] = ("sum", "max"),
) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .targets(list(targets))
        .unit(unit)
        .span(span)
        .height(height)
        .legend(_legend(calcs=legend_calcs))
        .tooltip(_tooltip())
        .line_width(2)
        .fill_opacity(10)
        .show_points(cm.VisibilityMode.NEVER)
        .span_nulls(False)
    )
    if bars:
        panel = panel.draw_style(cm.GraphDrawStyle.BARS).fill_opacity(80).line_width(1)
    if stack is not None:
        panel = panel.stacking(common.StackingConfig().mode(stack))
    return panel


def single_stat(
    title: str,
    description: str,
    target: es.Dataquery,
    *,
    unit: str = "short",
    decimals: int | None = None,
    calc: str = "sum",
    span: int = 6,
    height: int = 4,
    sparkline: bool = True,
) -> stat.Panel:
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .with_target(target)
        .unit(unit)
        .span(span)
        .height(height)
        .reduce_options(common.ReduceDataOptions().calcs([calc]).values(False))
        .graph_mode(cm.BigValueGraphMode.AREA if sparkline else cm.BigValueGraphMode.NONE)
        .color_mode(cm.BigValueColorMode.VALUE)
        .text_mode(cm.BigValueTextMode.VALUE)
    )
    if decimals is not None:
        panel = panel.decimals(decimals)
    return panel


def ranked_bars(
    title: str, description: str, target: es.Dataquery, *, span: int = 8, height: int = 9, unit: str = "short"
) -> bargauge.Panel:
    """A horizontal bar per term (top hashtags, topics, complaint terms), in the target's order."""
    return (
        bargauge.Panel()
        .title(title)
        .description(description)
        .with_target(target)
        .unit(unit)
        .span(span)
        .height(height)
        .orientation(cm.VizOrientation.HORIZONTAL)
        .display_mode(cm.BarGaugeDisplayMode.BASIC)
        .show_unfilled(True)
        .min_viz_height(14)
        .reduce_options(_each_row())
    )


def pie(title: str, description: str, target: es.Dataquery, *, span: int = 8, height: int = 9) -> piechart.Panel:
    return (
        piechart.Panel()
        .title(title)
        .description(description)
        .with_target(target)
        .span(span)
        .height(height)
        .pie_type(pcm.PieChartType.DONUT)
        .reduce_options(_each_row())
        .legend(
            piechart.PieChartLegendOptions()
            .display_mode(cm.LegendDisplayMode.TABLE)
            .placement(cm.LegendPlacement.RIGHT)
            .show_legend(True)
            .values([pcm.PieChartLegendValues.PERCENT, pcm.PieChartLegendValues.VALUE])
        )
        .display_labels([pcm.PieChartLabels.PERCENT])
        .hide_from(common.HideSeriesConfig().legend(False).tooltip(False).viz(False))
    )


def data_table(
    title: str, description: str, *targets: es.Dataquery, span: int = 12, height: int = 10, unit: str = "short"
) -> table.Panel:
    return (
        table.Panel()
        .title(title)
        .description(description)
        .targets(list(targets))
        .span(span)
        .height(height)
        .unit(unit)
        .cell_height(cm.TableCellHeight.SM)
        .show_header(True)
    )


def row(title: str) -> db.Row:
    return db.Row(title)


def fixed_colour(colour: str) -> dm.DynamicConfigValue:
    return dm.DynamicConfigValue(id_val="color", value={"mode": "fixed", "fixedColor": colour})


def unit(name: str) -> dm.DynamicConfigValue:
    return dm.DynamicConfigValue(id_val="unit", value=name)


def display_name(name: str) -> dm.DynamicConfigValue:
    return dm.DynamicConfigValue(id_val="displayName", value=name)


def with_sentiment_colours(panel: timeseries.Panel) -> timeseries.Panel:
    """Red for negative, grey for neutral, green for positive series (named by sentiment_label)."""
    for label, colour in SENTIMENT_COLOURS.items():
        panel = panel.override_by_name(label, [fixed_colour(colour)])
    return panel


def fixed_scheme(colour: str) -> db.FieldColor:
    return db.FieldColor().mode(dm.FieldColorModeId.FIXED).fixed_color(colour)


def per_brand(panel: AnyPanel) -> AnyPanel:
    """Repeat the panel once per selected brand, side by side (its title should name `$brand`)."""
    return panel.repeat("brand").repeat_direction("h")
