"""The Store contract, run against every backend (SQLite always; Elasticsearch when live).

Each test states one promise of indexer/store.py with literal data and literal expectations.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from indexer.store import UpsertResult
from tests.indexer.conftest import Reopen
from tests.indexer.factory import T0, at, make
from trendwatch.errors import QuerySyntaxError
from trendwatch.models import Alert, Bucket, Drivers, PostRef, SeriesQuery, TermCount

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
BRANDS = SeriesQuery(kind="brand", step=HOUR)


async def settle(store: Any) -> None:
    """Let a backend finish its background indexing (SQLite's batched full-text index)."""
    flush = getattr(store, "flush", None)
    if flush is not None:
        await flush()


def brand_series(subject: str | None = None, step: timedelta = HOUR, **kw: Any) -> SeriesQuery:
    return SeriesQuery(kind="brand", step=step, subject=subject, **kw)


# --------------------------------------------------------------------------- writes


async def test_upsert_then_get_round_trips_every_field(store: Any) -> None:
    post = make(
        1,
        "Digikala delivery was late again #fail",
        when=at(5.123456),
        title="A complaint",
        brands=["Digikala"],
        hashtags=["#Fail"],
        topics=["delivery"],
        sentiment=-0.6,
        brand_sentiment={"Digikala": -0.8},
        likes=3,
        url="https://example.social/@alice/1",
        raw={"id": "1", "nested": {"list": [1, 2, 3], "fa": "دیجی‌کالا"}},
    )
    assert await store.upsert([post]) == UpsertResult(inserted=1, updated=0)
    assert await store.get([post.id, "mastodon:missing"]) == [post]


async def test_same_post_twice_is_one_mention_with_engagement_updated(store: Any) -> None:
    """Issue 2, "store idempotency": a re-ingest updates engagement and never double counts."""
    first = make(1, "great service", brands=["Digikala"], hashtags=["#love"], likes=1, when=at(10))
    again = make(1, "great service", brands=["Digikala"], hashtags=["#love"], likes=42, reposts=7, when=at(10))
    assert await store.upsert([first]) == UpsertResult(1, 0)
    assert await store.upsert([again]) == UpsertResult(0, 1)
    assert await store.upsert([again]) == UpsertResult(0, 1)

    assert await store.count() == 1
    (stored,) = await store.get([first.id])
    assert stored.post.engagement.likes == 42
    assert stored.post.engagement.reposts == 7
    (series,) = await store.series(brand_series("Digikala"), T0, T0 + DAY)
    assert [(b.start, b.count, b.authors) for b in series.buckets] == [(T0, 1, 1)]
    assert await store.top_terms("hashtag", T0, T0 + DAY) == [TermCount("love", 1, 1)]
    assert [p.id for p in await store.search("great")] == [first.id]


async def test_duplicates_inside_one_batch_count_once_and_the_last_copy_wins(store: Any) -> None:
    posts = [make(1, "v1", brands=["Digikala"], likes=1), make(1, "v2", brands=["Digikala"], likes=2)]
    assert await store.upsert(posts) == UpsertResult(1, 0)
    (stored,) = await store.get(["mastodon:1"])
    assert stored.post.text == "v2"
    assert await store.count() == 1


async def test_re_enrichment_moves_the_counts_between_subjects(store: Any) -> None:
    await store.upsert([make(1, "old", brands=["Digikala"], hashtags=["#a"], when=at(1))])
    await store.upsert([make(1, "new", brands=["Torob"], hashtags=["#b"], when=at(1))])
    series = {s.subject: s for s in await store.series(BRANDS, T0, T0 + DAY)}
    assert set(series) == {"Torob"}
    assert await store.top_terms("hashtag", T0, T0 + DAY) == [TermCount("b", 1, 1)]
    assert await store.search("old") == []
    assert [p.id for p in await store.search("new")] == ["mastodon:1"]


async def test_empty_upsert_is_a_no_op(store: Any) -> None:
    assert await store.upsert([]) == UpsertResult(0, 0)
    assert await store.count() == 0


async def test_count_uses_the_half_open_window(store: Any) -> None:
    await store.upsert([make(i, when=at(hours=i)) for i in range(5)])
    assert await store.count() == 5
    assert await store.count(at(hours=1), at(hours=3)) == 2
    assert await store.count(since=at(hours=4)) == 1
    assert await store.count(until=at(hours=1)) == 1


# --------------------------------------------------------------------------- series


async def test_series_buckets_count_authors_and_tone(store: Any) -> None:
    await store.upsert(
        [
            make(1, when=at(0), author="a", brands=["Digikala"], sentiment=0.5),
            make(2, when=at(10), author="b", brands=["Digikala"], sentiment=-0.5),
            make(3, when=at(59.99), author="a", brands=["Digikala"], sentiment=0.0),
            make(4, when=at(60), author="c", brands=["Digikala"], sentiment=-0.25),
            make(5, when=at(130), author=None, brands=["Digikala", "Torob"], sentiment=0.75),
            make(6, when=at(20), author="d", brands=["Torob"]),
        ]
    )
    (series,) = await store.series(brand_series("Digikala"), T0, at(hours=3))
    assert series.subject == "Digikala"
    assert series.kind == "brand"
    assert series.step == HOUR
    assert series.start == T0
    assert series.end == at(hours=3)
    assert series.buckets == (
        Bucket(start=at(0), count=3, authors=2, sentiment_sum=0.0, negative=1, positive=1),
        Bucket(start=at(60), count=1, authors=1, sentiment_sum=-0.25, negative=1, positive=0),
        Bucket(start=at(120), count=1, authors=0, sentiment_sum=0.75, negative=0, positive=1),
    )
    assert [b.count for b in series.dense()] == [3, 1, 1]


async def test_series_window_is_half_open_and_aligned_to_the_epoch(store: Any) -> None:
    await store.upsert([make(i, when=at(i * 15), brands=["Digikala"], author=f"u{i}") for i in range(8)])
    (series,) = await store.series(brand_series("Digikala"), at(30), at(90))
    assert series.start == T0  # floor(since, step)
    assert [(b.start, b.count) for b in series.buckets] == [(at(0), 2), (at(60), 2)]


async def test_series_of_every_brand_and_of_filters(store: Any) -> None:
    await store.upsert(
        [
            make(1, when=at(5), brands=["Digikala"], platform="mastodon", lang="fa"),
            make(2, when=at(6), brands=["Digikala"], platform="bluesky", lang="en"),
            make(3, when=at(7), brands=["Torob"], platform="bluesky", lang="fa"),
        ]
    )
    every = {s.subject: sum(b.count for b in s.buckets) for s in await store.series(BRANDS, T0, T0 + DAY)}
    assert every == {"Digikala": 2, "Torob": 1}
    fa = {s.subject: sum(b.count for b in s.buckets) for s in await store.series(brand_series(lang="fa"), T0, T0 + DAY)}
    assert fa == {"Digikala": 1, "Torob": 1}
    (bsky,) = await store.series(brand_series("Digikala", platform="bluesky"), T0, T0 + DAY)
    assert [b.count for b in bsky.buckets] == [1]
    assert bsky.platform == "bluesky"
    (none,) = await store.series(brand_series("Digikala", platform="reddit"), T0, T0 + DAY)
    assert none.buckets == ()
    (unknown,) = await store.series(brand_series("Nobody"), T0, T0 + DAY)
    assert unknown.subject == "Nobody"
    assert unknown.buckets == ()


async def test_brand_series_use_the_brand_specific_tone(store: Any) -> None:
    """ "Digikala was great, unlike Torob": one post, opposite tone per brand."""
    await store.upsert(
        [
            make(
                1,
                "Digikala was great, unlike Torob",
                brands=["Digikala", "Torob"],
                sentiment=0.3,
                brand_sentiment={"Digikala": 0.9, "Torob": -0.7},
            )
        ]
    )
    series = {s.subject: s.buckets[0] for s in await store.series(BRANDS, T0, T0 + DAY)}
    assert series["Digikala"].sentiment_sum == pytest.approx(0.9)
    assert series["Digikala"].positive == 1
    assert series["Torob"].sentiment_sum == pytest.approx(-0.7)
    assert series["Torob"].negative == 1


async def test_hashtag_series_pick_the_terms_with_most_authors(store: Any) -> None:
    posts = [make(i, when=at(i), author=f"u{i}", hashtags=["#big"]) for i in range(3)]
    posts += [make(10 + i, when=at(i), author="same", hashtags=["#loud"]) for i in range(5)]
    posts += [make(20, when=at(1), author="x", hashtags=["#small"])]
    await store.upsert(posts)
    tops = await store.series(SeriesQuery(kind="hashtag", step=DAY, limit=2), T0, T0 + DAY)
    assert [(s.subject, s.buckets[0].count, s.buckets[0].authors) for s in tops] == [("big", 3, 3), ("loud", 5, 1)]
    (one,) = await store.series(SeriesQuery(kind="hashtag", step=DAY, subject="#BIG"), T0, T0 + DAY)
    assert one.subject == "big"
    assert one.buckets[0].count == 3


# --------------------------------------------------------------------------- terms and drivers


async def test_top_terms_rank_by_authors_then_count_with_filters(store: Any) -> None:
    await store.upsert(
        [
            make(1, when=at(1), author="a", hashtags=["#x", "#y"], topics=["price"], brands=["Digikala"], lang="fa"),
            make(2, when=at(2), author="b", hashtags=["#x"], topics=["price"], brands=["Digikala"]),
            make(3, when=at(3), author="a", hashtags=["#y"], topics=["delivery"], brands=["Torob"]),
            make(4, when=at(4), author="a", hashtags=["#y"], brands=["Torob"]),
            make(5, when=at(hours=30), author="z", hashtags=["#late"]),
        ]
    )
    assert await store.top_terms("hashtag", T0, T0 + DAY) == [TermCount("x", 2, 2), TermCount("y", 3, 1)]
    assert await store.top_terms("hashtag", T0, T0 + DAY, limit=1) == [TermCount("x", 2, 2)]
    assert await store.top_terms("hashtag", T0, T0 + DAY, brand="Torob") == [TermCount("y", 2, 1)]
    assert await store.top_terms("hashtag", T0, T0 + DAY, lang="fa") == [TermCount("x", 1, 1), TermCount("y", 1, 1)]
    assert await store.top_terms("topic", T0, T0 + DAY) == [TermCount("price", 2, 2), TermCount("delivery", 1, 1)]
    assert await store.top_terms("hashtag", T0, T0 + DAY, brand="Nobody") == []


async def test_drivers_explain_a_window(store: Any) -> None:
    await store.upsert(
        [
            make(
                1,
                "late again",
                when=at(1),
                author="a",
                handle="@ann",
                brands=["Digikala"],
                hashtags=["#late"],
                topics=["delivery"],
                sentiment=-0.8,
                likes=10,
            ),
            make(
                2,
                "late and rude",
                when=at(2),
                author="a",
                handle="@ann",
                brands=["Digikala"],
                hashtags=["#late", "#rude"],
                topics=["delivery"],
                sentiment=-0.6,
                likes=50,
            ),
            make(3, "fine", when=at(3), author="b", handle="@bob", brands=["Digikala"], sentiment=0.0, likes=1),
            make(4, "outside", when=at(hours=5), author="c", brands=["Digikala"], hashtags=["#late"]),
            make(5, "other brand", when=at(1), author="d", brands=["Torob"], hashtags=["#late"]),
        ]
    )
    drivers = await store.drivers(BRANDS, "Digikala", T0, at(hours=1), limit=2)
    assert isinstance(drivers, Drivers)
    assert drivers.hashtags == (TermCount("late", 2, 1), TermCount("rude", 1, 1))
    assert drivers.terms == (TermCount("delivery", 2, 1),)
    assert drivers.authors == (TermCount("@ann", 2, 1), TermCount("@bob", 1, 1))
    assert [p.id for p in drivers.posts] == ["mastodon:2", "mastodon:1"]
    assert isinstance(drivers.posts[0], PostRef)
    assert drivers.posts[0].author == "@ann"
    assert (drivers.negative, drivers.neutral, drivers.positive) == (2, 1, 0)
    assert await store.drivers(BRANDS, "Nobody", T0, at(hours=1)) == Drivers()


async def test_hashtag_drivers_leave_out_the_hashtag_itself(store: Any) -> None:
    await store.upsert([make(1, when=at(1), hashtags=["#late", "#rude"])])
    drivers = await store.drivers(SeriesQuery(kind="hashtag", step=HOUR), "#late", T0, at(hours=1))
    assert drivers.hashtags == (TermCount("rude", 1, 1),)


# --------------------------------------------------------------------------- search


SEARCH_POSTS = [
    ("1", "Digikala delivery was very late today", dict(brands=["Digikala"], hashtags=["#fail"], lang="en")),
    ("2", "ارسال دیجی‌کالا خیلی دیر بود", dict(brands=["Digikala"], lang="fa", platform="telegram", author="ali")),
    ("3", "Torob has the best prices", dict(brands=["Torob"], hashtags=["#deal"], lang="en")),
    ("4", "late delivery but great refund policy", dict(lang="en", author="bob")),
    ("5", "دیجيكالا تخفیف ويژه دارد", dict(brands=["Digikala"], lang="fa", hashtags=["#تخفیف"])),
]


async def _search_corpus(store: Any) -> None:
    await store.upsert(
        [make(native, text, when=at(hours=int(native)), **kw) for native, text, kw in SEARCH_POSTS]  # type: ignore[arg-type]
    )


def _natives(posts: list[Any]) -> list[str]:
    return [p.post.native_id for p in posts]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("late", ["4", "1"]),
        ("LATE delivery", ["4", "1"]),
        ('"delivery was"', ["1"]),
        ("delivery NEAR/0 late", ["4"]),
        ("delivery NEAR/2 late", ["4", "1"]),
        ("refund OR prices", ["4", "3"]),
        ("late NOT digikala", ["4"]),
        ("NOT late", ["5", "3", "2"]),
        ("#fail OR #deal", ["3", "1"]),
        ("#تخفیف", ["5"]),
        ("lang:fa", ["5", "2"]),
        ("platform:telegram", ["2"]),
        ("brand:digikala", ["5", "2", "1"]),
        ("author:@ali OR author:BOB", ["4", "2"]),
        ("pric*", ["3"]),
        ("دیجی‌کالا", ["2"]),
        ("دیجی کالا", ["2"]),
        ("دیجیکالا", ["5"]),
        ("ويژه", ["5"]),
        ("(late OR prices) AND NOT (refund OR #fail)", ["3"]),
    ],
)
async def test_search_speaks_the_query_language(store: Any, query: str, expected: list[str]) -> None:
    await _search_corpus(store)
    assert _natives(await store.search(query)) == expected
    await settle(store)  # now from the full-text index rather than the fresh tail
    assert _natives(await store.search(query)) == expected


async def test_search_is_newest_first_with_window_and_limit(store: Any) -> None:
    await store.upsert([make(i, f"news item {i}", when=at(days=i % 4, minutes=i)) for i in range(12)])
    hits = await store.search("news")
    assert [p.post.created_at for p in hits] == sorted((p.post.created_at for p in hits), reverse=True)
    assert len(hits) == 12
    assert _natives(await store.search("news", limit=3)) == ["11", "7", "3"]
    window = await store.search("news", since=at(days=1), until=at(days=2, minutes=6))
    assert _natives(window) == ["2", "9", "5", "1"]  # 6 is at the excluded end


async def test_search_rejects_a_malformed_query_with_its_position(store: Any) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        await store.search("late AND (refund")
    assert caught.value.position == 9


async def test_search_finds_posts_written_a_moment_ago(store: Any) -> None:
    await store.upsert([make(1, "fresh words")])
    assert _natives(await store.search("fresh")) == ["1"]
    await store.upsert([make(1, "edited words")])
    assert await store.search("fresh") == []
    assert _natives(await store.search("edited")) == ["1"]
    await settle(store)
    await store.upsert([make(1, "edited twice", hashtags=["#new"])])
    assert await store.search("words") == []
    assert _natives(await store.search("twice #new")) == ["1"]


# --------------------------------------------------------------------------- state and alerts


async def test_state_round_trips_deletes_and_survives_a_restart(store: Any, reopen: Reopen) -> None:
    assert await store.get_state("cursor:news") is None
    await store.set_state("cursor:news", {"etag": "abc", "seen": [1, 2], "fa": "دیجی"})
    await store.set_state("outbox:webhook:1", {"alert": "x"})
    await store.set_state("outbox:webhook:2", {"alert": "y"})
    await store.set_state("outbox:webhook:2", None)
    store = await reopen(store)
    assert await store.get_state("cursor:news") == {"etag": "abc", "seen": [1, 2], "fa": "دیجی"}
    assert await store.get_states("outbox:") == {"outbox:webhook:1": {"alert": "x"}}
    assert await store.get_states("nothing:") == {}


def _alert(status: str, minute: float, **kw: Any) -> Alert:
    return Alert(
        rule="spike",
        kind="brand",
        subject="Digikala",
        metric="posts",
        status=status,  # type: ignore[arg-type]
        severity="warning",
        direction="up",
        started_at=at(0),
        at=at(minute),
        expected=3.0,
        observed=12.0,
        score=0.97,
        z=4.2,
        **kw,
    )


async def test_alert_history_newest_first_with_filters(store: Any) -> None:
    drivers = Drivers(
        hashtags=(TermCount("late", 4, 3),),
        posts=(PostRef("mastodon:1", "late", None, "@ann", at(1), -0.5),),
        negative=4,
    )
    opened = _alert("open", 1, drivers=drivers, lang="fa", related=("Torob",))
    updated = _alert("updated", 2)
    resolved = _alert("resolved", 3)
    for alert in (opened, updated, resolved):
        await store.record_alert(alert)
    assert await store.alerts() == [resolved, updated, opened]
    assert await store.alerts(status="open") == [opened]
    assert await store.alerts(since=at(2)) == [resolved, updated]
    assert await store.alerts(limit=1) == [resolved]


async def test_recording_an_alert_event_again_keeps_one_history_entry(store: Any) -> None:
    """A retried transaction or a restart may record the same event (alert key, status, time)
    again: history must not show it twice. Another status or time is another event."""
    opened = _alert("open", 1)
    await store.record_alert(opened)
    await store.record_alert(opened)
    await store.record_alert(dataclasses.replace(opened, observed=13.0))  # recomputed on retry: that event still
    resolved = _alert("resolved", 1)
    later = _alert("open", 2)
    await store.record_alert(resolved)
    await store.record_alert(later)
    await store.record_alert(later)
    assert await store.alerts() == [later, resolved, opened]


# --------------------------------------------------------------------------- emerging terms and scans


async def test_emerging_terms_stand_out_against_the_baseline(store: Any) -> None:
    baseline = [
        make(f"b{i}", when=at(i), author=f"b{i}", hashtags=["#steady"] + (["#rising"] if i == 0 else []))
        for i in range(10)
    ]
    window = [
        make(
            f"w{i}",
            when=at(i, days=1),
            author=f"w{i}",
            hashtags=(["#steady"] if i < 5 else []) + (["#rising"] if i < 6 else []) + (["#new"] if i >= 7 else []),
        )
        for i in range(10)
    ]
    await store.upsert(baseline + window)
    emerging = await store.emerging_terms("hashtag", at(days=1), at(days=2), T0, at(days=1))
    # JLH: rising (0.6 - 0.1) * 6 = 3.0; new (0.3 - 0.1) * 3 = 0.6 (absent before: counted once); steady fell
    assert emerging == [TermCount("rising", 6, 6), TermCount("new", 3, 3)]
    assert await store.emerging_terms("hashtag", at(days=1), at(days=2), T0, at(days=1), min_count=4) == [
        TermCount("rising", 6, 6)
    ]


async def test_scan_pages_through_everything_and_resumes(store: Any) -> None:
    await store.upsert([make(i, f"post {i}", when=at(i)) for i in range(25)])
    await settle(store)
    pages = [(posts, cursor) async for posts, cursor in store.scan(page=10)]
    assert [len(p) for p, _ in pages] == [10, 10, 5]
    seen = [p.id for page, _ in pages for p in page]
    assert sorted(seen) == sorted(f"mastodon:{i}" for i in range(25))
    rest = [p.id async for page, _ in store.scan(after=pages[0][1], page=10) for p in page]
    assert rest == seen[10:]
    recent = [p.id async for page, _ in store.scan(since=at(20)) for p in page]
    assert sorted(recent) == sorted(f"mastodon:{i}" for i in range(20, 25))
