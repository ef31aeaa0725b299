"""The Telegram spider: walks each channel's t.me/s preview, newest page first.

Per channel and round: an unfinished walk (from an interrupted round) is resumed with
`?before=`; when it finishes, a new walk starts at the top page and goes down until it meets the
last committed message, the backfill horizon or the channel's first message (see
`telegram.walk`). At most `max_pages` pages per channel per round; a walk cut short resumes next
round. Every page becomes one `ChannelPage` item carrying the channel's cursor after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawlers.spiders import problems
from crawlers.spiders.items import ChannelPage, Problem
from crawlers.spiders.options import TelegramOptions
from crawlers.spiders.telegram import ChannelState, parse_page, walk
from trendwatch.timeutil import utcnow


class TelegramSpider(Spider):
    name = "telegram"

    def __init__(self, options: TelegramOptions, cursor: Any, source: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options = options
        self.source = source
        channels = cursor.get("channels", {}) if isinstance(cursor, dict) else {}
        self.states = {c: ChannelState.from_json(channels.get(c)) for c in options.channels}
        self.horizon = utcnow() - options.backfill

    async def start(self) -> AsyncIterator[Any]:
        for channel, state in self.states.items():
            yield self._request(channel, state, pages=0, resumed=state.walking)

    def _request(self, channel: str, state: ChannelState, *, pages: int, resumed: bool) -> Request:
        url = f"{self.options.base_url}/s/{channel}"
        if state.walking:
            url += f"?before={state.before}"
        return Request(
            url,
            callback=self.parse_page,
            errback=self.failed,
            cb_kwargs={"channel": channel, "state": state, "pages": pages + 1, "resumed": resumed},
            meta={"channel": channel},
            dont_filter=True,
        )

    def parse_page(
        self, response: Response, channel: str, state: ChannelState, pages: int, resumed: bool
    ) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            yield Problem(channel, "not_html", response.url, "the preview page is not HTML")
            return
        page = parse_page(response.text)
        if not page.is_channel:
            yield Problem(
                channel,
                "gone",
                response.url,
                f"@{channel} has no public preview: the channel does not exist, is private, or disabled previews",
            )
            return
        for detail in page.malformed:
            yield Problem(channel, "malformed_message", response.url, detail)
        step = walk(state, page, self.horizon)
        fetched_at = utcnow().isoformat()
        messages = [
            {
                "source": self.source,
                "channel": channel,
                "html": message.html,
                "channel_title": page.title,
                "subscribers": page.subscribers,
                "page_url": response.url,
                "fetched_at": fetched_at,
            }
            for message in step.keep
        ]
        yield ChannelPage(channel=channel, url=response.url, messages=messages, state=step.state.to_json())
        if pages >= self.options.max_pages:
            return  # the walk (if unfinished) resumes next round from step.state
        if step.next_before is not None:
            following = ChannelState(last=step.state.last, top=step.state.top, before=step.next_before)
            yield self._request(channel, following, pages=pages, resumed=resumed)
        elif resumed and step.state != state:
            # The interrupted walk is done; now read what was posted since it started.
            yield self._request(channel, step.state, pages=pages, resumed=False)

    def failed(self, failure: Failure) -> Iterator[Problem]:
        request: Any = getattr(failure, "request", None)
        channel = request.meta.get("channel", "?") if request is not None else "?"
        yield problems.from_failure(channel, failure)
