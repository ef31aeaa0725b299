"""A local web the spiders crawl in tests: t.me/s channel previews and two small websites.

One real aiohttp server, run in a background thread so several tests (each of which starts a
Scrapy child process) can share it. It speaks the way the real sites do:

- `/s/<channel>` renders a t.me/s-shaped page of the newest 20 messages (markup as Telegram
  writes it: `data-post`, bubble, views "1.2K", "edited", forwarded-from, hashtag links
  `?q=%23...`), `?before=<id>` the 20 before that, with the `tme_messages_more` link while older
  messages exist; an unknown channel redirects to `/<channel>` (no preview), as t.me does;
- `/news/`: a Persian news site (Jalali dates in Persian digits) with list pages, pagination, an
  article behind robots.txt, a 404, a 500, a 429 with Retry-After and a page without text;
- `/blog/`: an English blog found through a sitemap index (one child sitemap gzipped);
- `/robots.txt` disallows `/news/private/` and names the blog's sitemap.

Every request is recorded (path, query, User-Agent, time) so tests can check politeness.
"""

from __future__ import annotations

import asyncio
import gzip
import html
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from aiohttp import web

ZWNJ = "\u200c"
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
PAGE_SIZE = 20


def fa(number: int | str) -> str:
    return str(number).translate(FA_DIGITS)


# --------------------------------------------------------------------------- Telegram


@dataclass
class FakeMessage:
    id: int
    time: datetime
    text_html: str | None
    views: str | None = "1.2K"
    forwarded_from: tuple[str, str] | None = None  # (name, https://t.me/<channel>/<id>)
    edited: bool = False
    service: bool = False
    has_time: bool = True
    reply_to: str | None = None  # https://t.me/<channel>/<id>
    link_preview: str | None = None
    photo: bool = False


@dataclass
class FakeChannel:
    username: str
    title: str
    subscribers: str = "12.5K"
    messages: dict[int, FakeMessage] = field(default_factory=dict)
    failures: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # served before any page
    always: int | None = None  # a status served for every request
    top_extra: str = ""  # raw HTML added to the newest page (e.g. a malformed message)

    def add(self, message: FakeMessage) -> None:
        self.messages[message.id] = message

    def page(self, before: int | None) -> str:
        ids = sorted(i for i in self.messages if before is None or i < before)
        shown = ids[-PAGE_SIZE:]
        more = ""
        if shown and ids[0] < shown[0]:
            more = (
                '<div class="tgme_widget_message_centered js-messages_more_wrap">'
                f'<a href="/s/{self.username}?before={shown[0]}" class="tme_messages_more js-messages_more" '
                f'data-before="{shown[0]}"></a></div>'
            )
        body = "\n".join(self._message(self.messages[i]) for i in shown)
        if before is None:
            body += self.top_extra
        return CHANNEL_PAGE.format(
            channel=self.username, title=html.escape(self.title), subscribers=self.subscribers, more=more, messages=body
        )

    def _message(self, m: FakeMessage) -> str:
        kind = "service_message" if m.service else "text_not_supported_wrap"
        forwarded = ""
        if m.forwarded_from:
            name, url = m.forwarded_from
            forwarded = (
                '<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from&nbsp;'
                f'<a class="tgme_widget_message_forwarded_from_name" href="{url}"><span dir="auto">{name}</span></a></div>'
            )
        reply = ""
        if m.reply_to:
            reply = (
                f'<a class="tgme_widget_message_reply" href="{m.reply_to}"><div class="tgme_widget_message_author">'
                f'<span class="tgme_widget_message_author_name">{html.escape(self.title)}</span></div>'
                '<div class="tgme_widget_message_metatext js-message_reply_text">…</div></a>'
            )
        media = (
            f'<a class="tgme_widget_message_photo_wrap" href="https://t.me/{self.username}/{m.id}" '
            "style=\"width:800px;background-image:url('https://cdn4.telegram-cdn.org/file/photo.jpg')\">"
            '<div class="tgme_widget_message_photo" style="padding-top:56%"></div></a>'
        )
        text = (
            f'<div class="tgme_widget_message_text js-message_text" dir="auto">{m.text_html}</div>'
            if m.text_html
            else ""
        )
        preview = ""
        if m.link_preview:
            preview = (
                f'<a class="tgme_widget_message_link_preview" href="{m.link_preview}">'
                '<div class="link_preview_site_name accent_color" dir="auto">دیجی‌کالا</div>'
                '<div class="link_preview_title" dir="auto">پیشنهاد شگفت‌انگیز</div></a>'
            )
        views = (
            f'<span class="tgme_widget_message_views">{m.views}</span><span class="copyonly"> views</span>'
            if m.views
            else ""
        )
        edited = "edited &nbsp;" if m.edited else ""
        when = ""
        if m.has_time:
            when = f'<time datetime="{m.time.isoformat(timespec="seconds")}" class="time">{m.time:%H:%M}</time>'
        return MESSAGE.format(
            channel=self.username,
            id=m.id,
            kind=kind,
            title=html.escape(self.title),
            forwarded=forwarded,
            reply=reply,
            media=media if m.photo else "",
            text=text,
            preview=preview,
            views=views,
            edited=edited,
            time=when,
        )


CHANNEL_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title} – Telegram</title></head>
<body class="widget_frame_base tgme_webpage">
<header class="tgme_header search_collapsed"><div class="tgme_header_right_column"><section class="tgme_right_column">
<div class="tgme_channel_info">
  <div class="tgme_channel_info_header">
    <div class="tgme_channel_info_header_title_wrap"><div class="tgme_channel_info_header_title"><span dir="auto">{title}</span></div></div>
    <div class="tgme_channel_info_header_username"><a href="https://t.me/{channel}">@{channel}</a></div>
  </div>
  <div class="tgme_channel_info_counters">
    <div class="tgme_channel_info_counter"><span class="counter_value">{subscribers}</span> <span class="counter_type">subscribers</span></div>
    <div class="tgme_channel_info_counter"><span class="counter_value">1.1K</span> <span class="counter_type">photos</span></div>
  </div>
</div></section></div></header>
<main class="tgme_main" data-url="/{channel}"><div class="tgme_container">
<section class="tgme_channel_history js-message_history">
{more}
{messages}
</section></div></main>
<script src="//telegram.org/js/widget-frame.js?60"></script>
</body></html>
"""

MESSAGE = """<div class="tgme_widget_message_wrap js-widget_message_wrap">
  <div class="tgme_widget_message {kind} js-widget_message" data-post="{channel}/{id}" data-view="eyJjIjotMTAwfQ">
    <div class="tgme_widget_message_user"><a href="https://t.me/{channel}"><i class="tgme_widget_message_user_photo bgcolor4" data-content="د"><img src="https://cdn4.telegram-cdn.org/file/avatar.jpg"></i></a></div>
    <div class="tgme_widget_message_bubble">
      <i class="tgme_widget_message_bubble_tail"><svg class="bubble_icon" width="9px" height="20px" viewBox="0 0 9 20"><g fill="none"><path class="background" fill="#ffffff" d="M8,1 L9,1 L9,20 L8,20 L8,18 Z"></path></g></svg></i>
      <div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/{channel}"><span dir="auto">{title}</span></a></div>
      {forwarded}{reply}{media}
      {text}
      {preview}
      <div class="tgme_widget_message_footer compact js-message_footer">
        <div class="tgme_widget_message_info short js-message_info">
          {views}<span class="tgme_widget_message_meta">{edited}<a class="tgme_widget_message_date" href="https://t.me/{channel}/{id}">{time}</a></span>
        </div>
      </div>
    </div>
  </div>
</div>"""

NO_PREVIEW = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram: Contact @{channel}</title></head>
<body><div class="tgme_page_wrap"><div class="tgme_page"><div class="tgme_page_title"><span dir="auto">Telegram</span></div>
<div class="tgme_page_description">If you have <strong>Telegram</strong>, you can contact <a class="tgme_username_link" href="tg://resolve?domain={channel}">@{channel}</a> right away.</div>
</div></div></body></html>"""


def hashtag(tag: str) -> str:
    return f'<a href="?q={quote("#" + tag)}">#{tag}</a>'


def mention(handle: str) -> str:
    return f'<a href="https://t.me/{handle}">@{handle}</a>'


def persian_text(i: int) -> str:
    """A Persian channel message: ZWNJ inside words, a Persian hashtag, a mention, a link."""
    return (
        f"پیام {fa(i)}: تخفیف ویژهٔ {hashtag('دیجی_کالا')} برای گوشی{ZWNJ}های هوشمند؛ "
        f"از {mention('digikala')} بخرید و {hashtag('حراج')} را ببینید<br/>"
        f'جزئیات: <a href="https://www.digikala.com/landing/{i}/" target="_blank" rel="noopener">digikala.com/landing/{i}</a>'
    )


def persian_channel(
    username: str, count: int, *, newest: datetime, step: timedelta, skip: tuple[int, ...] = ()
) -> FakeChannel:
    """`count` messages, ids 1..count (minus `skip`), one every `step`, the last at `newest`."""
    channel = FakeChannel(username=username, title=f"فروشگاه دیجی{ZWNJ}کالا", subscribers="1.2M")
    for i in range(1, count + 1):
        if i not in skip:
            channel.add(
                FakeMessage(id=i, time=newest - (count - i) * step, text_html=persian_text(i), views=f"{i}.{i % 10}K")
            )
    return channel


# --------------------------------------------------------------------------- websites

NEWS_LIST = """<!DOCTYPE html><html lang="fa" dir="rtl"><head><meta charset="utf-8"><title>اخبار</title></head>
<body><h1>آخرین اخبار</h1><ul class="list">{items}</ul>{next}<a href="/about.html">درباره ما</a></body></html>"""

NEWS_ARTICLE = """<!DOCTYPE html><html lang="fa" dir="rtl"><head><meta charset="utf-8">
<link rel="canonical" href="{canonical}"><title>{title}</title><style>.x{{color:red}}</style></head>
<body><nav><a href="/news/">اخبار</a></nav>
<h1>{title}</h1><span class="author">{author}</span> · <span class="date">{date}</span>
<div class="body"><p>{p1}</p><p>{p2} <a href="https://www.digikala.com/product/{n}/">محصول</a></p><script>var x = 1;</script></div>
</body></html>"""

BLOG_POST = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><article><h1>{title}</h1><time datetime="{iso}">{human}</time>
<div class="entry"><p>{p1}</p><p>{p2}</p></div></article></body></html>"""


@dataclass
class NewsArticle:
    n: int
    jalali_day: int
    title: str


@dataclass
class FakeSites:
    news: list[NewsArticle] = field(default_factory=list)  # newest first
    blog_posts: int = 5
    limited_once: bool = True

    def news_list(self, page: int) -> str:
        size = 6
        chunk = self.news[(page - 1) * size : page * size]
        links = [f'<li><a href="/news/a/{a.n}.html#comments">{a.title}</a></li>' for a in chunk]
        if page == 1:
            links += [
                '<li><a href="/news/private/leak.html">محرمانه</a></li>',
                '<li><a href="/news/a/missing.html">حذف شده</a></li>',
                '<li><a href="/news/a/broken.html">خراب</a></li>',
                '<li><a href="/news/a/limited.html">پرطرفدار</a></li>',
                '<li><a href="/news/a/empty.html">خالی</a></li>',
                '<li><a href="http://elsewhere.invalid/news/a/1.html">جای دیگر</a></li>',
            ]
        more = self.news[page * size :]
        nxt = f'<a class="next" href="/news/?page={page + 1}">قدیمی‌تر</a>' if more else ""
        return NEWS_LIST.format(items="".join(links), next=nxt)

    def news_article(self, base: str, n: int, *, title: str | None = None) -> str:
        article = next((a for a in self.news if a.n == n), None)
        title = title or (article.title if article else f"خبر {fa(n)}")
        day = article.jalali_day if article else 1
        return NEWS_ARTICLE.format(
            canonical=f"{base}/news/a/{n}.html",
            title=title,
            author="مریم احمدی",
            date=f"{fa(1403)}/{fa('09')}/{fa(f'{day:02d}')} {fa('10')}:{fa('30')}",
            p1=f"متن خبر {fa(n)} درباره{ZWNJ}ی فروش #دیجی_کالا در بازار.",
            p2="قیمت\u200cها در هفتهٔ گذشته ۱۲٪ کاهش یافت.",
            n=n,
        )

    def blog_post(self, n: int) -> str:
        when = datetime(2026, 11, 1, 9, 0, tzinfo=UTC) + timedelta(days=n)
        return BLOG_POST.format(
            title=f"Post {n}: shipping news",
            iso=when.isoformat().replace("+00:00", "Z"),
            human=f"{when:%d %B %Y}",
            p1=f"Paragraph one of post {n} about #digikala and Torob.",
            p2="Paragraph   two\n   spans lines.",
        )

    def sitemap_index(self, base: str) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base}/blog/sitemap-posts.xml</loc><lastmod>2026-11-20</lastmod></sitemap>"
            f"<sitemap><loc>{base}/blog/sitemap-pages.xml.gz</loc><lastmod>2026-01-01</lastmod></sitemap>"
            "</sitemapindex>"
        )

    def sitemap_posts(self, base: str) -> str:
        urls = "".join(
            f"<url><loc>{base}/blog/posts/{n}.html</loc><lastmod>2026-11-{n:02d}</lastmod></url>"
            for n in range(1, self.blog_posts + 1)
        )
        urls += f"<url><loc>{base}/blog/posts/404.html</loc><lastmod>2026-10-01</lastmod></url>"
        return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'

    def sitemap_pages(self, base: str) -> bytes:
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{base}/blog/about.html</loc></url><url><loc>{base}/blog/contact.html</loc></url></urlset>"
        )
        return gzip.compress(xml.encode())


ROBOTS = """User-agent: *
Disallow: /news/private/
Sitemap: {base}/blog/sitemap.xml
"""


# --------------------------------------------------------------------------- the server


@dataclass(frozen=True)
class Seen:
    path: str
    query: str
    user_agent: str
    at: float
    host: str = ""


class FakeWeb:
    """The server and its state; `url` is its base URL while it runs."""

    def __init__(self) -> None:
        self.channels: dict[str, FakeChannel] = {}
        self.sites = FakeSites()
        self.requests: list[Seen] = []
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    def seen(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]

    # ------------------------------------------------------------------ handlers

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/robots.txt", self._robots)
        app.router.add_get("/s/{channel}", self._preview)
        app.router.add_get("/news/", self._news_list)
        app.router.add_get("/news/a/{name}", self._news_article)
        app.router.add_get("/news/private/{name}", self._news_article)
        app.router.add_get("/blog/sitemap.xml", self._sitemap_index)
        app.router.add_get("/blog/sitemap-posts.xml", self._sitemap_posts)
        app.router.add_get("/blog/sitemap-pages.xml.gz", self._sitemap_pages)
        app.router.add_get("/blog/posts/{name}", self._blog_post)
        app.router.add_get("/{channel}", self._no_preview)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: web.RequestHandler) -> web.StreamResponse:
        agent = request.headers.get("User-Agent", "")
        self.requests.append(Seen(request.path, request.query_string, agent, time.monotonic(), request.host))
        return await handler(request)

    async def _robots(self, request: web.Request) -> web.Response:
        return web.Response(text=ROBOTS.format(base=self.url))

    async def _preview(self, request: web.Request) -> web.Response:
        name = request.match_info["channel"].lower()
        channel = self.channels.get(name)
        if channel is None:
            raise web.HTTPFound(f"/{name}")
        if channel.always is not None:
            return web.Response(status=channel.always, text="Internal Server Error")
        if channel.failures:
            status, headers = channel.failures.pop(0)
            return web.Response(status=status, headers=headers, text="Too Many Requests")
        before = request.query.get("before")
        return web.Response(text=channel.page(int(before) if before else None), content_type="text/html")

    async def _no_preview(self, request: web.Request) -> web.Response:
        return web.Response(text=NO_PREVIEW.format(channel=request.match_info["channel"]), content_type="text/html")

    async def _news_list(self, request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        return web.Response(text=self.sites.news_list(page), content_type="text/html")

    async def _news_article(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if request.path.startswith("/news/private/"):
            return web.Response(
                text=self.sites.news_article(self.url, 999, title="نباید خوانده شود"), content_type="text/html"
            )
        if name == "missing.html":
            raise web.HTTPNotFound()
        if name == "broken.html":
            raise web.HTTPInternalServerError()
        if name == "limited.html":
            if self.sites.limited_once:
                self.sites.limited_once = False
                return web.Response(status=429, headers={"Retry-After": "1"}, text="slow down")
            return web.Response(
                text=self.sites.news_article(self.url, 500, title="خبر پرطرفدار"), content_type="text/html"
            )
        if name == "empty.html":
            return web.Response(text="<html><body><h1>صفحه بدون متن</h1></body></html>", content_type="text/html")
        return web.Response(
            text=self.sites.news_article(self.url, int(name.removesuffix(".html"))), content_type="text/html"
        )

    # Sitemaps list URLs on the host they were asked from (tests reach the blog as "localhost",
    # a second host beside 127.0.0.1, to check per-site politeness).
    async def _sitemap_index(self, request: web.Request) -> web.Response:
        return web.Response(text=self.sites.sitemap_index(f"http://{request.host}"), content_type="application/xml")

    async def _sitemap_posts(self, request: web.Request) -> web.Response:
        return web.Response(text=self.sites.sitemap_posts(f"http://{request.host}"), content_type="application/xml")

    async def _sitemap_pages(self, request: web.Request) -> web.Response:
        body = self.sites.sitemap_pages(f"http://{request.host}")
        return web.Response(body=body, content_type="application/x-gzip")

    async def _blog_post(self, request: web.Request) -> web.Response:
        name = request.match_info["name"].removesuffix(".html")
        if not name.isdigit() or not 1 <= int(name) <= self.sites.blog_posts:
            raise web.HTTPNotFound()
        return web.Response(text=self.sites.blog_post(int(name)), content_type="text/html")

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            runner = web.AppRunner(self.app())
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            sockets = runner.addresses
            self.url = f"http://127.0.0.1:{sockets[0][1]}"
            self._runner = runner
            ready.set()
            loop.run_forever()
            loop.run_until_complete(runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-web", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake web server did not start")

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)


def running() -> Iterator[FakeWeb]:
    fake = FakeWeb()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
