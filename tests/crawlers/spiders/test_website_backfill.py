"""A website newly added to a source reads back `backfill` and no further: by its sitemap's
`lastmod` (a real crawl of the local blog) and by the item dates of its list pages; what is older
is remembered without being read, so later rounds do not read it either."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.http import HtmlResponse

from crawlers.spiders.items import Passed
from crawlers.spiders.options import WebsiteOptions
from crawlers.spiders.sources import WebsiteSource
from crawlers.spiders.website_spider import WebsiteSpider
from tests.crawlers.spiders.fake_web import FakeWeb
from tests.crawlers.spiders.rounds import run_round


def since(moment: datetime) -> str:
    """A backfill reaching back to `moment`."""
    return f"{int((datetime.now(UTC) - moment).total_seconds())}s"


def blog(fake_web: FakeWeb, backfill: str) -> WebsiteOptions:
    return WebsiteOptions(
        backfill=backfill,
        sites=[
            {
                "name": "blog",
                "sitemap_urls": [f"{fake_web.url}/blog/sitemap.xml"],
                "item_url_pattern": r"/blog/posts/\d+\.html$|/blog/posts/404",
                "selectors": {
                    "title": "article h1",
                    "text": "article div.entry",
                    "time": "article time::attr(datetime)",
                },
                "download_delay": "0s",
            }
        ],
    )


def test_a_new_site_reads_its_sitemap_back_to_the_backfill_only(fake_web: FakeWeb) -> None:
    # The blog's sitemap dates posts 1..5 on November 1..5 and the 404 on October 1.
    options = blog(fake_web, since(datetime(2026, 11, 2, 12, tzinfo=UTC)))
    start = len(fake_web.requests)
    first = run_round(WebsiteSource, options, name="web-backfill")
    read = {r.path for r in fake_web.requests[start:]}

    assert first.error is None
    assert sorted(p.title or "" for p in first.posts) == [f"Post {n}: shipping news" for n in (3, 4, 5)]
    assert not read & {"/blog/posts/1.html", "/blog/posts/2.html", "/blog/posts/404.html"}
    remembered = first.cursor["sites"]["blog"]
    for n in ("1", "2", "404"):  # passed over, and remembered so that no later round reads them
        assert f"{fake_web.url}/blog/posts/{n}.html" in remembered

    middle = len(fake_web.requests)
    second = run_round(WebsiteSource, options, first.cursor, name="web-backfill")
    assert second.posts == []
    assert not [r.path for r in fake_web.requests[middle:] if r.path.startswith("/blog/posts/")]


LIST = """<html><body><ul>
<li><a href="/a/3.html">three</a> <span class="d">2026-11-20 10:00</span></li>
<li><a href="/a/2.html">two</a> <span class="d">2026-11-10 10:00</span></li>
<li><a href="/a/1.html">one</a> <span class="d">2026-10-01 10:00</span></li>
</ul><a class="next" href="/?page=2">older</a></body></html>"""


def _news(backfill: str) -> WebsiteOptions:
    return WebsiteOptions(
        backfill=backfill,
        sites=[
            {
                "name": "news",
                "start_urls": ["https://news.example/"],
                "selectors": {
                    "item_links": "li a::attr(href)",
                    "item_times": "li span.d::text",
                    "next_page": "a.next::attr(href)",
                },
                "time_format": "%Y-%m-%d %H:%M",
            }
        ],
    )


def test_list_item_dates_bound_a_new_sites_backfill_and_stop_the_paging() -> None:
    spider = WebsiteSpider(_news(since(datetime(2026, 11, 5, tzinfo=UTC))), None, "news-source")
    page = HtmlResponse("https://news.example/", body=LIST.encode(), encoding="utf-8")
    out = list(spider.parse_list(page, site="news", page=1))
    requested = [r.url for r in out if not isinstance(r, Passed)]
    assert requested == ["https://news.example/a/3.html", "https://news.example/a/2.html"]
    assert [p.url for p in out if isinstance(p, Passed)] == ["https://news.example/a/1.html"]  # no next page


def test_a_site_already_in_the_cursor_reads_every_unseen_item_however_old() -> None:
    cursor = {"sites": {"news": {"https://news.example/a/9.html": "2026-11-25T00:00:00+00:00"}}}
    spider = WebsiteSpider(_news(since(datetime(2026, 11, 5, tzinfo=UTC))), cursor, "news-source")
    page = HtmlResponse("https://news.example/", body=LIST.encode(), encoding="utf-8")
    out = list(spider.parse_list(page, site="news", page=1))
    assert not [p for p in out if isinstance(p, Passed)]
    assert [r.url for r in out] == [f"https://news.example/a/{n}.html" for n in (3, 2, 1)] + [
        "https://news.example/?page=2"
    ]


def test_a_site_with_a_full_cursor_passes_over_items_older_than_it_keeps() -> None:
    """Bug: a site listing more items than `remember` read its older unseen items every round:
    each was forgotten as soon as read (the cursor keeps the newest), so read again next time."""
    kept = {f"https://news.example/a/{n}.html": f"2026-11-{n:02d}T10:00:00+00:00" for n in range(21, 31)}
    options = _news(since(datetime(2026, 1, 1, tzinfo=UTC))).model_copy(update={"remember": 10})
    spider = WebsiteSpider(options, {"sites": {"news": kept}}, "news-source")
    page = HtmlResponse("https://news.example/", body=LIST.encode(), encoding="utf-8")
    out = list(spider.parse_list(page, site="news", page=1))
    assert [r.url for r in out if not isinstance(r, Passed)] == []  # nothing read, no next page
    assert [p.url for p in out if isinstance(p, Passed)] == [f"https://news.example/a/{n}.html" for n in (3, 2, 1)]
    # With room left in the cursor, every unseen item is read, however old (as before).
    roomy = WebsiteSpider(options.model_copy(update={"remember": 11}), {"sites": {"news": kept}}, "news-source")
    read = [r.url for r in roomy.parse_list(page, site="news", page=1) if not isinstance(r, Passed)]
    assert read[:3] == [f"https://news.example/a/{n}.html" for n in (3, 2, 1)]
