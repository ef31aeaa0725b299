"""`trendwatch crawl NAME -c CONFIG`: one round of a configured spider source, printed.

For trying a `telegram` or `website` source out (selectors, channels, politeness) before the
service runs it: the round runs exactly as under `trendwatch run` (a Scrapy child process, the
same cursor logic), shows its progress, then prints the posts it got and a summary of pages,
drops and problems. Nothing is stored; `--cursor-file` keeps the cursor between runs so a second
run fetches only what is new.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from crawlers.http import create_session
from crawlers.plugins import SOURCES
from crawlers.spiders.sources import RoundStats, SpiderSource
from trendwatch.config import PluginConfig, Settings, load_config
from trendwatch.errors import NotConfigured, SourceError
from trendwatch.models import Post
from trendwatch.service import logs, plugins
from trendwatch.timeutil import DisplayClock


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl)


def crawl(
    name: Annotated[str, typer.Argument(help="Name of a telegram or website source in CONFIG.", metavar="NAME")],
    config: Annotated[
        Path,
        typer.Option("--config", "-c", help="The YAML configuration.", envvar="TRENDWATCH_CONFIG", metavar="CONFIG"),
    ],
    cursor_file: Annotated[
        Path | None,
        typer.Option(
            "--cursor-file",
            help="Resume from the cursor saved in FILE (if it exists) and save the new one there after "
            "each batch, so the next run fetches only what is new.",
            metavar="FILE",
        ),
    ] = None,
    show: Annotated[int, typer.Option("--show", min=0, help="Posts to print, newest first (0: none).")] = 20,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print every post as one JSON line instead of a table.")
    ] = False,
) -> None:
    """Run one round of the spider source NAME and print what it got.

    Without --cursor-file the round starts fresh: a telegram source backfills its configured
    period, a website source reads up to max_items pages per site. Nothing is stored.
    """
    # Only the sources are validated: trying a spider out should not wait on, say, a notifier's
    # webhook being configured. `trendwatch check-config` checks the whole file.
    settings = load_config(config, {"sources": plugins.REGISTRIES["sources"]})
    plugin = _spider_source(settings, name, config)
    cursor = _read_cursor(cursor_file)
    out = Console(soft_wrap=True)
    err = Console(stderr=True)
    logs.configure(settings.logging)  # to stderr, beside the progress: stdout is for the posts
    if not plugin.enabled:
        err.print(f"note: source {name!r} is disabled in {config}; crawling it anyway", highlight=False)
    posts, stats, error = asyncio.run(_round(settings, plugin, cursor, cursor_file, err))
    if as_json:
        for post in posts:
            out.out(_json(post), highlight=False)
    elif show:
        _table(out, posts, show, settings.display.clock())
    _summary(err, name, plugin.type, stats, len(posts), cursor_file, error)
    if error is not None:
        raise typer.Exit(1)


def _spider_source(settings: Settings, name: str, config: Path) -> PluginConfig:
    sources = {p.name: p for p in settings.sources}
    spiders = sorted(n for n, p in sources.items() if issubclass(SOURCES.get(p.type), SpiderSource))
    plugin = sources.get(name)
    if plugin is None:
        known = ", ".join(spiders) or "none"
        raise typer.BadParameter(f"{config} has no source named {name!r} (spider sources there: {known})")
    if not issubclass(SOURCES.get(plugin.type), SpiderSource):
        raise typer.BadParameter(
            f"{name!r} is a {plugin.type} source, not a spider (telegram, website); try `trendwatch poll {name} --once`"
        )
    return plugin


def _read_cursor(path: Path | None) -> Any:
    if path is None or not path.exists():
        return None
    try:
        return orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise typer.BadParameter(f"cannot read a cursor from {path}: {exc}", param_hint="--cursor-file") from None


def _write_cursor(path: Path, cursor: Any) -> None:
    """Atomically: a run interrupted while writing leaves the previous cursor intact."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(orjson.dumps(cursor, option=orjson.OPT_INDENT_2))
    os.replace(partial, path)


async def _round(
    settings: Settings, plugin: PluginConfig, cursor: Any, cursor_file: Path | None, err: Console
) -> tuple[list[Post], RoundStats, SourceError | None]:
    posts: list[Post] = []
    async with create_session(settings.http) as session:
        try:
            source = SOURCES.get(plugin.type)(plugin.name, plugin.options, session)
        except NotConfigured as exc:
            raise typer.BadParameter(f"source {plugin.name!r} cannot run: {exc}") from None
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=err, transient=err.is_terminal) as progress:
            task = progress.add_task(_progress(plugin.name, source.stats), total=None)

            async def tick() -> None:
                while True:
                    progress.update(task, description=_progress(plugin.name, source.stats))
                    await asyncio.sleep(0.2)

            ticker = asyncio.create_task(tick())
            error: SourceError | None = None
            batches = source.fetch(cursor)
            try:
                async for batch in batches:
                    posts.extend(batch.posts)
                    if cursor_file is not None:
                        _write_cursor(cursor_file, batch.cursor)
            except SourceError as exc:
                error = exc
            finally:
                await batches.aclose()
                ticker.cancel()
                progress.update(task, description=_progress(plugin.name, source.stats))
    return posts, source.stats, error


def _progress(name: str, stats: RoundStats) -> str:
    counts = [_plural(stats.pages, "page"), _plural(stats.posts, "post"), _plural(stats.problems.total(), "problem")]
    return f"crawling {name}: {' · '.join(counts)}"


def _table(out: Console, posts: list[Post], show: int, clock: DisplayClock) -> None:
    if not posts:
        out.print("no new posts this round")
        return
    newest = sorted(posts, key=lambda p: p.created_at, reverse=True)[:show]
    table = Table("time", "author", "text", "views", title=f"{len(newest)} of {len(posts)} posts", title_justify="left")
    for post in newest:
        author = (post.author.handle or post.author.name or post.author.id) if post.author else "-"
        text = " ".join(f"{post.title}: {post.text}".split()) if post.title else " ".join(post.text.split())
        views = post.engagement.views
        table.add_row(
            clock.format(post.created_at),
            author,
            text[:90] + ("…" if len(text) > 90 else ""),
            clock.number(f"{views:,}") if views is not None else "-",
        )
    out.print(table)


def _summary(
    err: Console, name: str, kind: str, stats: RoundStats, posts: int, cursor_file: Path | None, error: Exception | None
) -> None:
    pages = _plural(stats.pages, "article page" if kind == "website" else "page")
    err.print(f"{name} ({kind}): {_plural(posts, 'post')} from {pages} in {stats.seconds:.1f}s", highlight=False)
    if stats.dropped:
        err.print(f"  dropped: {_counts(stats.dropped)}", highlight=False)
    if stats.problems:
        err.print(f"  problems: {_counts(stats.problems)}", highlight=False)
        err.print(f"    first: {stats.first_problem}", highlight=False, markup=False)
    if stats.summary is not None:
        statuses: Counter[str] = Counter()
        for by_status in stats.summary.responses.values():
            statuses.update(by_status)
        listing = ", ".join(f"{status} ×{n}" for status, n in sorted(statuses.items())) or "none"
        err.print(
            f"  responses: {listing}; retries: {stats.summary.retries}; "
            f"disallowed by robots.txt: {stats.summary.robots_forbidden}; finished: {stats.summary.finish_reason}",
            highlight=False,
        )
    if cursor_file is not None:
        err.print(f"  cursor: saved to {cursor_file}", highlight=False)
    else:
        err.print("  cursor: not kept (pass --cursor-file FILE to fetch only new posts next time)", highlight=False)
    if error is not None:
        err.print(f"[red]error ({getattr(error, 'reason', 'error')}):[/red] {error}", highlight=False)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{reason} ×{n}" for reason, n in counter.most_common())


def _json(post: Post) -> str:
    data = {f.name: getattr(post, f.name) for f in dataclasses.fields(post) if f.name != "raw"}
    return orjson.dumps(data, default=_plain).decode()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")
