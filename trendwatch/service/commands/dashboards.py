"""`trendwatch grafana export|push` and `trendwatch report`: what strategists look at."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from trendwatch.config import Settings
from trendwatch.errors import ConfigError
from trendwatch.service import plugins
from trendwatch.service.grafana.catalog import DashboardOptions, build_dashboards
from trendwatch.service.grafana.export import ExportError, dashboard_dict, export
from trendwatch.service.grafana.provisioning import ProvisioningOptions
from trendwatch.service.grafana.push import GrafanaPusher, PushError

grafana_app = typer.Typer(
    name="grafana",
    help="Grafana dashboards over Elasticsearch: export them as files, or push them to a Grafana.",
    no_args_is_help=True,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file: dashboards use its display time zone.", metavar="CONFIG"),
]
FolderOption = Annotated[str, typer.Option("--folder", help="Grafana folder the dashboards go into.")]


def register(app: typer.Typer) -> None:
    app.add_typer(grafana_app)


def _options(config: Path | None) -> DashboardOptions:
    if config is None:
        return DashboardOptions()
    return DashboardOptions.from_display(_settings(config).display)


def _settings(config: Path) -> Settings:
    try:
        return plugins.load(config)
    except ConfigError as exc:
        console = Console(stderr=True)
        console.print(f"[red]{exc.file}: {len(exc.issues)} problem(s)[/red]", highlight=False)
        for issue in exc.issues:
            console.print(f"  {issue}", highlight=False, markup=False)
        raise typer.Exit(2) from None


@grafana_app.command("export")
def export_command(
    directory: Annotated[Path, typer.Argument(help="Directory to write into (created if missing).", metavar="DIR")],
    config: ConfigOption = None,
    folder: FolderOption = "trendwatch",
    dashboards_path: Annotated[
        str, typer.Option(help="Where Grafana sees DIR/dashboards (the provider's path inside Grafana).")
    ] = "/var/lib/grafana/dashboards/trendwatch",
) -> None:
    """Write the four dashboards as JSON, plus Grafana provisioning for datasources and dashboards.

    DIR/dashboards/*.json, DIR/provisioning/datasources/trendwatch.yaml and
    DIR/provisioning/dashboards/trendwatch.yaml. The datasource file reads the cluster address
    and a read-only user from Grafana's environment: TRENDWATCH_ES_URL, GRAFANA_ES_USER,
    GRAFANA_ES_PASSWORD (see deploy/compose.yaml).
    """
    options = ProvisioningOptions(folder=folder, dashboards_path=dashboards_path)
    try:
        files = export(directory, build_dashboards(_options(config)), options)
    except ExportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    console = Console()
    for path in (*files.dashboards, *files.provisioning):
        console.print(f"wrote {path}", highlight=False)
    for path in files.removed:
        console.print(f"removed {path} (no longer generated)", highlight=False)


@grafana_app.command("push")
def push_command(
    url: Annotated[
        str, typer.Option(help="Grafana's address, e.g. https://grafana.example.com.", envvar="GRAFANA_URL")
    ],
    token: Annotated[
        str,
        typer.Option(
            help="Service account token (Editor role). Prefer the GRAFANA_TOKEN environment variable.",
            envvar="GRAFANA_TOKEN",
            show_default=False,
        ),
    ] = "",
    folder: FolderOption = "trendwatch",
    overwrite: Annotated[
        bool, typer.Option(help="Replace dashboards even if someone changed them in Grafana meanwhile.")
    ] = False,
    config: ConfigOption = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each answer.", min=1)] = 10.0,
) -> None:
    """Create or update the dashboards in a Grafana, in one folder; unchanged ones are left alone.

    Exit code 0 when every dashboard is created, updated or unchanged; 1 when any failed (each
    failure is explained), 2 for a usage or configuration problem.
    """
    if not token:
        raise typer.BadParameter("a Grafana token is needed: --token or GRAFANA_TOKEN", param_hint="--token")
    boards = [dashboard_dict(d) for d in build_dashboards(_options(config))]
    try:
        pusher = GrafanaPusher(url, token, folder=folder, overwrite=overwrite, timeout=timeout)
        report = asyncio.run(pusher.push(boards))
    except PushError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    console = Console()
    created = " (created)" if report.folder_created else ""
    console.print(
        f"Grafana {report.grafana_version or '?'} at {url}, folder {folder!r}{created}", highlight=False, markup=False
    )
    table = Table("dashboard", "result", "version", "details")
    for outcome in report.outcomes:
        colour = {"failed": "red", "unchanged": "dim", "created": "green", "updated": "cyan"}[outcome.action]
        detail = outcome.problem or (f"{url}{outcome.url}" if outcome.url else "")
        table.add_row(outcome.uid, f"[{colour}]{outcome.action}[/{colour}]", str(outcome.version or ""), detail)
    console.print(table)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)
