"""`trendwatch search`, `export`, `reindex` and `trendwatch store ...` on real stores."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import AsyncIterator
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
from trendwatch.service.commands import store as commands
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
    assert rows[0].keys() == set(commands.COLUMNS)
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
    original = commands._Writer.write
    calls = {"n": 0}

    def interrupted(self: Any, posts: list[Any]) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # Ctrl-C after the first page was written
        original(self, posts)

    monkeypatch.setattr(commands._Writer, "write", interrupted)
    first = runner.invoke(app, ["export", "--store", f"sqlite:{db}", "-o", str(out)])
    assert first.exit_code == 130
    assert not out.exists()
    assert out.with_name("resumed.ndjson.progress.json").exists()
    second = invoke("export", "--store", f"sqlite:{db}", "-o", str(out))
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
        return await store.count(), states, await store.alerts()
    finally:
        await store.close()


def test_reindex_copies_posts_state_and_alerts_and_resumes(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "copy.db"
    original = SqliteStore.upsert
    calls = {"n": 0}

    async def interrupted(self: SqliteStore, posts: list[Any]) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return await original(self, posts)

    monkeypatch.setattr(SqliteStore, "upsert", interrupted)
    first = runner.invoke(app, ["reindex", "--from", f"sqlite:{db}", "--to", f"sqlite:{target}"])
    assert first.exit_code == 130
    monkeypatch.setattr(SqliteStore, "upsert", original)
    second = invoke("reindex", "--from", f"sqlite:{db}", "--to", f"sqlite:{target}")
    assert second.exit_code == 0, second.output
    assert "copied 2,500 posts, 2 state keys and 2 alert events" in second.output
    assert asyncio.run(_snapshot(target)) == asyncio.run(_snapshot(db))
    again = invoke("reindex", "--from", f"sqlite:{db}", "--to", f"sqlite:{target}", "--restart")
    assert again.exit_code == 0
    assert asyncio.run(_snapshot(target))[0] == 2500  # idempotent: no post twice


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
    assert invoke("store", "vacuum", "--store", f"sqlite:{db}").exit_code == 0
    assert asyncio.run(_snapshot(db))[0] == 2500 - older


def test_es_templates_match_the_deploy_files(tmp_path: Path) -> None:
    result = invoke("store", "es-templates", str(tmp_path))
    assert result.exit_code == 0
    deploy = Path(__file__).resolve().parents[2] / "deploy" / "elasticsearch"
    for written in tmp_path.glob("*.json"):
        assert json.loads(written.read_text()) == json.loads((deploy / written.name).read_text())
