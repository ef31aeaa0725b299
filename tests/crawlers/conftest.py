"""Fixtures for source tests: a polite session with test timings, a scripted local server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from crawlers.http import create_session
from tests.crawlers.helpers import Script, fast_http


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with create_session(fast_http()) as s:
        yield s


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
async def server(aiohttp_server: Callable[..., Any], script: Script) -> TestServer:
    started: TestServer = await aiohttp_server(script.app())
    return started
