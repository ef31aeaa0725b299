"""`trendwatch backtest`: what the detectors would have said, on a labelled corpus or on history.

trendwatch backtest --nab-dir DIR --out RESULTS
    Score every CSV of a Numenta-Anomaly-Benchmark-style corpus with the volume-spike model
    and write RESULTS/trendwatch/<category>/trendwatch_<file>.csv
    (timestamp,value,anomaly_score,alert), ready for NAB's scorer.

trendwatch backtest -c CONFIG --since 7d [--until 2026-11-26T12:00] [--detector NAME]
    Replay the stored history through the configured detectors and the real alert engine
    (state in memory, no notification sent) and list the alerts that would have fired.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from alerts.backtest import BacktestError, CorpusFile, FileResult, replay, run_corpus
from alerts.codec import alert_to_json
from trendwatch.config import Settings
from trendwatch.models import Alert
from trendwatch.service import logs, plugins
from trendwatch.service.app import alert_context
from trendwatch.service.commands.times import parse_when
from trendwatch.timeutil import utcnow


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest)


def backtest(
    nab_dir: Annotated[
        Path | None,
        typer.Option(
            "--nab-dir",
            help="A NAB-style corpus: DIR/data/<category>/<file>.csv (timestamp,value).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Where to write RESULTS/trendwatch/<category>/trendwatch_<file>.csv.", show_default=False
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Replay stored history with this configuration.", show_default=False),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            help="Replay from: an ISO time (UTC unless it says otherwise) or a duration ago (7d).",
            show_default=False,
            metavar="WHEN",
        ),
    ] = None,
    until: Annotated[str, typer.Option(help="Replay until: an ISO time or a duration ago.", metavar="WHEN")] = "now",
    detector: Annotated[
        list[str] | None,
        typer.Option(
            "--detector",
            "-d",
            help="Replay only this detector (by name; repeatable).",
            show_default=False,
            metavar="NAME",
        ),
    ] = None,
    drivers: Annotated[
        bool, typer.Option(help="Also gather what drove each alert (terms, authors, posts); slower.")
    ] = False,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the replayed events as JSON lines.", show_default=False)
    ] = None,
) -> None:
    """Backtest detectors on a labelled corpus (--nab-dir) or on stored history (-c)."""
    console = Console()
    if (nab_dir is None) == (config is None):
        raise typer.BadParameter("give either --nab-dir DIR --out RESULTS, or -c CONFIG --since WHEN")
    if nab_dir is not None:
        if out is None:
            raise typer.BadParameter("--nab-dir needs --out RESULTS (where the result CSVs go)", param_hint="--out")
        _corpus(console, nab_dir, out)
        return
    assert config is not None
    if since is None:
        raise typer.BadParameter("replaying history needs --since (e.g. --since 7d or --since 2026-11-01)")
    _history(console, config, since, until, detector or [], drivers, json_out)


# ------------------------------------------------------------------------------------ corpus


def _corpus(console: Console, nab_dir: Path, out: Path) -> None:
    failures: list[BacktestError] = []
    with _progress(console) as progress:
        task = progress.add_task("scoring", total=None)

        def on_file(file: CorpusFile, result: FileResult | BacktestError) -> None:
            progress.update(task, advance=1, description=file.label)
            if isinstance(result, BacktestError):
                failures.append(result)
                progress.console.print(f"skipped: {result}", style="red", markup=False, highlight=False, soft_wrap=True)

        results, _ = run_corpus(nab_dir, out, on_file=on_file)
    table = Table("category", "files", "rows", "alerts", "seconds", title="Backtest", title_justify="left")
    by_category: dict[str, list[FileResult]] = {}
    for r in results:
        by_category.setdefault(r.file.category, []).append(r)
    for category, rows in by_category.items():
        table.add_row(
            category,
            str(len(rows)),
            f"{sum(r.rows for r in rows):,}",
            str(sum(r.alerts for r in rows)),
            f"{sum(r.seconds for r in rows):.1f}",
        )
    console.print(table)
    console.print(f"results in {out / 'trendwatch'}  (score with NAB's scorer on the anomaly_score column)")
    if failures:
        console.print(f"[red]{len(failures)} file(s) could not be scored[/red]")
        raise typer.Exit(1)


# ----------------------------------------------------------------------------------- history


def _history(
    console: Console,
    config: Path,
    since_text: str,
    until_text: str,
    names: list[str],
    drivers: bool,
    json_out: Path | None,
) -> None:
    settings = plugins.load(config)
    logs.configure(settings.logging)
    now = utcnow()
    since, until = parse_when(since_text, "--since", now), parse_when(until_text, "--until", now)
    if until <= since:
        raise typer.BadParameter(
            f"must be after --since ({since.isoformat()}), got {until.isoformat()}", param_hint="--until"
        )
    detectors = plugins.build_detectors(settings)
    if not detectors:
        raise typer.BadParameter(f"{config} enables no detector: nothing to replay", param_hint="--config")
    if names:
        known = {d.name for d in detectors}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise typer.BadParameter(
                f"no enabled detector named {', '.join(unknown)}; configured: {', '.join(sorted(known)) or 'none'}",
                param_hint="--detector",
            )
        detectors = [d for d in detectors if d.name in names]
    events = asyncio.run(_replay(console, settings, detectors, since, until, drivers))
    _show(console, settings, events, since, until)
    if json_out is not None:
        with json_out.open("w", encoding="utf-8") as handle:
            for event in events:
                handle.write(json.dumps(alert_to_json(event), ensure_ascii=False) + "\n")
        console.print(f"events written to {json_out}")


async def _replay(
    console: Console, settings: Settings, detectors: list[Any], since: datetime, until: datetime, drivers: bool
) -> list[Alert]:
    store = plugins.build_store(settings)
    await store.open()
    try:
        with _progress(console) as progress:
            task = progress.add_task("replaying", total=None)

            def on_step(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            return await replay(
                store, detectors, since, until, context=alert_context(settings), drivers=drivers, on_step=on_step
            )
    finally:
        await store.close()


def _show(console: Console, settings: Settings, events: list[Alert], since: datetime, until: datetime) -> None:
    clock = settings.display.clock()
    window = f"{clock.format(since)} – {clock.format(until)} ({settings.display.timezone})"
    if not events:
        console.print(f"No alert would have fired {window}.")
        return
    table = Table(
        "at",
        "rule",
        "subject",
        "event",
        "severity",
        "observed",
        "expected",
        "score",
        "z",
        title=f"Alerts that would have fired {window}",
        title_justify="left",
    )
    for e in events:
        subject = e.subject + "".join(f" [{v}]" for v in (e.platform, e.lang) if v)
        arrow = "▲" if e.direction == "up" else "▼"
        table.add_row(
            clock.format(e.at),
            e.rule,
            subject,
            e.status,
            e.severity,
            f"{arrow} {e.observed:g} {e.metric}",
            f"{e.expected:g}",
            f"{e.score:.2f}",
            f"{e.z:+.1f}",
        )
    console.print(table)
    opened = sum(e.status == "open" for e in events)
    console.print(f"{opened} alert(s) opened, {len(events)} event(s) in all.")


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
