"""The report as HTML, PDF and CSV, in Persian and English, from a real SQLite store.

PDF text is checked by extracting it with pypdf. The Persian sentences, headings and post
texts must come out in reading order, with their half-spaces and lam-alef ligatures, and the
font's glyph-to-text map must show that HarfBuzz shaped the text (contextual letter forms and
the lam-alef ligature are glyphs of their own). Numbers inside right-to-left lines are checked
through the English report and the HTML: pypdf reverses digit runs that sit inside
right-to-left text (its right-to-left handling treats digits as neutral characters), which
is a limit of the extractor, not of the PDF.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from tests.service.test_report import CONFIG, DAY, UNTIL, ReportWorld, Tally, open_world, weekly
from trendwatch.models import Author, BrandMention, Engagement, EnrichedPost, Enrichment, Post
from trendwatch.service.cli import app as cli_app
from trendwatch.service.report import charts
from trendwatch.service.report.fonts import printable
from trendwatch.service.report.locale import Locale, strip_bidi
from trendwatch.service.report.model import Report
from trendwatch.service.report.render import render
from trendwatch.timeutil import DisplayClock

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)> کاربر عصبانی 🚀'


@dataclass(frozen=True)
class Rendered:
    """A report and its three renderings, made once per module (rendering a PDF takes a second)."""

    report: Report
    tally: dict[str, Tally]
    html: bytes
    pdf: bytes
    csv: bytes


def _render_world(directory: Path, evil: bool, **display: str) -> Rendered:
    async def build() -> Rendered:
        world = await open_world(directory, **display)
        try:
            if evil:
                await world.store.upsert([_evil_post()])
            report = await weekly(world)
        finally:
            await world.store.close()
        return Rendered(report, world.tally, render(report, "html"), render(report, "pdf"), render(report, "csv"))

    return asyncio.run(build())


@pytest.fixture(scope="module")
def fa(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return _render_world(tmp_path_factory.mktemp("fa"), evil=True)


@pytest.fixture(scope="module")
def en(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return _render_world(tmp_path_factory.mktemp("en"), evil=False, language="en", calendar="gregorian", digits="latin")


@pytest.fixture
async def fa_world(tmp_path: Path) -> AsyncIterator[ReportWorld]:
    world = await open_world(tmp_path)
    yield world
    await world.store.close()


def _evil_post() -> EnrichedPost:
    """Digikala's most engaging post: markup in its text, a javascript: link, an emoji."""
    post = Post(
        id="mastodon:evil",
        platform="mastodon",
        source="test",
        text=EVIL,
        created_at=UNTIL - 2 * DAY,
        url="javascript:alert(1)",
        author=Author(id="evil", handle='@"><b>evil'),
        lang="fa",
        engagement=Engagement(likes=10_000, reposts=500, replies=30),
    )
    enrichment = Enrichment(
        post_id=post.id,
        lang="fa",
        text=EVIL,
        sentiment=-0.7,
        sentiment_label="negative",
        mentions=(BrandMention("Digikala", "Digikala", 0, 8),),
        brand_sentiment={"Digikala": -0.7},
    )
    return EnrichedPost(post, enrichment)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: bytes) -> _Tags:
    parser = _Tags()
    parser.feed(html.decode("utf-8"))
    return parser


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return strip_bidi("\n".join(page.extract_text() for page in reader.pages))


# ------------------------------------------------------------------------------ HTML


def test_html_is_self_contained_rtl_and_persian(fa: Rendered) -> None:
    html = fa.html
    page = _parse(html)
    root = next(attrs for tag, attrs in page.tags if tag == "html")
    assert (root["lang"], root["dir"]) == ("fa", "rtl")
    csp = next(a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in (csp["content"] or "")
    assert sum(1 for tag, _ in page.tags if tag == "svg") == 3
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "img"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name} on <{tag}>"
            if name in ("src", "href", "xlink:href") and value and not value.startswith("#"):
                assert value.startswith(("https://", "http://")), f"{tag} {name}={value}"
    text = html.decode("utf-8")
    assert "data:font/ttf;base64," in text
    assert "گزارش مقایسه با رقبا" in text
    assert "۱۴۰۴/۱۰/۱۱" in text  # Jalali start of the period, Persian digits
    digikala = fa.tally["Digikala"].mentions + 1  # the extra post
    assert Locale("fa", DisplayClock(digits="persian")).integer(digikala) in text


def test_html_renders_untrusted_text_inert(fa: Rendered) -> None:
    html = fa.html.decode("utf-8")
    assert "<script" not in html
    assert "onerror=" not in html.replace("onerror=alert(1)&gt;", "")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html  # shown as text
    assert "javascript:" not in html
    assert "🚀" in html  # the browser has fonts for it; nothing is lost in HTML
    assert "<b>evil" not in html


def test_english_html_is_ltr_with_latin_digits(en: Rendered) -> None:
    html = en.html
    root = next(a for t, a in _parse(html).tags if t == "html")
    assert (root["lang"], root["dir"]) == ("en", "ltr")
    text = html.decode("utf-8")
    assert "Competitor report" in text
    assert "2026-01-01 – 2026-01-07" in text  # seven whole local days
    assert '<td class="num">84</td>' in text


# ------------------------------------------------------------------------------ PDF

PERSIAN_LINES = [
    "گزارش مقایسه با رقبا",
    "شاخص‌های اصلی",
    "خالص احساسات: سهم اشاره‌های مثبت منهای سهم اشاره‌های منفی، از منفی یک تا مثبت یک",
    "موضوعات گفتگو",
    "پست‌های با بیشترین تعامل",
    "ارسال سفارش دیجی‌کالا خیلی دیر شد",  # a post: half-space, lam-alef in کالا
    "مقایسه قیمت در ترب عالی است",
    "هشدارهای این دوره",
    "کاربر عصبانی",
]


def test_persian_pdf_text_extracts_in_reading_order(fa: Rendered) -> None:
    text = _pdf_text(fa.pdf)
    for line in PERSIAN_LINES:
        assert line in text, f"not found in reading order: {line}"
        assert line[::-1] not in text
    assert "<script>" in text  # the post's text is there, as text
    assert "🚀" not in text  # the font has no emoji: dropped, not a box


def _to_unicode(data: bytes) -> dict[tuple[str, int], str]:
    """(font, glyph id) -> text, for the embedded Vazirmatn fonts, from their /ToUnicode CMaps."""
    reader = PdfReader(io.BytesIO(data))
    mapping: dict[tuple[str, int], str] = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            name = str(font.get("/BaseFont"))
            if "Vazirmatn" not in name or "/ToUnicode" not in font:
                continue
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.DOTALL):
                for glyph, code in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                    mapping[(name, int(glyph, 16))] = bytes.fromhex(code).decode("utf-16-be")
            for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.DOTALL):
                for first, last, code in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                    start = int.from_bytes(bytes.fromhex(code), "big")
                    for offset, glyph in enumerate(range(int(first, 16), int(last, 16) + 1)):
                        mapping[(name, glyph)] = chr(start + offset)
    return mapping


def test_persian_pdf_is_shaped_by_harfbuzz(fa: Rendered) -> None:
    glyphs = _to_unicode(fa.pdf)
    assert glyphs, "no Vazirmatn text in the PDF"
    forms: dict[str, set[tuple[str, int]]] = {}
    for glyph, text in glyphs.items():
        forms.setdefault(text, set()).add(glyph)
    assert "لا" in forms, "no lam-alef ligature glyph: the text was not shaped"
    for letter in ("ی", "ک", "س", "ه"):  # joining letters take several contextual forms
        assert len(forms.get(letter, ())) >= 2, f"{letter} has one glyph: not shaped"
    assert {"۰", "۱", "۴"} <= set(forms), "Persian digits missing"


def test_english_pdf_text_and_numbers(en: Rendered) -> None:
    reader = PdfReader(io.BytesIO(en.pdf))
    assert reader.metadata is not None
    assert reader.metadata.title == "Competitor report"
    text = strip_bidi("\n".join(p.extract_text() for p in reader.pages))
    assert "Digikala: 84 mentions (+20% on the previous period), net sentiment -0.25." in text
    assert "Digikala led the conversation with 50% of mentions." in text
    assert re.search(r"Torob\s+56\s+\+0%\s+33%\s+27\s+\+0\.25\s+0\.22", text), text[:1500]
    assert "Alerts in this period" in text


def test_an_empty_period_still_makes_every_format(fa: Rendered) -> None:
    report = replace(fa.report, brands=(), alerts=())
    for fmt in ("html", "pdf", "csv"):
        assert render(report, fmt)
    assert "در این دوره از هیچ برندی نامی برده نشد" in _pdf_text(render(report, "pdf"))


# ------------------------------------------------------------------------------ CSV


def test_csv_rows_per_brand_and_day(fa: Rendered) -> None:
    report, data = fa.report, fa.csv
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 3 * 7
    assert rows[0]["bucket_start"] == "2026-01-01T00:00:00+03:30", "a day from local midnight"
    assert rows[0]["date_shown"] == "۱۴۰۴/۱۰/۱۱"
    for summary in report.brands:
        mine = [r for r in rows if r["brand"] == summary.brand]
        assert sum(int(r["mentions"]) for r in mine) == summary.mentions
        assert {r["own_brand"] for r in mine} == {"yes" if summary.own else "no"}
        for r in mine:
            assert int(r["positive"]) + int(r["neutral"]) + int(r["negative"]) == int(r["mentions"])


# ------------------------------------------------------------------------------ charts and words


def test_charts_are_deterministic_vector_without_text_nodes(fa: Rendered) -> None:
    report = fa.report
    locale = Locale("fa", report.request.clock)
    first, second = charts.all_charts(report, locale), charts.all_charts(report, locale)
    assert set(first) == {"mentions", "share", "net"}
    assert first == second
    for svg in first.values():
        assert svg.lstrip().startswith(b"<?xml")
        assert b"<svg" in svg
        assert b"<text" not in svg  # text drawn as outlines: nothing to inject, no font needed
    empty = replace(report, brands=tuple(replace(b, mentions=0) for b in report.brands))
    assert charts.all_charts(empty, locale) == {}


def test_numbers_and_dates_follow_the_display_settings() -> None:
    fa = Locale("fa", DisplayClock(tz="Asia/Tehran", calendar="jalali", digits="persian"))
    en = Locale("en", DisplayClock(tz="UTC"))
    assert fa.integer(12345) == "۱۲٬۳۴۵"
    assert en.integer(12345) == "12,345"
    assert strip_bidi(fa.decimal(-0.25, signed=True)) == "-۰٫۲۵"
    assert strip_bidi(fa.percent(0.2, signed=True)) == "+۲۰٪"
    assert en.percent(0.333) == "33%"
    assert fa.change(None) == "تازه"
    assert en.change(None) == "new"
    assert fa.date(UNTIL) == "۱۴۰۴/۱۰/۱۸"  # UNTIL is the first moment of that local day
    assert en.date(UNTIL) == "2026-01-07"  # 20:30 on the UTC clock
    assert fa.maybe(None) == en.maybe(None) == "—"


def test_printable_keeps_persian_and_latin_drops_what_the_font_lacks() -> None:
    assert printable("دیجی‌کالا Digikala ۱۲۳ 🚀!") == "دیجی‌کالا Digikala ۱۲۳ !"


# ------------------------------------------------------------------------------ CLI


def _config(world: ReportWorld, tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    db = world.settings.store.options.path
    language, calendar, digits = (
        world.settings.display.language,
        world.settings.display.calendar,
        world.settings.display.digits,
    )
    path.write_text(CONFIG.format(path=db, language=language, calendar=calendar, digits=digits), encoding="utf-8")
    return path


async def _run(*args: str) -> Any:
    return await asyncio.to_thread(CliRunner().invoke, cli_app, ["report", *args], env={"COLUMNS": "400"})


async def test_cli_writes_each_format_while_the_store_is_open(fa_world: ReportWorld, tmp_path: Path) -> None:
    config = _config(fa_world, tmp_path)
    for name in ("r.pdf", "r.html", "r.csv"):
        out = tmp_path / name
        result = await _run("-c", str(config), "--out", str(out), "--until", "2026-01-08")
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 500
        assert "wrote" in result.output
        assert "3 brands" in result.output
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    english = tmp_path / "en.txt"
    result = await _run("-c", str(config), "-o", str(english), "-f", "html", "--lang", "en", "-b", "torob")
    assert result.exit_code == 0, result.output
    assert "Competitor report" in english.read_text(encoding="utf-8")
    assert "1 brands" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "a week"], "is not a duration"),
        (["--brand", "Amazon"], "unknown brand 'Amazon'"),
        (["--format", "docx"], "unknown format 'docx'"),
        (["--lang", "de"], "use en or fa"),
        (["--until", "yesterday"], "is not an ISO date"),
    ],
)
async def test_cli_mistakes_are_usage_errors(
    fa_world: ReportWorld, tmp_path: Path, args: list[str], message: str
) -> None:
    config = _config(fa_world, tmp_path)
    result = await _run("-c", str(config), "--out", str(tmp_path / "r.pdf"), *args)
    assert result.exit_code == 2
    assert message in result.output


async def test_cli_needs_a_known_format_and_an_existing_directory(fa_world: ReportWorld, tmp_path: Path) -> None:
    config = _config(fa_world, tmp_path)
    result = await _run("-c", str(config), "--out", str(tmp_path / "report"))
    assert result.exit_code == 2
    assert "cannot tell the format" in result.output
    result = await _run("-c", str(config), "--out", str(tmp_path / "missing" / "r.pdf"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


async def test_cli_reads_the_config_from_the_environment_or_says_it_is_missing(
    fa_world: ReportWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = await _run("--out", str(tmp_path / "r.csv"))
    assert result.exit_code == 2
    assert "trendwatch.yaml: 1 problem" in result.output
    assert "file not found" in result.output
    monkeypatch.setenv("TRENDWATCH_CONFIG", str(_config(fa_world, tmp_path)))
    result = await _run("--out", str(tmp_path / "r.csv"))
    assert result.exit_code == 0, result.output


async def test_cli_reports_a_missing_database_clearly(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    missing = tmp_path / "nowhere.db"
    config.write_text(
        CONFIG.format(path=missing, language="en", calendar="gregorian", digits="latin"), encoding="utf-8"
    )
    result = await _run("-c", str(config), "--out", str(tmp_path / "r.pdf"))
    assert result.exit_code == 1
    assert "error:" in result.output
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.parametrize(("since", "words"), [("99999999999999d", "too long a duration"), ("999999d", "before year 1")])
async def test_cli_period_out_of_range_is_a_usage_error_naming_since(
    fa_world: ReportWorld, tmp_path: Path, since: str, words: str
) -> None:
    """Bug: a --since beyond what a datetime holds crashed with OverflowError."""
    result = await _run("-c", str(_config(fa_world, tmp_path)), "--out", str(tmp_path / "r.csv"), "--since", since)
    assert result.exit_code == 2, result.output
    assert "Invalid value for --since:" in result.output
    assert words in result.output
