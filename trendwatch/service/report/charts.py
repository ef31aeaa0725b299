"""The report's charts, drawn with matplotlib as vector SVG.

matplotlib (3.11+) lays text out with libraqm, so Persian brand names and titles are shaped
and ordered correctly; text is written as glyph outlines (`svg.fonttype: path`), so the SVG looks
the same everywhere, needs no font and can carry no markup from the data. The same SVG goes
into the HTML (inline) and the PDF (vector, through fpdf2). Output is deterministic (no date,
fixed ids) so a report of the same data is byte-for-byte the same.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from matplotlib import font_manager, rc_context
from matplotlib.dates import date2num, num2date
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.typing import RcKeyType

from trendwatch.service.report.fonts import BOLD, FAMILY, REGULAR
from trendwatch.service.report.locale import Locale
from trendwatch.service.report.model import Report

OWN_COLOUR = "#1f6feb"
COLOURS = ("#e8590c", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599", "#c2255c", "#5c940d", "#495057")
WIDTH_IN = 7.2

for _path in (REGULAR, BOLD):
    font_manager.fontManager.addfont(str(_path))

_STYLE: dict[RcKeyType, Any] = {
    "font.family": FAMILY,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e9ecef",
    "grid.linewidth": 0.8,
    "svg.fonttype": "path",
    "svg.hashsalt": "trendwatch",
    "axes.unicode_minus": False,
}


def colours(report: Report) -> dict[str, str]:
    """A stable colour per brand: the own brand blue, competitors from a palette in order."""
    out, others = {}, iter(COLOURS * 4)
    for summary in report.brands:
        out[summary.brand] = OWN_COLOUR if summary.own else next(others)
    return out


@contextmanager
def _figure(height: float) -> Iterator[Figure]:
    """A figure of its own (no pyplot: no global state, safe in any thread) in the report style."""
    with rc_context(_STYLE):
        yield Figure(figsize=(WIDTH_IN, height))


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def _numbers(locale: Locale, places: int = 0) -> FuncFormatter:
    def format_tick(value: float, _position: int) -> str:
        if places == 0:
            return locale.integer(round(value))
        return locale.decimal(value, places, signed=value != 0)

    return FuncFormatter(format_tick)


def mentions_over_time(report: Report, locale: Locale) -> bytes:
    """One line per brand: mentions per bucket over the period."""
    palette = colours(report)
    with _figure(3.0) as figure:
        axes = figure.add_subplot()
        for summary in report.brands:
            xs = date2num([b.start for b in summary.series])
            ys = [b.count for b in summary.series]
            axes.plot(xs, ys, label=summary.brand, color=palette[summary.brand], linewidth=2.2 if summary.own else 1.4)
        axes.set_title(locale.t("chart_mentions", step=locale.step(report.step)), loc="right" if locale.rtl else "left")
        axes.yaxis.set_major_formatter(_numbers(locale))
        axes.yaxis.set_major_locator(MaxNLocator(5, integer=True))
        axes.set_ylim(bottom=0)
        axes.xaxis.set_major_formatter(_dates(locale, report))
        axes.xaxis.set_major_locator(MaxNLocator(8))
        axes.legend(frameon=False, ncols=min(4, len(report.brands)), loc="upper center", bbox_to_anchor=(0.5, -0.12))
        return _svg(figure)


def share_of_voice(report: Report, locale: Locale) -> bytes:
    """A horizontal bar per brand with its share of all brand mentions."""
    palette = colours(report)
    brands = list(reversed(report.brands))  # first brand on top
    with _figure(0.5 + 0.42 * len(brands)) as figure:
        axes = figure.add_subplot()
        shares = [b.share for b in brands]
        bars = axes.barh([b.brand for b in brands], shares, color=[palette[b.brand] for b in brands], height=0.6)
        for bar, share in zip(bars, shares, strict=True):
            axes.text(bar.get_width() + 0.01, bar.get_y() + bar.get_height() / 2, locale.percent(share), va="center")
        axes.set_xlim(0, max([*shares, 0.01]) * 1.25)
        axes.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: locale.percent(v)))
        axes.set_title(locale.t("chart_share"), loc="right" if locale.rtl else "left")
        axes.grid(axis="y", visible=False)
        return _svg(figure)


def net_sentiment(report: Report, locale: Locale) -> bytes:
    """Each brand's net sentiment as a point with its 95% interval, on a -1..+1 scale."""
    palette = colours(report)
    brands = [b for b in reversed(report.brands) if b.net_sentiment is not None]
    with _figure(0.6 + 0.42 * max(1, len(brands))) as figure:
        axes = figure.add_subplot()
        for row, summary in enumerate(brands):
            net, margin = summary.net_sentiment or 0.0, summary.net_margin or 0.0
            axes.errorbar(
                net, row, xerr=margin, fmt="o", color=palette[summary.brand], capsize=4, markersize=7, linewidth=1.6
            )
            axes.text(min(net + margin, 0.98) + 0.04, row, locale.decimal(net, signed=True), va="center")
        axes.axvline(0, color="#868e96", linewidth=1)
        axes.set_yticks(range(len(brands)), [b.brand for b in brands])
        axes.set_ylim(-0.6, len(brands) - 0.4)
        axes.set_xlim(-1, 1.25)
        axes.xaxis.set_major_formatter(_numbers(locale, places=1))
        axes.set_title(locale.t("chart_net"), loc="right" if locale.rtl else "left")
        axes.grid(axis="y", visible=False)
        return _svg(figure)


def _dates(locale: Locale, report: Report) -> FuncFormatter:
    def format_tick(value: float, _position: int) -> str:
        return locale.short_date(num2date(value), report.step)

    return FuncFormatter(format_tick)


CHARTS: tuple[tuple[str, Callable[[Report, Locale], bytes]], ...] = (
    ("mentions", mentions_over_time),
    ("share", share_of_voice),
    ("net", net_sentiment),
)


def all_charts(report: Report, locale: Locale) -> dict[str, bytes]:
    """Every chart by name, as SVG; none when nothing was mentioned (empty charts mislead)."""
    if report.total_mentions == 0:
        return {}
    return {name: draw(report, locale) for name, draw in CHARTS}
