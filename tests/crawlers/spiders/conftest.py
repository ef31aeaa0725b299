"""Fixtures for the spider tests: one local web (t.me/s previews, two websites) for the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crawlers.spiders.fake_web import FakeWeb, running


@pytest.fixture(scope="session")
def fake_web() -> Iterator[FakeWeb]:
    yield from running()
