"""Store commands: `trendwatch search`, `export`, `reindex` and `trendwatch store ...`.

A store is named either by a config file (`-c CONFIG`: its `store:` block) or by a spec:
`sqlite:PATH` or `elasticsearch:URL` (credentials for the latter from TRENDWATCH_ES_API_KEY, or
TRENDWATCH_ES_USERNAME and TRENDWATCH_ES_PASSWORD). Long jobs show progress and can be stopped
at any moment: `reindex` keeps its place in the destination's state table and `export` in a
sidecar file, and running the same command again carries on where it stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from indexer import codec
from indexer.plugins import STORES
from trendwatch.errors import ConfigError, NotConfigured, QuerySyntaxError, StoreError
from trendwatch.models import Alert, EnrichedPost
from trendwatch.query import Query, parse
from trendwatch.service import plugins
from trendwatch.service.commands.export_files import Checkpoint, ExportFormat, ExportWriter
from trendwatch.service.commands.times import parse_when
from trendwatch.timeutil import ago, parse_duration, utcnow

store_app = typer.Typer(
    name="store", help="Look after the store: size and health, retention, vacuum, Elasticsearch templates.",
    no_args_is_help=True,
)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("search")(search)
    app.command("export")(export)
    app.command("reindex")(reindex)
    app.add_typer(store_app)


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file whose `store:` block names the store.", metavar="CONFIG"),
]
StoreOption = Annotated[
    str | None,
    typer.Option("--store", "-s", help="Instead of -c: sqlite:PATH or elasticsearch:URL.", metavar="SPEC"),
]
SinceOption = Annotated[
    str | None,
    typer.Option("--since", help="Only posts created at or after this: a date (2026-11-01), a time, or an age (7d)."),
]


# --------------------------------------------------------------------------- naming stores


def store_from_spec(spec: str, *, read_only: bool = False) -> Any:
    """A store (not yet open) from `sqlite:PATH` or `elasticsearch:URL`."""
    kind, sep, target = spec.partition(":")
    if not sep or not target:
        raise typer.BadParameter(f"{spec!r}: write sqlite:PATH or elasticsearch:URL")
    if kind == "sqlite":
        return STORES.get("sqlite")(STORES.options_model("sqlite")(path=Path(target), read_only=read_only))
    if kind in ("elasticsearch", "es"):
        env = os.environ
        options: dict[str, Any] = {"url": target}
        if env.get("TRENDWATCH_ES_API_KEY"):
            options["api_key"] = env["TRENDWATCH_ES_API_KEY"]
        elif env.get("TRENDWATCH_ES_USERNAME"):
            options["username"] = env["TRENDWATCH_ES_USERNAME"]
            options["password"] = env.get("TRENDWATCH_ES_PASSWORD", "")
        if env.get("TRENDWATCH_ES_PREFIX"):
            options["prefix"] = env["TRENDWATCH_ES_PREFIX"]
        return STORES.get("elasticsearch")(STORES.options_model("elasticsearch")(**options))
    raise typer.BadParameter(f"{spec!r}: unknown store {kind!r}; known: sqlite, elasticsearch")


def resolve_store(config: Path | None, spec: str | None, *, read_only: bool = False) -> Any:
    if (config is None) == (spec is None):
        raise typer.BadParameter("name the store with --config CONFIG or --store SPEC (one of them)")
    if spec is not None:
        return store_from_spec(spec, read_only=read_only)
    assert config is not None
    settings = plugins.load(config)
    block = settings.store
    options = block.options
    if read_only and "read_only" in type(options).model_fields:
        options = options.model_copy(update={"read_only": True})
    try:
        return STORES.get(block.type)(options)
    except NotConfigured as exc:
        raise typer.BadParameter(f"{config}: store: {exc}") from None


@asynccontextmanager
async def opened(store: Any) -> AsyncIterator[Any]:
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def parse_since(value: str | None, option: str = "--since") -> datetime | None:
    """An optional `--since`/`--until`: None when not given, else `parse_when`."""
    return None if value is None else parse_when(value, option)


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except (StoreError, ConfigError) as exc:
        Console(stderr=True, highlight=False).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        Console(stderr=True).print("stopped; run the same command again to carry on")
        raise typer.Exit(130) from None


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
        console=console, transient=False,
    )  # fmt: skip


def _query(text: str | None) -> Query | None:
    if text is None:
        return None
    try:
        return parse(text)
    except QuerySyntaxError as exc:
        raise typer.BadParameter(str(exc), param_hint="--query") from None


# --------------------------------------------------------------------------- search


def search(
    query: Annotated[str, typer.Argument(help="The query, e.g. '(late OR \"دیر\") AND brand:digikala'.")],
    config: ConfigOption = None,
    store: StoreOption = None,
    since: SinceOption = None,
    until: Annotated[str | None, typer.Option("--until", help="Only posts created before this.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=10000, help="Most posts to show.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON post per line instead of a table.")] = False,
) -> None:
    """Search stored posts with the query language, newest first.

    AND, OR, NOT, parentheses, "exact phrases", NEAR/n, word*, lang:, platform:, brand:,
    author: and #hashtag; see docs/store.md.
    """
    try:
        parse(query)
    except QuerySyntaxError as exc:
        raise typer.BadParameter(str(exc), param_hint="QUERY") from None
    target = resolve_store(config, store, read_only=True)
    window = parse_since(since), parse_since(until, "--until")

    async def run() -> list[EnrichedPost]:
        async with opened(target) as s:
            found: list[EnrichedPost] = await s.search(query, since=window[0], until=window[1], limit=limit)
            return found

    posts = _run(run())
    if as_json:
        for post in posts:
            sys.stdout.write(codec.dump_post(post).decode() + "\n")
        return
    table = Table("created", "id", "lang", "brands", "text", title=f"{len(posts)} posts", title_justify="left")
    for post in posts:
        text = post.post.text.replace("\n", " ")
        table.add_row(
            post.post.created_at.strftime("%Y-%m-%d %H:%M"),
            post.id,
            post.enrichment.lang,
            ", ".join(post.enrichment.brands),
            text[:100] + ("…" if len(text) > 100 else ""),
        )
    Console().print(table)


# --------------------------------------------------------------------------- export


def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write.", metavar="FILE", show_default=False)],
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="ndjson (lossless), csv or parquet.")] = (
        ExportFormat.ndjson
    ),
    query: Annotated[str | None, typer.Option("--query", "-q", help="Only posts matching this query.")] = None,
    since: SinceOption = None,
    config: ConfigOption = None,
    store: StoreOption = None,
    restart: Annotated[
        bool, typer.Option("--restart", help="Start over instead of resuming an interrupted export.")
    ] = (False),
) -> None:
    """Export stored posts as NDJSON (every field, raw payload included), CSV or Parquet.

    Interrupted? Run the same command again: it resumes from the last page written.
    """
    matcher = _query(query)
    if not out.parent.is_dir():
        raise typer.BadParameter(f"the directory {out.parent} does not exist", param_hint="--out")
    if out.exists() and not restart:
        raise typer.BadParameter(f"{out} exists; remove it or pass --restart to overwrite", param_hint="--out")
    source = resolve_store(config, store, read_only=True)
    checkpoint_file = Checkpoint.path_for(out)
    # The job as typed: `--since 7d` is the same job tomorrow, and resumes from the start it
    # resolved to when it began (kept in the checkpoint), so no page is skipped or repeated.
    job = {"format": fmt.value, "query": query, "since": since, "store": store or str(config)}
    resumed = None if restart else Checkpoint.load(checkpoint_file, job)
    if resumed is None:
        start = parse_since(since)
        checkpoint = Checkpoint(job=job, since=start.isoformat() if start else None)
    else:
        checkpoint = resumed
        start = datetime.fromisoformat(checkpoint.since) if checkpoint.since else None
    console = Console(stderr=True, highlight=False)

    async def run() -> int:
        async with opened(source) as s:
            total = await s.count(since=start)
            writer = ExportWriter(out, fmt, resumed)
            try:
                with _progress(console) as progress:
                    task = progress.add_task("exporting", total=total, completed=checkpoint.seen)
                    async for posts, cursor in s.scan(since=start, after=checkpoint.after):
                        kept = [p for p in posts if matcher is None or matcher.matches(p)]
                        if kept:
                            writer.write(kept)
                        checkpoint.after = cursor
                        checkpoint.written += len(kept)
                        checkpoint.seen += len(posts)
                        writer.mark(checkpoint)
                        checkpoint.save(checkpoint_file)  # after the page is on disk
                        progress.update(task, completed=checkpoint.seen)
                writer.finish()
            finally:
                writer.close()
            checkpoint_file.unlink(missing_ok=True)
            return checkpoint.written

    written = _run(run())
    console.print(f"wrote {written:,} posts to {out}" + (" (resumed)" if resumed else ""))


# --------------------------------------------------------------------------- reindex


def reindex(
    source: Annotated[str, typer.Option("--from", help="Where posts are now: sqlite:PATH or elasticsearch:URL.")],
    target: Annotated[str, typer.Option("--to", help="Where they go: elasticsearch:URL or sqlite:PATH.")],
    since: SinceOption = None,
    batch: Annotated[int, typer.Option("--batch", min=1, max=50_000, help="Posts per write.")] = 1000,
    restart: Annotated[bool, typer.Option("--restart", help="Copy everything again from the start.")] = False,
) -> None:
    """Copy posts, state and alert history to another store (e.g. SQLite to Elasticsearch).

    Every post, every state key (source cursors, alert lifecycle) and the alert history are
    copied. Re-running is safe (writes are idempotent by post id): an interrupted run resumes where
    it stopped (the place is kept in the destination's state), a finished one copies everything
    again. Stop the service first so nothing is written to the old store meanwhile, then point
    the config at the new store.
    """
    origin = store_from_spec(source, read_only=True)
    destination = store_from_spec(target)
    parse_since(since)  # a mistake is a usage error before anything is opened
    console = Console(stderr=True, highlight=False)
    # The job as typed (`--since 7d` is the same job tomorrow); the start it resolved to when it
    # began is kept in the place, so a resume reads the same posts.
    mark = "reindex:" + hashlib.sha1(f"{source}|{since}".encode()).hexdigest()[:12]

    async def run() -> tuple[dict[str, int], bool]:
        async with opened(origin) as old, opened(destination) as new:
            place = None if restart else await new.get_state(mark)
            if not place or "since" not in place:
                resolved = parse_since(since)
                fresh = {"after": None, "posts": 0, "state": False, "alerts": False}
                place = {**fresh, "since": resolved.isoformat() if resolved else None}
            start = datetime.fromisoformat(place["since"]) if place["since"] else None
            total = await old.count(since=start)
            with _progress(console) as progress:
                task = progress.add_task("posts", total=total, completed=place["posts"])
                async for posts, cursor in old.scan(since=start, after=place["after"], page=batch):
                    await new.upsert(posts)
                    place.update(after=cursor, posts=place["posts"] + len(posts))
                    await new.set_state(mark, place)  # only after the posts are committed
                    progress.update(task, completed=place["posts"])
            copied = {"posts": place["posts"], "state keys": 0, "alerts": 0}
            if not place["state"]:
                for key, value in (await old.get_states("")).items():
                    if not key.startswith("reindex:"):
                        await new.set_state(key, value)
                        copied["state keys"] += 1
                place["state"] = True
                await new.set_state(mark, place)
            complete = True
            if not place["alerts"]:
                history, complete = await alert_history(old)
                for alert in history:  # oldest first; record_alert is idempotent per event
                    await new.record_alert(alert)
                    copied["alerts"] += 1
                place["alerts"] = True
                await new.set_state(mark, place)
            await new.set_state(mark, None)  # done: running it again is a new job
            if hasattr(new, "flush"):
                await new.flush()
            return copied, complete

    copied, complete = _run(run())
    console.print(
        f"copied {copied['posts']:,} posts, {copied['state keys']:,} state keys and {copied['alerts']:,} alert "
        f"events to {target}; now set the config's store: block to it"
    )
    if not complete:
        console.print(
            f"[yellow]warning:[/] {source} returns at most {copied['alerts']:,} alert events at once; if it "
            "holds more, the older ones were not copied"
        )


async def alert_history(store: Any) -> tuple[list[Alert], bool]:
    """Every recorded alert event, oldest first, and whether that is known to be all of them
    (a store that caps one answer, `most_alerts`, may hold older events than it returned)."""
    cap: int | None = store.most_alerts
    found: list[Alert] = await store.alerts(limit=cap or 2**62)
    return found[::-1], cap is None or len(found) < cap


# --------------------------------------------------------------------------- store maintenance


@store_app.command("info")
def info(config: ConfigOption = None, store: StoreOption = None) -> None:
    """Posts, time span, file size and health of the store."""
    target = resolve_store(config, store, read_only=True)

    async def run() -> dict[str, Any]:
        async with opened(target) as s:
            details: dict[str, Any] = {"store": repr(s), "posts": await s.count()}
            details["posts in the last 24 h"] = await s.count(since=utcnow() - timedelta(days=1))
            details["alert events (latest 10,000)"] = len(await s.alerts(limit=10_000))
            details["posts kept after a rejection"] = len(await s.get_states("rejected:"))
            path = getattr(s, "path", None)
            if isinstance(path, Path):
                size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
                details["file size"] = f"{size / 2**20:,.1f} MiB"
            return details

    details = _run(run())
    table = Table("", "", show_header=False)
    for key, value in details.items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    Console().print(table)


@store_app.command("retention")
def retention(
    older_than: Annotated[
        str, typer.Option("--older-than", help="Delete posts and alerts older than this age, e.g. 180d.")
    ],
    config: ConfigOption = None,
    store: StoreOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete posts (with their counts and index entries) and alerts older than an age."""
    try:
        cutoff = ago(utcnow(), parse_duration(older_than))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--older-than") from None
    target = resolve_store(config, store)
    if not yes:
        typer.confirm(f"delete every post created before {cutoff:%Y-%m-%d %H:%M} UTC from {target!r}?", abort=True)
    console = Console(stderr=True, highlight=False)

    async def run() -> int:
        async with opened(target) as s:
            with _progress(console) as progress:
                task = progress.add_task("deleting", total=await s.count(until=cutoff))
                deleted: int = await s.delete_before(cutoff, progress=lambda n: progress.advance(task, n))
            return deleted

    console.print(f"deleted {_run(run()):,} posts created before {cutoff.isoformat()}")


@store_app.command("vacuum")
def vacuum(
    config: ConfigOption = None,
    store: StoreOption = None,
    full: Annotated[
        bool, typer.Option("--full", help="Rewrite the whole file (smallest; needs its size free).")
    ] = False,
) -> None:
    """Compact the embedded store: forget hashtags and topics nothing counts any more (after
    retention), merge the full-text index, return free pages, tidy statistics."""
    target = resolve_store(config, store)
    if not hasattr(target, "vacuum"):
        raise typer.BadParameter(f"{target!r} looks after its own space; nothing to vacuum")
    before = _size(target)

    async def run() -> int:
        async with opened(target) as s:
            forgotten: int = await s.vacuum(full=full)
            return forgotten

    with Console(stderr=True).status("vacuuming"):
        forgotten = _run(run())
    after = _size(target)
    Console(stderr=True, highlight=False).print(
        f"{before / 2**20:,.1f} MiB -> {after / 2**20:,.1f} MiB; {forgotten:,} unused hashtag and topic names forgotten"
    )


def _size(store: Any) -> int:
    path = getattr(store, "path", None)
    if not isinstance(path, Path):
        return 0
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


@store_app.command("es-templates")
def es_templates(
    directory: Annotated[Path, typer.Argument(help="Where to write the JSON files.")] = Path("deploy/elasticsearch"),
    prefix: Annotated[str, typer.Option("--prefix", help="Name prefix (<prefix>-posts, ...).")] = "trendwatch",
    retention_age: Annotated[str | None, typer.Option("--retention", help="Data stream retention, e.g. 365d.")] = None,
) -> None:
    """Write the index template, lifecycle and index bodies the Elasticsearch store installs."""
    from indexer.elastic_requests import retention_text
    from indexer.elastic_schema import Names, write_deploy_files

    keep = retention_text(parse_duration(retention_age)) if retention_age else None
    for path in write_deploy_files(directory, Names(prefix), keep):
        typer.echo(path)
