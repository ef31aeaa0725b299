"""`trendwatch run -c CONFIG`: the long-running service."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from trendwatch.service import logs, plugins
from trendwatch.service.app import run_service


def register(app: typer.Typer) -> None:
    app.command("run")(run)


def run(
    config: Annotated[Path, typer.Option("--config", "-c", help="The YAML configuration.", show_default=False)],
    port: Annotated[int | None, typer.Option(help="Override web.port.")] = None,
) -> None:
    """Run the service: poll sources, enrich, store, detect, notify, and serve the dashboard.

    Stops cleanly on Ctrl-C or SIGTERM: in-flight rounds are cancelled and, because a source's
    cursor is only saved after its posts are committed, nothing is lost or counted twice.
    """
    settings = plugins.load(config)
    if port is not None:
        settings.web.port = port
    logs.configure(settings.logging)
    asyncio.run(run_service(settings))
