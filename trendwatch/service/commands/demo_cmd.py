"""`trendwatch demo`: the whole system on a synthetic week, offline."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from trendwatch.config import LoggingConfig
from trendwatch.service import logs
from trendwatch.service.demo.run import DemoOptions, run_demo


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Keep serving the dashboard after the run (Ctrl-C stops).")
    ] = True,
    port: Annotated[int, typer.Option(help="Port of the dashboard (0 picks a free one).")] = 8765,
    lang: Annotated[str, typer.Option(help="Language of the alerts and dates: en or fa.")] = "en",
    data_dir: Annotated[
        Path | None, typer.Option(help="Keep the demo's database here instead of a temporary directory.")
    ] = None,
    days: Annotated[int, typer.Option(min=3, max=30, help="Days of synthetic history.")] = 7,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic stream.")] = 7,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the service's info logs.")] = False,
) -> None:
    """Run trendwatch end to end on a synthetic week, fully offline.

    Generates Persian and English posts about a fictional brand (Kavehmart) and two competitors,
    with one injected incident; serves them as a Mastodon API and an RSS feed on localhost; runs
    the real sources, NLP, store, detectors and notifiers against them; prints the alerts with
    their explanations; and serves the dashboard.
    """
    if lang not in ("en", "fa"):
        raise typer.BadParameter("use en or fa", param_hint="--lang")
    language: Literal["en", "fa"] = "fa" if lang == "fa" else "en"
    logs.configure(LoggingConfig(level="info" if verbose else "warning"))
    options = DemoOptions(serve=serve, port=port, data_dir=data_dir, days=days, seed=seed, lang=language)
    try:
        asyncio.run(run_demo(options, Console()))
    except OSError as exc:
        if "address already in use" in str(exc).lower():
            raise typer.BadParameter(f"port {port} is taken; pick another with --port (0 = any free port)") from None
        raise
