"""The web app's views over the demo's synthetic week, stored through the real NLP stage in a real
SQLite file, with alerts from the real engine. Figures are checked against counts made here from
the enriched posts themselves; every exchange is validated against the OpenAPI document."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from alerts.engine import mute_key
from indexer.codec import brand_tones
from indexer.sqlite import SqliteStore
from tests.service.web_support import (
    END,
    HOSTILE_AUTHOR,
    HOSTILE_TAG,
    Built,
    CheckedClient,
    built_store,
    copy_store,
    settings,
)
from trendwatch.models import EnrichedPost
from trendwatch.query import hashtag_key
from trendwatch.service.demo.synthetic import INCIDENT_HASHTAG, generate
from trendwatch.service.web import create_app
from trendwatch.service.web.alerts import ack_key
from trendwatch.service.web.openapi import document
from trendwatch.timeutil import DisplayClock

WEEK = (END - timedelta(days=7), END)
BRANDS = ("Kavehmart", "Parsamall", "Shabdiz")
STORM = generate(END)
INCIDENT = STORM.incident_start
SPIKE = "tone-shift|Kavehmart"
OTHER = "share-of-voice|Kavehmart"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return built_store(tmp_path_factory.mktemp("web-store"))


@pytest.fixture
async def store(built: Built) -> AsyncIterator[SqliteStore]:
    """The built database, read-only: tests that only read share it."""
    store = SqliteStore(SqliteStore.Options(path=built.db, read_only=True))
    await store.open()
    yield store
    await store.close()


@pytest.fixture
async def writable(built: Built, tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """A private copy of the built database, for tests that write (acknowledge, mute)."""
    store = SqliteStore(SqliteStore.Options(path=copy_store(built.db, tmp_path)))
    await store.open()
    yield store
    await store.close()


async def _client(store: SqliteStore, **kw: Any) -> AsyncIterator[CheckedClient]:
    app = create_app(store, settings(store.path, **kw), now=lambda: END)
    async with TestClient(TestServer(app)) as raw:
        yield CheckedClient(raw, document())


@pytest.fixture
async def client(store: SqliteStore) -> AsyncIterator[CheckedClient]:
    async for c in _client(store):
        yield c


@pytest.fixture
async def persian(store: SqliteStore) -> AsyncIterator[CheckedClient]:
    async for c in _client(store, brand_language="fa", calendar="jalali", digits="persian", language="fa"):
        yield c


def tone_counts(posts: list[EnrichedPost], brand: str) -> Counter[str]:
    return Counter(label for p in posts for b, _, label in brand_tones(p.enrichment) if b == brand)


async def test_overview_figures_match_the_posts(client: CheckedClient, built: Built) -> None:
    body = await client.get("/api/overview")
    # END is 15:30 in Tehran; hourly buckets start on the local hour, so the window widens to
    # 15:00 .. 16:00 local (it used to stay at HH:30 local, the epoch's hours).
    assert body["window"]["since"] == "2026-11-19T11:30:00Z"
    assert body["window"]["until"] == "2026-11-26T12:30:00Z"
    assert body["window"]["step_seconds"] == 3600
    assert [b["name"] for b in body["brands"]] == list(BRANDS)
    total = sum(len(built.about(b, *WEEK)) for b in BRANDS)
    for figures in body["brands"]:
        posts = built.about(figures["name"], *WEEK)
        assert figures["posts"] == len(posts) > 100
        assert figures["authors"] == len({p.post.author.id for p in posts if p.post.author})
        assert figures["share"] == pytest.approx(len(posts) / total, abs=1e-4)
        tones = tone_counts(posts, figures["name"])
        assert (figures["tone"]["positive"], figures["tone"]["negative"]) == (tones["positive"], tones["negative"])
        assert figures["tone"]["net"] == pytest.approx((tones["positive"] - tones["negative"]) / len(posts), abs=1e-4)
        assert 0 < figures["tone"]["margin"] < 0.1
        assert figures["previous_posts"] == 0, "the synthetic week has nothing before it"
        series = figures["series"]
        assert len(series["times"]) == 169
        assert series["times"][0] == "2026-11-19T15:00", "local wall-clock hours in Asia/Tehran"
        assert sum(series["posts"]) == len(posts)
    assert body["brands"][0]["own"] is True
    incident = hashtag_key(INCIDENT_HASHTAG).replace("_", " ")
    rising = [t["term"].replace("_", " ") for t in body["emerging"] if t["kind"] == "hashtag"]
    assert rising[0] == incident, "the incident's hashtag is the most significant"
    assert len(rising) == len(set(rising)), "one spelling per hashtag"
    assert {t["kind"] for t in body["emerging"]} == {"hashtag", "topic"}
    spellings = [t["term"].replace("_", " ") for t in body["hashtags"]]
    assert len(spellings) == len(set(spellings)), "one spelling per hashtag"
    assert SPIKE in {a["key"] for a in body["alerts"]}


async def test_filters_change_what_the_overview_shows(client: CheckedClient, built: Built) -> None:
    everything = await client.get("/api/overview")
    for where in ({"platform": "rss"}, {"lang": "fa"}, {"lang": "en", "platform": "mastodon"}):
        narrowed = await client.get("/api/overview", **where)
        assert narrowed["filters"] == {"brand": None, "platform": None, "lang": None, **where}
        for figures, before in zip(narrowed["brands"], everything["brands"], strict=True):
            expected = built.about(figures["name"], *WEEK, **where)
            assert figures["posts"] == len(expected) < before["posts"], where
            assert sum(figures["series"]["posts"]) == len(expected)
    persian = await client.get("/api/overview", lang="fa")
    english = await client.get("/api/overview", lang="en")
    fa_terms, en_terms = {t["term"] for t in persian["hashtags"]}, {t["term"] for t in english["hashtags"]}
    assert "blackfriday" in en_terms - fa_terms
    assert {"جمعه سیاه", "جمعه_سیاه"} & (fa_terms - en_terms)
    one = await client.get("/api/overview", brand="parsamall")
    assert one["filters"]["brand"] == "Parsamall", "brands match in any letter case"
    assert [b["name"] for b in one["brands"]] == ["Parsamall"]
    assert one["brands"][0]["share"] == everything["brands"][1]["share"], "share is still of all brands"
    assert all(a["subject"] == "Parsamall" for a in one["alerts"])


async def test_change_against_the_previous_window(client: CheckedClient, built: Built) -> None:
    to = END + timedelta(minutes=30)  # 16:00 in Tehran: a whole local hour, so the window is exactly 2 days
    body = await client.get("/api/overview", range="2d", to=to.isoformat())
    for figures in body["brands"]:
        now = len(built.about(figures["name"], to - timedelta(days=2), to))
        before = len(built.about(figures["name"], to - timedelta(days=4), to - timedelta(days=2)))
        assert (figures["posts"], figures["previous_posts"]) == (now, before)
        assert figures["change"] == pytest.approx((now - before) / before, abs=1e-4)
    assert len(body["brands"][0]["series"]["times"]) == 48


async def test_compare_puts_brands_side_by_side_with_complaints_and_praise(client: CheckedClient, built: Built) -> None:
    body = await client.get("/api/compare")
    assert [b["name"] for b in body["brands"]] == list(BRANDS)
    overview = await client.get("/api/overview")
    for compared, figures in zip(body["brands"], overview["brands"], strict=True):
        assert {k: compared[k] for k in figures if k != "series"} == {k: figures[k] for k in figures if k != "series"}
        assert compared["complaints"]
        assert compared["praise"]
        assert compared["hashtags"]
        for kind, label in (("complaints", "negative"), ("praise", "positive")):
            top = compared[kind][0]
            posts = [
                p
                for p in built.about(compared["name"], *WEEK)
                if top["term"] in p.enrichment.topics
                and any(b == compared["name"] and tone == label for b, _, tone in brand_tones(p.enrichment))
            ]
            assert top["posts"] == len(posts), (compared["name"], kind, top)
            assert top["authors"] == len({p.post.author.id for p in posts if p.post.author})
    kaveh = body["brands"][0]
    assert kaveh["complaints"] != kaveh["praise"]


async def test_brand_drilldown_by_platform_language_and_engagement(client: CheckedClient, built: Built) -> None:
    body = await client.get("/api/brand", brand="Kavehmart")
    posts = built.about("Kavehmart", *WEEK)
    assert body["brand"]["posts"] == len(posts)
    assert {p["value"]: p["posts"] for p in body["platforms"]} == Counter(p.post.platform for p in posts)
    assert {lang["value"]: lang["posts"] for lang in body["languages"]} == Counter(p.enrichment.lang for p in posts)
    assert sum(lang["share"] for lang in body["languages"]) == pytest.approx(1, abs=1e-3)

    def engagement(p: EnrichedPost) -> int:
        e = p.post.engagement
        return (e.likes or 0) + (e.reposts or 0) + (e.replies or 0)

    best = max(engagement(p) for p in posts)
    totals = [p["engagement"]["total"] for p in body["top_posts"]]
    assert totals == sorted(totals, reverse=True)
    assert totals[0] == best
    per_author = Counter()
    for p in posts:
        if p.post.author:
            per_author[p.post.author.id] += engagement(p)
    top = body["top_authors"]
    assert [a["engagement"] for a in top] == sorted((a["engagement"] for a in top), reverse=True)
    assert top[0]["engagement"] == max(per_author.values())
    assert sum(body["series"]["posts"]) == len(posts)
    own = await client.get("/api/brand")
    assert own["filters"]["brand"] == "Kavehmart", "the own brand by default"
    rss = await client.get("/api/brand", brand="Shabdiz", platform="rss")
    assert [p["value"] for p in rss["platforms"]] == ["rss"]
    assert rss["brand"]["posts"] == len(built.about("Shabdiz", *WEEK, platform="rss"))


async def test_alerts_are_episodes_explained_and_counted_by_rule(client: CheckedClient) -> None:
    body = await client.get("/api/alerts")
    items = body["alerts"]
    by_key = {a["key"]: a for a in items}
    tone = by_key[SPIKE]
    assert tone["status"] == "resolved"
    assert tone["rule"] == "tone-shift"
    assert INCIDENT - timedelta(hours=3) <= _at(tone["started_at"]) <= STORM.incident_end
    assert tone["events"] >= 2, "opened, then resolved (maybe updated between)"
    assert "Kavehmart" in tone["explanation"]["title"]
    assert tone["explanation"]["drivers"], "what drove it, from the store"
    assert tone["explanation"]["quotes"], "example posts"
    assert tone["acknowledged"] is None
    assert tone["muted"] is None
    storm = by_key["emerging-hashtags|" + hashtag_key(INCIDENT_HASHTAG)]
    assert storm["status"] == "open", "still emerging at the end of the week"
    assert [a["status"] for a in items] == sorted((a["status"] for a in items), key=("open", "resolved").index)
    rules = {r["rule"]: r for r in body["by_rule"]}
    assert set(rules) == {"tone-shift", "share-of-voice", "emerging-hashtags"}
    for rule, counts in rules.items():
        mine = [a for a in items if a["rule"] == rule]
        assert (counts["open"], counts["resolved"]) == (
            sum(a["status"] == "open" for a in mine),
            sum(a["status"] == "resolved" for a in mine),
        )
    assert (body["open"], body["resolved"]) == (
        sum(r["open"] for r in rules.values()),
        sum(r["resolved"] for r in rules.values()),
    )
    assert body["open"] > 0
    assert body["resolved"] > 0
    only = await client.get("/api/alerts", rule="tone-shift")
    assert {a["rule"] for a in only["alerts"]} == {"tone-shift"}
    assert only["by_rule"] == body["by_rule"], "counts stay for every rule (they fill the rule filter)"
    opened = await client.get("/api/alerts", status="open")
    assert [a["key"] for a in opened["alerts"]] == [a["key"] for a in items if a["status"] == "open"]
    shabdiz = {a["key"] for a in (await client.get("/api/alerts", brand="Shabdiz"))["alerts"]}
    assert "share-of-voice|Shabdiz" in shabdiz
    assert SPIKE not in shabdiz
    before = await client.get("/api/alerts", to=(INCIDENT - timedelta(hours=6)).isoformat(), range="1d")
    assert before["alerts"] == []
    hostile = by_key[f"emerging-hashtags|{HOSTILE_TAG}"]["explanation"]
    assert hostile["quotes"]
    assert all(q["url"] is None for q in hostile["quotes"]), "a javascript: URL in a quoted post is dropped"


async def test_acknowledge_and_mute_round_trip_through_the_store(writable: SqliteStore) -> None:
    async for client in _client(writable):
        await _acknowledge_and_mute(client, writable)


async def _acknowledge_and_mute(client: CheckedClient, store: SqliteStore) -> None:
    status, state = await client.call("POST", "/api/alerts/ack", body={"key": SPIKE})
    assert status == 200
    assert state["acknowledged"]["at"] == "2026-11-26T12:00:00Z"
    saved = await store.get_state(ack_key(SPIKE))
    lifecycle = await store.get_state(f"alert:{SPIKE}")
    assert saved["episode"] == lifecycle["started_at"]
    listed = {a["key"]: a for a in (await client.get("/api/alerts"))["alerts"]}
    assert listed[SPIKE]["acknowledged"]["at_display"] == "2026-11-26 15:30"
    assert listed[OTHER]["acknowledged"] is None

    status, state = await client.call("POST", "/api/alerts/mute", body={"key": SPIKE, "duration": "24h"})
    assert status == 200
    assert state["muted"]["until"] == "2026-11-27T12:00:00Z"
    assert (await store.get_state(mute_key(SPIKE)))["until"] == (END + timedelta(hours=24)).isoformat()
    listed = {a["key"]: a for a in (await client.get("/api/alerts"))["alerts"]}
    assert listed[SPIKE]["muted"]["until_display"] == "2026-11-27 15:30"

    status, state = await client.call("POST", "/api/alerts/unmute", body={"key": SPIKE})
    assert (status, state["muted"]) == (200, None)
    assert await store.get_state(mute_key(SPIKE)) is None
    status, state = await client.call("POST", "/api/alerts/mute", body={"key": SPIKE, "duration": None})
    assert state["muted"]["until"] is None, "until unmuted"

    status, body = await client.call("POST", "/api/alerts/ack", body={"key": "no-such|alert"})
    assert (status, body["param"]) == (404, "key")
    for duration in ("0s", "banana", "400d", "99999999999999999999999999d"):
        status, body = await client.call("POST", "/api/alerts/mute", body={"key": SPIKE, "duration": duration})
        assert (status, body["param"]) == (400, "duration"), duration


async def test_posts_list_filters_orders_and_pages(client: CheckedClient, built: Built) -> None:
    newest = await client.get("/api/posts", limit="50")
    times = [p["created_at"] for p in newest["posts"]]
    assert times == sorted(times, reverse=True)
    assert newest["more"] is True
    second = await client.get("/api/posts", limit="50", offset="50")
    assert {p["id"] for p in second["posts"]}.isdisjoint(p["id"] for p in newest["posts"])
    engaging = await client.get("/api/posts", order="engagement", brand="Parsamall", lang="en")
    totals = [p["engagement"]["total"] for p in engaging["posts"]]
    assert totals == sorted(totals, reverse=True)
    assert all(p["lang"] == "en" for p in engaging["posts"])
    by_id = {p.id: p for p in built.posts}
    for item in newest["posts"] + engaging["posts"]:
        stored = by_id[item["id"]].enrichment
        assert "".join(s["text"] for s in item["segments"]) == stored.text
        marked = [(s["brand"], s["text"]) for s in item["segments"] if s["brand"]]
        assert marked == [(m.brand, m.text) for m in stored.mentions]
        assert item["dir"] == ("rtl" if stored.lang == "fa" else "auto")
    assert any(s["brand"] == "Parsamall" for p in engaging["posts"] for s in p["segments"])


async def test_search_with_the_query_language_and_filters(client: CheckedClient, built: Built) -> None:
    found = await client.get("/api/posts", q="Kavehmart lang:en", limit="100")
    assert found["query"] == "Kavehmart lang:en"
    assert found["posts"]
    assert all(p["lang"] == "en" for p in found["posts"])
    assert all(any(s["brand"] == "Kavehmart" for s in p["segments"]) for p in found["posts"])
    narrowed = await client.get("/api/posts", q="brand:Kavehmart", platform="rss", limit="100")
    assert {p["platform"] for p in narrowed["posts"]} == {"rss"}
    assert len(narrowed["posts"]) == len(built.about("Kavehmart", *WEEK, platform="rss"))
    hostile = await client.get("/api/posts", q="script", range="1d")
    assert len(hostile["posts"]) == 20
    assert hostile["posts"][0]["author"]["name"] == HOSTILE_AUTHOR
    assert hostile["posts"][0]["hashtags"] == [HOSTILE_TAG]
    assert hostile["posts"][0]["url"] is None
    assert hostile["posts"][0]["author"]["url"] is None


async def test_a_malformed_search_says_where(client: CheckedClient) -> None:
    cases = [
        ("delivery AND", 12, "AND needs a term"),
        ('"late delivery', 0, "unterminated phrase"),
        ("(refund OR late", 0, "missing ')'"),
        ("colour:red", 0, "unknown field"),
        ('"😀 late" AND', 12, "AND needs a term"),  # code points, not UTF-16 units (13)
    ]
    for query, position, words in cases:
        status, body = await client.call("GET", "/api/posts", params={"q": query})
        assert status == 400, query
        assert body["param"] == "q"
        assert body["query"] == query
        assert body["position"] == position, query
        assert words in body["error"], query
        assert "position" not in body["error"], "the message is the reason; the position is its own field"


async def test_persian_display_dates_digits_and_explanations(persian: CheckedClient) -> None:
    clock = DisplayClock(tz="Asia/Tehran", calendar="jalali", digits="persian")
    meta = await persian.get("/api/meta")
    assert meta["display"] == {"timezone": "Asia/Tehran", "calendar": "jalali", "digits": "persian", "language": "fa"}
    # The week starts at 15:30 in Tehran; the window widens to the local hour.
    assert meta["window"]["since_display"] == clock.format(WEEK[0] - timedelta(minutes=30)) == "۱۴۰۵-۰۸-۲۸ ۱۵:۰۰"
    posts = await persian.get("/api/posts", limit="5")
    assert all(p["created_display"] == clock.format(_at(p["created_at"])) for p in posts["posts"])
    alerts = await persian.get("/api/alerts")
    explanation = {a["key"]: a for a in alerts["alerts"]}[SPIKE]["explanation"]
    assert explanation["lang"] == "fa"
    assert explanation["rtl"] is True
    assert "کاوه" in explanation["title"] or "Kavehmart" in explanation["title"]
    assert any(ch in "۰۱۲۳۴۵۶۷۸۹" for ch in explanation["summary"])


def _at(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text)
