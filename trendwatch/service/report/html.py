"""The report as one self-contained HTML file: open it anywhere, attach it to an e-mail.

Fonts are embedded (base64), charts are inline SVG, and a Content-Security-Policy forbids any
network access, script or external resource. Post text, author names and terms are untrusted:
Jinja2 escapes every value, and a post link is kept only when it is http(s).
"""

from __future__ import annotations

import base64
import re
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from trendwatch.links import safe_url
from trendwatch.service.report.charts import all_charts
from trendwatch.service.report.fonts import BOLD, REGULAR
from trendwatch.service.report.model import Report
from trendwatch.service.report.view import make_view

_PROLOG = re.compile(rb"^.*?(?=<svg)", re.DOTALL)


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("trendwatch.service.report", "templates"),
        autoescape=select_autoescape(["html", "jinja"], default=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


@cache
def _font(path: str) -> str:
    with open(path, "rb") as handle:
        return base64.b64encode(handle.read()).decode("ascii")


def inline_svg(svg: bytes) -> Markup:
    """matplotlib's SVG without its XML prolog and doctype, ready to sit inside HTML."""
    return Markup(_PROLOG.sub(b"", svg, count=1).decode("utf-8"))


def render_html(report: Report) -> bytes:
    view = make_view(report)
    locale = view.locale
    charts = {name: inline_svg(svg) for name, svg in all_charts(report, locale).items()}
    html = (
        _environment()
        .get_template("report.html.jinja")
        .render(
            locale=locale,
            t=locale.t,
            number=locale.integer,
            date=locale.date,
            engagement=view.engagement,
            safe_url=safe_url,
            title=view.title,
            subtitle=view.subtitle,
            generated=view.generated,
            period=view.period,
            summary=view.summary,
            figures=view.figures,
            alerts=view.alerts,
            brands=report.brands,
            charts=charts,
            font_regular=_font(str(REGULAR)),
            font_bold=_font(str(BOLD)),
        )
    )
    return html.encode("utf-8")
