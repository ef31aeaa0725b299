"""The bluesky source's own protocol against a local XRPC server: the app-password session
(created once, refreshed when the access token expires, re-created when the refresh token is
refused), paging past the search ceiling with `until`, author feeds without login, and the
mapping on our own and the shared recorded posts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from crawlers.pollers.bluesky import BlueskySource, mark, to_post
from tests.conftest import shared_path
from tests.crawlers.fakes.bluesky import FakeBluesky, post
from tests.crawlers.helpers import collect, error_count, ids_of
from trendwatch.errors import AuthError, DropPost, NotConfigured, SourceGone

NOW = datetime.now(UTC)


@pytest.fixture
def fake() -> FakeBluesky:
    return FakeBluesky()


@pytest.fixture
async def server(aiohttp_server: Callable[..., Any], fake: FakeBluesky) -> TestServer:
    started: TestServer = await aiohttp_server(fake.app())
    return started


def source(server: TestServer, session: aiohttp.ClientSession, name: str = "sky", **opts: Any) -> BlueskySource:
    base = str(server.make_url(""))
    opts.setdefault("identifier", "me.bsky.social")
    opts.setdefault("app_password", "app-pass-word")
    return BlueskySource(name, BlueskySource.Options(service=base, public_api=base, **opts), session)


def seed(fake: FakeBluesky, word: str, count: int, start: int = 0, **kw: Any) -> list[str]:
    made = [post(start + n, NOW - timedelta(hours=count - n), f"{word} {n}", **kw) for n in range(count)]
    fake.posts.extend(made)
    return [f"bluesky:{p['uri']}" for p in made]


async def test_logs_in_once_and_sends_the_access_token(server, fake, session) -> None:
    seed(fake, "digikala", 12)
    src = source(server, session, keywords=["digikala", "دیجی‌کالا"], limit=5)
    await collect(src)
    searches = fake.seen("/xrpc/app.bsky.feed.searchPosts")
    assert fake.logins == 1
    assert {r.headers["Authorization"] for r in searches} == {"Bearer access-1"}
    assert all(r.query["sort"] == "latest" for r in searches)


async def test_an_expired_access_token_is_refreshed(server, fake, session) -> None:
    seed(fake, "digikala", 8)
    src = source(server, session, keywords=["digikala"], limit=5)
    _, cursor = await collect(src)
    fake.expire_access_tokens()
    new = [post(100 + n, NOW + timedelta(minutes=n + 1), f"digikala new {n}") for n in range(2)]
    fake.posts.extend(new)
    fresh = [f"bluesky:{p['uri']}" for p in new]

    batches, _ = await collect(src, cursor)

    assert sorted(ids_of(batches)) == sorted(fresh)
    assert fake.refreshes == 1
    assert fake.logins == 1


async def test_a_refused_refresh_token_means_logging_in_again(server, fake, session) -> None:
    seed(fake, "digikala", 3)
    src = source(server, session, keywords=["digikala"])
    _, cursor = await collect(src)
    fake.expire_access_tokens()
    fake.refresh.clear()
    await collect(src, cursor)
    assert fake.logins == 2


async def test_a_wrong_app_password_names_the_settings_never_the_password(server, fake, session) -> None:
    seed(fake, "digikala", 3)
    src = source(server, session, name="sky-auth", keywords=["digikala"], app_password="WRONG-secret")
    with pytest.raises(AuthError) as caught:
        await collect(src)
    assert "sky-auth source's identifier/app_password" in str(caught.value)
    assert "WRONG-secret" not in str(caught.value)


async def test_backfill_gets_past_the_search_ceiling_with_until(server, fake, session) -> None:
    fake.ceiling = 20  # the AppView stops giving cursors after this many results of one query
    expected = seed(fake, "digikala", 100)
    batches, _ = await collect(source(server, session, keywords=["digikala"], limit=5, backfill="5d", max_pages=500))
    ids = ids_of(batches)
    assert len(ids) == len(set(ids))
    assert set(ids) == set(expected)
    searches = fake.seen("/xrpc/app.bsky.feed.searchPosts")
    assert any("until" in r.query for r in searches)
    # A page per 5 posts, plus at most one per ceiling (each `until` query repeats the post it is
    # anchored at, and the last one is an empty probe). A cursor within an `until` query keeps its
    # anchor: without it the search restarted at the newest post (82 requests for these 100 posts).
    assert len(searches) <= 100 // 5 + 100 // 20


async def test_hashtags_mentions_and_language_become_search_parameters(server, fake, session) -> None:
    tagged = seed(fake, "#دیجی_کالا", 2, tags=("دیجی_کالا",), lang="fa")
    seed(fake, "دیجی_کالا without the tag", 2, start=10, lang="fa")
    src = source(server, session, hashtags=["#دیجی_کالا"], mentions=["@digikala.bsky.social"], lang="fa")
    batches, cursor = await collect(src)
    assert sorted(ids_of(batches)) == sorted(tagged)
    params = [r.query for r in fake.seen("/xrpc/app.bsky.feed.searchPosts")]
    assert any(p["q"] == "#دیجی_کالا" and p.get("tag") == "دیجی_کالا" for p in params)
    assert any(p.get("mentions") == "digikala.bsky.social" for p in params)
    assert all(p["lang"] == "fa" for p in params)
    assert set(cursor["queries"]) == {"search:#دیجی_کالا", "mentions:digikala.bsky.social"}


async def test_author_feeds_need_no_login_and_skip_reposts(server, fake, session) -> None:
    own = seed(fake, "from the brand", 6, handle="digikala.bsky.social")
    src = BlueskySource(
        "feeds",
        BlueskySource.Options(authors=["@digikala.bsky.social"], public_api=str(server.make_url("")), limit=4),
        session,
    )
    batches, _ = await collect(src)
    assert set(ids_of(batches)) == set(own)
    feed_requests = fake.seen("/xrpc/app.bsky.feed.getAuthorFeed")
    assert all("Authorization" not in r.headers for r in feed_requests)
    assert feed_requests[0].query["filter"] == "posts_no_replies"
    assert fake.logins == 0


async def test_an_unknown_author_is_gone_and_counted_beside_a_good_one(server, fake, session) -> None:
    seed(fake, "hello", 2, handle="real.bsky.social")
    options = BlueskySource.Options(
        authors=["real.bsky.social", "nobody.bsky.social"], public_api=str(server.make_url(""))
    )
    before = error_count("authors", "not_found")
    batches, _ = await collect(BlueskySource("authors", options, session))
    assert len(ids_of(batches)) == 2
    assert error_count("authors", "not_found") == before + 1
    with pytest.raises(SourceGone):
        await collect(
            BlueskySource(
                "one",
                BlueskySource.Options(authors=["nobody.bsky.social"], public_api=str(server.make_url(""))),
                session,
            )
        )


def test_search_without_a_login_declines_with_the_fix() -> None:
    with pytest.raises(NotConfigured, match="app_password"):
        BlueskySource("b", BlueskySource.Options(keywords=["x"]), session=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="both identifier and app_password"):
        BlueskySource.Options(identifier="me.bsky.social")


def test_to_post_maps_facets_language_and_engagement() -> None:
    raw = post(
        3,
        datetime(2026, 11, 1, 10, 0, tzinfo=UTC),
        "دیجی‌کالا عالی بود @ali.bsky.social #خرید",
        lang="fa",
        tags=("خرید",),
        handle="sara.bsky.social",
    )
    raw["record"]["facets"].append(
        {"features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://dgka.la/x"}]}
    )
    raw["record"]["reply"] = {"parent": {"uri": "at://did:plc:x/app.bsky.feed.post/parent"}, "root": {}}
    result = to_post(raw, source="sky")
    assert result.id == f"bluesky:{raw['uri']}"
    assert result.url == f"https://bsky.app/profile/sara.bsky.social/post/{raw['uri'].rsplit('/', 1)[1]}"
    assert result.hashtags == ("خرید",)
    assert result.mentions == ("ali.bsky.social",)
    assert result.links == ("https://dgka.la/x",)
    assert result.lang == "fa"
    assert result.author is not None
    assert result.author.id.startswith("did:plc:")
    assert result.author.followers is None  # a post view does not say
    assert (result.engagement.likes, result.engagement.reposts, result.engagement.replies) == (3, 3, 0)
    assert result.reply_to == "bluesky:at://did:plc:x/app.bsky.feed.post/parent"


# --------------------------------------------------------------------------- shared recorded posts


def shared(name: str) -> Any:
    return json.loads(shared_path("fixtures", "bluesky", name).read_text(encoding="utf-8"))


def test_recorded_search_every_post_maps_in_the_order_the_appview_sorts() -> None:
    raws = shared("app.bsky.feed.searchPosts_q-redistricting.json")["posts"]
    posts = [to_post(r) for r in raws]
    assert len(posts) == 25
    assert len({p.id for p in posts}) == 25
    assert [mark(r) for r in raws] == sorted((mark(r) for r in raws), reverse=True)
    first = posts[0]
    assert first.id == "bluesky:at://did:plc:kkergqgbhb56ptpwj2wenkje/app.bsky.feed.post/3lpk2u6qo222m"
    assert first.created_at == datetime(2025, 5, 19, 17, 10, 9, 561858, tzinfo=UTC)
    assert first.author is not None
    assert first.author.handle == "socpaperbot.bsky.social"
    assert first.author.name == "Sociology papers (journals + SocArXiv)"
    assert first.links == ("https://osf.io/v87fn",)
    assert first.hashtags == ("sociology",)
    assert first.lang is None  # this record declared no language
    assert first.engagement.likes == 0
    assert posts[-1].engagement.likes == 58
    assert all(p.created_at.tzinfo is not None for p in posts)


def test_recorded_get_posts_and_a_thread() -> None:
    (got,) = [to_post(r) for r in shared("app.bsky.feed.getPosts.json")["posts"]]
    assert got.author is not None
    assert got.author.handle == "soubhikbarari.bsky.social"
    assert got.hashtags == ("rstats", "rgov")
    assert got.mentions[0] == "rstatsai"
    assert "http://localview.net" in got.links
    thread = shared("app.bsky.feed.getPostThread_embed_media.json")["thread"]["post"]
    with pytest.raises(DropPost) as caught:  # an image with no text: nothing to understand
        to_post(thread)
    assert caught.value.reason == "no_text"
