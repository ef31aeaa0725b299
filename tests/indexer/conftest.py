"""Store fixtures: every behaviour test runs on each backend.

SQLite always runs. Elasticsearch runs when TRENDWATCH_ES_URL points at a cluster (each test
gets its own index prefix, deleted afterwards); otherwise its cases are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from indexer.sqlite import SqliteStore

ES_URL = os.environ.get("TRENDWATCH_ES_URL", "")
ES_SKIP = "Elasticsearch: set TRENDWATCH_ES_URL=http://host:9200 to run the behaviour suite against a live cluster"

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "elasticsearch", id="elasticsearch", marks=[pytest.mark.live_es, pytest.mark.skipif(not ES_URL, reason=ES_SKIP)]
    ),
]


class Backend:
    """Builds, reopens and cleans up stores of one kind for a test."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.tmp_path = tmp_path
        self.prefix = f"tw-test-{uuid.uuid4().hex[:10]}"
        self.opened: list[Any] = []

    def make(self, **options: Any) -> Any:
        if self.kind == "sqlite":
            return SqliteStore(SqliteStore.Options(path=self.tmp_path / "store.db", **options))
        from indexer.elastic import ElasticStore

        return ElasticStore(ElasticStore.Options(url=ES_URL, prefix=self.prefix, refresh="wait_for", **options))

    async def open(self, **options: Any) -> Any:
        store = self.make(**options)
        await store.open()
        self.opened.append(store)
        return store

    async def cleanup(self) -> None:
        for store in self.opened:
            await store.close()
        if self.kind == "elasticsearch":
            from indexer.elastic import ElasticStore

            admin = ElasticStore(ElasticStore.Options(url=ES_URL, prefix=self.prefix))
            await admin.open()
            await admin.drop_everything()
            await admin.close()


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    b = Backend(request.param, tmp_path)
    yield b
    await b.cleanup()


@pytest.fixture
async def store(backend: Backend) -> Any:
    return await backend.open()


Reopen = Callable[[Any], Awaitable[Any]]


@pytest.fixture
def reopen(backend: Backend) -> Reopen:
    async def again(store: Any) -> Any:
        await store.close()
        backend.opened.remove(store)
        return await backend.open()

    return again
