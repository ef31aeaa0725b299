"""The mastodon source against a local server speaking the Mastodon API: backfill paging through
a week of history, following new posts, restarts, keyword filters, search with a token,
rate-limit headers, and every failure mode counted by reason."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from crawlers.http import create_session
from crawlers.pollers.mastodon import MastodonSource, to_post
from tests.crawlers.fakes.failures import JSON_FAILURES, PERSISTENT
from tests.crawlers.fakes.mastodon import FakeMastodon, status
from tests.crawlers.helpers import collect, error_count, fast_http, ids_of, posts_of
from trendwatch.errors import AuthError, NotConfigured, RateLimited, SourceError

NOW = datetime.now(UTC)


def week(fake: FakeMastodon, count: int = 300, tag: str = "digikala") -> list[dict[str, Any]]:
    """`count` statuses spread evenly over the last 6.9 days, every third one tagged."""
    made = []
    for n in range(count):
        when = NOW - timedelta(days=6.9) * (1 - n / count)
        tags = (tag,) if n % 3 == 0 else ()
        made.append(status(n, when, f"post number {n}", tags=tags, user=f"user{n % 11}"))
    fake.add(*made)
    return made


@pytest.fixture
def fake() -> FakeMastodon:
    return FakeMastodon()


@pytest.fixture
async def instance(aiohttp_server: Callable[..., Any], fake: FakeMastodon) -> TestServer:
    server: TestServer = await aiohttp_server(fake.app())
    return server


def source(instance: TestServer, session: aiohttp.ClientSession, name: str = "masto", **opts: Any) -> MastodonSource:
    opts.setdefault("instances", [str(instance.make_url(""))])
    return MastodonSource(name, MastodonSource.Options(**opts), session)


def _when(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["created_at"].replace("Z", "+00:00"))


def uri(item: dict[str, Any]) -> str:
    return f"mastodon:{item['uri']}"


# --------------------------------------------------------------------------- paging


async def test_first_round_pages_back_through_the_backfill_period_only(instance, fake, session) -> None:
    made = week(fake)
    cutoff = NOW - timedelta(days=3)
    # nothing within a few minutes of the cutoff, so the test does not depend on when it runs
    fake.statuses = made = [s for s in made if abs(_when(s) - cutoff) > timedelta(minutes=5)]
    src = source(instance, session, hashtags=["#digikala"], backfill="3d", limit=10)

    batches, cursor = await collect(src)

    expected = {uri(s) for s in made if s["tags"] and _when(s) > cutoff}
    ids = ids_of(batches)
    assert len(ids) == len(set(ids))
    assert set(ids) == expected
    assert len(batches) > 3  # it paged: one batch per page
    pages = [r.query for r in fake.requests]
    assert "max_id" not in pages[0]
    assert all("max_id" in q for q in pages[1:])
    assert all(q["limit"] == "10" for q in pages)
    assert cursor["queries"]  # the high-water mark is saved


async def test_later_rounds_follow_new_posts_with_since_id(instance, fake, session) -> None:
    made = week(fake, count=60)
    src = source(instance, session, hashtags=["digikala"], backfill="7d", limit=10)
    _, cursor = await collect(src)
    newest = max(int(s["id"]) for s in made if s["tags"])
    fake.requests.clear()

    fresh = [status(1000 + i, NOW + timedelta(minutes=i), f"new {i}", tags=("digikala",)) for i in range(25)]
    fake.add(*fresh, status(2000, NOW, "untagged"))
    batches, cursor = await collect(src, cursor)

    assert sorted(ids_of(batches)) == sorted(uri(s) for s in fresh)
    assert fake.requests[0].query["since_id"] == str(newest)
    again, _ = await collect(src, cursor)
    assert ids_of(again) == []


async def test_posts_arriving_during_a_backfill_are_not_lost(instance, fake, session) -> None:
    made = week(fake, count=90)
    src = source(instance, session, hashtags=["digikala"], backfill="7d", limit=5)
    late = status(5000, NOW, "arrived mid-backfill", tags=("digikala",))
    rounds = src.fetch(None)
    first = await anext(rounds)
    fake.add(late)  # published while we were paging down
    rest = [batch async for batch in rounds]
    cursor = rest[-1].cursor if rest else first.cursor

    more, _ = await collect(src, cursor)

    ids = ids_of([first, *rest]) + ids_of(more)
    assert len(ids) == len(set(ids))
    assert set(ids) == {uri(s) for s in made if s["tags"]} | {uri(late)}


@pytest.mark.parametrize("stop_after", [1, 3, 6])
async def test_restart_mid_backfill_loses_and_repeats_nothing(instance, fake, session, stop_after: int) -> None:
    made = week(fake, count=120)
    src = source(instance, session, hashtags=["digikala"], backfill="7d", limit=5)

    before, cursor = await collect(src, stop_after=stop_after)  # killed after this many commits
    restarted = source(instance, session, hashtags=["digikala"], backfill="7d", limit=5)
    after, _ = await collect(restarted, cursor)

    ids = ids_of(before) + ids_of(after)
    assert len(ids) == len(set(ids)), "a post was yielded twice"
    assert set(ids) == {uri(s) for s in made if s["tags"]}, "a post was lost"


async def test_max_pages_spreads_a_long_backfill_over_rounds(instance, fake, session) -> None:
    made = week(fake, count=90)
    src = source(instance, session, hashtags=["digikala"], backfill="7d", limit=5, max_pages=2)
    ids: list[str] = []
    cursor = None
    for _ in range(10):
        batches, cursor = await collect(src, cursor)
        ids += ids_of(batches)
    assert len(ids) == len(set(ids))
    assert set(ids) == {uri(s) for s in made if s["tags"]}


async def test_paging_without_link_headers_uses_full_pages(instance, fake, session) -> None:
    fake.link_headers = False
    made = week(fake, count=45)
    batches, _ = await collect(source(instance, session, hashtags=["digikala"], backfill="7d", limit=4))
    assert set(ids_of(batches)) == {uri(s) for s in made if s["tags"]}


# --------------------------------------------------------------------------- queries


async def test_public_and_local_timelines_filtered_by_keywords(instance, fake, session) -> None:
    fake.add(
        status(1, NOW - timedelta(hours=3), "دیجي كالا ارسال را سریع کرد", lang="fa"),  # Arabic letter variants
        status(2, NOW - timedelta(hours=2), "nothing to see here"),
        status(3, NOW - timedelta(hours=1), "Digikala delivery was late", local=False),
        status(4, NOW - timedelta(minutes=30), "دیجی‌کالا", lang="fa", local=False),
    )
    src = source(instance, session, timelines=["public", "local"], keywords=["دیجی‌کالا", "digikala"], backfill="1d")

    batches, cursor = await collect(src)

    got = {p.text.split()[0] for p in posts_of(batches)}
    assert got == {"دیجي", "Digikala", "دیجی‌کالا"}
    local = [r for r in fake.requests if r.query.get("local") == "true"]
    assert local, "the local timeline was not asked for"
    assert sorted(cursor["queries"]) == sorted(
        [f"{instance.make_url('').authority} public", f"{instance.make_url('').authority} local"]
    )


async def test_the_same_status_through_two_instances_is_one_post(aiohttp_server, session) -> None:
    one, two = FakeMastodon(), FakeMastodon()
    shared = status(7, NOW - timedelta(hours=1), "federated", tags=("x",))
    one.add(shared)
    two.add(shared)
    servers = [await aiohttp_server(one.app()), await aiohttp_server(two.app())]
    src = MastodonSource(
        "fed", MastodonSource.Options(instances=[str(s.make_url("")) for s in servers], hashtags=["x"]), session
    )
    batches, _ = await collect(src)
    assert ids_of(batches) == [uri(shared)]


async def test_search_with_a_token_is_authenticated(instance, fake, session) -> None:
    fake.token = "s3cret-token"
    fake.add(status(1, NOW - timedelta(hours=1), "I love Snappshop"), status(2, NOW, "other"))
    host = instance.make_url("").host
    src = source(instance, session, keywords=["snappshop"], access_tokens={host: "s3cret-token"})

    batches, _ = await collect(src)

    assert [p.text for p in posts_of(batches)] == ["I love Snappshop"]
    searches = [r for r in fake.requests if r.path == "/api/v2/search"]
    assert searches[0].headers["Authorization"] == "Bearer s3cret-token"
    assert searches[0].query["type"] == "statuses"


async def test_a_refused_token_names_the_setting_and_never_the_token(instance, fake, session) -> None:
    fake.token = "the-right-one"
    host = instance.make_url("").host
    src = source(instance, session, name="searcher", keywords=["x"], access_tokens={host: "a-wrong-one"})
    with pytest.raises(AuthError) as caught:
        await collect(src)
    assert "searcher source's access_tokens entry" in str(caught.value)
    assert "a-wrong-one" not in str(caught.value)


def test_without_queries_it_declines_saying_what_to_set() -> None:
    with pytest.raises(NotConfigured, match="hashtags"):
        MastodonSource("m", MastodonSource.Options(), session=None)  # type: ignore[arg-type]
    with pytest.raises(NotConfigured):  # keywords alone need a token to search
        MastodonSource("m", MastodonSource.Options(keywords=["x"]), session=None)  # type: ignore[arg-type]


def test_options_normalise_instances_and_hashtags() -> None:
    options = MastodonSource.Options(
        instances=["mastodon.social/", "http://localhost:3000"], hashtags=["#Tag", "دیجی_کالا"]
    )
    assert options.instances == ["https://mastodon.social", "http://localhost:3000"]
    assert options.hashtags == ["Tag", "دیجی_کالا"]
    with pytest.raises(ValueError, match="not a hashtag"):
        MastodonSource.Options(hashtags=["two words"])


# --------------------------------------------------------------------------- politeness and failures


async def test_spent_rate_limit_budget_pauses_until_the_reset(instance, fake, session) -> None:
    week(fake, count=30)
    fake.rate_limit = (0, 1.0)
    src = source(instance, session, hashtags=["digikala"], backfill="7d", limit=5)
    started = time.monotonic()
    rounds = src.fetch(None)
    await anext(rounds)
    await anext(rounds)
    await rounds.aclose()
    assert time.monotonic() - started >= 0.8


async def test_rate_limit_far_in_the_future_ends_the_round_with_retry_after(instance, fake, session) -> None:
    week(fake, count=30)
    fake.rate_limit = (0, 3600)
    src = source(instance, session, hashtags=["digikala"], backfill="7d", limit=5)
    with pytest.raises(RateLimited) as caught:
        await collect(src)
    assert caught.value.retry_after == pytest.approx(3600, abs=5)
    assert len(fake.requests) == 1


@pytest.fixture
async def quick() -> AsyncIterator[aiohttp.ClientSession]:
    async with create_session(fast_http(timeout=timedelta(milliseconds=300), retries=1)) as s:
        yield s


@pytest.mark.parametrize("reason", sorted(JSON_FAILURES))
async def test_every_failure_ends_a_single_query_round_with_its_reason(instance, fake, quick, reason) -> None:
    week(fake, count=12)
    fake.fail(JSON_FAILURES[reason], times=PERSISTENT)
    src = source(instance, quick, hashtags=["digikala"], backfill="7d")
    with pytest.raises(SourceError) as caught:
        await collect(src)
    assert caught.value.reason == reason


@pytest.mark.parametrize("reason", sorted(JSON_FAILURES))
async def test_a_failing_instance_is_counted_and_the_others_kept(aiohttp_server, quick, reason) -> None:
    good, bad = FakeMastodon(), FakeMastodon()
    made = week(good, count=12)
    week(bad, count=12)
    bad.fail(JSON_FAILURES[reason], times=PERSISTENT)
    servers = [await aiohttp_server(good.app()), await aiohttp_server(bad.app())]
    name = f"two-{reason}"
    before = error_count(name, reason)
    src = MastodonSource(
        name,
        MastodonSource.Options(instances=[str(s.make_url("")) for s in servers], hashtags=["digikala"], backfill="7d"),
        quick,
    )
    batches, _ = await collect(src)
    assert set(ids_of(batches)) == {uri(s) for s in made if s["tags"]}
    assert error_count(name, reason) == before + 1


async def test_empty_results_are_not_an_error(instance, fake, session) -> None:
    before = error_count("quiet", "empty_results")
    batches, _cursor = await collect(source(instance, session, name="quiet", hashtags=["nobody-uses-this"]))
    assert ids_of(batches) == []
    assert error_count("quiet", "unexpected_shape") == 0
    assert error_count("quiet", "empty_results") == before + 1


async def test_a_json_object_instead_of_a_list_is_reported(instance, fake, session) -> None:
    from tests.crawlers.helpers import reply

    fake.fail(reply(b'{"error": "This method requires an authenticated user"}', content_type="application/json"))
    with pytest.raises(SourceError) as caught:
        await collect(source(instance, session, hashtags=["x"]))
    assert caught.value.reason == "unexpected_shape"


async def test_statuses_with_missing_or_mistyped_fields_are_skipped_and_counted(instance, fake, session) -> None:
    good = status(3, NOW - timedelta(hours=1), "fine", tags=("t",))
    no_account = status(2, NOW - timedelta(hours=2), "no account", tags=("t",))
    del no_account["account"]
    bad_time = status(1, NOW - timedelta(hours=3), "bad time", tags=("t",))
    bad_time["created_at"] = "yesterday"
    wrong_type = status(0, NOW - timedelta(hours=4), "account is a string", tags=("t",))
    wrong_type["account"] = "alice"
    fake.add(good, no_account, bad_time, wrong_type)
    counts = {r: error_count("picky", r) for r in ("missing_field", "bad_timestamp", "wrong_type")}

    batches, _ = await collect(source(instance, session, name="picky", hashtags=["t"]))

    assert ids_of(batches) == [uri(good)]
    for reason, before in counts.items():
        assert error_count("picky", reason) == before + 1, reason


# --------------------------------------------------------------------------- mapping


def test_to_post_maps_a_persian_status_fully() -> None:
    raw = status(42, datetime(2026, 11, 20, 8, 0, tzinfo=UTC), "تخفیف‌های دیجی‌کالا", tags=("دیجی_کالا",), lang="fa")
    raw["content"] += (
        '<p>بخوانید: <a href="https://news.example.ir/1">خبر</a> <span class="h-card">'
        '<a href="https://example.social/@bob" class="u-url mention">@<span>bob</span></a></span></p>'
    )
    raw["mentions"] = [
        {"acct": "bob", "url": "https://example.social/@bob"},
        {"acct": "eve@other.example", "url": "https://other.example/@eve"},
    ]
    raw["edited_at"] = "2026-11-20T09:00:00.000Z"
    raw["spoiler_text"] = "هشدار"
    post = to_post(raw, source="fa-masto")
    assert post.id == f"mastodon:{raw['uri']}"
    assert post.text.startswith("هشدار\n\nتخفیف‌های دیجی‌کالا #دیجی_کالا")
    assert post.created_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert post.edited_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert post.hashtags == ("دیجی_کالا",)
    assert post.mentions == ("bob@example.social", "eve@other.example")
    assert post.links == ("https://news.example.ir/1",)  # hashtag and profile links are not shared links
    assert post.author is not None
    assert post.author.handle == "alice@example.social"
    assert post.author.followers == 142
    assert post.lang == "fa"
    assert (post.engagement.likes, post.engagement.reposts, post.engagement.replies) == (0, 2, 0)
    assert post.engagement.views is None


def test_a_boost_maps_to_the_boosted_status() -> None:
    original = status(5, NOW, "the original", user="carol")
    boost = status(6, NOW, "", user="dave")
    boost["reblog"] = original
    post = to_post(boost)
    assert post.id == f"mastodon:{original['uri']}"
    assert post.author is not None
    assert post.author.handle == "carol@example.social"
    assert post.raw is boost


def test_counts_the_platform_did_not_give_are_none() -> None:
    raw = status(1, NOW, "x")
    for key in ("favourites_count", "reblogs_count", "replies_count"):
        del raw[key]
    raw["account"]["followers_count"] = "lots"
    post = to_post(raw)
    assert post.engagement.likes is None
    assert post.engagement.reposts is None
    assert post.engagement.replies is None
    assert post.author is not None
    assert post.author.followers is None
