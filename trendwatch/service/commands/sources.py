"""`trendwatch sources` and `trendwatch poll`: what sources exist, and trying one out.

`trendwatch sources [TYPE]` lists every registered source type with its one-line description
and its options (type, default, description), read from each class's `Options` model, so the
list can never drift from the code.

`trendwatch poll NAME -c CONFIG --once` runs one round of a configured source exactly as the
service would (same session, same cursor logic), shows its progress, then prints the posts it
got in a table, the problems it counted, and where the cursor went. Nothing is stored, and the
cursor is not saved unless `--cursor-file FILE` asks for it (then the next run resumes there
and fetches only what is new). Without `--once` it keeps polling every `interval`, printing new
posts as they come, until Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sys
import time
import types
import typing
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from prometheus_client import REGISTRY
from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from crawlers.http import create_session
from crawlers.plugins import SOURCES
from crawlers.pollers.base import BaseUrl, base_url
from crawlers.source import EMPTY
from trendwatch.config import LoggingConfig, PluginConfig, Settings, load_config
from trendwatch.errors import NotConfigured, SourceError
from trendwatch.models import Post
from trendwatch.service import logs
from trendwatch.service.commands.round_output import counts, plural, post_json, posts_table, read_cursor, write_cursor
from trendwatch.timeutil import format_duration


def register(app: typer.Typer) -> None:
    app.command("sources")(sources)
    app.command("poll")(poll)


# --------------------------------------------------------------------------- trendwatch sources


def sources(
    kind: Annotated[
        str | None, typer.Argument(help="Show only this source type (e.g. mastodon).", metavar="TYPE")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the catalogue as JSON.")] = False,
) -> None:
    """List every source type with its description and its options (with defaults)."""
    if kind is not None and kind not in SOURCES:
        raise typer.BadParameter(f"unknown source type {kind!r}; known: {', '.join(SOURCES.names())}")
    chosen = [(name, cls) for name, cls in SOURCES if kind in (None, name)]
    if as_json:
        catalogue = {
            name: {"description": cls.description, "options": [o.as_json() for o in describe(cls.Options)]}
            for name, cls in chosen
        }
        typer.echo(orjson.dumps(catalogue, option=orjson.OPT_INDENT_2).decode())
        return
    console = Console()
    for name, cls in chosen:
        table = Table("option", "type", "default", "description", title_justify="left", expand=False)
        table.title = f"[bold]{name}[/bold] — {escape(cls.description)}"
        for option in describe(cls.Options):
            table.add_row(option.name, escape(option.kind), escape(option.default), escape(option.description))
        console.print(table)
        console.print()
    if kind is None:
        console.print(
            "Configure one under [bold]sources:[/bold] with [bold]type:[/bold] and a unique [bold]name:[/bold]; "
            "try it with [bold]trendwatch poll NAME --once -c CONFIG[/bold]. Details: docs/sources.md",
            highlight=False,
        )


@dataclasses.dataclass(frozen=True)
class OptionDoc:
    name: str
    kind: str
    default: str
    description: str

    def as_json(self) -> dict[str, str]:
        return dataclasses.asdict(self)


def describe(model: type[BaseModel]) -> list[OptionDoc]:
    """One line per option of an Options model (its own options first, then the shared ones):
    name, type, default, description."""
    order: list[str] = []
    for cls in model.__mro__:
        order += [n for n in getattr(cls, "__annotations__", {}) if n in model.model_fields and n not in order]
    return [
        OptionDoc(name, _kind(info), default_text(info), info.description or "")
        for name in order
        for info in [model.model_fields[name]]
    ]


def _kind(info: FieldInfo) -> str:
    # pydantic keeps an Annotated field's validators in `metadata`, not in the annotation
    if any(getattr(m, "func", None) is base_url for m in info.metadata):
        return "url"
    return type_name(info.annotation)


def type_name(annotation: Any) -> str:
    """A short, human name for an option's type: `list[str]`, `duration`, `secret`, `a | b`."""
    if annotation == BaseUrl:
        return "url"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return type_name(args[0])
    if annotation is timedelta:
        return "duration"
    if annotation is SecretStr:
        return "secret"
    if origin is typing.Literal:
        return " | ".join(str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args if a is not type(None)) + (
            " (optional)" if type(None) in args else ""
        )
    if origin in (list, tuple, set):
        return f"list[{type_name(args[0])}]" if args else "list"
    if origin is dict:
        return f"map[{type_name(args[0])} → {type_name(args[1])}]" if args else "map"
    return getattr(annotation, "__name__", str(annotation))


def default_text(info: FieldInfo) -> str:
    value = info.default_factory() if info.default_factory is not None else info.get_default()  # type: ignore[call-arg]
    if value is None:
        return "-"
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, SecretStr):
        return "(set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | dict):
        return orjson.dumps(value).decode() if value else ("[]" if not isinstance(value, dict) else "{}")
    return str(value)


# --------------------------------------------------------------------------- trendwatch poll


def poll(
    name: Annotated[str, typer.Argument(help="Name of a source in CONFIG.", metavar="NAME")],
    config: Annotated[
        Path,
        typer.Option("--config", "-c", help="The YAML configuration.", envvar="TRENDWATCH_CONFIG", metavar="CONFIG"),
    ],
    once: Annotated[bool, typer.Option("--once", help="Fetch one round and stop (else poll until Ctrl-C).")] = False,
    cursor_file: Annotated[
        Path | None,
        typer.Option(
            "--cursor-file",
            help="Resume from the cursor saved in FILE (if it exists) and save the new one there after each "
            "batch. Without it nothing is saved and every run starts with the source's backfill.",
            metavar="FILE",
        ),
    ] = None,
    show: Annotated[int, typer.Option("--show", min=0, help="Posts to print per round, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print every post as one JSON line instead.")] = False,
) -> None:
    """Fetch from the source NAME as the service would, and print what it got. Nothing is stored."""
    # Only the sources are validated: trying a source should not wait on, say, a notifier's secret.
    settings = load_config(config, {"sources": SOURCES})
    plugin = _source_config(settings, name, config)
    cursor = read_cursor(cursor_file)
    out, err = Console(soft_wrap=True), Console(stderr=True)
    logs.configure(LoggingConfig(level="warning"), stream=sys.stderr)
    if not plugin.enabled:
        err.print(f"note: source {name!r} is disabled in {config}; polling it anyway", highlight=False)
    try:
        failed = asyncio.run(_poll(settings, plugin, cursor, cursor_file, once, show, as_json, out, err))
    except KeyboardInterrupt:
        err.print("stopped", highlight=False)
        failed = False
    if failed:
        raise typer.Exit(1)


def _source_config(settings: Settings, name: str, config: Path) -> PluginConfig:
    found = {p.name: p for p in settings.sources}
    if name not in found:
        known = ", ".join(sorted(found)) or "none"
        raise typer.BadParameter(f"{config} has no source named {name!r} (sources there: {known})")
    return found[name]


@dataclasses.dataclass
class RoundResult:
    posts: list[Post]
    batches: int
    seconds: float
    problems: Counter[str]
    error: SourceError | None


async def _poll(
    settings: Settings,
    plugin: PluginConfig,
    cursor: Any,
    cursor_file: Path | None,
    once: bool,
    show: int,
    as_json: bool,
    out: Console,
    err: Console,
) -> bool:
    """Rounds until told to stop; True when the last round failed."""
    clock = settings.display.clock()
    async with create_session(settings.http) as session:
        try:
            source = SOURCES.get(plugin.type)(plugin.name, plugin.options, session)
        except NotConfigured as exc:
            raise typer.BadParameter(f"source {plugin.name!r} cannot run: {exc}") from None
        while True:
            result, cursor = await _round(source, cursor, cursor_file, err)
            if as_json:
                for post in result.posts:
                    out.out(post_json(post), highlight=False)
            elif show:
                posts_table(out, result.posts, show, clock, plugin.name)
            _summary(err, plugin, result, cursor_file)
            if once:
                return result.error is not None
            wait = source.interval.total_seconds()
            err.print(f"next round in {format_duration(source.interval)} (Ctrl-C to stop)", highlight=False)
            await asyncio.sleep(wait)


async def _round(source: Any, cursor: Any, cursor_file: Path | None, err: Console) -> tuple[RoundResult, Any]:
    before = _problems(source.name)
    posts: list[Post] = []
    batches = 0
    error: SourceError | None = None
    started = time.monotonic()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=err.is_terminal) as progress:
        task = progress.add_task(f"polling {source.name}", total=None)
        rounds = source.fetch(cursor)
        try:
            async for batch in rounds:
                batches += 1
                posts.extend(batch.posts)
                cursor = batch.cursor
                if cursor_file is not None:
                    write_cursor(cursor_file, cursor)
                progress.update(task, description=f"polling {source.name}: {plural(len(posts), 'post')}")
        except SourceError as exc:
            error = exc
        finally:
            with contextlib.suppress(Exception):
                await rounds.aclose()
    problems = _problems(source.name) - before
    return RoundResult(posts, batches, time.monotonic() - started, problems, error), cursor


def _problems(source: str) -> Counter[str]:
    """This source's error counters by reason, as /metrics shows them."""
    counts: Counter[str] = Counter()
    for metric in REGISTRY.collect():
        if metric.name != "trendwatch_source_errors":
            continue
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.labels.get("source") == source:
                counts[sample.labels["reason"]] += int(sample.value)
    return counts


def _summary(err: Console, plugin: PluginConfig, result: RoundResult, cursor_file: Path | None) -> None:
    err.print(
        f"{plugin.name} ({plugin.type}): {plural(len(result.posts), 'post')} in "
        f"{plural(result.batches, 'batch', 'batches')}, {result.seconds:.1f}s",
        highlight=False,
    )
    problems = Counter({reason: n for reason, n in result.problems.items() if reason != EMPTY})
    if problems:
        err.print(f"  problems (skipped and counted): {counts(problems)}", highlight=False)
    if result.problems[EMPTY]:
        err.print(f"  queries with nothing new: {result.problems[EMPTY]}", highlight=False)
    if cursor_file is not None:
        err.print(f"  cursor: saved to {cursor_file}", highlight=False)
    else:
        err.print("  cursor: not saved (pass --cursor-file FILE to fetch only new posts next time)", highlight=False)
    if result.error is not None:
        err.print(f"[red]round failed ({result.error.reason}):[/red] {escape(str(result.error))}", highlight=False)
