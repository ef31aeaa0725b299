"""Shared test helpers: where the shared (read-only) data lives, and a skip when it is absent."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

ROOT = Path(__file__).resolve().parents[1]


def _find_shared() -> Path:
    """$TRENDWATCH_SHARED, else ../shared next to the checkout (or next to the main checkout
    when this is a git worktree)."""
    if "TRENDWATCH_SHARED" in os.environ:
        return Path(os.environ["TRENDWATCH_SHARED"])
    candidates = [ROOT.parent / "shared"]
    git = ROOT / ".git"
    if git.is_file():  # a worktree: ".git" names the main repository's git directory
        gitdir = Path(git.read_text(encoding="utf-8").split(":", 1)[1].strip())
        candidates.append(gitdir.parents[2].parent / "shared")
    return next((c for c in candidates if c.exists()), candidates[0])


SHARED = _find_shared()


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (set TRENDWATCH_SHARED to its location)")
    return path


@pytest.fixture(autouse=True)
def _isolated_logging() -> Iterator[None]:
    """A command run in-process configures logging for the whole process (level filter, root
    handlers); put it back after each test so no test depends on which ran before it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich wraps command output at the terminal width (80 under CliRunner), so a message that
    names a long temporary path would otherwise wrap differently from one run to the next."""
    monkeypatch.setenv("COLUMNS", "250")
