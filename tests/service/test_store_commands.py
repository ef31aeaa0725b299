"""`trendwatch search`, `export`, `reindex` and `trendwatch store ...` on real stores."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from typer.testing import CliRunner

from indexer import codec
from indexer.sqlite import SqliteStore
from tests.indexer.factory import at, make
from tests.indexer.fake_es import FakeElasticsearch
from trendwatch.models import Alert
from trendwatch.service.cli import app
from trendwatch.service.commands import export_files
from trendwatch.timeutil import utcnow

runner = CliRunner()
POSTS = [
    make(i, f"{'late delivery' if i % 3 == 0 else 'great prices'} number {i}", when=at(i * 10),
         brands=["Digikala"] if i % 2 else ["Torob"], hashtags=["#deal"] if i % 5 == 0 else [],
         lang="fa" if i % 4 == 0 else "en", likes=i)
    for i in range(2500)
]  # fmt: skip


def _alert(minute: int, status: str) -> Alert:
    return Alert(
        rule="spike", kind="brand", subject="Digikala", metric="posts", status=status,  # type: ignore[arg-type]
        severity="warning", direction="up", started_at=at(0), at=at(minute), expected=1, observed=5, score=0.9, z=3,
    )  # fmt: skip


async def _fill(path: Path, posts: list[Any] = POSTS) -> None:
    store = SqliteStore(SqliteStore.Options(path=path))
    await store.open()
    await store.upsert(posts)
    await store.set_state("cursor:news", {"etag": "e1"})
    await store.set_state("alert:spike|Digikala", {"state": "open"})
    await store.record_alert(_alert(5, "open"))
    await store.record_alert(_alert(9, "resolved"))
    await store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "tw.db"
    asyncio.run(_fill(path))
    return path


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


# --------------------------------------------------------------------------- search


def test_search_prints_matches_newest_first(db: Path) -> None:
    result = invoke("search", "late AND lang:fa", "--store", f"sqlite:{db}", "-n", "3", "--json")
    assert result.exit_code == 0, result.output
    ids = [json.loads(line)["post"]["id"] for line in result.stdout.splitlines()]
    assert ids == ["mastodon:2496", "mastodon:2484", "mastodon:2472"]
    table = invoke("search", "#deal", "--store", f"sqlite:{db}", "-n", "2")
    assert "mastodon:2495" in table.stdout
    assert "2 posts" in table.stdout


def test_search_points_at_a_malformed_query(db: Path) -> None:
    result = runner.invoke(app, ["search", "late AND (prices", "--store", f"sqlite:{db}"])
    assert result.exit_code == 2
    assert "missing ')'" in result.output
    assert "position 9" in result.output


def test_a_store_must_be_named_once(db: Path, tmp_path: Path) -> None:
    assert runner.invoke(app, ["search", "late"]).exit_code == 2
    missing = runner.invoke(app, ["search", "late", "--store", f"sqlite:{tmp_path / 'nope.db'}"])
    assert missing.exit_code == 1
    assert "no such database" in missing.output
    odd = runner.invoke(app, ["search", "late", "--store", "mysql:x"])
    assert odd.exit_code == 2
    assert "unknown store 'mysql'" in odd.output


# --------------------------------------------------------------------------- export


def test_export_ndjson_is_lossless(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.ndjson"
    result = invoke("export", "--store", f"sqlite:{db}", "-o", str(out))
    assert result.exit_code == 0, result.output
    exported = [codec.load_post(line) for line in out.read_text().splitlines()]
    assert sorted(exported, key=lambda p: p.post.created_at) == POSTS
    assert not out.with_name("all.ndjson.progress.json").exists()


def test_export_csv_and_parquet_with_a_query(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "late.csv"
    assert (
        invoke("export", "--store", f"sqlite:{db}", "-f", "csv", "-q", "late brand:torob", "-o", str(out)).exit_code
        == 0
    )
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    expected = [p for p in POSTS if "late" in p.post.text and "Torob" in p.enrichment.brands]
    assert sorted(r["id"] for r in rows) == sorted(p.id for p in expected)
    assert rows[0].keys() == set(export_files.COLUMNS)
    pq = pytest.importorskip("pyarrow.parquet")
    parquet = tmp_path / "recent.parquet"
    assert invoke("export", "--store", f"sqlite:{db}", "-f", "parquet", "--since", at(24000).isoformat(),
                  "-o", str(parquet)).exit_code == 0  # fmt: skip
    table = pq.read_table(parquet)
    assert table.num_rows == sum(p.post.created_at >= at(24000) for p in POSTS)
    assert table.schema.field("likes").type.bit_width == 64


def test_an_interrupted_export_resumes_without_repeats(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "resumed.ndjson"
    with monkeypatch.context() as patch:
        _interrupt_after(patch)
        first = runner.invoke(app, ["export", "--store", f"sqlite:{db}", "-o", str(out)])
    assert first.exit_code == 130
    assert not out.exists()
    assert out.with_name("resumed.ndjson.progress.json").exists()
    second = invoke("export", "--store", f"sqlite:{db}", "-o", str(out))
    assert second.exit_code == 0, second.output
    assert "(resumed)" in second.output
    ids = [json.loads(line)["post"]["id"] for line in out.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == len(POSTS)


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, pages: int = 1) -> None:
    """Ctrl-C when the page after `pages` pages is about to be written."""
    original = export_files.ExportWriter.write
    calls = {"n": 0}

    def interrupted(self: Any, posts: list[Any]) -> None:
        calls["n"] += 1
        if calls["n"] == pages + 1:
            raise KeyboardInterrupt
        original(self, posts)

    monkeypatch.setattr(export_files.ExportWriter, "write", interrupted)


def test_a_page_written_after_the_last_checkpoint_is_not_repeated(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bug: the page was written before the checkpoint, so a kill between the two left a page
    the checkpoint did not cover, and the resumed export wrote it again."""
    whole = tmp_path / "whole.ndjson"
    assert invoke("export", "--store", f"sqlite:{db}", "-o", str(whole)).exit_code == 0
    lines = whole.read_text().splitlines(keepends=True)
    out = tmp_path / "killed.ndjson"
    with monkeypatch.context() as patch:
        _interrupt_after(patch)
        assert runner.invoke(app, ["export", "--store", f"sqlite:{db}", "-o", str(out)]).exit_code == 130
    partial = out.with_name("killed.ndjson.partial")
    done = len(partial.read_text().splitlines())
    assert 0 < done < len(lines)
    # What a kill after writing the second page but before its checkpoint leaves on disk.
    with partial.open("a", encoding="utf-8") as handle:
        handle.write("".join(lines[done : done + 1000]))
    resumed = invoke("export", "--store", f"sqlite:{db}", "-o", str(out))
    assert "(resumed)" in resumed.output
    assert out.read_text() == whole.read_text()


def test_a_torn_checkpoint_starts_the_export_over(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: a checkpoint cut short by a kill made every later run crash on its JSON."""
    out = tmp_path / "torn.csv"
    with monkeypatch.context() as patch:
        _interrupt_after(patch)
        assert runner.invoke(app, ["export", "--store", f"sqlite:{db}", "-f", "csv", "-o", str(out)]).exit_code == 130
    checkpoint = out.with_name("torn.csv.progress.json")
    checkpoint.write_text(checkpoint.read_text()[:20])
    again = invoke("export", "--store", f"sqlite:{db}", "-f", "csv", "-o", str(out))
    assert again.exit_code == 0, again.output
    assert "(resumed)" not in again.output
    ids = [row["id"] for row in csv.DictReader(out.open(encoding="utf-8"))]
    assert sorted(ids) == sorted(p.id for p in POSTS)
    assert not checkpoint.exists()


def test_a_fresh_parquet_export_ignores_parts_left_by_another_job(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bug: an export that did not resume merged the parts an interrupted other job had left."""
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "recent.parquet"
    with monkeypatch.context() as patch:
        _interrupt_after(patch, pages=2)
        other = runner.invoke(app, ["export", "--store", f"sqlite:{db}", "-f", "parquet", "-o", str(out)])
        assert other.exit_code == 130
    assert len(list(out.with_name("recent.parquet.parts").glob("part-*.parquet"))) == 2
    since = at(24000).isoformat()  # the last 100 posts: one page, one part
    result = invoke("export", "--store", f"sqlite:{db}", "-f", "parquet", "--since", since, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "(resumed)" not in result.output
    ids = pq.read_table(out).column("id").to_pylist()
    assert sorted(ids) == sorted(p.id for p in POSTS if p.post.created_at >= at(24000))
    assert not out.with_name("recent.parquet.parts").exists()


def test_a_parquet_export_missing_a_part_refuses_to_resume(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bug: a resumed parquet export merged whatever parts were left, so a deleted part was a
    page silently missing from the output."""
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "all.parquet"
    with monkeypatch.context() as patch:
        _interrupt_after(patch, pages=2)
        assert (
            runner.invoke(app, ["export", "--store", f"sqlite:{db}", "-f", "parquet", "-o", str(out)]).exit_code == 130
        )
    (out.with_name("all.parquet.parts") / "part-000001.parquet").unlink()
    refused = runner.invoke(app, ["export", "--store", f"sqlite:{db}", "-f", "parquet", "-o", str(out)])
    assert refused.exit_code == 2
    assert "cannot resume" in refused.output
    assert "fewer parts than its checkpoint says (2)" in refused.output
    assert not out.exists()
    again = invoke("export", "--store", f"sqlite:{db}", "-f", "parquet", "-o", str(out), "--restart")
    assert again.exit_code == 0, again.output
    assert sorted(pq.read_table(out).column("id").to_pylist()) == sorted(p.id for p in POSTS)


def test_an_export_since_an_age_resumes(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: `--since 3650d` was kept resolved to a time, which differs on the next run, so the
    export never resumed."""
    out = tmp_path / "recent.ndjson"
    args = ["export", "--store", f"sqlite:{db}", "--since", "3650d", "-o", str(out)]
    with monkeypatch.context() as patch:
        _interrupt_after(patch)
        assert runner.invoke(app, args).exit_code == 130
    second = invoke(*args)
    assert second.exit_code == 0, second.output
    assert "(resumed)" in second.output
    ids = [json.loads(line)["post"]["id"] for line in out.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == len(POSTS)


def test_export_refuses_to_overwrite(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.ndjson"
    out.write_text("keep me")
    result = runner.invoke(app, ["export", "--store", f"sqlite:{db}", "-o", str(out)])
    assert result.exit_code == 2
    assert out.read_text() == "keep me"


# --------------------------------------------------------------------------- reindex


async def _snapshot(path: Path) -> tuple[int, dict[str, Any], list[Alert]]:
    store = SqliteStore(SqliteStore.Options(path=path, read_only=True))
    await store.open()
    try:
        states = {k: v for k, v in (await store.get_states("")).items() if not k.startswith("reindex:")}
        return await store.count(), states, await store.alerts(limit=100_000)
    finally:
        await store.close()


@contextlib.contextmanager
def interrupted_at_the_second_write(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Ctrl-C (KeyboardInterrupt) in the destination store's second upsert, while inside."""
    original = SqliteStore.upsert
    calls = {"n": 0}

    async def interrupted(self: SqliteStore, posts: list[Any]) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return await original(self, posts)

    with monkeypatch.context() as patch:
        patch.setattr(SqliteStore, "upsert", interrupted)
        yield


def test_reindex_copies_posts_state_and_alerts_and_resumes(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "copy.db"
    with interrupted_at_the_second_write(monkeypatch):
        first = runner.invoke(app, ["reindex", "--from", f"sqlite:{db}", "--to", f"sqlite:{target}"])
    assert first.exit_code == 130
    second = invoke("reindex", "--from", f"sqlite:{db}", "--to", f"sqlite:{target}")
    assert second.exit_code == 0, second.output
    assert "copied 2,500 posts, 2 state keys and 2 alert events" in second.output
    assert asyncio.run(_snapshot(target)) == asyncio.run(_snapshot(db))
    again = invoke("reindex", "--from", f"sqlite:{db}", "--to", f"sqlite:{target}", "--restart")
    assert again.exit_code == 0
    assert asyncio.run(_snapshot(target))[0] == 2500  # idempotent: no post twice


def test_reindex_run_again_after_it_finished_copies_the_state_again(db: Path, tmp_path: Path) -> None:
    """Bug: the place of a finished reindex was kept, so running it again later "resumed" it:
    the state keys and alerts, marked done, were not copied again."""
    target = tmp_path / "later.db"
    assert invoke("reindex", "--from", f"sqlite:{db}", "--to", f"sqlite:{target}").exit_code == 0

    async def new_cursor() -> None:
        store = SqliteStore(SqliteStore.Options(path=db))
        await store.open()
        await store.set_state("cursor:later", {"etag": "new"})
        await store.close()

    asyncio.run(new_cursor())
    again = invoke("reindex", "--from", f"sqlite:{db}", "--to", f"sqlite:{target}")
    assert again.exit_code == 0, again.output
    assert "copied 2,500 posts, 3 state keys and 2 alert events" in again.output
    assert asyncio.run(_snapshot(target)) == asyncio.run(_snapshot(db))


def test_reindexing_twice_records_each_alert_event_once(db: Path, tmp_path: Path) -> None:
    """Bug: every --restart run appended the alert history again (two runs: two events per event)."""
    target = tmp_path / "twice.db"
    for _ in range(2):
        result = invoke("reindex", "--from", f"sqlite:{db}", "--to", f"sqlite:{target}", "--restart")
        assert result.exit_code == 0, result.output
    assert asyncio.run(_snapshot(target))[2] == asyncio.run(_snapshot(db))[2]


@pytest.mark.parametrize("events", [10_000, 10_001])
def test_reindex_copies_the_whole_alert_history(tmp_path: Path, events: int) -> None:
    """Bug: only the newest 10,000 alert events were copied, silently; then exactly 10,000 from
    SQLite (no cap) were warned about as if the store had capped its answer."""
    source, target = tmp_path / "many.db", tmp_path / "many-copy.db"

    async def fill() -> None:
        store = SqliteStore(SqliteStore.Options(path=source))
        await store.open()
        for minute in range(events):
            await store.record_alert(_alert(minute, "open" if minute % 2 else "updated"))
        await store.close()

    asyncio.run(fill())
    result = invoke("reindex", "--from", f"sqlite:{source}", "--to", f"sqlite:{target}")
    assert result.exit_code == 0, result.output
    assert f"{events:,} alert events" in result.output
    assert "warning" not in result.output
    copied = asyncio.run(_snapshot(target))[2]
    assert copied == asyncio.run(_snapshot(source))[2]
    assert copied[-1].at == at(0), "the oldest event too"


def test_reindex_since_an_age_resumes(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug: the place was kept under a hash of the resolved `--since 3650d`, a different time on
    every run, so an interrupted reindex started over under a new key instead of resuming."""
    target = tmp_path / "since.db"
    original = SqliteStore.upsert
    args = ["reindex", "--from", f"sqlite:{db}", "--to", f"sqlite:{target}", "--since", "3650d"]
    with interrupted_at_the_second_write(monkeypatch):
        assert runner.invoke(app, args).exit_code == 130
    writes = {"n": 0}

    async def counted(self: SqliteStore, posts: list[Any]) -> Any:
        writes["n"] += 1
        return await original(self, posts)

    monkeypatch.setattr(SqliteStore, "upsert", counted)
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert writes["n"] == 2, "resumed after the first of three pages"
    assert asyncio.run(_snapshot(target))[0] == len(POSTS)


@pytest.fixture
async def cluster() -> AsyncIterator[FakeElasticsearch]:
    fake = FakeElasticsearch()
    application = web.Application(client_max_size=64 * 2**20)
    application.router.add_route("*", "/{tail:.*}", fake.handle)
    app_runner = web.AppRunner(application)
    await app_runner.setup()
    site = web.TCPSite(app_runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield fake
    await app_runner.cleanup()


async def test_reindex_to_elasticsearch(tmp_path: Path, cluster: FakeElasticsearch) -> None:
    source = tmp_path / "small.db"
    await _fill(source, POSTS[:300])

    def run() -> Any:
        return runner.invoke(app, ["reindex", "--from", f"sqlite:{source}", "--to", f"elasticsearch:{cluster.url}",
                                   "--batch", "100"], catch_exceptions=False)  # fmt: skip

    result = await asyncio.to_thread(run)
    assert result.exit_code == 0, result.output
    assert len(cluster.docs) == 300
    assert cluster.state["cursor:news"]["value"] == {"json": {"etag": "e1"}}
    assert len(cluster.alerts) == 2


# --------------------------------------------------------------------------- store maintenance


def test_store_retention_vacuum_and_info(db: Path) -> None:
    info = invoke("store", "info", "--store", f"sqlite:{db}")
    assert "2,500" in info.stdout
    nothing = invoke("store", "retention", "--older-than", "36500d", "--store", f"sqlite:{db}", "--yes")
    assert "deleted 0 posts" in nothing.output
    age = utcnow() - at(3000)  # the cutoff falls inside the posts' span
    older = sum(p.post.created_at < utcnow() - timedelta(seconds=int(age.total_seconds())) for p in POSTS)
    pruned = invoke(
        "store", "retention", "--older-than", f"{int(age.total_seconds())}s", "--store", f"sqlite:{db}", "-y"
    )
    assert pruned.exit_code == 0, pruned.output
    assert f"deleted {older:,} posts" in pruned.output
    vacuumed = invoke("store", "vacuum", "--store", f"sqlite:{db}")
    assert vacuumed.exit_code == 0, vacuumed.output
    assert "MiB ->" in vacuumed.output
    assert "0 unused hashtag and topic names forgotten" in vacuumed.output  # #deal is still counted
    assert asyncio.run(_snapshot(db))[0] == 2500 - older


def test_es_templates_match_the_deploy_files(tmp_path: Path) -> None:
    result = invoke("store", "es-templates", str(tmp_path))
    assert result.exit_code == 0
    deploy = Path(__file__).resolve().parents[2] / "deploy" / "elasticsearch"
    for written in tmp_path.glob("*.json"):
        assert json.loads(written.read_text()) == json.loads((deploy / written.name).read_text())


# --------------------------------------------------------------------------- out-of-range times


@pytest.mark.parametrize(
    ("args", "option", "words"),
    [
        (["export", "-o", "{tmp}/x.ndjson", "--since", "99999999999999d"], "--since", "too long a duration"),
        (["export", "-o", "{tmp}/x.ndjson", "--since", "999999d"], "--since", "before year 1"),
        (["export", "-o", "{tmp}/x.ndjson", "--since", "0001-01-01T00:00+01:00"], "--since", "neither a date"),
        (["search", "late", "--until", "99999999999999d"], "--until", "too long a duration"),
        (["reindex", "--from", "sqlite:{db}", "--to", "sqlite:{tmp}/c.db", "--since", "999999d"], "--since",
         "before year 1"),
        (["store", "retention", "-y", "--older-than", "99999999999999d"], "--older-than", "too long a duration"),
        (["store", "retention", "-y", "--older-than", "999999d"], "--older-than", "before year 1"),
    ],
)  # fmt: skip
def test_times_out_of_range_are_usage_errors_naming_the_option(
    db: Path, tmp_path: Path, args: list[str], option: str, words: str
) -> None:
    """Bug: a huge --since or --older-than crashed with OverflowError instead of a usage error."""
    filled = [a.format(tmp=tmp_path, db=db) for a in args]
    if filled[0] != "reindex":
        filled += ["--store", f"sqlite:{db}"]
    result = runner.invoke(app, filled)
    assert result.exit_code == 2, result.output
    assert f"Invalid value for {option}:" in result.output
    assert words in result.output
    assert asyncio.run(_snapshot(db))[0] == len(POSTS), "nothing deleted"
