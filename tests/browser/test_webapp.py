"""The web app in a real headless Chromium (Debian's), against the real service app over a real
SQLite store holding the demo's synthetic week (real NLP stage, real alert engine).

Each view renders with data; filters change what is shown; search finds posts and points at a
malformed query; acknowledging and muting round-trip to the store; a post carrying script and
HTML in its text, author, hashtag and link stays inert; the Persian page is right to left with
Persian digits and Jalali dates; the token prompt works. No test may log a console error. A
screenshot of each view goes to docs/screenshots/ (linked from the README) and to
artifacts/screenshots/ (the test artefact). One browser serves the whole module; the tests that
take screenshots run before those that acknowledge or mute, so the images never depend on them.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import threading
import urllib.request
from collections.abc import Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from alerts.engine import mute_key
from indexer.sqlite import SqliteStore
from tests.service.web_support import END, HOSTILE_AUTHOR, HOSTILE_TAG, HOSTILE_TEXT, Built, built_store, copy_store
from tests.service.web_support import settings as make_settings
from trendwatch.config import Settings
from trendwatch.service.web import create_app
from trendwatch.service.web.alerts import ack_key

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
ARTIFACTS = Path(os.environ.get("TRENDWATCH_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
TOKEN = "browser-test-token"
WINDOW = f"to={END.isoformat().replace('+00:00', 'Z')}&range=7d"
SPIKE = "tone-shift|Kavehmart"
OTHER = "share-of-voice|Kavehmart"
VIEWS = ("overview", "compare", "brand", "alerts")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium, or `make browser`)",
    ),
]


class LiveServer:
    """The web app served from a thread with its own event loop: several apps (English,
    Persian, token-protected, ...), each on a free port of 127.0.0.1, each over the SQLite store
    its settings name (one store object per file, shared by the apps on it)."""

    def __init__(self, apps: dict[str, Settings]) -> None:
        self.apps = apps
        self.urls: dict[str, str] = {}
        self.stores: dict[Path, SqliteStore] = {}
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="web-app", daemon=True)

    def __enter__(self) -> LiveServer:
        self._thread.start()
        self._ready.wait(60)
        if self._failed is not None:
            raise self._failed
        return self

    def __exit__(self, *exc: object) -> None:
        self.call(self._teardown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(30)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._setup())
        except BaseException as exc:
            self._failed = exc
        finally:
            self._ready.set()
        if self._failed is None:
            self.loop.run_forever()
        self.loop.close()

    async def _setup(self) -> None:
        self.runners = []
        for name, settings in self.apps.items():
            path = settings.store.options.path
            if path not in self.stores:
                self.stores[path] = SqliteStore(SqliteStore.Options(path=path))
                await self.stores[path].open()
            runner = web.AppRunner(create_app(self.stores[path], settings, now=lambda: END), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            self.runners.append(runner)
            self.urls[name] = f"http://127.0.0.1:{runner.addresses[0][1]}"

    async def _teardown(self) -> None:
        for runner in self.runners:
            await runner.cleanup()
        for store in self.stores.values():
            await store.close()

    def store(self, app: str) -> SqliteStore:
        return self.stores[self.apps[app].store.options.path]

    def call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run a coroutine on the server's loop (e.g. a store read) and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(30)

    def api(self, app: str, path: str) -> Any:
        """An API answer, fetched directly (what the page should show)."""
        with urllib.request.urlopen(self.urls[app] + path, timeout=30) as response:
            return json.loads(response.read())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The demo's week without the hostile posts: what the screenshots show."""
    return built_store(tmp_path_factory.mktemp("web-store"), hostile=False)


@pytest.fixture(scope="module")
def server(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    clean = copy_store(built.db, tmp_path_factory.mktemp("browser-store"))
    hostile = copy_store(built_store(tmp_path_factory.mktemp("web-store")).db, tmp_path_factory.mktemp("hostile"))
    apps = {
        "en": make_settings(clean),
        "fa": make_settings(clean, brand_language="fa", calendar="jalali", digits="persian", language="fa"),
        "token": make_settings(clean, web={"token": TOKEN}),
        "hostile": make_settings(hostile),
    }
    with LiveServer(apps) as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Page:
    """A browser page that records console errors, uncaught exceptions and dialogs."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)

    def open(self, url: str, view: str | None = None) -> Any:
        self.page.goto(url)
        return self.ready(view)

    def ready(self, view: str | None = None) -> Any:
        self.page.wait_for_selector("body[data-state=ready]", timeout=20_000)
        if view:
            self.page.wait_for_selector(f"#view[data-loaded={view}]", timeout=20_000)
        return self.page

    def expected_http_error(self, status: int) -> None:
        """Chromium logs every failed fetch as a console error; forget those of `status` (the
        test asked for them), and nothing else."""
        logged = f"the server responded with a status of {status}"
        found = [e for e in self.errors if logged in e]
        assert found, f"no HTTP {status} was logged"
        self.errors = [e for e in self.errors if logged not in e]

    def text(self, selector: str) -> str:
        return str(self.page.locator(selector).first.text_content()).strip()

    def screenshot(self, name: str) -> None:
        """Save the page as docs/screenshots/<name>.png and as a test artefact. The status
        clock is blanked so the same data always gives the same image. Checks first that
        nothing was rendered as a JavaScript object's name and nothing overflows the width."""
        assert "[object " not in self.page.inner_text("body")
        assert self.page.evaluate("document.documentElement.scrollWidth") <= 1280, "the page is wider than the window"
        self.page.evaluate("document.getElementById('status').textContent = ''")
        height = min(int(self.page.evaluate("document.documentElement.scrollHeight")), 2400)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(shot), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": height})
        shutil.copyfile(shot, SCREENSHOTS / f"{name}.png")


@pytest.fixture
def tab(browser: Any) -> Iterator[Page]:
    page = Page(browser)
    yield page
    assert page.errors == [], "the page logged errors"
    assert page.dialogs == [], "something opened a dialog"
    page.context.close()


def _posts(page: Any) -> list[dict[str, Any]]:
    return page.evaluate(
        """[...document.querySelectorAll('#posts li.post')].map(li => ({
            lang: li.querySelector('.badge.lang').textContent,
            platform: li.querySelector('.badge.platform').textContent,
            marks: [...li.querySelectorAll('mark.mention')].map(m => m.dataset.brand),
            text: li.querySelector('.post-text').textContent,
        }))"""
    )


def _kpi(page: Any, brand: str) -> int:
    text = page.locator(f".kpi[data-brand='{brand}'] .kpi-value").first.text_content()
    return int(re.sub(r"\D", "", text.split()[0]))


def test_each_view_renders_with_data(server: LiveServer, tab: Page, built: Built) -> None:
    base = server.urls["en"]
    page = tab.open(f"{base}/?view=overview&{WINDOW}", "overview")
    assert page.locator(".kpi").count() == 3
    assert _kpi(page, "Kavehmart") == len(built.about("Kavehmart", END - timedelta(days=7), END))
    assert page.locator(".chart[data-drawn=true]").count() == 5
    assert page.locator("#view .chart").first.locator("g.trace.scatter").count() == 3, "a line per brand"
    assert page.locator("table.emerging tbody tr").count() >= 3
    overview = server.api("en", f"/api/overview?{WINDOW}")
    assert page.locator(".alerts-table tbody tr").count() == len(overview["alerts"]) > 0
    assert page.locator("#posts li.post").count() == 20
    tab.screenshot("overview")

    page.click("#tabs [data-view=compare]")
    tab.ready("compare")
    assert page.locator("table.side-by-side thead th").count() == 4, "a column per brand"
    assert page.locator(".brand-column").count() == 3
    assert page.locator("ol.terms.complaints li").count() >= 3
    assert page.locator("ol.terms.praise li").count() >= 3
    assert page.locator(".chart[data-drawn=true]").count() == 3
    assert "view=compare" in page.url, "the address bar keeps the state"
    tab.screenshot("compare")

    page.click("#tabs [data-view=brand]")
    tab.ready("brand")
    assert tab.text(".view-title") == "Kavehmart in depth"
    assert page.locator(".top-posts li.post").count() == 10
    assert page.locator("table.top-authors tbody tr").count() == 10
    assert page.locator(".chart[data-drawn=true]").count() == 5
    tab.screenshot("brand")

    page.click("#tabs [data-view=alerts]")
    tab.ready("alerts")
    alerts = server.api("en", f"/api/alerts?{WINDOW}")
    assert page.locator("article.alert").count() == len(alerts["alerts"]) > 0
    assert tab.text("#alerts-open") == str(alerts["open"])
    assert tab.text("#alerts-resolved") == str(alerts["resolved"])
    titles = page.locator("article.alert h3").all_text_contents()
    assert titles == [a["explanation"]["title"] for a in alerts["alerts"]]
    page.locator(f"article.alert[data-key='{SPIKE}'] details summary").click()
    explanation = page.locator(f"article.alert[data-key='{SPIKE}'] .explanation")
    assert explanation.is_visible()
    assert "expected" in explanation.locator(".summary").text_content()
    assert explanation.locator(".quotes li").count() >= 1, "example posts"
    assert explanation.locator(".facts dt").count() == explanation.locator(".facts dd").count() >= 4
    tab.screenshot("alerts")


def test_filters_change_what_is_shown(server: LiveServer, tab: Page, built: Built) -> None:
    page = tab.open(f"{server.urls['en']}/?{WINDOW}", "overview")
    week = (END - timedelta(days=7), END)
    before = _kpi(page, "Parsamall")
    page.select_option("#f-platform", "rss")
    tab.ready("overview")
    page.wait_for_function("new URL(location.href).searchParams.get('platform') === 'rss'")
    assert _kpi(page, "Parsamall") == len(built.about("Parsamall", *week, platform="rss")) < before
    assert {p["platform"] for p in _posts(page)} == {"rss"}
    page.select_option("#f-platform", "")
    page.select_option("#f-lang", "fa")
    tab.ready("overview")
    assert _kpi(page, "Parsamall") == len(built.about("Parsamall", *week, lang="fa"))
    assert {p["lang"] for p in _posts(page)} == {"fa"}
    page.select_option("#f-brand", "Shabdiz")
    tab.ready("overview")
    assert page.locator(".kpi").count() == 1
    assert all(p["marks"] == ["Shabdiz"] * len(p["marks"]) and "Shabdiz" in p["marks"] for p in _posts(page))
    page.select_option("#f-range", "24h")
    tab.ready("overview")
    assert "to=" not in page.url, "a preset range ends now"


def test_persian_page_is_right_to_left_with_persian_digits_and_jalali_dates(server: LiveServer, tab: Page) -> None:
    page = tab.open(f"{server.urls['fa']}/?{WINDOW}", "overview")
    assert page.evaluate("[document.documentElement.dir, document.documentElement.lang]") == ["rtl", "fa"]
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    assert tab.text("#tabs [data-view=overview]") == "نمای کلی"
    kpi = page.locator(".kpi[data-brand='Kavehmart'] .kpi-value").text_content()
    assert re.search("[۰-۹]", kpi)
    assert not re.search("[0-9]", kpi)
    ticks = page.evaluate("[...document.querySelectorAll('.js-plotly-plot .xtick text')].map(t => t.textContent)")
    assert any(t.startswith("۱۴۰۵-۰۹") for t in ticks), ticks
    assert not any(re.search("[0-9]", t) for t in ticks)
    assert page.locator("#posts time").first.text_content().startswith("۱۴۰۵-۰۹-۰۵")
    persian_post = page.locator("#posts li.post .post-text[dir=rtl]").first
    assert persian_post.evaluate("p => getComputedStyle(p).direction") == "rtl"
    assert page.evaluate("document.fonts.check('14px Vazirmatn', 'کاوه')")
    tab.screenshot("overview-fa")
    page.click("#tabs [data-view=alerts]")
    tab.ready("alerts")
    page.locator(f"article.alert[data-key='{SPIKE}'] details summary").click()
    explanation = page.locator(f"article.alert[data-key='{SPIKE}'] .explanation")
    assert explanation.get_attribute("dir") == "rtl"
    assert explanation.evaluate("e => getComputedStyle(e).direction") == "rtl"
    tab.screenshot("alerts-fa")


def test_search_finds_posts_and_points_at_errors(server: LiveServer, tab: Page) -> None:
    page = tab.open(f"{server.urls['en']}/?{WINDOW}", "overview")
    page.fill("#f-q", "brand:Parsamall lang:en")
    page.click("#f-go")
    page.wait_for_selector("#posts-title:has-text('matching')")
    found = _posts(page)
    assert found
    assert all(p["lang"] == "en" and "Parsamall" in p["marks"] for p in found)
    marks = page.evaluate("[...document.querySelectorAll('#posts mark.mention')].map(m => m.textContent)")
    assert all(re.fullmatch(r"[#@]?parsa ?mall", m, re.IGNORECASE) for m in marks), marks

    page.fill("#f-q", "delivery AND (late")
    page.click("#f-go")
    page.wait_for_selector("#q-error:not([hidden])")
    assert "missing ')'" in tab.text("#q-error p")
    assert tab.text("#q-error .query-at") == "("
    assert page.locator("#posts li.post").count() == 0
    tab.expected_http_error(400)

    page.fill("#f-q", "Kavehmart")
    page.click("#f-go")
    page.wait_for_selector("#q-error", state="hidden")
    assert page.locator("#posts li.post").count() == 20
    page.click("#f-clear")
    page.wait_for_selector("#posts-title:text-is('Posts')")


def test_acknowledge_and_mute_round_trip_to_the_store(server: LiveServer, tab: Page) -> None:
    page = tab.open(f"{server.urls['en']}/?view=alerts&{WINDOW}", "alerts")
    card = page.locator(f"article.alert[data-key='{SPIKE}']")
    card.locator("button.ack").click()
    page.wait_for_selector(f"article.alert[data-key='{SPIKE}'] .badge.acked")
    saved = server.call(server.store("en").get_state(ack_key(SPIKE)))
    assert saved["episode"] == server.call(server.store("en").get_state(f"alert:{SPIKE}"))["started_at"]
    assert card.locator("button.ack").is_disabled()

    card.locator("select.mute-for").select_option("7d")
    card.locator("button.mute").click()
    page.wait_for_selector(f"article.alert[data-key='{SPIKE}'] .badge.muted-badge")
    mute = server.call(server.store("en").get_state(mute_key(SPIKE)))
    assert mute["until"] == "2026-12-03T12:00:00+00:00"
    assert "2026-12-03" in card.locator(".badge.muted-badge").text_content()

    page.reload()
    tab.ready("alerts")
    assert page.locator(f"article.alert[data-key='{SPIKE}'] .badge.muted-badge").count() == 1, "kept in the store"
    page.locator(f"article.alert[data-key='{SPIKE}'] button.unmute").click()
    page.wait_for_selector(f"article.alert[data-key='{SPIKE}'] button.mute")
    assert server.call(server.store("en").get_state(mute_key(SPIKE))) is None
    other = page.locator(f"article.alert[data-key='{OTHER}']")
    assert other.locator(".badge.acked").count() == 0


def test_an_alert_link_opens_the_page_filtered_to_it(server: LiveServer, tab: Page) -> None:
    link = f"{server.urls['en']}/?brand=Kavehmart&from=2026-11-25T09:00:00Z&to=2026-11-26T12:00:00Z&alert={SPIKE}"
    page = tab.open(link.replace("|", "%7C"), "alerts")
    highlighted = page.locator("article.alert.highlight")
    assert highlighted.get_attribute("data-key") == SPIKE
    assert highlighted.locator("details").get_attribute("open") is not None
    assert page.input_value("#f-brand") == "Kavehmart"
    assert page.input_value("#f-range") == "custom"


def test_untrusted_text_stays_inert(server: LiveServer, tab: Page) -> None:
    # The hostile posts were written 08:41-09:00 UTC: in this window they are new and many.
    page = tab.open(f"{server.urls['hostile']}/?range=6h&to=2026-11-26T09:15:00Z&q=script", "overview")
    assert page.locator("#posts li.post").count() == 20
    assert page.evaluate("window.pwned") is None, "no injected script ran"
    for selector in ("img", "#posts script", "#view script", "svg[onload]", "[onerror]", "b", "i"):
        assert page.locator(selector).count() == 0, selector
    first = page.locator("#posts li.post").first
    assert first.locator(".post-text").text_content() == f"{HOSTILE_TEXT} #{HOSTILE_TAG}".replace("&lt;", "<").replace(
        "&gt;", ">"
    )
    assert first.locator(".author strong").text_content() == HOSTILE_AUTHOR
    assert first.locator(".hashtag").text_content() == f"#{HOSTILE_TAG}"
    assert first.locator("a").count() == 0, "a javascript: link is no link"
    labels = page.evaluate("[...document.querySelectorAll('.js-plotly-plot .ytick text')].map(t => t.textContent)")
    assert f"#{HOSTILE_TAG}" in labels, "drawn in the hashtag chart as the characters it is"
    emerging = page.locator("table.emerging").text_content()
    assert HOSTILE_TAG in emerging
    chart = page.locator(".js-plotly-plot", has=page.locator(".ytick text", has_text=HOSTILE_TAG)).first
    box = chart.locator("g.point path").last.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    hover = chart.locator(".hoverlayer text").first
    hover.wait_for()
    assert HOSTILE_TAG in hover.text_content(), "the hover label too shows the characters"
    assert page.evaluate("window.pwned") is None

    # The hashtag also raised an alert: its title, explanation and example posts quote it.
    keys = {a["key"] for a in server.api("hostile", f"/api/alerts?{WINDOW}")["alerts"]}
    assert f"emerging-hashtags|{HOSTILE_TAG}" in keys
    page.goto(f"{server.urls['hostile']}/?view=alerts&{WINDOW}")
    tab.ready("alerts")
    card = page.locator("article.alert", has=page.locator("h3", has_text=HOSTILE_TAG))
    assert card.count() == 1
    card.locator("details summary").click()
    assert HOSTILE_TAG in card.locator("h3").text_content()
    quotes = card.locator(".quotes li").all_text_contents()
    assert quotes
    assert all("<script>" in q and HOSTILE_TAG in q for q in quotes), "quoted as written"
    assert card.locator("a").count() == 0, "the quotes' javascript: links are no links"
    for selector in ("img", "svg[onload]", "[onerror]", "b", "i"):
        assert page.locator(selector).count() == 0, selector
    assert page.evaluate("window.pwned") is None
    hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
    assert all(h.startswith("http") for h in hrefs)


def test_a_token_is_asked_for_and_then_used(server: LiveServer, tab: Page) -> None:
    page = tab.page
    page.goto(f"{server.urls['token']}/?{WINDOW}")
    page.wait_for_selector("#token-box:not([hidden])")
    tab.expected_http_error(401)
    page.fill("#token-input", TOKEN)
    page.click("#token-box button")
    tab.ready("overview")
    assert page.locator(".kpi").count() == 3
    page.goto(f"{server.urls['token']}/?token={TOKEN}&view=compare&{WINDOW}")
    tab.ready("compare")
    assert "token=" not in page.url, "the token leaves the address bar at once"
