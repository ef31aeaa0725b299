"""Kill the running service in the middle of ingest, start it again: nothing lost, nothing twice.

A real `trendwatch run` process polls a local Mastodon-compatible server (slowed down so a
backfill takes several seconds) into a real SQLite store. It is SIGKILLed once some but not all
posts are stored, then started again and left to finish, then stopped with SIGTERM (which must
be a clean exit). The stored ids must equal the served ids exactly, and every brand's series
total must equal the number of stored posts that mention it (a double-counted re-ingest would
make the two disagree).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer

from indexer.plugins import STORES
from trendwatch.errors import StoreError
from trendwatch.models import SeriesQuery
from trendwatch.service.demo.server import DemoServer, status_json
from trendwatch.service.demo.synthetic import BRANDS, generate

ROOT = Path(__file__).resolve().parents[2]
END = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
STARTUP_TIMEOUT = 90.0

pytestmark = pytest.mark.slow


@pytest.fixture
async def slow_server() -> AsyncIterator[tuple[str, DemoServer]]:
    stream = generate(END, days=2, seed=11)
    demo = DemoServer(stream.posts)
    app = demo.app()

    @web.middleware
    async def slow(request: web.Request, handler):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.15)
        return await handler(request)

    app.middlewares.append(slow)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), demo
    finally:
        await server.close()


def _config(tmp: Path, base_url: str) -> Path:
    config = {
        "brand": {"name": BRANDS[0].name, "aliases": list(BRANDS[0].aliases), "handles": list(BRANDS[0].handles)},
        "competitors": [{"name": b.name, "aliases": list(b.aliases), "handles": list(b.handles)} for b in BRANDS[1:]],
        "store": {"type": "sqlite", "path": str(tmp / "tw.db")},
        "sources": [
            {
                "type": "mastodon",
                "name": "fedi",
                "instances": [base_url],
                "timelines": ["public"],
                "backfill": "3d",
                "max_pages": 1000,
                "interval": "1s",
            }
        ],
        "ingest": {"batch_size": 40},
        "http": {"per_host_rate": 100, "per_host_burst": 10},
        "web": {"port": 0},
        "logging": {"level": "info", "format": "json"},
    }
    path = tmp / "config.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


async def _start(config: Path, log: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "trendwatch", "run", "-c", str(config),
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=log.open("ab"), stderr=asyncio.subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


async def _stored_ids(db: Path) -> set[str]:
    store = STORES.get("sqlite")(STORES.options_model("sqlite")(path=str(db), read_only=True))
    await store.open()
    try:
        since = END - timedelta(days=30)
        return {p.id for p in await store.search("platform:mastodon", since=since, limit=1_000_000)}
    finally:
        await store.close()


async def _wait_for(db: Path, condition, seconds: float) -> set[str]:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    ids: set[str] = set()
    while asyncio.get_running_loop().time() < deadline:
        if await asyncio.to_thread(db.exists):
            try:
                ids = await _stored_ids(db)
            except StoreError:  # created but not migrated yet
                await asyncio.sleep(0.2)
                continue
            if condition(ids):
                return ids
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out with {len(ids)} posts stored")


async def test_sigkill_mid_ingest_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, slow_server: tuple[str, DemoServer]
) -> None:
    base_url, demo = slow_server
    # The mastodon source keys a status by its ActivityPub uri (the same on every instance).
    expected = {f"mastodon:{status_json(p, base_url)['uri']}" for p in demo.statuses}
    assert len(expected) > 600
    config, db, log = _config(tmp_path, base_url), tmp_path / "tw.db", tmp_path / "service.log"

    first = await _start(config, log)
    try:
        partial = await _wait_for(db, lambda ids: len(ids) >= 80, STARTUP_TIMEOUT)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        await first.wait()
    assert len(partial) < len(expected), "the kill came too late to interrupt the ingest"

    second = await _start(config, log)
    try:
        final = await _wait_for(db, lambda ids: ids >= expected, STARTUP_TIMEOUT)
    finally:
        second.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(second.wait(), 30)
    assert code == 0, log.read_text(errors="replace")[-3000:]
    assert final == expected

    store = STORES.get("sqlite")(STORES.options_model("sqlite")(path=str(db)))
    await store.open()
    try:
        posts = await store.get(sorted(final))
        assert len(posts) == len(expected)
        series = await store.series(
            SeriesQuery(kind="brand", step=timedelta(days=1)), END - timedelta(days=5), END + timedelta(days=1)
        )
        totals = {s.subject: sum(b.count for b in s.buckets) for s in series}
        for brand in BRANDS:
            mentioning = sum(brand.name in p.enrichment.brands for p in posts)
            assert mentioning > 0
            assert totals.get(brand.name, 0) == mentioning, brand.name
    finally:
        await store.close()
