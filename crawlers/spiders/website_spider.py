"""The website spider: list pages (or sitemaps) to item pages, for every site of a source.

Per site and round: list pages are read from the first, following `next_page` while a page still
shows items not seen before (up to `max_list_pages`); sitemaps (and sitemap indexes) are read
newest `lastmod` first. Item URLs remembered in the cursor are not fetched again; at most
`max_items` new item pages per site per round. Links to other hosts, and URLs not matching
`item_url_pattern`, are ignored. A site new to the cursor is read back `backfill`: items its
sitemap (`lastmod`) or list pages (`selectors.item_times`) date before that are not read but
handed on as `Passed`, so the cursor remembers them, and list paging stops there; later rounds
read every item not seen before. Each item page becomes one `Article` with the raw fields its
selectors found; failures become `Problem`s.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawlers.spiders import problems
from crawlers.spiders.items import Article, Passed, Problem
from crawlers.spiders.options import SiteOptions, WebsiteOptions
from crawlers.spiders.selectors import node_text, select
from crawlers.spiders.website import clean_url, extract, parse_site_time, remembered_urls
from crawlers.values import parse_iso_time
from trendwatch.timeutil import utcnow

MAX_SITEMAP_DEPTH = 3
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


class WebsiteSpider(Spider):
    name = "website"

    def __init__(self, options: WebsiteOptions, cursor: Any, source: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options = options
        self.source = source
        sites = cursor.get("sites", {}) if isinstance(cursor, dict) else {}
        self.sites = {site.name: site for site in options.sites}
        remembered = {name: remembered_urls(sites.get(name)) for name in self.sites}
        self.seen: dict[str, set[str]] = {name: set(urls) for name, urls in remembered.items()}
        self.scheduled: dict[str, int] = dict.fromkeys(self.sites, 0)
        started = utcnow()
        self.floors = {name: self._floor(urls, started) for name, urls in remembered.items()}
        self.patterns = {
            site.name: re.compile(site.item_url_pattern) if site.item_url_pattern else None for site in options.sites
        }

    def _floor(self, remembered: dict[str, str], started: datetime) -> datetime | None:
        """Items listed as older than this are passed over, not read: for a new site, its
        backfill; for a site whose cursor is full (`remember` URLs), the oldest date it keeps,
        since an older item would be forgotten as soon as read and read again every round."""
        if not remembered:
            return started - self.options.backfill
        if len(remembered) < self.options.remember:
            return None
        dates = [d for d in map(parse_iso_time, remembered.values()) if d is not None]
        return min(dates) if dates else None

    async def start(self) -> AsyncIterator[Any]:
        for site in self.options.sites:
            for url in site.sitemap_urls:
                yield self._request(url, site, self.parse_sitemap, depth=0)
            for url in site.start_urls:
                yield self._request(url, site, self.parse_list, page=1)

    def _request(self, url: str, site: SiteOptions, callback: Any, **kwargs: Any) -> Request:
        return Request(
            url,
            callback=callback,
            errback=self.failed,
            cb_kwargs={"site": site.name, **kwargs},
            meta={"site": site.name},
        )

    # ------------------------------------------------------------------ discovering items

    def _wanted(self, site: SiteOptions, url: str, base: str) -> bool:
        if urlsplit(url).hostname != urlsplit(base).hostname:
            return False
        pattern = self.patterns[site.name]
        return pattern is None or pattern.search(url) is not None

    def _items(self, site: SiteOptions, listed: Sequence[tuple[str, datetime | None]]) -> tuple[list[Any], int, bool]:
        """For the unseen URLs (with the dates the listing gave): requests within the site's
        budget, `Passed` for those older than a new site's backfill; how many were unseen; and
        whether the backfill's start was reached."""
        floor = self.floors[site.name]
        seen = self.seen[site.name]
        out: list[Any] = []
        unseen = 0
        reached = False
        for url, when in listed:
            if url in seen:
                continue
            unseen += 1
            if floor is not None and when is not None and when < floor:
                seen.add(url)
                out.append(Passed(site=site.name, url=url, listed_at=when.isoformat()))
                reached = True
                continue
            if self.scheduled[site.name] >= site.max_items:
                continue
            seen.add(url)  # scheduled once per round; the cursor decides across rounds
            self.scheduled[site.name] += 1
            out.append(self._request(url, site, self.parse_item, item_url=url))
        return out, unseen, reached

    def parse_list(self, response: Response, site: str, page: int) -> Iterator[Any]:
        options = self.sites[site]
        if not isinstance(response, TextResponse):
            yield Problem(site, "not_html", response.url, "the list page is not HTML")
            return
        links = [
            clean_url(href.strip(), response.url)
            for href in _strings(select(response.selector, options.selectors.item_links))
        ]
        times: list[datetime | None] = [None] * len(links)
        if options.selectors.item_times:
            written = [node_text(n) for n in select(response.selector, options.selectors.item_times)]
            if len(written) == len(links):  # otherwise they cannot be paired: every item is read
                times = [_list_time(options, text) for text in written]
        listed = [(u, t) for u, t in zip(links, times, strict=True) if self._wanted(options, u, response.url)]
        if not listed:
            yield Problem(
                site, "malformed_page", response.url, "no item links on the list page (check selectors.item_links)"
            )
        events, unseen, reached = self._items(options, listed)
        yield from events
        if unseen and not reached and page < options.max_list_pages and options.selectors.next_page:
            following = _strings(select(response.selector, options.selectors.next_page))
            if following:
                yield self._request(
                    clean_url(following[0].strip(), response.url), options, self.parse_list, page=page + 1
                )

    def parse_sitemap(self, response: Response, site: str, depth: int) -> Iterator[Any]:
        options = self.sites[site]
        body = _sitemap_body(response)
        sitemap = None
        if body is not None:
            try:
                sitemap = Sitemap(body)
            except Exception:  # lxml raises several kinds on bodies that are not XML at all
                sitemap = None
        if sitemap is None or sitemap.type not in ("urlset", "sitemapindex"):
            yield Problem(
                site, "malformed_sitemap", response.url, "not a sitemap (expected <urlset> or <sitemapindex>)"
            )
            return
        entries = sorted(
            (e for e in sitemap if isinstance(e.get("loc"), str)), key=lambda e: e.get("lastmod") or "", reverse=True
        )
        if sitemap.type == "sitemapindex":
            if depth >= MAX_SITEMAP_DEPTH:
                yield Problem(site, "malformed_sitemap", response.url, "sitemap indexes nested too deep")
                return
            for entry in entries:
                yield self._request(clean_url(entry["loc"], response.url), options, self.parse_sitemap, depth=depth + 1)
            return
        listed = [(clean_url(e["loc"], response.url), parse_iso_time(e.get("lastmod"))) for e in entries]
        events, _, _ = self._items(options, [(u, t) for u, t in listed if self._wanted(options, u, response.url)])
        yield from events

    # ------------------------------------------------------------------ item pages

    def parse_item(self, response: Response, site: str, item_url: str) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            yield Problem(site, "not_html", response.url, "the item page is not HTML")
            return
        # Remembered under the URL the list or sitemap gave (redirects or not): that is what
        # the next round will find there.
        raw = extract(self.sites[site], clean_url(response.url), response.text, utcnow(), source=self.source)
        yield Article(site=site, url=item_url, raw=raw)

    def failed(self, failure: Failure) -> Iterator[Problem]:
        request: Any = getattr(failure, "request", None)
        site = request.meta.get("site", "?") if request is not None else "?"
        problem = problems.from_failure(site, failure)
        item_url = request.cb_kwargs.get("item_url") if request is not None else None
        yield dataclasses.replace(problem, item_url=item_url) if item_url else problem


def _list_time(site: SiteOptions, text: str) -> datetime | None:
    try:
        return parse_site_time(text, site.time_format, site.calendar, site.timezone)
    except ValueError:
        return None


def _strings(nodes: Any) -> list[str]:
    return [node.root if isinstance(node.root, str) else node.attrib.get("href", "") for node in nodes]


def _sitemap_body(response: Response) -> bytes | None:
    if gzip_magic_number(response):
        try:
            return gunzip(response.body, max_size=MAX_SITEMAP_BYTES)
        except Exception:  # corrupt or oversized archive
            return None
    return response.body or None
