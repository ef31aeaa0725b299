"""Explanations: expected vs observed, how unusual, when, drivers, sentiment, link; in the
brand's language; Persian right-to-left safe with Persian digits and Jalali dates."""

from __future__ import annotations

import dataclasses
import itertools
import re
import string
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from alerts.explain import (
    FSI,
    PDI,
    RLM,
    AlertContext,
    Explanation,
    clean,
    digest,
    explain,
    strip_bidi,
    templates,
)
from tests.alerts.factories import T0, alert, drivers
from trendwatch.config import BrandConfig
from trendwatch.models import Drivers, PostRef
from trendwatch.timeutil import DisplayClock

BRANDS = (
    BrandConfig(name="Digikala", aliases=["دیجی‌کالا", "Digi Kala"], language="fa"),
    BrandConfig(name="Acme", language="en"),
)
PERSIAN_DISPLAY = DisplayClock(tz="Asia/Tehran", calendar="jalali", digits="persian")
CTX = AlertContext(brands=BRANDS, clock=PERSIAN_DISPLAY, dashboard_url="https://tw.example/base/")
PERSIAN_DIGIT = re.compile("[۰-۹]")
LATIN_DIGIT = re.compile("[0-9]")


def plain(e: Explanation) -> str:
    return strip_bidi(e.text())


def test_english_alert_explains_itself() -> None:
    e = explain(alert(subject="Acme", drivers=drivers(), platform="mastodon"), CTX)
    assert e.lang == "en"
    assert not e.rtl
    text = plain(e)
    assert e.title == "Spike in mentions of Acme"
    assert "Observed 60 posts where about 12 were expected (5.0× the usual)." in text
    facts = {f.label: strip_bidi(f.value) for f in e.facts}
    assert facts["Observed"] == "60 posts"
    assert facts["Expected"] == "12 posts"
    assert facts["How unusual"] == "z = 5.0 · about 1 in 3.5 million"
    # 11:55 UTC is 15:25 in Tehran; English keeps the display zone, Gregorian and Latin digits
    assert facts["Started"] == "2026-11-20 15:25 (5 min ago)"
    assert facts["Platform"] == "mastodon"
    assert facts["Sentiment"] == "45 negative (75%) · 10 neutral (17%) · 5 positive (8%)"
    assert {d.label: [strip_bidi(i) for i in d.items] for d in e.drivers} == {
        "Hashtags": ["#digikala (31)", "#تاخیر (11)"],
        "Terms": ["delivery (25)", "ارسال (15)"],
        "Authors": ["@ali (6)", "@sara (4)"],
    }
    assert [strip_bidi(q.text) for q in e.quotes] == ["Digikala delivery was late again #digikala"] * 2
    assert "Open in the dashboard: https://tw.example/base/?brand=Acme&platform=mastodon" in text
    assert RLM not in e.text(), "English lines carry no right-to-left marks"


def test_english_isolates_only_right_to_left_values() -> None:
    e = explain(alert(subject="Acme", drivers=drivers()), CTX)
    hashtags = e.drivers[0].items
    assert hashtags[0] == "#digikala (31)"
    assert hashtags[1] == f"{FSI}#تاخیر{PDI} (11)"


def test_persian_alert_is_right_to_left_with_persian_digits_and_jalali_dates() -> None:
    e = explain(alert(drivers=drivers()), CTX)
    assert e.lang == "fa"
    assert e.rtl
    assert e.title == f"جهش در اشاره‌ها به {FSI}دیجی‌کالا{PDI}", "the Persian alias names the brand"
    for line in e.text().splitlines():
        assert line.startswith(RLM), f"line without a right-to-left mark: {line!r}"
    text = plain(e)
    assert "۶۰ پست ثبت شد، در حالی که حدود ۱۲ انتظار می‌رفت (۵٫۰ برابر حالت عادی)." in text
    facts = {f.label: f.value for f in e.facts}
    # 2026-11-20 15:25 Tehran is 29 Aban 1405
    assert strip_bidi(facts["آغاز"]) == "۱۴۰۵-۰۸-۲۹ ۱۵:۲۵ (۵ دقیقه پیش)"
    assert strip_bidi(facts["میزان غیرعادی بودن"]) == "z = ۵٫۰ · حدود ۱ در ۳٫۵ میلیون"
    assert strip_bidi(facts["احساسات"]) == "۴۵ منفی (۷۵٪) · ۱۰ خنثی (۱۷٪) · ۵ مثبت (۸٪)"
    assert not LATIN_DIGIT.search(strip_bidi(e.summary))


def test_persian_values_sit_in_isolates() -> None:
    e = explain(alert(drivers=drivers(), platform="mastodon"), CTX)
    facts = {f.label: f.value for f in e.facts}
    assert facts["پلتفرم"] == f"{FSI}mastodon{PDI}"
    assert e.drivers[0].items[0] == f"{FSI}#digikala{PDI} ({FSI}۳۱{PDI})"
    for quote in e.quotes:
        assert quote.text.startswith(FSI)
        assert quote.text.endswith(PDI)
    # isolates balance on every line
    for line in e.text().splitlines():
        assert line.count(FSI) == line.count(PDI)


def test_persian_follows_latin_digit_and_gregorian_display_settings() -> None:
    ctx = dataclasses.replace(CTX, clock=DisplayClock(tz="Asia/Tehran"))
    e = explain(alert(), ctx)
    assert e.lang == "fa"
    assert not PERSIAN_DIGIT.search(e.text())
    started = strip_bidi(next(f.value for f in e.facts if f.label == "آغاز"))
    assert started.startswith("2026-11-20 15:25")


def test_language_follows_brand_then_filter_then_own_brand() -> None:
    assert explain(alert(subject="digi kala"), CTX).lang == "fa", "aliases match case-insensitively"
    assert explain(alert(subject="Acme"), CTX).lang == "en"
    assert explain(alert(subject="#newtag", kind="emerging", lang="en"), CTX).lang == "en"
    assert explain(alert(subject="#newtag", kind="emerging"), CTX).lang == "fa", "own brand's language"
    assert explain(alert(subject="x"), AlertContext()).lang == "en"


def test_bidi_overrides_and_controls_in_posts_are_removed_but_zwnj_kept() -> None:
    hostile = "خرید\u200cها \u202egnp.exe\u202c ok\x07 \u2067x\u2069\nnew line"
    e = explain(alert(drivers=drivers(hostile)), CTX)
    quote = e.quotes[0].text
    assert quote == f"{FSI}خرید\u200cها gnp.exe ok x new line{PDI}"
    assert clean("  a \t b\r\n c ") == "a b c"


def test_long_posts_are_shortened() -> None:
    e = explain(alert(drivers=drivers("word " * 200)), CTX)
    text = strip_bidi(e.quotes[0].text)
    assert len(text) <= 280
    assert text.endswith("…")


def test_dip_share_and_sentiment_wording() -> None:
    dip = explain(alert(subject="Acme", direction="down", expected=40.0, observed=2.0, z=-4.0), CTX)
    assert dip.title == "Drop in mentions of Acme"
    assert strip_bidi(dip.summary) == "Observed 2 posts where about 40 were expected (95% fewer)."
    share = explain(
        alert(subject="Acme", kind="tone", metric="negative_share", expected=0.2, observed=0.62, z=4.0), CTX
    )
    assert share.title == "Negative share of Acme rose"
    assert strip_bidi(share.summary) == "Negative share is 62% where about 20% was expected (+42.0 pts)."
    tone = explain(
        alert(subject="Acme", kind="tone", metric="net_sentiment", direction="down", expected=0.3, observed=-0.25), CTX
    )
    assert tone.title == "Net sentiment of Acme fell"
    assert strip_bidi(tone.summary) == "Net sentiment is -0.25 where about +0.30 was expected (-0.55)."
    odd = explain(alert(subject="Acme", kind="custom", metric="reposts_per_post", observed=3.5, expected=1.25), CTX)
    assert odd.title == "Reposts per post of Acme rose"


def test_emerging_hashtag_title_and_link() -> None:
    e = explain(alert(subject="#تاخیر", kind="emerging", metric="authors", expected=1.2, observed=40, lang="fa"), CTX)
    assert strip_bidi(e.title) == "هشتگ نوظهور: #تاخیر"
    assert e.link is not None
    query = parse_qs(urlsplit(e.link).query)
    assert query["hashtag"] == ["#تاخیر"]
    assert query["lang"] == ["fa"]


def test_how_unusual_wording_at_the_extremes() -> None:
    common = explain(alert(subject="Acme", z=1.2), CTX)
    extreme = explain(alert(subject="Acme", z=float("inf")), CTX)
    facts = lambda e: {f.label: strip_bidi(f.value) for f in e.facts}  # noqa: E731
    assert facts(common)["How unusual"] == "z = 1.2 · not rare on its own"
    assert facts(extreme)["How unusual"] == "z = ∞ · less than 1 in 1 trillion"


def test_resolved_says_how_long_it_lasted() -> None:
    e = explain(alert(subject="Acme", status="resolved", started_at=T0 - timedelta(hours=2, minutes=10)), CTX)
    assert e.icon == "✅"
    assert e.title == "Resolved: Spike in mentions of Acme"
    assert strip_bidi(e.summary) == "Acme is back to normal after 2 h 10 min."
    facts = {f.label: strip_bidi(f.value) for f in e.facts}
    assert facts["Lasted"] == "2 h 10 min"
    assert "Observed" not in facts, "the last unusual value is not today's news"


def test_dashboard_link_is_filtered_to_the_alert() -> None:
    e = explain(alert(subject="Acme", platform="mastodon", lang="en"), CTX)
    assert e.link is not None
    parts = urlsplit(e.link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://tw.example/base/"
    query = parse_qs(parts.query)
    assert query == {
        "brand": ["Acme"],
        "platform": ["mastodon"],
        "lang": ["en"],
        "from": ["2026-11-20T05:55:00Z"],
        "to": ["2026-11-20T13:00:00Z"],
        "alert": ["volume|Acme|platform=mastodon|lang=en"],
    }
    assert explain(alert(), dataclasses.replace(CTX, dashboard_url=None)).link is None


def test_digest_puts_the_most_severe_first_and_counts_the_rest() -> None:
    items = [explain(alert(subject="Acme", severity=s, at=T0 + timedelta(minutes=i)), CTX) for i, s in
             enumerate(["info", "critical", "warning", "info"])]  # fmt: skip
    note = digest("d-1", items, CTX, limit=3)
    assert note.digest
    assert note.title == "trendwatch: 4 alerts"
    assert [i.alert.severity for i in note.items] == ["critical", "warning", "info"]
    assert note.more == "… and 1 more alerts in the dashboard."
    assert note.text().count("Spike in mentions of Acme") == 3
    with pytest.raises(ValueError):
        digest("d-2", [], CTX)


def _keys(data: Any, prefix: str = "") -> set[str]:
    if isinstance(data, dict):
        return set().union(*(_keys(v, f"{prefix}.{k}") for k, v in data.items())) | {prefix}
    return {prefix}


def _placeholders(data: Any) -> set[str]:
    if isinstance(data, dict):
        return set().union(*(_placeholders(v) for v in data.values()))
    if isinstance(data, str):
        return {name for _, name, _, _ in string.Formatter().parse(data) if name}
    return set()


def test_persian_and_english_templates_have_the_same_keys() -> None:
    assert _keys(templates("fa")) == _keys(templates("en"))
    assert _placeholders(templates("fa")) <= _placeholders(templates("en")) | {"one"}


@pytest.mark.parametrize("lang_brand", ["Digikala", "Acme"])
def test_every_kind_status_direction_and_metric_renders(lang_brand: str) -> None:
    kinds = ["volume", "emerging", "tone", "share_of_voice"]
    metrics = ["posts", "authors", "share", "negative_share", "net_sentiment", "something_new"]
    for kind, metric, status, direction in itertools.product(
        kinds, metrics, ["open", "updated", "resolved"], ["up", "down"]
    ):
        a = alert(subject=lang_brand, kind=kind, metric=metric, status=status, direction=direction, drivers=drivers())
        e = explain(a, CTX)
        assert "{" not in e.text(), f"unfilled placeholder for {kind}/{metric}/{status}/{direction}"
        assert e.title


def test_example_post_links_are_http_only() -> None:
    """A post whose URL is `javascript:` is quoted without a link (bug: it passed through)."""
    hostile = PostRef(id="x:1", text="see this", url="javascript:alert(1)", author="eve", created_at=T0, sentiment=-0.5)
    fine = PostRef(id="x:2", text="and this", url="https://example.com/p", author="bob", created_at=T0, sentiment=0.1)
    explanation = explain(alert(drivers=Drivers(posts=(hostile, fine))), AlertContext())
    assert [q.url for q in explanation.quotes] == [None, "https://example.com/p"]
    assert "javascript:" not in explanation.text()
