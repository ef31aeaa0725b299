"""The `trendwatch` command.

Commands live in small modules under `trendwatch.service.commands`, one per area, each exposing
`register(app)`; this module only assembles them and turns expected errors into one clear line
and a non-zero exit code.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from trendwatch import __version__
from trendwatch.errors import ConfigError, TrendwatchError
from trendwatch.runtime import tune_gc
from trendwatch.service.commands import COMMAND_MODULES

app = typer.Typer(
    name="trendwatch",
    help="Trend monitoring and competitor listening (Persian and English first-class).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trendwatch {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Trend monitoring and competitor listening (Persian and English first-class)."""


for module in COMMAND_MODULES:
    module.register(app)


def main() -> None:
    tune_gc()
    try:
        app()
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except TrendwatchError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
