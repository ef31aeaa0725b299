"""Reading item pages with configured selectors, times as sites write them, and to_post."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from parsel import Selector

from crawlers.spiders.html_text import visible_text
from crawlers.spiders.options import SiteOptions
from crawlers.spiders.selectors import check_selector, selected_text
from crawlers.spiders.website import extract, parse_site_time, to_post
from trendwatch.errors import BadPayload

ZWNJ = "\u200c"
FETCHED = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_visible_text_reads_like_a_browser() -> None:
    html = (
        "<div>  Line one\n   continues<br>line two<p>para\u00a0two</p><script>var x=1</script>"
        f"<ul><li>a</li><li>b</li></ul>می{ZWNJ}خواهم</div>"
    )
    node = Selector(text=html).css("div")[0]
    assert visible_text(node.root) == f"Line one continues\nline two\n\npara two\n\na\n\nb\n\nمی{ZWNJ}خواهم"


@pytest.mark.parametrize(
    ("query", "first", "expected"),
    [
        ("h1", True, "Title here"),
        ("h1::text", True, "Title here"),
        ("xpath://h1/text()", True, "Title here"),
        ("p", False, "one\n\ntwo"),
        ("p::text", False, "one\n\ntwo"),
        ("a::attr(href)", True, "/x"),
        ("h2", True, None),
    ],
)
def test_selected_text(query: str, first: bool, expected: str | None) -> None:
    root = Selector(text="<h1> Title\n here </h1><p>one</p><p>two <a href='/x'></a></p>")
    assert selected_text(root, query, first=first) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [("h1[[", "not a valid CSS selector"), ("xpath://h1[", "not a valid XPath"), ("  ", "cannot be empty")],
)
def test_bad_selectors_are_refused(query: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_selector(query)


@pytest.mark.parametrize(
    ("text", "fmt", "calendar", "tz", "expected"),
    [
        ("2026-11-20T08:30:00Z", "iso", "gregorian", "UTC", datetime(2026, 11, 20, 8, 30, tzinfo=UTC)),
        ("2026-11-20T12:00:00+03:30", "iso", "gregorian", "UTC", datetime(2026, 11, 20, 8, 30, tzinfo=UTC)),
        ("2026-11-20 12:00", "iso", "gregorian", "Asia/Tehran", datetime(2026, 11, 20, 8, 30, tzinfo=UTC)),
        ("2026-11-20", "iso", "gregorian", "UTC", datetime(2026, 11, 20, tzinfo=UTC)),
        ("20 November 2026, 09:15", "%d %B %Y, %H:%M", "gregorian", "UTC", datetime(2026, 11, 20, 9, 15, tzinfo=UTC)),
        ("۱۴۰۳/۰۹/۰۷ ۱۰:۳۰", "%Y/%m/%d %H:%M", "jalali", "Asia/Tehran", datetime(2024, 11, 27, 7, 0, tzinfo=UTC)),
        ("۱۲ آذر ۱۴۰۳", "%d %B %Y", "jalali", "Asia/Tehran", datetime(2024, 12, 1, 20, 30, tzinfo=UTC)),
        ("  1403/9/7\n 10:30 ", "%Y/%m/%d %H:%M", "jalali", "UTC", datetime(2024, 11, 27, 10, 30, tzinfo=UTC)),
    ],
)
def test_site_times(text: str, fmt: str, calendar: str, tz: str, expected: datetime) -> None:
    parsed = parse_site_time(text, fmt, calendar, tz)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(("text", "fmt"), [("yesterday", "iso"), ("2026/13/40", "%Y/%m/%d"), ("۱۴۰۳-۰۹", "%Y/%m")])
def test_unreadable_times_raise(text: str, fmt: str) -> None:
    with pytest.raises(ValueError):
        parse_site_time(text, fmt)


SITE = SiteOptions(
    name="news",
    start_urls=["https://news.example/"],
    selectors={"title": "h1", "text": "div.body", "time": "span.date", "author": ".by"},
    time_format="%Y/%m/%d %H:%M",
    calendar="jalali",
    timezone="Asia/Tehran",
    language="fa",
)
PAGE = f"""<html><head><link rel="canonical" href="/a/7.html"></head><body>
<h1>خبر <b>مهم</b></h1><span class="by">مریم</span><span class="date">۱۴۰۳/۰۹/۰۷ ۱۰:۳۰</span>
<div class="body"><p>قیمت{ZWNJ}ها کاهش یافت</p>
<p>بیشتر: <a href="/p/9#top">اینجا</a> و <a href="mailto:x@y">ایمیل</a></p></div>
</body></html>"""


def test_extract_and_map_an_item_page() -> None:
    raw = extract(SITE, "https://news.example/a/7.html?utm=x", PAGE, FETCHED, source="web-fa")
    assert raw["canonical"] == "https://news.example/a/7.html"
    assert raw["links"] == ["https://news.example/p/9"]
    post = to_post(raw)
    assert post.id == "web:https://news.example/a/7.html"
    assert post.platform == "web"
    assert post.source == "web-fa"
    assert post.title == "خبر مهم"
    assert post.text == f"قیمت{ZWNJ}ها کاهش یافت\n\nبیشتر: اینجا و ایمیل"
    assert post.created_at == datetime(2024, 11, 27, 7, 0, tzinfo=UTC)
    assert post.author is not None
    assert post.author.id == "news:مریم"
    assert post.author.name == "مریم"
    assert post.lang == "fa"
    assert post.links == ("https://news.example/p/9",)
    assert post.hashtags == ()
    assert post.engagement.views is None
    assert post.raw == raw


def test_without_a_time_selector_the_fetch_time_is_used() -> None:
    site = SITE.model_copy(update={"selectors": SITE.selectors.model_copy(update={"time": None})})
    post = to_post(extract(site, "https://news.example/a/7.html", PAGE, FETCHED))
    assert post.created_at == FETCHED


def _broken(**changes: Any) -> dict[str, Any]:
    raw = extract(SITE, "https://news.example/a/7.html", PAGE, FETCHED)
    raw.update(changes)
    return raw


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (_broken(text=None), "text selector matched nothing"),
        (_broken(text="   "), "text selector matched nothing"),
        (_broken(time=None), "time selector matched nothing"),
        (_broken(time="دیروز"), "does not read as"),
        (_broken(url=None, canonical=None), "no url"),
    ],
)
def test_malformed_pages_are_bad_payloads(raw: dict[str, Any], detail: str) -> None:
    with pytest.raises(BadPayload) as caught:
        to_post(raw)
    assert caught.value.reason == "malformed_page"
    assert detail in str(caught.value)
