"""What `trendwatch poll` and `trendwatch crawl` share: the cursor file between runs and how a
round's posts are shown (a table, or JSON lines)."""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from trendwatch.models import Post
from trendwatch.timeutil import DisplayClock


def read_cursor(path: Path | None) -> Any:
    """The cursor saved by an earlier run, or None (first run, or no --cursor-file)."""
    if path is None or not path.exists():
        return None
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise typer.BadParameter(f"cannot read a cursor from {path}: {exc}", param_hint="--cursor-file") from None


def write_cursor(path: Path, cursor: Any) -> None:
    """Atomically: an interrupted write leaves the previous cursor intact."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(orjson.dumps(cursor, option=orjson.OPT_INDENT_2))
    os.replace(partial, path)


def posts_table(out: Console, posts: list[Post], show: int, clock: DisplayClock, name: str) -> None:
    """The newest `show` posts as a table; post text is untrusted, so it is never read as markup."""
    if not posts:
        out.print(f"{name}: no new posts this round", highlight=False)
        return
    newest = sorted(posts, key=lambda p: p.created_at, reverse=True)[:show]
    table = Table(
        "time", "platform", "author", "text", "likes", "reposts", "replies", "views",
        title=f"{name}: {len(newest)} of {len(posts)} posts, newest first", title_justify="left",
    )  # fmt: skip
    for post in newest:
        author = (post.author.handle or post.author.name or post.author.id) if post.author else "-"
        text = " ".join(f"{post.title} — {post.text}".split()) if post.title and post.title != post.text else None
        text = text or " ".join(post.text.split())
        counts = [post.engagement.likes, post.engagement.reposts, post.engagement.replies, post.engagement.views]
        table.add_row(
            clock.format(post.created_at),
            post.platform,
            escape(author),
            escape(text[:100] + ("…" if len(text) > 100 else "")),
            *(clock.number(f"{c:,}") if c is not None else "-" for c in counts),
        )
    out.print(table)


def counts(counter: Counter[str]) -> str:
    """`reason ×n, ...`, most first."""
    return ", ".join(f"{reason} ×{n}" for reason, n in counter.most_common())


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {plural_form or noun + 's'}"


def post_json(post: Post) -> str:
    """One post as a JSON line (without its raw payload)."""
    data = {f.name: getattr(post, f.name) for f in dataclasses.fields(post) if f.name != "raw"}
    return orjson.dumps(data, default=_plain).decode()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
