"""The demo's synthetic stream and its Mastodon/RSS server behave like the real protocols."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import feedparser
from aiohttp.test_utils import TestClient, TestServer

from trendwatch.service.demo.server import DemoServer, status_id, status_json
from trendwatch.service.demo.synthetic import INCIDENT_HASHTAG, TEHRAN, generate

END = datetime(2026, 11, 26, 12, tzinfo=UTC)


def test_stream_is_deterministic_and_realistic() -> None:
    stream = generate(END)
    assert stream == generate(END)
    assert stream.end == END
    assert stream.start == END - timedelta(days=7)
    assert all(stream.start <= p.created_at < stream.end + timedelta(hours=1) for p in stream.posts)
    langs = Counter(p.lang for p in stream.posts)
    assert 0.55 < langs["fa"] / len(stream.posts) < 0.75
    assert len({p.author.id for p in stream.posts}) > 500
    brands = Counter(p.brand for p in stream.posts if not p.incident)
    assert brands["Kavehmart"] > brands["Parsamall"] > brands["Shabdiz"] > 0
    # Daily rhythm: Tehran evenings are busier than small hours.
    by_hour = Counter(p.created_at.astimezone(TEHRAN).hour for p in stream.posts if not p.incident)
    assert by_hour[20] > 3 * by_hour[4]


def test_incident_is_a_negative_burst_about_the_own_brand() -> None:
    stream = generate(END)
    incident = [p for p in stream.posts if p.incident]
    assert all(stream.incident_start <= p.created_at < stream.incident_end for p in incident)
    assert {p.brand for p in incident} == {"Kavehmart"}
    assert {p.mood for p in incident} == {"negative"}
    assert sum(INCIDENT_HASHTAG in p.text for p in incident) > 100
    per_hour_quiet = sum(1 for p in stream.posts if p.brand == "Kavehmart" and not p.incident) / (7 * 24)
    assert len(incident) / 4 > 4 * per_hour_quiet


async def test_public_timeline_pages_back_with_max_id_and_link_headers() -> None:
    stream = generate(END, days=1)
    server = DemoServer(stream.posts, clock=lambda: END + timedelta(hours=1))
    async with TestClient(TestServer(server.app())) as client:
        seen: list[str] = []
        url = "/api/v1/timelines/public?limit=40"
        while url:
            response = await client.get(url)
            assert response.status == 200
            page = await response.json()
            if not page:
                break
            ids = [int(s["id"]) for s in page]
            assert ids == sorted(ids, reverse=True)
            seen += [s["id"] for s in page]
            next_link = response.links.get("next")
            url = str(next_link["url"].relative()) if next_link else ""
        expected = sorted((str(status_id(p)) for p in stream.by_platform("mastodon")), key=int, reverse=True)
        assert seen == expected


async def test_since_and_min_id_follow_new_posts_and_clock_hides_the_future() -> None:
    stream = generate(END, days=1)
    now = {"t": END - timedelta(hours=6)}
    server = DemoServer(stream.posts, clock=lambda: now["t"])
    async with TestClient(TestServer(server.app())) as client:
        newest = await (await client.get("/api/v1/timelines/public?limit=1")).json()
        assert datetime.fromisoformat(newest[0]["created_at"]) <= now["t"]
        now["t"] = END
        newer = await (await client.get(f"/api/v1/timelines/public?since_id={newest[0]['id']}&limit=40")).json()
        assert newer
        assert all(int(s["id"]) > int(newest[0]["id"]) for s in newer)
        oldest_first = await (await client.get(f"/api/v1/timelines/public?min_id={newest[0]['id']}&limit=5")).json()
        after = sorted(i for i in map(status_id, stream.by_platform("mastodon")) if i > int(newest[0]["id"]))
        assert [int(s["id"]) for s in oldest_first] == after[:5][::-1]
        assert [int(s["id"]) for s in newer] == after[-40:][::-1]
        bad = await client.get("/api/v1/timelines/public?max_id=abc")
        assert bad.status == 400


async def test_tag_timeline_and_rss_with_etag() -> None:
    stream = generate(END)
    server = DemoServer(stream.posts, clock=lambda: END + timedelta(hours=1))
    async with TestClient(TestServer(server.app())) as client:
        tagged = await (await client.get(f"/api/v1/timelines/tag/{INCIDENT_HASHTAG}?limit=40")).json()
        assert len(tagged) == 40
        assert all(INCIDENT_HASHTAG in {t["name"] for t in s["tags"]} for s in tagged)
        first = await client.get("/feeds/news.xml")
        feed = feedparser.parse(await first.read())
        assert not feed.bozo
        assert len(feed.entries) == len(stream.by_platform("rss"))
        again = await client.get("/feeds/news.xml", headers={"If-None-Match": first.headers["ETag"]})
        assert again.status == 304


def test_statuses_declare_hashtags_as_mastodon_parses_them() -> None:
    """Punctuation after a hashtag is not part of it ("#kavehmart?" is #kavehmart): the tags a
    status declares, and the links in its HTML, are what Mastodon itself would make."""
    stream = generate(END)
    base = "http://demo.test"
    statuses = [status_json(p, base) for p in stream.posts if p.platform == "mastodon"]
    names = {t["name"] for s in statuses for t in s["tags"]}
    assert names
    assert all(re.fullmatch(r"[\w\u200c]+", name) for name in names), sorted(names)
    asking = [s for s in statuses if "#kavehmart?" in s["content"] or "kavehmart</span></a>?" in s["content"]]
    assert asking, "the stream has a question ending in a hashtag"
    for status in asking:
        assert "kavehmart" in {t["name"] for t in status["tags"]}
        assert (
            f'<a href="{base}/tags/kavehmart" class="mention hashtag" rel="tag">#<span>kavehmart</span></a>?'
            in (status["content"])
        )
