"""The HTML report in a real headless Chromium: self-contained, right to left, script-free.

Opens the Persian report from disk (as a manager opening the attachment would) and checks that
the page makes no request at all (fonts and charts are embedded; the Content-Security-Policy
blocks the rest), logs no error, lays out right to left with the embedded Vazirmatn, shows the
three charts, and that the hostile post's markup stayed text. Skipped when Debian's `chromium`
is not installed (`make browser` installs it).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.service.test_report_formats import Rendered, fa  # noqa: F401 - the module-scoped fixture

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


@pytest.fixture
async def page() -> Any:
    if not HAVE_CHROMIUM:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium, or `make browser`)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield await browser.new_page(viewport={"width": 1000, "height": 1400})
        await browser.close()


async def test_html_report_renders_offline_in_chromium(page: Any, fa: Rendered, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "report.html"
    path.write_bytes(fa.html)
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto(path.as_uri())
    await page.evaluate("document.fonts.ready")

    assert [url for url in requests if url != path.as_uri()] == []
    assert problems == []
    assert await page.evaluate("document.documentElement.dir") == "rtl"
    assert await page.evaluate("getComputedStyle(document.querySelector('h1')).direction") == "rtl"
    assert await page.evaluate("document.fonts.check('16px Vazirmatn', 'گزارش')")
    sizes = await page.evaluate(
        "[...document.querySelectorAll('figure svg')].map(s => s.getBoundingClientRect().width)"
    )
    assert len(sizes) == 3
    assert all(width > 400 for width in sizes)
    assert await page.evaluate("document.querySelectorAll('script, img, iframe').length") == 0
    quote = await page.evaluate("document.querySelector('blockquote').textContent")
    assert quote.startswith('<script>alert("x")</script>')
    title_right = await page.evaluate("document.querySelector('h1').getBoundingClientRect().right")
    assert title_right > 900, "the title sits on the right in a right-to-left page"
    await page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
