"""The report as PDF, with fpdf2: pure Python, no system libraries.

Persian is shaped by HarfBuzz (uharfbuzz, through fpdf2's text shaping) and laid out with the
Unicode bidirectional algorithm, so letters join, words run right to left and numbers stay left
to right. The text layer maps every glyph back to its characters, so the text can be searched,
copied and extracted in reading order. Charts are the same vector SVGs as in the HTML.
Each paragraph takes its direction from its first strong character, so an English post quoted
in a Persian report (or the reverse) reads correctly.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode
from fpdf.fonts import FontFace

from trendwatch.service.report.charts import all_charts
from trendwatch.service.report.fonts import BOLD, FAMILY, REGULAR, printable
from trendwatch.service.report.locale import Direction, Locale, direction_of
from trendwatch.service.report.model import Report
from trendwatch.service.report.view import View, make_view

MUTED = (108, 117, 125)
INK = (33, 37, 41)
OWN = (31, 111, 235)
_METADATA = re.compile(rb"<metadata>.*?</metadata>", re.DOTALL)
_SIZE = re.compile(rb'<svg[^>]*\bwidth="([\d.]+)pt"[^>]*\bheight="([\d.]+)pt"')
POST_CHARS = 500


class _Document(FPDF):
    def __init__(self, locale: Locale, footer: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.locale = locale
        self.footer_text = footer
        self.base: Direction = "rtl" if locale.rtl else "ltr"
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(auto=True, margin=16)
        self.add_font(FAMILY, "", str(REGULAR))
        self.add_font(FAMILY, "B", str(BOLD))
        self.set_font(FAMILY, size=10)
        self.set_text_color(*INK)
        self.direction(self.base)

    def direction(self, direction: Direction) -> None:
        """The paragraph direction; HarfBuzz finds each run's script and direction itself."""
        self.set_text_shaping(use_shaping_engine=True, direction=direction)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*MUTED)
        self.direction(self.base)
        self.cell(0, 5, self.locale.join([self.footer_text, self.locale.integer(self.page_no())]), align=Align.C)
        self.set_text_color(*INK)

    @property
    def align(self) -> Align:
        return Align.R if self.base == "rtl" else Align.L

    def paragraph(
        self,
        text: str,
        *,
        size: float = 10,
        bold: bool = False,
        colour: tuple[int, int, int] = INK,
        height: float | None = None,
        space: float = 1.5,
        own_direction: bool = False,
    ) -> None:
        """A paragraph in the document's direction, or in its own (`own_direction`: quoted posts)."""
        text = printable(text).strip()
        if not text:
            return
        direction = direction_of(text, self.base) if own_direction else self.base
        self.direction(direction)
        self.set_font(FAMILY, "B" if bold else "", size)
        self.set_text_color(*colour)
        align = Align.R if direction == "rtl" else Align.L
        self.multi_cell(0, height or size * 0.55, text, align=align, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.direction(self.base)
        self.ln(space)

    def heading(self, text: str) -> None:
        if self.will_page_break(30):
            self.add_page()
        self.ln(3)
        self.paragraph(text, size=14, bold=True, space=1)
        y = self.get_y()
        self.set_draw_color(222, 226, 230)
        self.line(self.l_margin, y, self.w - self.r_margin, y)
        self.ln(3)

    def table_of(self, header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
        """A table read in the document's direction (first column on the right in Persian)."""
        if self.base == "rtl":
            header, widths = list(reversed(header)), list(reversed(widths))
            rows = [list(reversed(r)) for r in rows]
        self.set_font(FAMILY, size=9)
        self.direction(self.base)
        with self.table(
            col_widths=tuple(widths),
            text_align=self.align,
            line_height=6,
            headings_style=FontFace(emphasis="BOLD", fill_color=(248, 249, 250)),
            cell_fill_mode=TableCellFillMode.NONE,
            borders_layout="HORIZONTAL_LINES",
            first_row_as_headings=True,
        ) as table:
            for row in [header, *rows]:
                cells = table.row()
                for value in row:
                    cells.cell(printable(value))
        self.ln(2)

    def chart(self, svg: bytes) -> None:
        svg = _METADATA.sub(b"", svg)
        size = _SIZE.search(svg)
        height = self.epw * float(size.group(2)) / float(size.group(1)) if size else self.epw * 0.45
        if self.will_page_break(height):
            self.add_page()
        self.image(io.BytesIO(svg), x=self.l_margin, w=self.epw, h=height)
        self.ln(3)


def render_pdf(report: Report) -> bytes:
    view = make_view(report)
    locale = view.locale
    pdf = _Document(locale, locale.join([locale.t("footer"), view.period]))
    pdf.set_title(view.title)
    pdf.set_author("trendwatch")
    pdf.set_creator("trendwatch")
    pdf.set_lang(locale.language)
    pdf.set_creation_date(report.generated_at)
    pdf.add_page()

    pdf.paragraph(view.title, size=20, bold=True, space=0.5)
    pdf.paragraph(view.subtitle, size=11.5, space=0.5)
    pdf.paragraph(view.generated, size=8.5, colour=MUTED, space=3)
    for sentence in view.summary:
        pdf.paragraph(sentence, size=11)

    _figures(pdf, view)
    for svg in all_charts(report, locale).values():
        pdf.chart(svg)
    _terms(pdf, report, locale)
    _posts(pdf, report, view)
    _alerts(pdf, view)
    return bytes(pdf.output())


def _figures(pdf: _Document, view: View) -> None:
    t = view.locale.t
    pdf.heading(t("headline"))
    header = [t("brand"), t("mentions"), t("change"), t("share"), t("authors"), t("net"), t("margin")]
    rows = [
        [f"{r.brand} ({t('own')})" if r.own else r.brand, r.mentions, r.change, r.share, r.authors, r.net, r.margin]
        for r in view.figures
    ]
    pdf.table_of(header, rows, (34, 18, 16, 18, 20, 20, 14))
    pdf.paragraph(t("net_note"), size=8.5, colour=MUTED)


def _terms(pdf: _Document, report: Report, locale: Locale) -> None:
    pdf.heading(locale.t("talk"))
    for brand in report.brands:
        pdf.paragraph(brand.brand, size=11, bold=True, colour=OWN if brand.own else INK, space=0.5)
        separator = "، " if locale.rtl else ", "
        hashtags = separator.join(locale.embed(f"#{t.term}") for t in brand.hashtags)
        topics = separator.join(locale.embed(t.term) for t in brand.topics)
        pdf.paragraph(f"{locale.t('hashtags')}: {hashtags or locale.t('nothing')}", size=9.5, space=0.5)
        pdf.paragraph(f"{locale.t('topics')}: {topics or locale.t('nothing')}", size=9.5, space=2)


def _posts(pdf: _Document, report: Report, view: View) -> None:
    locale = view.locale
    if not any(b.top_posts for b in report.brands):
        return
    pdf.heading(locale.t("posts"))
    for brand in report.brands:
        if not brand.top_posts:
            continue
        pdf.paragraph(brand.brand, size=11, bold=True, colour=OWN if brand.own else INK, space=0.5)
        for post in brand.top_posts:
            text = post.text if len(post.text) <= POST_CHARS else post.text[: POST_CHARS - 1].rstrip() + "…"
            pdf.paragraph(text, size=9.5, space=0.3, own_direction=True)
            meta = locale.join(
                [post.author or locale.t("nothing"), post.platform, locale.date(post.created_at), view.engagement(post)]
            )
            pdf.paragraph(meta, size=8, colour=MUTED, space=2.5)


def _alerts(pdf: _Document, view: View) -> None:
    t = view.locale.t
    pdf.heading(t("alerts"))
    if not view.alerts:
        pdf.paragraph(t("no_alerts"), size=10, colour=MUTED)
        return
    header = [t("started"), t("subject"), t("what"), t("observed"), t("expected"), t("severity"), t("status")]
    rows = [[a.started, a.subject, a.metric, a.observed, a.expected, a.severity, a.status] for a in view.alerts]
    pdf.table_of(header, rows, (30, 30, 22, 18, 18, 20, 20))
