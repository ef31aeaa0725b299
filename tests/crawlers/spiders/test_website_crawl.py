"""Real Scrapy crawls of two small local websites: list pages with paging, a sitemap index,
robots.txt, a 404, a 500, a 429 with Retry-After, a page without text; then an incremental round."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from crawlers.spiders.options import WebsiteOptions
from crawlers.spiders.sources import WebsiteSource
from tests.crawlers.spiders.fake_web import FakeWeb, NewsArticle, Seen
from tests.crawlers.spiders.rounds import USER_AGENT, Round, metric, run_round

SOURCE = "web-crawl"
ZWNJ = "\u200c"


def options(fake_web: FakeWeb, *, news_delay: str = "0s") -> WebsiteOptions:
    url = fake_web.url
    return WebsiteOptions(
        retries=1,
        backoff="50ms",
        max_backoff="5s",
        backfill="3650d",  # the pages have fixed dates: let them all count as recent
        sites=[
            {
                "name": "news",
                "start_urls": [f"{url}/news/"],
                "item_url_pattern": "/news/",
                "selectors": {
                    "item_links": "ul.list a::attr(href)",
                    "next_page": "a.next::attr(href)",
                    "title": "h1",
                    "text": "div.body",
                    "time": "span.date",
                    "author": "span.author",
                },
                "time_format": "%Y/%m/%d %H:%M",
                "calendar": "jalali",
                "timezone": "Asia/Tehran",
                "language": "fa",
                "download_delay": news_delay,
            },
            {
                "name": "blog",
                "sitemap_urls": [f"{url.replace('127.0.0.1', 'localhost')}/blog/sitemap.xml"],
                "item_url_pattern": r"/blog/posts/\d+\.html$|/blog/posts/404",
                "selectors": {
                    "title": "article h1",
                    "text": "article div.entry",
                    "time": "article time::attr(datetime)",
                },
                "language": "en",
                "download_delay": "0s",
            },
        ],
    )


@dataclass
class Rounds:
    first: Round
    second: Round
    first_requests: list[Seen]
    second_requests: list[Seen]
    base: str


@pytest.fixture(scope="module")
def rounds(fake_web: FakeWeb) -> Rounds:
    fake_web.sites.news = [NewsArticle(n, n, f"خبر شماره {n}") for n in range(12, 0, -1)]
    start = len(fake_web.requests)
    first = run_round(WebsiteSource, options(fake_web), name=SOURCE)
    middle = len(fake_web.requests)
    fake_web.sites.news.insert(0, NewsArticle(13, 13, "خبر تازه"))
    second = run_round(WebsiteSource, options(fake_web, news_delay="300ms"), first.cursor, name=SOURCE)
    return Rounds(first, second, fake_web.requests[start:middle], fake_web.requests[middle:], fake_web.url)


def _blog(base: str) -> str:
    return base.replace("127.0.0.1", "localhost")


def _paths(requests: list[Seen]) -> list[str]:
    return [r.path + (f"?{r.query}" if r.query else "") for r in requests]


def test_first_round_reads_list_pages_and_sitemaps(rounds: Rounds) -> None:
    assert rounds.first.error is None
    base = rounds.base
    news = {f"web:{base}/news/a/{n}.html" for n in [*range(1, 13), 500]}  # 500 is the 429 page's canonical
    blog = {f"web:{_blog(base)}/blog/posts/{n}.html" for n in range(1, 6)}
    ids = [p.id for p in rounds.first.posts]
    assert set(ids) == news | blog
    assert len(ids) == len(set(ids))
    assert "/news/?page=2" in _paths(rounds.first_requests)  # page 1 was all new: older items are on page 2


def test_robots_txt_is_obeyed(rounds: Rounds) -> None:
    requested = _paths(rounds.first_requests + rounds.second_requests)
    assert requested[0] == "/robots.txt"
    assert "/news/private/leak.html" not in requested
    assert rounds.first.stats.problems["robots_disallowed"] == 1
    assert rounds.first.stats.summary is not None
    assert rounds.first.stats.summary.robots_forbidden == 1


def test_other_hosts_and_unmatched_urls_are_not_fetched(rounds: Rounds) -> None:
    requested = _paths(rounds.first_requests)
    assert "/about.html" not in requested
    assert "/blog/about.html" not in requested  # listed in the gzipped sitemap, filtered by item_url_pattern
    assert "/blog/sitemap-pages.xml.gz" in requested


def test_failures_are_counted_and_the_round_goes_on(rounds: Rounds) -> None:
    assert rounds.first.stats.problems == {
        "robots_disallowed": 1,
        "http_404": 2,  # /news/a/missing.html and /blog/posts/404.html
        "http_500": 1,
        "malformed_page": 1,  # /news/a/empty.html has no text
    }
    assert _paths(rounds.first_requests).count("/news/a/broken.html") == 2  # the request and one retry
    assert metric("trendwatch_source_errors_total", source=SOURCE, reason="http_500") == 2  # both rounds
    assert metric("trendwatch_http_requests_total", host="127.0.0.1", status="404") >= 1
    assert metric("trendwatch_http_requests_total", host="localhost", status="404") >= 1


def test_retry_after_is_honoured(rounds: Rounds) -> None:
    limited = [r for r in rounds.first_requests if r.path == "/news/a/limited.html"]
    assert len(limited) == 2
    assert limited[1].at - limited[0].at >= 0.95
    posts = {p.id: p for p in rounds.first.posts}
    assert posts[f"web:{rounds.base}/news/a/500.html"].title == "خبر پرطرفدار"


def test_persian_article_is_mapped(rounds: Rounds) -> None:
    post = next(p for p in rounds.first.posts if p.id == f"web:{rounds.base}/news/a/7.html")
    assert post.title == "خبر شماره 7"
    assert post.text.startswith(f"متن خبر ۷ درباره{ZWNJ}ی فروش #دیجی_کالا در بازار.\n\n")
    assert "var x" not in post.text
    assert post.created_at == datetime(2024, 11, 27, 7, 0, tzinfo=UTC)  # ۱۴۰۳/۰۹/۰۷ ۱۰:۳۰ in Tehran
    assert post.author is not None
    assert post.author.name == "مریم احمدی"
    assert post.lang == "fa"
    assert post.links == ("https://www.digikala.com/product/7/",)
    assert post.raw["url"] == f"{rounds.base}/news/a/7.html"  # the list's "#comments" fragment dropped


def test_blog_post_from_the_sitemap_is_mapped(rounds: Rounds) -> None:
    post = next(p for p in rounds.first.posts if p.id == f"web:{_blog(rounds.base)}/blog/posts/3.html")
    assert post.title == "Post 3: shipping news"
    assert post.text == "Paragraph one of post 3 about #digikala and Torob.\n\nParagraph two spans lines."
    assert post.created_at == datetime(2026, 11, 4, 9, 0, tzinfo=UTC)
    assert post.lang == "en"
    assert post.author is None


def test_cursor_remembers_read_and_definitively_failed_pages(rounds: Rounds) -> None:
    news = rounds.first.cursor["sites"]["news"]
    base = rounds.base
    assert f"{base}/news/a/7.html" in news
    assert f"{base}/news/a/missing.html" in news  # 404: asking again will not help
    assert f"{base}/news/private/leak.html" in news  # disallowed: never asked
    assert f"{base}/news/a/broken.html" not in news  # 500: tried again next round
    assert f"{base}/news/a/empty.html" not in news  # malformed: tried again (the site may be fixed)
    assert f"{_blog(base)}/blog/posts/404.html" in rounds.first.cursor["sites"]["blog"]


def test_second_round_reads_only_the_new_article(rounds: Rounds) -> None:
    assert rounds.second.error is None
    assert [p.id for p in rounds.second.posts] == [f"web:{rounds.base}/news/a/13.html"]
    requested = _paths(rounds.second_requests)
    for path in ("/news/a/7.html", "/news/a/missing.html", "/blog/posts/3.html", "/blog/posts/404.html"):
        assert path not in requested
    assert "/news/a/broken.html" in requested
    assert rounds.second.stats.problems == {"http_500": 1, "malformed_page": 1}


def test_a_site_with_nothing_new_and_no_problem_is_counted_as_empty_results(rounds: Rounds) -> None:
    # round 1: both sites brought posts; round 2: the news site brought one (and had problems),
    # the blog nothing
    assert metric("trendwatch_source_errors_total", source=SOURCE, reason="empty_results") == 1


def test_requests_identify_trendwatch(rounds: Rounds) -> None:
    assert {r.user_agent for r in rounds.first_requests + rounds.second_requests} == {USER_AGENT}


def test_a_sites_download_delay_spaces_its_requests(rounds: Rounds) -> None:
    """In round 2 the news site (127.0.0.1) asks for 300ms between requests, the blog (localhost)
    for none: AutoThrottle, which adapts delays to latency, must not take the news site below its own."""
    times = [r.at for r in rounds.second_requests if r.host.startswith("127.0.0.1")]
    assert len(times) >= 5
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.3 * 0.5 - 0.02  # Scrapy randomises a delay between 0.5x and 1.5x
    assert any(r.host.startswith("localhost") for r in rounds.second_requests)
