"""Fixtures the service tests share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from indexer.sqlite import SqliteStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """An empty SQLite store, open (test modules that need one filled define their own)."""
    store = SqliteStore(SqliteStore.Options(path=tmp_path / "s.db"))
    await store.open()
    yield store
    await store.close()
