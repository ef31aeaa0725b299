"""`trendwatch check-config FILE`: validate a configuration and summarise it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trendwatch.config import Settings
from trendwatch.errors import ConfigError
from trendwatch.service import plugins


def register(app: typer.Typer) -> None:
    app.command("check-config")(check_config)


def check_config(
    file: Annotated[Path, typer.Argument(help="The YAML configuration to check.", metavar="FILE")],
) -> None:
    """Validate FILE: print a summary, or every problem with its key path and line."""
    console = Console()
    try:
        settings = plugins.load(file)
    except ConfigError as exc:
        console.print(f"[red]{exc.file}: {len(exc.issues)} problem(s)[/red]", highlight=False)
        for issue in exc.issues:
            console.print(f"  {issue}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    _summary(console, file, settings)


def _summary(console: Console, file: Path, settings: Settings) -> None:
    console.print(f"[green]{file}: OK[/green]", highlight=False)
    brands = Table("role", "brand", "names", "language", title="Brands", title_justify="left")
    for role, brand in [("own", settings.brand)] + [("competitor", c) for c in settings.competitors]:
        brands.add_row(role, brand.name, ", ".join(brand.names()[1:]) or "-", brand.language)
    console.print(brands)
    plugins_table = Table("section", "name", "type", "enabled", title="Plugins", title_justify="left")
    for section in ("store", "sources", "detectors", "notifiers"):
        for plugin in settings.plugins(section):
            plugins_table.add_row(section, plugin.name, plugin.type, "yes" if plugin.enabled else "no")
    console.print(plugins_table)
    display = settings.display
    console.print(
        f"display: {display.timezone}, {display.calendar} calendar, {display.digits} digits; "
        f"web: http://{settings.web.host}:{settings.web.port}/",
        highlight=False,
    )
