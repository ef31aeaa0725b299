"""Websites described by selectors: reading an item page, and mapping it to a Post.

Pure functions, shared by the spider (child process) and the Source (service process):

- `extract(site, url, html, fetched_at)`: the raw fields of one item page as its site's selectors
  find them (title, text, time as written, author, links, canonical URL), together with how to
  read the time (format, calendar, zone), so that `to_post(raw)` needs nothing else;
- `to_post(raw)`: raw fields to a `Post` with id `web:<canonical url>`;
- `parse_site_time(text, fmt, calendar, tz)`: ISO 8601 or strptime formats, Gregorian or Jalali
  (Persian sites write `۱۴۰۳/۰۹/۱۲ ۱۰:۳۰`), Persian/Arabic digits, naive times in the site's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import jdatetime
from parsel import Selector

from crawlers.spiders.options import SiteOptions
from crawlers.spiders.selectors import select, selected_text
from crawlers.values import DIGITS, parse_iso_time
from trendwatch.errors import BadPayload
from trendwatch.models import Author, Post
from trendwatch.timeutil import as_utc, zone

PLATFORM = "web"


def clean_url(url: str, base: str | None = None) -> str:
    """Absolute and without its #fragment: the form item URLs are remembered in."""
    return urldefrag(urljoin(base, url) if base else url)[0]


def remembered_urls(urls: Any) -> dict[str, str]:
    """A site's URLs in a website cursor, {url: ISO date} ("" when unknown; older cursors held a
    plain list, without dates)."""
    if isinstance(urls, dict):
        return {u: d if isinstance(d, str) else "" for u, d in urls.items() if isinstance(u, str)}
    if isinstance(urls, list):
        return dict.fromkeys((u for u in urls if isinstance(u, str)), "")
    return {}


def extract(site: SiteOptions, url: str, html: str, fetched_at: datetime, source: str = "website") -> dict[str, Any]:
    """The raw fields of one item page (JSON-serialisable; kept beside the post)."""
    root = Selector(text=html)
    selectors = site.selectors
    text_nodes = select(root, selectors.text)
    links: list[str] = []
    for node in text_nodes:
        if isinstance(node.root, str):
            continue
        for href in node.css("a::attr(href)").getall():
            absolute = clean_url(href.strip(), url)
            if urlsplit(absolute).scheme in ("http", "https"):
                links.append(absolute)
    canonical = root.css('link[rel="canonical"]::attr(href)').get()
    return {
        "source": source,
        "site": site.name,
        "url": url,
        "canonical": clean_url(canonical.strip(), url) if canonical and canonical.strip() else None,
        "title": selected_text(root, selectors.title, first=True) if selectors.title else None,
        "text": selected_text(root, selectors.text, first=False),
        "time": selected_text(root, selectors.time, first=True) if selectors.time else None,
        "author": selected_text(root, selectors.author, first=True) if selectors.author else None,
        "links": list(dict.fromkeys(links)),
        "time_format": site.time_format if selectors.time else None,
        "calendar": site.calendar,
        "timezone": site.timezone,
        "language": site.language,
        "fetched_at": fetched_at.isoformat(),
    }


def parse_site_time(text: str, fmt: str, calendar: str = "gregorian", tz: str = "UTC") -> datetime:
    """A time as a site writes it, as aware UTC; ValueError when it does not match."""
    value = " ".join(text.translate(DIGITS).split())
    if fmt == "iso":
        parsed = datetime.fromisoformat(value)
    elif calendar == "jalali":
        parsed = jdatetime.datetime.strptime(value, fmt).togregorian()
    else:
        parsed = datetime.strptime(value, fmt)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz))
    return as_utc(parsed)


def to_post(raw: Mapping[str, Any]) -> Post:
    """Map one item page's raw fields to a Post; BadPayload (`malformed_page`) when the page lacks
    its text or its time does not read with the site's format."""
    url = raw.get("canonical") or raw.get("url")
    if not isinstance(url, str) or not url:
        raise BadPayload("raw article has no url", reason="malformed_page")
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadPayload(f"{url}: the text selector matched nothing", reason="malformed_page")
    fetched = raw.get("fetched_at")
    fetched_at = parse_iso_time(fetched) if isinstance(fetched, str) else None
    fmt = raw.get("time_format")
    written = raw.get("time")
    if fmt is None:
        if fetched_at is None:
            raise BadPayload(f"{url}: no time selector and no fetched_at", reason="malformed_page")
        created_at = fetched_at
    elif not isinstance(written, str):
        raise BadPayload(f"{url}: the time selector matched nothing", reason="malformed_page")
    else:
        try:
            created_at = parse_site_time(written, str(fmt), str(raw.get("calendar")), str(raw.get("timezone")))
        except ValueError as exc:
            raise BadPayload(
                f"{url}: time {written!r} does not read as {fmt!r}: {exc}", reason="malformed_page"
            ) from None
    site = str(raw.get("site") or "site")
    author = raw.get("author")
    title = raw.get("title")
    language = raw.get("language")
    return Post(
        id=f"{PLATFORM}:{url}",
        platform=PLATFORM,
        source=str(raw.get("source") or "website"),
        text=text.strip(),
        created_at=created_at,
        url=url,
        title=title if isinstance(title, str) else None,
        author=Author(id=f"{site}:{author}", name=author) if isinstance(author, str) and author else None,
        lang=language if isinstance(language, str) else None,
        links=tuple(link for link in raw.get("links") or () if isinstance(link, str)),
        raw=dict(raw),
    )
