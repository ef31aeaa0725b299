"""`rss`: any number of RSS/Atom feeds, fetched politely and parsed with feedparser.

Each feed is one query. A round sends a conditional GET (`If-None-Match` / `If-Modified-Since`
from the ETag and Last-Modified kept in the cursor); 304 means nothing new. A changed feed is
parsed off the event loop; entries whose id the cursor has already seen are skipped, so a server
that ignores conditional requests never makes us yield an entry twice. On a feed's first round,
entries older than `backfill` are skipped; after that, every entry not seen before is new.

Failures, each with its metrics reason: an empty body (`empty_body`), an HTML page instead of a
feed (`html_instead_of_xml`), bytes that are not in the declared encoding (`invalid_utf8` /
`bad_encoding`), XML that is cut short or cannot be read (`malformed_xml`), plus everything
`crawlers.http.fetch` reports (`timeout`, `http_404`, `http_429`, ...). XML with a recoverable
error (a stray `&`) whose entries feedparser could still read is used, and counted once as
`malformed_xml_recovered`.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser
from pydantic import Field, field_validator
from yarl import URL

from crawlers.http import Fetched, fetch
from crawlers.pollers.base import Poller, PollerOptions, Step, Stream
from crawlers.pollers.raw import (
    field,
    hashtags_in,
    html_to_text,
    language,
    links_in,
    mentions_in,
    optional,
    optional_timestamp,
    require_text,
    text_of,
    timestamp,
    unique,
)
from trendwatch.errors import BadPayload, DropPost
from trendwatch.models import Author, Engagement, Post
from trendwatch.timeutil import Duration, utcnow

PLATFORM = "rss"
#: Most entry ids remembered per feed (a feed lists far fewer; this only bounds the cursor).
MAX_SEEN = 2000
_FEED_ENDINGS = (b"</rss>", b"</feed>", b"</rdf:rdf>")


class RssOptions(PollerOptions):
    feeds: list[str] = Field(default_factory=list, description="Feed URLs (RSS 0.9x/1.0/2.0 or Atom).")
    interval: Duration = Field(timedelta(minutes=15), description="Time between rounds.")
    backfill: Duration = Field(
        timedelta(days=2), description="On a feed's first round, entries older than this are skipped."
    )
    concurrency: int = Field(8, ge=1, le=64, description="Feeds fetched at the same time.")

    @field_validator("feeds")
    @classmethod
    def _urls(cls, feeds: list[str]) -> list[str]:
        for url in feeds:
            parsed = URL(url)
            if parsed.scheme not in ("http", "https") or not parsed.host:
                raise ValueError(f"{url!r} is not an http(s) URL")
        if len(set(feeds)) != len(feeds):
            raise ValueError("a feed is listed twice")
        return feeds


class RssSource(Poller):
    platform = PLATFORM
    Options = RssOptions
    description = "RSS and Atom feeds, with conditional GET (ETag / Last-Modified)"
    needs = "feeds: a list of feed URLs"

    options: RssOptions

    def streams(self) -> Sequence[Stream]:
        return [FeedStream(url, self) for url in self.options.feeds]


@dataclass(frozen=True, slots=True)
class _FeedState:
    etag: str | None = None
    last_modified: str | None = None
    seen: tuple[str, ...] = ()

    @classmethod
    def load(cls, data: Any) -> _FeedState:
        if not isinstance(data, dict):
            return cls()
        try:
            return cls(
                etag=data.get("etag"),
                last_modified=data.get("last_modified"),
                seen=tuple(str(i) for i in data.get("seen") or ()),
            )
        except (TypeError, ValueError):
            return cls()

    def dump(self) -> dict[str, Any]:
        return {
            "etag": self.etag,
            "last_modified": self.last_modified,
            "seen": list(self.seen),
        }


class FeedStream:
    """One feed URL: conditional GET, parse, skip what the cursor has seen."""

    def __init__(self, url: str, poller: RssSource) -> None:
        self.key = url
        self.url = url
        self.poller = poller

    async def run(self, state: Any) -> AsyncIterator[Step]:
        st = _FeedState.load(state)
        # The backfill bounds the feed's first round only (nothing seen yet); after that every
        # entry not seen before is new, however old its date.
        floor = utcnow() - self.poller.options.backfill if not st.seen else None
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
        if st.etag:
            headers["If-None-Match"] = st.etag
        if st.last_modified:
            headers["If-Modified-Since"] = st.last_modified
        fetched = await fetch(self.poller.session, self.url, headers=headers, expect=(200, 304))
        if fetched.status == 304:
            return
        parsed = await asyncio.to_thread(parse_feed, fetched)
        if parsed.recovered:
            self.poller.skip("malformed_xml_recovered", parsed.recovered, query=self.key)
        seen = set(st.seen)
        posts: list[Post] = []
        ids: list[str] = []
        for raw in parsed.items:
            try:
                native = entry_id(raw)
            except DropPost as exc:
                self.poller.skip(exc.reason, str(exc), query=self.key)
                continue
            ids.append(native)
            if native in seen:
                continue
            posts.extend(p for p in self.poller.map_item(self._to_post, raw) if floor is None or p.created_at >= floor)
        yield Step(
            tuple(posts),
            _FeedState(
                etag=fetched.headers.get("ETag"),
                last_modified=fetched.headers.get("Last-Modified"),
                # every current entry (however long the feed: one dropped would be new again next
                # round), then older ids still remembered up to MAX_SEEN: a feed that briefly
                # lists fewer entries does not make the others new again when they come back
                seen=unique([*ids, *st.seen])[: max(MAX_SEEN, len(ids))],
            ).dump(),
        )

    def _to_post(self, raw: Any) -> Post:
        return to_post(raw, source=self.poller.name)


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    items: list[dict[str, Any]]
    recovered: str = ""


def parse_feed(fetched: Fetched) -> ParsedFeed:
    """Raw items (JSON-serialisable) of a feed response, or `BadPayload` with a reason."""
    body = fetched.body
    if not body.strip():
        raise BadPayload(f"{fetched.where} returned an empty body", reason="empty_body")
    parsed = feedparser.parse(body, response_headers={k.lower(): v for k, v in fetched.headers.items()})
    problem = parsed.get("bozo_exception")
    if not parsed.version:
        if fetched.looks_like_html():
            raise BadPayload(
                f"{fetched.where} returned an HTML page, not a feed (HTTP {fetched.status})",
                reason="html_instead_of_xml",
            )
        raise BadPayload(
            f"{fetched.where} is not an RSS or Atom feed ({problem or 'unknown format'})", reason="malformed_xml"
        )
    if isinstance(problem, feedparser.CharacterEncodingOverride):
        declared = str(problem).split("declared as ")[-1].split(",")[0].strip().lower()
        utf8 = declared.replace("-", "").replace("_", "") in ("utf8", "") or "utf-8" in str(problem)
        raise BadPayload(f"{fetched.where}: {problem}", reason="invalid_utf8" if utf8 else "bad_encoding") from None
    recovered = ""
    if parsed.bozo and problem is not None and not isinstance(problem, feedparser.NonXMLContentType):
        complete = body.rstrip().lower().endswith(_FEED_ENDINGS)
        if not parsed.entries or not complete:
            what = "cut short" if not complete else "unreadable"
            raise BadPayload(f"{fetched.where}: the XML is {what} ({problem})", reason="malformed_xml")
        recovered = f"{fetched.where}: {problem}"
    feed = parsed.feed
    context = {
        "url": str(fetched.url),
        "title": feed.get("title"),
        "link": feed.get("link"),
        "language": feed.get("language"),
        "author": feed.get("author"),
    }
    fetched_at = utcnow().isoformat()
    return ParsedFeed(
        [{"feed": context, "entry": jsonable(entry), "fetched_at": fetched_at} for entry in parsed.entries],
        recovered,
    )


def jsonable(value: Any) -> Any:
    """feedparser's result as plain JSON: dicts, lists, strings; parsed times as ISO 8601 UTC."""
    if isinstance(value, time.struct_time):
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC).isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


# --------------------------------------------------------------------------- mapping


def entry_id(raw: Any) -> str:
    """The entry's native id: its guid when globally unique, else the guid within the feed, else
    its link, else a digest of its title, summary and date. `DropPost` if it has none of those."""
    entry = field(raw, "entry", kind=dict)
    guid = text_of(entry, "id")
    link = text_of(entry, "link")
    feed_url = text_of(raw, "feed", "url") or ""
    if guid:
        return guid if ":" in guid else f"{feed_url}#{guid}"
    if link:
        return link
    basis = "|".join(text_of(entry, k) or "" for k in ("title", "summary", "published", "updated"))
    if not basis.strip("|"):
        raise DropPost("missing_field", "entry has no id, link, title or summary")
    return f"{feed_url}#sha1:{hashlib.sha1(basis.encode()).hexdigest()[:20]}"


def to_post(raw: Any, source: str = PLATFORM) -> Post:
    """Map one feed entry (as `parse_feed` keeps it) to a Post. Pure."""
    entry = field(raw, "entry", kind=dict)
    feed = optional(raw, "feed", kind=dict) or {}
    title = _plain(entry, "title")
    body, body_links = "", tuple[str, ...]()
    contents = optional(entry, "content", kind=list) or []
    html = next((c.get("value") for c in contents if isinstance(c, dict) and c.get("value")), None)
    html = html or text_of(entry, "summary")
    if html:
        body, body_links = html_to_text(html)
    text = require_text(body, title)
    published = optional_timestamp(entry.get("published_parsed"))
    updated = optional_timestamp(entry.get("updated_parsed"))
    created = published or updated or timestamp(raw.get("fetched_at"), "fetched_at")
    link = text_of(entry, "link")
    feed_url = text_of(feed, "url") or ""
    host = (URL(feed_url).host or feed_url) if feed_url else "feed"
    author_name = text_of(entry, "author") or text_of(entry, "author_detail", "name") or text_of(feed, "author")
    author = (
        Author(id=f"{host}/{author_name}", name=author_name)
        if author_name
        else Author(id=host, name=text_of(feed, "title"), url=text_of(feed, "link"))
    )
    content_lang = next((c.get("language") for c in contents if isinstance(c, dict) and c.get("language")), None)
    searchable = f"{title or ''}\n{text}"
    return Post(
        id=f"{PLATFORM}:{entry_id(raw)}",
        platform=PLATFORM,
        source=source,
        text=text,
        title=title,
        created_at=created,
        edited_at=updated if published and updated and updated != published else None,
        url=link,
        author=author,
        lang=language(content_lang or entry.get("language") or feed.get("language")),
        hashtags=hashtags_in(searchable),
        mentions=mentions_in(text),
        links=unique([link, *body_links, *links_in(text)]),
        engagement=Engagement(replies=_int(entry.get("slash_comments"))),
        raw=raw,
    )


def _plain(entry: dict[str, Any], key: str) -> str | None:
    value = text_of(entry, key)
    if value and optional(entry, f"{key}_detail", "type", kind=str) in ("text/html", "application/xhtml+xml"):
        value = html_to_text(value)[0] or None
    return value


def _int(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
