"""The reddit source's own protocol against a local Reddit-speaking server: OAuth client
credentials, public `.json` listings, subreddit `new` and `comments`, a subreddit that does not
exist, `X-Ratelimit-*` headers, and the mapping on our own and the shared recorded listings."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from crawlers.pollers.reddit import RedditSource, mark, to_post
from tests.conftest import shared_path
from tests.crawlers.fakes.reddit import FakeReddit, thing
from tests.crawlers.helpers import collect, error_count, ids_of
from trendwatch.errors import AuthError, SourceGone

NOW = datetime.now(UTC)


@pytest.fixture
def fake() -> FakeReddit:
    return FakeReddit()


@pytest.fixture
async def server(aiohttp_server: Callable[..., Any], fake: FakeReddit) -> TestServer:
    started: TestServer = await aiohttp_server(fake.app())
    return started


def source(server: TestServer, session: aiohttp.ClientSession, name: str = "rd", **opts: Any) -> RedditSource:
    base = str(server.make_url(""))
    options = RedditSource.Options(api=base, oauth_api=base, token_url=f"{base}/api/v1/access_token", **opts)
    return RedditSource(name, options, session)


def seed(
    fake: FakeReddit, count: int, *, sub: str = "iran", kind: str = "t3", start: int = 0, word: str = "digikala"
) -> list[str]:
    made = [thing(start + n, NOW - timedelta(hours=count - n), f"{word} {n}", sub=sub, kind=kind) for n in range(count)]
    fake.things.extend(made)
    return [f"reddit:{t['data']['name']}" for t in made]


async def test_client_credentials_get_one_token_and_use_the_oauth_api(server, fake, session) -> None:
    fake.client = ("my-app", "my-secret")
    posts = seed(fake, 7)
    comments = seed(fake, 4, kind="t1", start=100)
    src = source(
        server,
        session,
        subreddits=["iran"],
        comment_subreddits=["r/iran"],
        limit=3,
        client_id="my-app",
        client_secret="my-secret",
    )

    batches, _ = await collect(src)

    assert sorted(ids_of(batches)) == sorted(posts + comments)
    assert len(fake.seen("/api/v1/access_token")) == 1
    listings = [r for r in fake.requests if r.path.startswith("/r/")]
    assert {r.headers["Authorization"] for r in listings} == {"bearer token-1"}
    assert all(not r.path.endswith(".json") for r in listings)  # oauth.reddit.com paths have no .json
    assert all(r.query["raw_json"] == "1" for r in listings)


async def test_without_credentials_the_public_json_listings_are_read(server, fake, session) -> None:
    seed(fake, 3)
    batches, _ = await collect(source(server, session, subreddits=["iran"]))
    assert len(ids_of(batches)) == 3
    assert fake.seen("/r/iran/new.json")
    assert "Authorization" not in fake.seen("/r/iran/new.json")[0].headers


async def test_refused_credentials_name_the_settings(server, fake, session) -> None:
    fake.client = ("my-app", "my-secret")
    seed(fake, 2)
    src = source(server, session, name="rd-auth", subreddits=["iran"], client_id="my-app", client_secret="nope-123")
    with pytest.raises(AuthError) as caught:
        await collect(src)
    assert "rd-auth source's client_id/client_secret" in str(caught.value)
    assert "nope-123" not in str(caught.value)


async def test_search_within_subreddits(server, fake, session) -> None:
    inside = seed(fake, 3, sub="iran")
    seed(fake, 3, sub="elsewhere", start=50)
    src = source(server, session, keywords=["digikala"], subreddits=["iran"], search_in_subreddits=True)
    batches, cursor = await collect(src)
    assert set(ids_of(batches)) >= set(inside)
    searched = [r for r in fake.requests if "search" in r.path]
    assert searched[0].path == "/r/iran/search.json"
    assert searched[0].query["restrict_sr"] == "true"
    assert searched[0].query["sort"] == "new"
    assert "search:digikala" in cursor["queries"]


async def test_a_subreddit_that_does_not_exist_is_gone(server, fake, session) -> None:
    seed(fake, 2)
    before = error_count("rd-gone", "http_404")
    batches, _ = await collect(source(server, session, name="rd-gone", subreddits=["iran", "nosuchplace"]))
    assert len(ids_of(batches)) == 2
    assert error_count("rd-gone", "http_404") == before + 1
    with pytest.raises(SourceGone):
        await collect(source(server, session, subreddits=["nosuchplace"]))


async def test_x_ratelimit_headers_pause_until_the_reset(server, fake, session) -> None:
    seed(fake, 6)
    fake.rate_limit = (0.0, 1)  # nothing left; resets in a second
    started = time.monotonic()
    await collect(source(server, session, subreddits=["iran"], limit=3))
    assert time.monotonic() - started >= 0.9


def test_options_check_names_and_credentials() -> None:
    assert RedditSource.Options(subreddits=["r/Iran", "/r/tehran"]).subreddits == ["Iran", "tehran"]
    with pytest.raises(ValueError, match="not a subreddit"):
        RedditSource.Options(subreddits=["two words"])
    with pytest.raises(ValueError, match="both client_id and client_secret"):
        RedditSource.Options(client_id="only-the-id")


def test_to_post_maps_posts_and_comments() -> None:
    post = to_post(thing(5, datetime(2026, 1, 2, tzinfo=UTC), "Is #Digikala down? ask u/support_bot")["data"])
    assert post.id.startswith("reddit:t3_")
    assert post.title == "Is #Digikala down? ask u/support_bot"
    assert post.text == "Is #Digikala down? ask u/support_bot (body)"
    assert post.hashtags == ("Digikala",)
    assert post.mentions == ("support_bot",)
    assert post.created_at == datetime(2026, 1, 2, tzinfo=UTC)
    assert post.engagement.likes == 5
    assert post.engagement.views is None
    comment = to_post(thing(6, datetime(2026, 1, 2, tzinfo=UTC), "it works now", kind="t1")["data"])
    assert comment.reply_to == "reddit:t3_abc"
    assert comment.title is None
    assert comment.engagement.replies is None


def test_deleted_authors_are_not_authors() -> None:
    data = thing(1, NOW, "gone")["data"] | {"author": "[deleted]"}
    assert to_post(data).author is None


# --------------------------------------------------------------------------- shared recorded listings


def listing(name: str) -> list[dict[str, Any]]:
    body = json.loads(shared_path("fixtures", "reddit", name).read_text(encoding="utf-8"))
    return [child["data"] for child in body["data"]["children"]]


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("r_askreddit_new_limit100.json", 100),
        ("r_askreddit_comments_limit100.json", 100),
        ("r_all_search_q-praw-oauth-search.json", 6),
    ],
)
def test_every_recorded_item_maps_in_id_order(name: str, size: int) -> None:
    items = listing(name)
    posts = [to_post(item) for item in items]
    assert len(posts) == len({p.id for p in posts}) == size
    if "search" not in name:  # search results are by relevance in this recording; listings are newest first
        assert [mark(i) for i in items] == sorted((mark(i) for i in items), reverse=True)
    for post in posts:
        assert post.created_at.tzinfo is not None
        assert post.text
        assert post.url is not None
        assert post.url.startswith("https://www.reddit.com/r/")


def test_recorded_post_and_comment_fields() -> None:
    first = to_post(listing("r_askreddit_new_limit100.json")[0])
    assert first.id == "reddit:t3_48fbm9"
    assert first.title == "[Serious] Parents of Reddit, what's the biggest lie about yourself you've told your kids?"
    assert first.text == first.title  # a self post without a body
    assert first.created_at == datetime.fromtimestamp(1456821458, UTC)
    assert first.author is not None
    assert first.author.handle == "RedHeadQc"
    assert (first.engagement.likes, first.engagement.replies) == (1, 1)
    assert first.links == ()  # a self post links nowhere
    comment = to_post(listing("r_askreddit_comments_limit100.json")[0])
    assert comment.id == "reddit:t1_d4y8bdp"
    assert comment.text == "great, life is so much better when you can do what you enjoy for a living"
    assert comment.reply_to == "reddit:t3_4r4inc"
