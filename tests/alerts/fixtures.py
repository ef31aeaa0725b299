"""Fixtures shared by the notifier and engine tests (imported by their conftest modules)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.alerts.servers import ChannelServer, SmtpServer, self_signed


@pytest.fixture
async def channels() -> AsyncIterator[ChannelServer]:
    server = await ChannelServer().start()
    yield server
    await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def smtp(tls_files: tuple[Path, Path]) -> AsyncIterator[SmtpServer]:
    server = await SmtpServer(*tls_files).start()
    yield server
    await server.close()
