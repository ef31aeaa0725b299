"""`poll` and `crawl` print posts as data: rich markup in a post is shown, never interpreted
(bug: the crawl table passed post text to rich unescaped)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import typer
from rich.console import Console

from trendwatch.models import Author, Post
from trendwatch.service.commands.round_output import post_json, posts_table, read_cursor, write_cursor
from trendwatch.timeutil import DisplayClock


def test_markup_in_posts_is_printed_literally() -> None:
    post = Post(
        id="telegram:c/1", platform="telegram", source="t", text="[bold red]fake alarm[/bold red] [link=x]click[/link]",
        created_at=datetime(2026, 1, 1, tzinfo=UTC), author=Author(id="c", handle="[blink]chan[/blink]"),
    )  # fmt: skip
    buffer = io.StringIO()
    posts_table(Console(file=buffer, width=300, color_system=None), [post], 5, DisplayClock(), "tg")
    printed = buffer.getvalue()
    assert "[bold red]fake alarm[/bold red]" in printed
    assert "[blink]chan[/blink]" in printed
    assert orjson.loads(post_json(post))["author"]["handle"] == "[blink]chan[/blink]"


def test_cursor_file_round_trip_and_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "cursor.json"
    assert read_cursor(path) is None
    write_cursor(path, {"v": 1, "queries": {"a": 3}})
    assert read_cursor(path) == {"v": 1, "queries": {"a": 3}}
    assert not (tmp_path / "cursor.json.partial").exists()
    path.write_text("{not json")
    with pytest.raises(typer.BadParameter, match="cannot read a cursor"):
        read_cursor(path)
