"""Contract tests of the rss mapping on real recorded feeds in ../shared/fixtures/rss (read, never
copied): every entry maps; ids, times, authors, text and links come out right."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from crawlers.http import Fetched
from crawlers.pollers.rss import parse_feed, to_post
from tests.conftest import shared_path
from tests.crawlers.helpers import Script, collect, posts_of, reply

FILES = {"guardian.rss": 55, "heise.atom": 15, "hoder_persian_weblog_2005.rss.xml": 7}


def parsed(name: str) -> list[dict]:
    body = shared_path("fixtures", "rss", name).read_bytes()
    headers = CIMultiDictProxy(CIMultiDict({"Content-Type": "application/xml"}))
    return parse_feed(Fetched(f"https://feeds.example.com/{name}", 200, headers, body)).items


@pytest.mark.parametrize(("name", "entries"), sorted(FILES.items()))
def test_every_entry_of_a_real_feed_maps(name: str, entries: int) -> None:
    posts = [to_post(raw, source="news") for raw in parsed(name)]
    assert len(posts) == entries
    assert len({p.id for p in posts}) == entries
    for post in posts:
        assert post.id.startswith("rss:")
        assert post.platform == "rss"
        assert post.source == "news"
        assert post.created_at.tzinfo is not None
        assert post.created_at.utcoffset().total_seconds() == 0
        assert post.text.strip()
        assert "<p>" not in post.text
        assert "&lt;" not in post.text
        assert post.title
        assert post.url
        assert post.url.startswith("http")
        assert post.author is not None
        assert post.author.id
        assert post.engagement.likes is None
        assert post.engagement.views is None


def test_guardian_fields() -> None:
    first = to_post(parsed("guardian.rss")[0])
    assert first.title == "Trump State of the Union address promised unity but emphasized discord"
    assert (
        first.url
        == "https://www.theguardian.com/us-news/2018/jan/31/donald-trump-state-of-the-union-address-unity-discord"
    )
    assert first.id == f"rss:{first.url}"
    assert first.text.startswith("The president’s ‘new American moment’ speech stirred Republican applause")
    assert first.lang == "en"
    assert first.created_at.year == 2018


def test_heise_atom_fields() -> None:
    first = to_post(parsed("heise.atom")[0])
    assert first.id == "rss:http://heise.de/-3088438"
    assert first.title == "Java-Anwendungsserver: Red Hat gibt WildFly 10 frei"
    assert first.created_at == datetime(2016, 2, 1, 16, 22, tzinfo=UTC)
    assert first.edited_at == datetime(2016, 2, 1, 16, 54, 50, tzinfo=UTC)
    assert "Enterprise-Java-Servers" in first.text
    assert "<" not in first.text
    assert first.url is not None
    assert first.url.startswith("http://www.heise.de/developer/meldung/Java-Anwendungsserver")
    assert first.author is not None
    assert first.author.name == "heise online"


def test_persian_weblog_fields() -> None:
    first = to_post(parsed("hoder_persian_weblog_2005.rss.xml")[0])
    assert first.id == "rss:14645@http://i.hoder.com/"
    assert first.title == "لينکدونی‌ | جلسه‌ی امریکن انترپرایز برای تقسیم قومی ایران"
    assert first.text == "چطور بعضی‌ها فکر می‌کنند دست راستی‌های آمریکا از خامنه‌ای ملی‌گراترند"
    assert first.created_at == datetime(2005, 10, 13, 0, 45, 32, tzinfo=UTC)


async def test_real_feeds_through_the_source(aiohttp_server, session) -> None:
    from crawlers.pollers.rss import RssSource

    script = Script()
    for name in FILES:
        script.on(f"/{name}", reply(shared_path("fixtures", "rss", name).read_bytes()))
    server = await aiohttp_server(script.app())
    options = RssSource.Options(feeds=[str(server.make_url(f"/{n}")) for n in FILES], backfill="36500d")
    batches, _ = await collect(RssSource("real", options, session))
    assert len(posts_of(batches)) == sum(FILES.values())
