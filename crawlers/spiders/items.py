"""What a spider hands out: Scrapy dataclass items, one per unit the service can commit.

Items are plain dataclasses (Scrapy's project template style; itemadapter reads them as they
are). They travel from the child process to the Source as JSON lines (see `protocol.py`), so
every field is JSON-serialisable. `kind` names the line type on the wire.

- `ChannelPage`: one t.me/s page of one channel: the raw messages to map, and the channel's
  cursor once they are committed. One item per page keeps posts and cursor atomic.
- `Article`: one item page of a site, as the raw fields its selectors found.
- `Passed`: an item URL a newly added site lists as older than its `backfill`: not read, but
  remembered in the cursor so later rounds do not read it either.
- `Problem`: a request or page that failed (404, 429, malformed page, robots.txt, ...), reported
  by the spider so the Source can log it once and count it by reason.
- `Summary`: how the crawl went, written by the child after the crawler stops (not an item).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass
class ChannelPage:
    kind: ClassVar[str] = "channel_page"

    channel: str
    url: str
    messages: list[dict[str, Any]]
    state: dict[str, Any]


@dataclass
class Article:
    kind: ClassVar[str] = "article"

    site: str
    url: str
    raw: dict[str, Any]


@dataclass
class Passed:
    kind: ClassVar[str] = "passed"

    site: str
    url: str
    listed_at: str  # ISO 8601: the date the sitemap or list page gave it


@dataclass
class Problem:
    kind: ClassVar[str] = "problem"

    key: str
    reason: str
    url: str
    message: str
    retry_after: float | None = None
    item_url: str | None = None  # website item pages: the URL as the list/sitemap gave it


@dataclass
class Summary:
    kind: ClassVar[str] = "summary"

    finish_reason: str
    responses: dict[str, dict[str, int]] = field(default_factory=dict)
    ok_responses: int = 0
    retries: int = 0
    robots_forbidden: int = 0
    elapsed: float = 0.0


Event = ChannelPage | Article | Passed | Problem | Summary
EVENT_TYPES: dict[str, type[Any]] = {cls.kind: cls for cls in (ChannelPage, Article, Passed, Problem, Summary)}
