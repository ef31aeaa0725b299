"""`trendwatch crawl NAME -c CONFIG`: one round of a configured spider source, printed.

For trying a `telegram` or `website` source out (selectors, channels, politeness) before the
service runs it: the round runs exactly as under `trendwatch run` (a Scrapy child process, the
same cursor logic), shows its progress, then prints the posts it got and a summary of pages,
drops and problems. Nothing is stored; `--cursor-file` keeps the cursor between runs so a second
run fetches only what is new.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from crawlers.http import create_session
from crawlers.plugins import SOURCES
from crawlers.spiders.sources import RoundStats, SpiderSource
from trendwatch.config import PluginConfig, Settings, load_config
from trendwatch.errors import NotConfigured, SourceError
from trendwatch.models import Post
from trendwatch.service import logs, plugins
from trendwatch.service.commands.round_output import counts, plural, post_json, posts_table, read_cursor, write_cursor


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
    cursor = read_cursor(cursor_file)
    out = Console(soft_wrap=True)
    err = Console(stderr=True)
    logs.configure(settings.logging)  # to stderr, beside the progress: stdout is for the posts
    if not plugin.enabled:
        err.print(f"note: source {name!r} is disabled in {config}; crawling it anyway", highlight=False)
    posts, stats, error = asyncio.run(_round(settings, plugin, cursor, cursor_file, err))
    if as_json:
        for post in posts:
            out.out(post_json(post), highlight=False)
    elif show:
        posts_table(out, posts, show, settings.display.clock(), name)
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
                        write_cursor(cursor_file, batch.cursor)
            except SourceError as exc:
                error = exc
            finally:
                await batches.aclose()
                ticker.cancel()
                progress.update(task, description=_progress(plugin.name, source.stats))
    return posts, source.stats, error


def _progress(name: str, stats: RoundStats) -> str:
    counts = [plural(stats.pages, "page"), plural(stats.posts, "post"), plural(stats.problems.total(), "problem")]
    return f"crawling {name}: {' · '.join(counts)}"


def _summary(
    err: Console, name: str, kind: str, stats: RoundStats, posts: int, cursor_file: Path | None, error: Exception | None
) -> None:
    pages = plural(stats.pages, "article page" if kind == "website" else "page")
    err.print(f"{name} ({kind}): {plural(posts, 'post')} from {pages} in {stats.seconds:.1f}s", highlight=False)
    if stats.dropped:
        err.print(f"  dropped: {counts(stats.dropped)}", highlight=False)
    if stats.problems:
        err.print(f"  problems: {counts(stats.problems)}", highlight=False)
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
