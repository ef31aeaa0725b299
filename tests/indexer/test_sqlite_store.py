"""What only the embedded store promises: migrations, WAL concurrency, crash recovery of the
batched full-text index, rollups that stay right under re-ingest, retention, vacuum, and clear
errors for files it cannot use."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from indexer import codec, sqlite_write
from indexer.sqlite import SqliteStore
from indexer.sqlite_schema import LATEST, MIGRATIONS
from indexer.sqlite_write import Writer, fts_row
from indexer.store import UpsertResult
from tests.indexer.factory import T0, at, make
from trendwatch.errors import StoreError
from trendwatch.models import EnrichedPost, SeriesQuery, TermCount

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def options(path: Path, **kw: object) -> SqliteStore.Options:
    return SqliteStore.Options(path=path, **kw)  # type: ignore[arg-type]


@pytest.fixture
async def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(options(tmp_path / "s.db"))
    await s.open()
    yield s
    await s.close()


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# --------------------------------------------------------------------------- schema


@pytest.mark.parametrize("version", [m.version for m in MIGRATIONS[:-1]])
async def test_migrates_a_database_from_every_earlier_version(tmp_path: Path, version: int) -> None:
    """Each fixture was written by the store at that version (fixtures/make_fixture.py)."""
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / f"store_v{version}.db", path)
    assert raw(path).execute("PRAGMA user_version").fetchone()[0] == version
    store = SqliteStore(options(path))
    await store.open()
    try:
        assert raw(path).execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert await store.count() == 5
        (post,) = await store.get(["mastodon:4"])
        assert post.post.raw == {"id": 4, "content": "دیجيكالا تخفیف ويژه دارد"}
        assert [p.id for p in await store.search("دیجی کالا OR late")] == ["mastodon:2", "mastodon:1"]
        assert [p.id for p in await store.search("#تخفیف")] == ["mastodon:4"]  # was in the unindexed tail
        series = {s.subject: s.buckets for s in await store.series(SeriesQuery("brand", DAY), T0, T0 + DAY)}
        assert {k: [(b.count, b.authors) for b in v] for k, v in series.items()} == {
            "Digikala": [(3, 2)],
            "Torob": [(1, 1)],
        }
        assert await store.top_terms("topic", T0, T0 + DAY) == [TermCount("delivery", 2, 2)]
        assert await store.get_state("cursor:news") == {"etag": "abc"}
        (alert,) = await store.alerts()
        assert alert.drivers is not None
        assert alert.drivers.negative == 2
        await store.upsert([make(9, "a new post after the migration", brands=["Torob"])])
        assert await store.count() == 6
    finally:
        await store.close()


async def test_persian_hashtag_keys_of_an_older_store_are_rejoined_by_underscore(tmp_path: Path) -> None:
    """store_v3_spaced_hashtags.db was written by the store before Persian hashtag keys were
    joined by `_` (commit 8a47067^, fixtures/make_fixture.py): `#ارسال_رایگان` is kept there
    as "ارسال رایگان". After the migration it is one hashtag, found and counted once, also when
    its post is ingested again."""
    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "store_v3_spaced_hashtags.db", path)
    assert raw(path).execute("SELECT count(*) FROM names WHERE name = 'ارسال رایگان'").fetchone() == (1,)
    store = SqliteStore(options(path))
    await store.open()
    try:
        tag = TermCount("ارسال_رایگان", 1, 1)
        assert tag in await store.top_terms("hashtag", T0, T0 + DAY)
        assert [p.id for p in await store.search("#ارسال_رایگان")] == ["mastodon:2"]
        (post,) = await store.get(["mastodon:2"])
        again = dataclasses.replace(post, post=dataclasses.replace(post.post, engagement=dataclasses.replace(
            post.post.engagement, likes=40)))  # fmt: skip
        assert await store.upsert([again]) == UpsertResult(inserted=0, updated=1)
        terms = await store.top_terms("hashtag", T0, T0 + DAY)
        assert [t for t in terms if "ارسال" in t.term] == [tag]
    finally:
        await store.close()
    assert raw(path).execute("SELECT count(*) FROM names WHERE name LIKE '% %' AND kind = 4").fetchone() == (0,)


def test_every_migration_has_a_fixture_of_the_version_before_it() -> None:
    for migration in MIGRATIONS[1:]:
        assert (FIXTURES / f"store_v{migration.version - 1}.db").exists(), (
            f"write fixtures/store_v{migration.version - 1}.db with fixtures/make_fixture.py "
            f"before adding v{migration.version}"
        )


async def test_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 200)
    with pytest.raises(StoreError, match="not a trendwatch database"):
        await SqliteStore(options(path)).open()


async def test_refuses_a_database_from_a_newer_trendwatch(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    raw(path).execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(StoreError, match="newer than this trendwatch"):
        await SqliteStore(options(path)).open()


async def test_creates_the_directory_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "tw.db"
    store = SqliteStore(options(path))
    await store.open()
    await store.close()
    assert raw(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --------------------------------------------------------------------------- concurrency


async def test_one_writer_at_a_time_but_readers_alongside(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    writer = SqliteStore(options(path))
    await writer.open()
    try:
        await writer.upsert([make(1, "shared words")])
        with pytest.raises(StoreError, match="being written by trendwatch pid"):
            await SqliteStore(options(path)).open()
        reader = SqliteStore(options(path, read_only=True))
        await reader.open()
        try:
            assert [p.id for p in await reader.search("shared")] == ["mastodon:1"]
            with pytest.raises(StoreError, match="not open for writing"):
                await reader.upsert([make(2)])
        finally:
            await reader.close()
    finally:
        await writer.close()


async def test_readers_are_not_blocked_by_a_writer(store: SqliteStore) -> None:
    await store.upsert([make(i, "before", brands=["Digikala"], when=at(i)) for i in range(20)])
    hog = raw(store.path)
    hog.execute("BEGIN IMMEDIATE")  # another connection holds the write lock, mid-transaction
    hog.execute("INSERT INTO state(key, value, updated_at) VALUES ('hog', '1', 0)")
    try:
        started = time.perf_counter()
        assert await store.count() == 20
        (series,) = await store.series(SeriesQuery("brand", HOUR, subject="Digikala"), T0, T0 + DAY)
        assert series.buckets[0].count == 20
        assert len(await store.search("before")) == 20
        assert time.perf_counter() - started < 2.0
    finally:
        hog.execute("ROLLBACK")
        hog.close()


async def test_concurrent_queries_during_ingest_see_whole_batches(store: SqliteStore) -> None:
    batches = [[make(b * 100 + i, f"batch {b}", when=at(b)) for i in range(100)] for b in range(15)]

    async def ingest() -> None:
        for batch in batches:
            await store.upsert(batch)

    seen: list[int] = []

    async def watch() -> None:
        for _ in range(30):
            seen.append(await store.count())
            await asyncio.sleep(0)

    await asyncio.gather(ingest(), watch())
    assert all(n % 100 == 0 for n in seen), seen  # never half a batch: each upsert is atomic
    assert await store.count() == 1500


# --------------------------------------------------------------------------- full-text index


def test_the_ingest_hot_path_indexes_exactly_what_the_slow_path_would(tmp_path: Path) -> None:
    """Contentless FTS5 deletes need the very tokens that were indexed: both paths must agree."""
    db = raw(tmp_path / "w.db")
    from indexer.sqlite_schema import migrate

    migrate(db)
    writer = Writer(db, 10)
    posts = [
        make(1, "plain english", title="A Title", brands=["Digikala", "Torob"], hashtags=["#One", "#two"]),
        make(2, "دیجي‌كالا ۱۲۳", lang="fa", platform="telegram", author=None, hashtags=["#تخفیف"]),
        make(3, "no lang", lang="", brand_sentiment={"Digikala": -0.9}, brands=["Digikala"], topics=["x", " x "]),
        make(4, "handle-less", author="did:plc:1", handle=""),
        make(5, "tags", hashtags=["#A_b", "#ab", "", "#", "#Other"], topics=["", "t", "t "], brands=["Torob", "Torob"]),
    ]
    only_declared = posts[-1].enrichment.hashtags[:2]  # the platform's #Other is searchable, not counted
    posts.append(EnrichedPost(posts[-1].post, dataclasses.replace(posts[-1].enrichment, hashtags=only_declared)))
    writer.resolve_authors(posts)
    for i, post in enumerate(posts, start=1):
        rows = writer.rows(post, i, codec.dump_post(post))
        assert rows.fts == fts_row(post)
        # and it counts the post under what indexer.codec says, as Elasticsearch does
        names = {key: name for key, name in db.execute("SELECT key, name FROM names")}
        assert [(names[b[0]], b[6]) for b in rows.brands] == [(b, s) for b, s, _ in codec.brand_tones(post.enrichment)]
        assert [names[t[2]] for t in rows.terms] == [*codec.hashtags_of(post), *codec.topics_of(post)]
        assert rows.post[-2:] == (codec.dump_post(post), i)  # doc, rowid


async def test_names_are_kept_in_a_bounded_cache_and_found_again_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Key phrases have a long tail: the writer must not hold every name ever seen (it used to
    load them all when it opened), and a name read again after its cache was emptied, or after
    a restart, must be the same dictionary entry, so its counts are not split."""
    monkeypatch.setattr(sqlite_write, "NAME_CACHE", 12)
    path = tmp_path / "names.db"

    def batch(n: int) -> list[EnrichedPost]:
        return [
            make(
                f"{n}-{i}", author=f"a{n}-{i}", topics=["shared", f"rare {n} {i}"], hashtags=[f"#tag{n}{i}", "#Common"]
            )
            for i in range(5)
        ]

    statements: list[str] = []
    for session in range(2):  # the second session is a restart on the same file
        store = SqliteStore(options(path))
        await store.open()
        store._require_writer().db.set_trace_callback(statements.append)
        for n in range(3):
            await store.upsert(batch(session * 3 + n))
            # at most NAME_CACHE per kind (topics, hashtags; one platform, source and language)
            # where 65 names exist by the end
            assert store._require_writer().cached_names <= 2 * 12 + 3
        await store.close()
    creations = [
        sql
        for sql in statements
        if sql.startswith(("INSERT INTO names(kind, name) VALUES (4,", "INSERT INTO names(kind, name) VALUES (5,"))
    ]
    assert len(creations) == 62  # every hashtag and topic once (31 each)
    assert not any("RETURNING" in sql for sql in creations), "made per batch, not one by one"
    store = SqliteStore(options(path))
    await store.open()
    try:
        topics = await store.top_terms("topic", T0 - DAY, T0 + DAY, limit=1)
        hashtags = await store.top_terms("hashtag", T0 - DAY, T0 + DAY, limit=1)
        assert topics == [TermCount("shared", 30, 30)]
        assert hashtags == [TermCount("common", 30, 30)]
        rare = await store.top_terms("topic", T0 - DAY, T0 + DAY, limit=100)
        assert len(rare) == 31, "every rare phrase once, beside the shared one"
    finally:
        await store.close()
    db = raw(path)
    assert db.execute("SELECT count(*) FROM names WHERE kind = 5").fetchone() == (31,)
    db.close()


async def test_a_crash_loses_no_post_from_search(tmp_path: Path) -> None:
    """Killed before the full-text index caught up: the next open indexes the tail from the
    stored JSON, and searches in between are exact anyway."""
    path = tmp_path / "crash.db"
    script = textwrap.dedent(
        f"""
        import asyncio, os, signal
        from pathlib import Path
        from indexer.sqlite import SqliteStore
        from tests.indexer.factory import make, at

        async def main():
            store = SqliteStore(SqliteStore.Options(path=Path({str(path)!r}), fts_batch=100, fts_delay=3600))
            await store.open()
            await store.upsert([make(i, f"crash word{{i}}", when=at(i)) for i in range(250)])
            await store.upsert([make(i, f"crash word{{i}}", when=at(i)) for i in range(250, 260)])
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
        """
    )
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == -9, result.stderr[-2000:]
    indexed = raw(path).execute("SELECT value FROM meta WHERE key = 'fts_indexed'").fetchone()[0]
    assert 0 < indexed < 260  # the kill came with part of the batch still unindexed

    reader = SqliteStore(options(path, read_only=True))
    await reader.open()
    assert len(await reader.search("crash", limit=500)) == 260  # exact before recovery
    await reader.close()

    store = SqliteStore(options(path))
    await store.open()
    try:
        assert raw(path).execute("SELECT value FROM meta WHERE key = 'fts_indexed'").fetchone()[0] == 260
        assert len(await store.search("crash", limit=500)) == 260
        assert [p.id for p in await store.search("word259")] == ["mastodon:259"]
    finally:
        await store.close()


async def test_a_change_of_text_folding_rebuilds_the_index(tmp_path: Path) -> None:
    path = tmp_path / "fold.db"
    store = SqliteStore(options(path))
    await store.open()
    await store.upsert([make(1, "دیجي‌كالا")])
    await store.close()
    db = raw(path)
    db.execute("INSERT INTO fts(fts) VALUES ('delete-all')")  # as if built by another folding
    db.execute("UPDATE meta SET value = 0 WHERE key = 'fold_version'")
    db.close()
    store = SqliteStore(options(path))
    await store.open()
    try:
        assert [p.id for p in await store.search("دیجی کالا")] == ["mastodon:1"]
        assert raw(path).execute("SELECT value FROM meta WHERE key = 'fts_indexed'").fetchone()[0] == 1
    finally:
        await store.close()


async def test_the_index_follows_by_itself_once_ingest_is_quiet(tmp_path: Path) -> None:
    store = SqliteStore(options(tmp_path / "quiet.db", fts_batch=1000, fts_delay=0.05))
    await store.open()
    try:
        await store.upsert([make(i, "quiet") for i in range(10)])
        for _ in range(100):
            if raw(store.path).execute("SELECT value FROM meta WHERE key = 'fts_indexed'").fetchone()[0] == 10:
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the full-text index did not catch up")
    finally:
        await store.close()


# --------------------------------------------------------------------------- rollups


async def _settle(store: SqliteStore) -> None:
    for _ in range(50):
        if not store._background:
            return
        await asyncio.sleep(0.01)


def _rollups(store: SqliteStore) -> int:
    return int(raw(store.path).execute("SELECT count(*) FROM rollups").fetchone()[0])


async def test_rollups_answer_like_the_facts_and_follow_re_ingest(store: SqliteStore) -> None:
    posts = [
        make(
            i,
            when=at(i * 37),
            author=f"u{i % 4}",
            brands=["Digikala"] if i % 3 else ["Torob"],
            hashtags=[f"#t{i % 5}"],
            sentiment=(i % 7 - 3) / 4,
        )
        for i in range(120)
    ]
    await store.upsert(posts)
    query = SeriesQuery("brand", HOUR)
    since, until = T0 - DAY, T0 + 4 * DAY
    live = await store.series(query, since, until)
    tops_live = await store.top_terms("hashtag", since, until)
    await _settle(store)
    assert _rollups(store) > 0  # closed days and hours were kept
    assert await store.series(query, since, until) == live
    assert await store.top_terms("hashtag", since, until) == tops_live

    # Re-ingest moves a post to another brand and day: the kept rollups must not answer.
    moved = make(1, when=at(days=2, hours=5), author="u1", brands=["Torob"], hashtags=["#t1"])
    await store.upsert([moved])
    posts[1] = moved
    expected: dict[tuple[str, datetime], int] = {}
    for p in posts:
        for brand in p.enrichment.brands:
            start = p.post.created_at.replace(minute=0, second=0, microsecond=0)
            expected[brand, start] = expected.get((brand, start), 0) + 1
    got = {(s.subject, b.start): b.count for s in await store.series(query, since, until) for b in s.buckets}
    assert got == expected
    assert sum(v for (brand, _), v in got.items() if brand == "Torob") == 41


async def test_top_term_series_keep_the_hour_rollups_they_compute(store: SqliteStore) -> None:
    """A bug once: series of the top hashtags threw away the rollups of the top-terms step."""
    await store.upsert([make(i, when=at(i * 30), author=f"u{i % 3}", hashtags=[f"#t{i % 4}"]) for i in range(40)])
    query = SeriesQuery("hashtag", HOUR, limit=2)
    first = await store.series(query, T0, T0 + DAY)
    await _settle(store)
    kept = raw(store.path).execute("SELECT grain, count(*) FROM rollups GROUP BY grain").fetchall()
    assert dict(kept).get(0) == 24  # every hour of the day, for top terms
    assert dict(kept).get(3_600_000_000) == 1  # the day, for the series
    assert await store.series(query, T0, T0 + DAY) == first


async def test_a_rollup_computed_before_a_write_is_not_kept(store: SqliteStore) -> None:
    from indexer import sqlite_read

    await store.upsert([make(1, when=at(30), brands=["Digikala"])])
    _, chunks = await store._read(sqlite_read.series, SeriesQuery("brand", HOUR), T0, T0 + DAY, datetime.now(UTC))
    assert chunks
    await store.upsert([make(2, when=at(40), brands=["Digikala"])])  # lands in the same day
    writer = store._require_writer()
    assert await store._write(writer.store_rollups, chunks) == 0
    (series,) = await store.series(SeriesQuery("brand", HOUR), T0, T0 + DAY)
    assert series.buckets[0].count == 2


async def test_steps_that_do_not_divide_a_day_are_computed_directly(store: SqliteStore) -> None:
    await store.upsert([make(i, when=at(days=i), brands=["Digikala"]) for i in range(10)])
    (weekly,) = await store.series(SeriesQuery("brand", timedelta(days=7), subject="Digikala"), T0, T0 + 14 * DAY)
    assert sum(b.count for b in weekly.buckets) == 10
    assert all(b.start.timestamp() % (7 * 86400) == 0 for b in weekly.buckets)


# --------------------------------------------------------------------------- maintenance


async def test_retention_deletes_posts_with_their_counts_index_and_rollups(store: SqliteStore) -> None:
    await store.upsert(
        [make(i, f"word{i} common", when=at(days=i), brands=["Digikala"], hashtags=["#x"]) for i in range(6)]
    )
    await store.flush()
    await store.series(SeriesQuery("brand", HOUR), T0, T0 + 6 * DAY)
    await store.top_terms("hashtag", T0, T0 + 6 * DAY)
    await _settle(store)
    assert await store.delete_before(at(days=3)) == 3
    assert await store.count() == 3
    assert [p.post.native_id for p in await store.search("common")] == ["5", "4", "3"]
    assert await store.search("word1") == []
    (series,) = await store.series(SeriesQuery("brand", DAY), T0, T0 + 6 * DAY)
    assert [b.count for b in series.buckets] == [1, 1, 1]
    assert await store.top_terms("hashtag", T0, T0 + 6 * DAY) == [TermCount("x", 3, 1)]
    assert (
        raw(store.path).execute("SELECT count(*) FROM rollups WHERE start < ?", (3 * 86_400_000_000,)).fetchone()[0]
        == 0
    )
    # rowids are never handed out twice, so the full-text index cannot confuse old and new posts
    await store.upsert([make(99, "fresh common", when=at(days=5))])
    await store.flush()
    assert len(await store.search("common")) == 4


async def test_retention_runs_by_itself_when_configured(tmp_path: Path) -> None:
    path = tmp_path / "ret.db"
    store = SqliteStore(options(path))
    await store.open()
    old = datetime.now(UTC) - timedelta(days=40)
    await store.upsert([make(1, when=old), make(2, when=datetime.now(UTC) - timedelta(days=1))])
    await store.close()
    store = SqliteStore(options(path, retention="30d"))
    await store.open()
    try:
        for _ in range(100):
            if await store.count() == 1:
                break
            await asyncio.sleep(0.02)
        assert [p.id for p in await store.get(["mastodon:1", "mastodon:2"])] == ["mastodon:2"]
    finally:
        await store.close()


async def test_vacuum_forgets_the_names_retention_left_unused(store: SqliteStore) -> None:
    old = [make(i, when=at(days=1), topics=[f"old phrase {i}", "lasting"], hashtags=["#gone"]) for i in range(3)]
    await store.upsert([*old, make(9, when=at(days=5), topics=["lasting"], hashtags=["#kept"])])
    assert await store.delete_before(at(days=3)) == 3
    assert await store.vacuum() == 4  # three old phrases and #gone; "lasting" and #kept still count
    names = {name for (name,) in raw(store.path).execute("SELECT name FROM names WHERE kind IN (4, 5)")}
    assert names == {"lasting", "kept"}
    assert await store.vacuum() == 0
    # the writer forgot them too: a forgotten name seen again is a new entry, counted right
    await store.upsert([make(10, when=at(days=6), topics=["old phrase 0"], hashtags=["#gone"])])
    assert await store.top_terms("topic", T0, T0 + 7 * DAY) == [
        TermCount("lasting", 1, 1),
        TermCount("old phrase 0", 1, 1),
    ]
    assert await store.top_terms("hashtag", T0, T0 + 7 * DAY) == [TermCount("gone", 1, 1), TermCount("kept", 1, 1)]


async def test_vacuum_returns_space_and_keeps_the_data(store: SqliteStore) -> None:
    await store.upsert([make(i, "padding " * 200, when=at(days=i % 10)) for i in range(400)])
    await store.delete_before(at(days=9))
    before = _size(store.path)
    await store.vacuum()
    after = _size(store.path)
    assert after < before
    assert await store.count() == 40
    await store.vacuum(full=True)
    assert len(await store.search("padding", limit=100)) == 40


# --------------------------------------------------------------------------- bad input


async def test_a_post_that_cannot_be_stored_fails_the_whole_batch(store: SqliteStore) -> None:
    good = make(1, "good")
    bad = make(2, "bad", raw={"bytes": b"\x00\x01"})
    with pytest.raises(StoreError, match="mastodon:2: its raw payload is not JSON-serialisable"):
        await store.upsert([good, bad])
    assert await store.count() == 0
    assert await store.upsert([good]) == UpsertResult(inserted=1, updated=0)  # nothing of the failed batch stayed
    assert await store.count() == 1


async def test_state_values_must_be_json(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match="not JSON-serialisable"):
        await store.set_state("cursor:x", object())
    assert await store.get_state("cursor:x") is None


async def test_using_a_closed_store_says_so(tmp_path: Path) -> None:
    store = SqliteStore(options(tmp_path / "c.db"))
    with pytest.raises(StoreError, match="not open"):
        await store.count()
    await store.open()
    await store.close()
    with pytest.raises(StoreError, match="not open"):
        await store.upsert([make(1)])


def test_the_stored_json_is_orjsons_own_form_of_the_post() -> None:
    """`codec.dump_post` builds the dicts itself for speed: the bytes must be exactly what
    orjson writes for the dataclasses (so documents written before stay equal, and re-ingesting
    an unchanged post is recognised as unchanged), and read back to the same post."""
    full = make(
        "full",
        "متن #تگ",
        title="T",
        brands=["Digikala", "Torob"],
        hashtags=["#تگ", "#b"],
        topics=["x"],
        brand_sentiment={"Digikala": -0.5},
        likes=3,
        raw={"nested": ({"a": 1}, [2, 3]), 4: "non-string key"},
        url="https://example.com/p/1",
    )
    edited = dataclasses.replace(
        full.post,
        mentions=("@bob",),
        links=("https://example.com",),
        edited_at=at(5),
        reply_to="mastodon:0",
        author=dataclasses.replace(full.post.author, name="Alice", followers=7, url="https://example.com/a"),
    )
    for post in (full, make("bare", author=None, raw={}), EnrichedPost(edited, full.enrichment)):
        expected = orjson.dumps(post, default=codec._default, option=orjson.OPT_NON_STR_KEYS)
        assert codec.dump_post(post) == expected
        back = codec.load_post(expected)
        assert back.enrichment == post.enrichment
        assert dataclasses.replace(back.post, raw=None) == dataclasses.replace(post.post, raw=None)
