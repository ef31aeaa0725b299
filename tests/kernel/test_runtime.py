"""The `trendwatch` command sets the collector as trendwatch.runtime says, before any command runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from trendwatch.runtime import GC_THRESHOLDS
from trendwatch.service import cli


@pytest.fixture
def thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's defaults
    yield
    gc.set_threshold(*before)


def test_the_command_makes_full_collections_rarer(thresholds: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.argv", ["trendwatch", "--version"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code in (0, None)
    assert gc.get_threshold() == GC_THRESHOLDS
    assert GC_THRESHOLDS[:2] == (700, 10)  # young collections as CPython's defaults
    assert GC_THRESHOLDS[2] > 10
