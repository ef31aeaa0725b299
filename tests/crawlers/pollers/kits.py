"""One kit per paging poller: a fake platform server, how to fill it with history, how to build
the source against it. The shared contract tests (paging, restarts, failures) run over all kits."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from crawlers.pollers.base import Poller
from crawlers.pollers.bluesky import BlueskySource
from crawlers.pollers.hackernews import HackerNewsSource
from crawlers.pollers.mastodon import MastodonSource
from crawlers.pollers.reddit import RedditSource
from crawlers.pollers.x import XSource
from crawlers.pollers.youtube import YouTubeSource
from tests.crawlers.fakes import bluesky, hackernews, mastodon, reddit, x, youtube
from tests.crawlers.fakes.base import FakeApi, Match, query_is

NOW = datetime.now(UTC)
_numbers = itertools.count(1)


def spread(count: int, n: int) -> datetime:
    """The n-th of `count` moments spread over the last 6.9 days, oldest first."""
    return NOW - timedelta(days=6.9) * (1 - n / count)


def fresh_time(n: int) -> datetime:
    return NOW + timedelta(seconds=30 * (n + 1))


@dataclass(frozen=True)
class Kit:
    name: str
    fake: Callable[[], FakeApi]
    #: add `count` items matching `word` over the last week (or after now when `new`); their post ids
    seed: Callable[[Any, str, int, bool], list[str]]
    #: the source, reading queries `words`, with small pages
    source: Callable[[TestServer, aiohttp.ClientSession, str, list[str]], Poller]
    #: requests of the query for `word` (to fail one query of several)
    match: Callable[[str], Match]
    #: spoil one stored item so that mapping it fails; returns the reason it must be counted under
    spoil: Callable[[Any], str]

    def app(self, fake: FakeApi) -> web.Application:
        return fake.app()  # type: ignore[attr-defined, no-any-return]


def _when(count: int, n: int, new: bool) -> datetime:
    return fresh_time(n) if new else spread(count, n)


# --------------------------------------------------------------------------- mastodon


def _mastodon_seed(fake: mastodon.FakeMastodon, word: str, count: int, new: bool) -> list[str]:
    made = [
        mastodon.status(next(_numbers), _when(count, n, new), f"{word} post {n}", tags=(word,), user=f"u{n % 5}")
        for n in range(count)
    ]
    fake.add(*made)
    return [f"mastodon:{s['uri']}" for s in made]


def _mastodon_source(server: TestServer, session: aiohttp.ClientSession, name: str, words: list[str]) -> Poller:
    options = MastodonSource.Options(instances=[str(server.make_url(""))], hashtags=words, backfill="7d", limit=5)
    return MastodonSource(name, options, session)


# --------------------------------------------------------------------------- hacker news


def _hn_seed(fake: hackernews.FakeAlgolia, word: str, count: int, new: bool) -> list[str]:
    made = []
    for n in range(count):
        when = _when(count, n - n % 2, new)  # two items per second: ties the cursor must tell apart
        kind = "comment" if n % 3 == 0 else "story"
        made.append(hackernews.hit(next(_numbers), when, f"{word} item {n}", kind=kind, author=f"a{n % 4}"))
    fake.hits.extend(made)
    return [f"hackernews:{h['objectID']}" for h in made]


def _hn_source(server: TestServer, session: aiohttp.ClientSession, name: str, words: list[str]) -> Poller:
    options = HackerNewsSource.Options(keywords=words, api=str(server.make_url("")), hits_per_page=5, backfill="7d")
    return HackerNewsSource(name, options, session)


# --------------------------------------------------------------------------- reddit


def _reddit_seed(fake: reddit.FakeReddit, word: str, count: int, new: bool) -> list[str]:
    made = [reddit.thing(next(_numbers), _when(count, n, new), f"{word} thread {n}") for n in range(count)]
    fake.things.extend(made)
    return [f"reddit:{t['data']['name']}" for t in made]


def _reddit_source(server: TestServer, session: aiohttp.ClientSession, name: str, words: list[str]) -> Poller:
    base = str(server.make_url(""))
    options = RedditSource.Options(keywords=words, api=base, oauth_api=base, limit=5, backfill="7d")
    return RedditSource(name, options, session)


# --------------------------------------------------------------------------- bluesky


def _bluesky_seed(fake: bluesky.FakeBluesky, word: str, count: int, new: bool) -> list[str]:
    made = [
        bluesky.post(next(_numbers), _when(count, n, new), f"{word} skeet {n}", handle=f"user{n % 3}.bsky.social")
        for n in range(count)
    ]
    fake.posts.extend(made)
    return [f"bluesky:{p['uri']}" for p in made]


def _bluesky_source(server: TestServer, session: aiohttp.ClientSession, name: str, words: list[str]) -> Poller:
    options = BlueskySource.Options(
        keywords=words,
        identifier="me.bsky.social",
        app_password="app-pass-word",
        service=str(server.make_url("")),
        public_api=str(server.make_url("")),
        limit=5,
        backfill="7d",
    )
    return BlueskySource(name, options, session)


# --------------------------------------------------------------------------- youtube


def _youtube_seed(fake: youtube.FakeYouTube, word: str, count: int, new: bool) -> list[str]:
    made = [
        youtube.video(next(_numbers), _when(count, n, new), f"{word} video {n}", comments=n % 3) for n in range(count)
    ]
    fake.catalogue.extend(made)
    return [f"youtube:{v['id']}" for v in made] + [
        f"youtube:comment:{c['snippet']['topLevelComment']['id']}" for v in made for c in v["comments"]
    ]


def _youtube_source(server: TestServer, session: aiohttp.ClientSession, name: str, words: list[str]) -> Poller:
    options = YouTubeSource.Options(
        keywords=words,
        api_key="test-key",
        api=str(server.make_url("/youtube/v3")),
        limit=5,
        max_pages=50,
        backfill="7d",
    )
    return YouTubeSource(name, options, session)


# --------------------------------------------------------------------------- x


def _x_seed(fake: x.FakeX, word: str, count: int, new: bool) -> list[str]:
    made = [x.tweet(next(_numbers), _when(count, n, new), f"{word} tweet {n}") for n in range(count)]
    fake.tweets.extend(made)
    return [f"x:{t['id']}" for t in made]


def _x_source(server: TestServer, session: aiohttp.ClientSession, name: str, words: list[str]) -> Poller:
    options = XSource.Options(
        queries=words, bearer_token="bearer-123", api=str(server.make_url("")), limit=10, backfill="7d"
    )
    return XSource(name, options, session)


def _spoil_mastodon(fake: mastodon.FakeMastodon) -> str:
    fake.statuses[0]["account"] = "not-an-object"
    return "wrong_type"


def _spoil_hn(fake: hackernews.FakeAlgolia) -> str:
    fake.hits[0]["objectID"] = "not-a-number"
    return "malformed_item"


def _spoil_youtube(fake: youtube.FakeYouTube) -> str:
    fake.catalogue[0]["id"] = 12345  # a video id that is not a string (the first video has no comments)
    return "wrong_type"


def _spoil_reddit(fake: reddit.FakeReddit) -> str:
    fake.things[0]["data"]["created_utc"] = "yesterday"
    return "bad_timestamp"


def _spoil_bluesky(fake: bluesky.FakeBluesky) -> str:
    fake.posts[0]["author"] = "did:plc:nobody"
    return "wrong_type"


def _spoil_x(fake: x.FakeX) -> str:
    fake.tweets[0]["created_at"] = "9999-99-99T99:99:99.000Z"
    return "bad_timestamp"


def _on_tag(word: str) -> Match:
    return lambda request: request.path.endswith(f"/{word}")


KITS = [
    Kit("mastodon", mastodon.FakeMastodon, _mastodon_seed, _mastodon_source, _on_tag, _spoil_mastodon),
    Kit("hackernews", hackernews.FakeAlgolia, _hn_seed, _hn_source, lambda w: query_is("query", w), _spoil_hn),
    Kit("reddit", reddit.FakeReddit, _reddit_seed, _reddit_source, lambda w: query_is("q", w), _spoil_reddit),
    Kit("bluesky", bluesky.FakeBluesky, _bluesky_seed, _bluesky_source, lambda w: query_is("q", w), _spoil_bluesky),
    Kit("youtube", youtube.FakeYouTube, _youtube_seed, _youtube_source, lambda w: query_is("q", w), _spoil_youtube),
    Kit("x", x.FakeX, _x_seed, _x_source, lambda w: query_is("query", w), _spoil_x),
]
