"""Telegram channel previews (t.me/s/<channel>): reading a page, paging it, mapping a message.

Pure functions, shared by the spider (child process) and the Source (service process):

- `parse_page(html)`: the messages on one preview page (id, time, raw HTML), the channel's title
  and subscriber count, and the `?before=` id of the next older page;
- `walk(state, page, horizon)`: where a channel's cursor goes after one page, so that a round
  fetches only messages newer than the last committed one, backfills a new channel down to the
  horizon, and an interrupted walk resumes exactly where it stopped;
- `to_post(raw)`: one message's raw HTML (as kept beside the post) to a `Post`.

Views are shown abbreviated ("1.2K"); `crawlers.values.parse_count` reads them. The preview says
that a message was edited but not when: `edited_at` is the time trendwatch saw the mark (`fetched_at`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from parsel import Selector

from crawlers.spiders.html_text import visible_text
from crawlers.values import parse_count, parse_iso_time
from trendwatch.errors import BadPayload, DropPost
from trendwatch.models import Author, Engagement, Post

PLATFORM = "telegram"
_POST_LINK = re.compile(r"^/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,31})/(\d+)/?$")
_HANDLE_LINK = re.compile(r"^/([A-Za-z][A-Za-z0-9_]{3,31})/?$")


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True, slots=True)
class PageMessage:
    """A message as the spider needs it to page: its id, time (None if unreadable) and raw HTML."""

    id: int
    time: datetime | None
    html: str


@dataclass(frozen=True, slots=True)
class Page:
    """One preview page. `is_channel` is False for t.me's "no such channel"/private page."""

    is_channel: bool
    messages: tuple[PageMessage, ...] = ()
    malformed: tuple[str, ...] = ()
    before: int | None = None
    title: str | None = None
    subscribers: str | None = None


def parse_page(html: str) -> Page:
    """Messages (oldest first), the next older page and channel facts of one t.me/s page."""
    root = Selector(text=html)
    if not root.css(".tgme_channel_history"):
        return Page(is_channel=False)
    messages, malformed = [], []
    for node in root.css(".tgme_widget_message[data-post]"):
        data_post = node.attrib.get("data-post", "")
        number = data_post.rpartition("/")[2]
        if not number.isdigit():
            malformed.append(f"message with data-post {data_post!r} has no numeric id")
            continue
        time = parse_iso_time(node.css(".tgme_widget_message_date time::attr(datetime)").get())
        for decoration in node.css(".tgme_widget_message_bubble_tail, .tgme_widget_message_user"):
            decoration.drop()  # an SVG and an avatar: kilobytes per message nobody needs in `raw`
        messages.append(PageMessage(id=int(number), time=time, html=node.get()))
    more = root.css(".tme_messages_more[data-before]::attr(data-before)").get()
    counters = {
        (node.css(".counter_type::text").get() or "").strip(): (node.css(".counter_value::text").get() or "").strip()
        for node in root.css(".tgme_channel_info_counter")
    }
    title = root.css(".tgme_channel_info_header_title ::text").getall()
    return Page(
        is_channel=True,
        messages=tuple(sorted(messages, key=lambda m: m.id)),
        malformed=tuple(malformed),
        before=int(more) if more and more.isdigit() else None,
        title=" ".join("".join(title).split()) or None,
        subscribers=counters.get("subscribers") or counters.get("subscriber"),
    )


# --------------------------------------------------------------------------- cursor


@dataclass(frozen=True, slots=True)
class ChannelState:
    """A channel's cursor.

    `last`: the newest message id committed by a finished walk (None before the first). A walk
    reads pages from the newest message down; while it is unfinished, `top` is the newest id it
    started from and `before` the lowest id committed so far, so it resumes with `?before=`.
    When it reaches `last` (or the backfill horizon, or the channel's first message) `last`
    becomes `top`. Every message newer than the horizon is committed exactly once.
    """

    last: int | None = None
    top: int | None = None
    before: int | None = None

    @property
    def walking(self) -> bool:
        return self.before is not None

    def to_json(self) -> dict[str, int | None]:
        return {"last": self.last, "top": self.top, "before": self.before}

    @classmethod
    def from_json(cls, value: Any) -> ChannelState:
        if not isinstance(value, Mapping):
            return cls()
        fields = [value.get("last"), value.get("top"), value.get("before")]
        if not all(f is None or (isinstance(f, int) and not isinstance(f, bool)) for f in fields):
            raise ValueError(f"not a telegram channel cursor: {dict(value)!r}")
        state = cls(*fields)
        if (state.top is None) != (state.before is None):
            raise ValueError(f"not a telegram channel cursor: {dict(value)!r}")
        return state


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one page: messages to commit, the cursor after them, the next page."""

    keep: tuple[PageMessage, ...]
    state: ChannelState
    next_before: int | None  # None: the walk is finished


def walk(state: ChannelState, page: Page, horizon: datetime) -> Step:
    """Advance a channel's walk by one fetched page (the top page, or `?before=state.before`)."""
    if not page.messages:
        # An empty page ends the walk: nothing older exists (or the channel has no messages).
        return Step((), _finished(state), None)
    ids = [m.id for m in page.messages]
    top = state.top if state.top is not None else max(ids)
    if not state.walking and state.last is not None and top <= state.last:
        return Step((), state, None)  # nothing new since the last round
    keep = tuple(
        m
        for m in page.messages
        if (state.last is None or m.id > state.last)
        and (state.before is None or m.id < state.before)
        and (m.time is None or m.time >= horizon)
    )
    reached_last = state.last is not None and min(ids) <= state.last
    reached_horizon = any(m.time is not None and m.time < horizon for m in page.messages)
    if reached_last or reached_horizon or page.before is None:
        return Step(keep, ChannelState(last=top), None)
    lowest = min(ids)
    return Step(keep, ChannelState(last=state.last, top=top, before=lowest), min(page.before, lowest))


def _finished(state: ChannelState) -> ChannelState:
    return ChannelState(last=state.top if state.walking else state.last)


# --------------------------------------------------------------------------- mapping


def to_post(raw: Mapping[str, Any]) -> Post:
    """Map one message (raw: `html` of the message, `channel`, and what the page said about the
    channel: `channel_title`, `subscribers`; `source`, `fetched_at`) to a Post.

    Raises BadPayload (reason `malformed_message`) when the HTML is not a message with an id and a
    time, DropPost for messages that carry no text (service messages, media without a caption).
    """
    html = raw.get("html")
    if not isinstance(html, str):
        raise BadPayload("raw message has no html", reason="malformed_message")
    root = Selector(text=html)
    node = root.css(".tgme_widget_message[data-post]")
    if not node:
        raise BadPayload("no .tgme_widget_message[data-post] in the raw html", reason="malformed_message")
    message = node[0]
    data_post = message.attrib["data-post"]
    channel, _, number = data_post.rpartition("/")
    if not channel or not number.isdigit():
        raise BadPayload(f"data-post {data_post!r} is not <channel>/<id>", reason="malformed_message")
    channel = channel.lower()
    if "service_message" in message.attrib.get("class", ""):
        raise DropPost("service_message", f"{data_post} is a service message")
    created_at = parse_iso_time(message.css(".tgme_widget_message_date time::attr(datetime)").get())
    if created_at is None:
        raise BadPayload(f"{data_post} has no readable time", reason="malformed_message")

    text_node = message.css(".tgme_widget_message_bubble > .tgme_widget_message_text") or message.css(
        ".tgme_widget_message_text"
    )
    text = visible_text(text_node[0].root) if text_node else ""
    if not text:
        raise DropPost("no_text", f"{data_post} has no text (media without a caption?)")

    hashtags: list[str] = []
    mentions: list[str] = []
    links: list[str] = []
    for anchor in text_node[0].css("a[href]"):
        href = anchor.attrib["href"]
        label = " ".join(anchor.css("::text").getall()).strip()
        if "?q=%23" in href or (label.startswith("#") and href.startswith("?q=")):
            hashtags.append(label.lstrip("#") or unquote(href.partition("?q=")[2]).lstrip("#"))
        elif label.startswith("@") and _handle(href):
            mentions.append(label.lstrip("@"))
        elif href.startswith(("http://", "https://")):
            links.append(href)
    preview = message.css("a.tgme_widget_message_link_preview::attr(href)").get()
    if preview:
        links.append(preview)

    forwarded = message.css(".tgme_widget_message_forwarded_from_name")
    if forwarded:
        origin = forwarded[0].attrib.get("href")
        if origin:
            links.append(origin)
            handle = _handle(origin) or _post_link(origin)[0]
            if handle:
                mentions.append(handle)

    reply = message.css("a.tgme_widget_message_reply::attr(href)").get()
    reply_channel, reply_id = _post_link(reply) if reply else (None, None)

    meta = " ".join(message.css(".tgme_widget_message_meta ::text").getall())
    edited = "edited" in meta.lower()
    fetched_at = parse_iso_time(raw.get("fetched_at")) if isinstance(raw.get("fetched_at"), str) else None

    title = raw.get("channel_title") if isinstance(raw.get("channel_title"), str) else None
    name = " ".join(message.css(".tgme_widget_message_owner_name ::text").getall()).strip() or title
    subscribers = raw.get("subscribers")
    url = message.css(".tgme_widget_message_date::attr(href)").get() or f"https://t.me/{channel}/{number}"
    return Post(
        id=f"{PLATFORM}:{channel}/{number}",
        platform=PLATFORM,
        source=str(raw.get("source") or PLATFORM),
        text=text,
        created_at=created_at,
        url=url,
        author=Author(
            id=channel,
            handle=channel,
            name=" ".join(name.split()) if name else None,
            followers=parse_count(subscribers) if isinstance(subscribers, str) else None,
            url=f"https://t.me/{channel}",
        ),
        hashtags=tuple(dict.fromkeys(h for h in hashtags if h)),
        mentions=tuple(dict.fromkeys(m for m in mentions if m)),
        links=tuple(dict.fromkeys(links)),
        engagement=Engagement(views=parse_count(message.css(".tgme_widget_message_views::text").get())),
        edited_at=(fetched_at or created_at) if edited else None,
        reply_to=f"{PLATFORM}:{reply_channel.lower()}/{reply_id}" if reply_channel and reply_id else None,
        raw=dict(raw),
    )


def _handle(href: str) -> str | None:
    """'https://t.me/durov' -> 'durov'; None for any other link."""
    parts = urlsplit(href)
    if parts.hostname not in ("t.me", "telegram.me") or parts.query:
        return None
    match = _HANDLE_LINK.match(parts.path)
    return match.group(1) if match else None


def _post_link(href: str) -> tuple[str | None, str | None]:
    """'https://t.me/durov/123' -> ('durov', '123')."""
    parts = urlsplit(href)
    match = _POST_LINK.match(parts.path) if parts.hostname in ("t.me", "telegram.me") else None
    return (match.group(1), match.group(2)) if match else (None, None)
