"""`trendwatch grafana export|push` and `trendwatch report`: what strategists look at and send on."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from indexer.plugins import STORES
from trendwatch.config import Settings
from trendwatch.errors import ConfigError, StoreError
from trendwatch.service import plugins
from trendwatch.service.grafana.catalog import DashboardOptions, build_dashboards
from trendwatch.service.grafana.export import ExportError, dashboard_dict, export
from trendwatch.service.grafana.provisioning import ProvisioningOptions
from trendwatch.service.grafana.push import GrafanaPusher, PushError
from trendwatch.service.report.gather import ReportError, gather, make_request
from trendwatch.service.report.model import Language, Report, ReportRequest
from trendwatch.service.report.render import format_for, render
from trendwatch.timeutil import ago, as_utc, parse_duration, utcnow, zone

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
    app.command("report")(report_command)


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


def report_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="File to write (its suffix can give the format).", metavar="FILE")
    ],
    config: Annotated[
        Path,
        typer.Option(
            "--config",
            "-c",
            help="The YAML configuration (brands, store, display).",
            metavar="CONFIG",
            envvar="TRENDWATCH_CONFIG",
        ),
    ] = Path("trendwatch.yaml"),
    since: Annotated[str, typer.Option(help="Length of the period, ending now or at --until: 24h, 7d, 4w.")] = "7d",
    until: Annotated[
        str | None,
        typer.Option(help="End of the period (ISO date or date-time, in the display time zone); default: this hour."),
    ] = None,
    brand: Annotated[
        list[str] | None,
        typer.Option("--brand", "-b", help="Only this brand (repeat for more); default: all.", metavar="NAME"),
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", "-f", help="html, pdf or csv (default: from --out).")] = None,
    lang: Annotated[str | None, typer.Option(help="en or fa (default: display.language).")] = None,
) -> None:
    """Write a competitor report: headline figures, charts, top posts and the period's alerts.

    HTML is one self-contained file (fonts and charts embedded), PDF is print-ready with Persian
    shaped right to left, CSV holds the numbers per brand and day. Words follow --lang; digits,
    calendar (Jalali) and time zone follow `display:` in the config. The store is opened read-only,
    so a report can be made while the service runs.
    """
    languages: dict[str | None, Language | None] = {None: None, "en": "en", "fa": "fa"}
    if lang not in languages:
        raise typer.BadParameter("use en or fa", param_hint="--lang")
    settings = _settings(config)
    end = _until(until, settings) if until else None
    try:
        span = parse_duration(since)
        ago(end or utcnow(), span)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--since") from None
    try:
        chosen = format_for(out, fmt)
        request = make_request(settings, span=span, until=end, brands=brand or (), language=languages[lang])
    except ReportError as exc:
        raise typer.BadParameter(str(exc)) from None
    if not out.parent.exists():
        raise typer.BadParameter(f"directory {out.parent} does not exist", param_hint="--out")
    console = Console(stderr=True)
    try:
        with console.status("Reading the store…"):
            report = asyncio.run(_gather(settings, request))
        with console.status(f"Writing the {chosen.upper()}…"):
            data = render(report, chosen)
            temporary = out.with_name(f".{out.name}.tmp")
            temporary.write_bytes(data)
            temporary.replace(out)
    except (StoreError, ReportError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    Console().print(
        f"wrote {out} ({len(data) / 1024:.0f} KiB): {len(report.brands)} brands, "
        f"{report.total_mentions} mentions, {len(report.alerts)} alerts",
        highlight=False,
    )


async def _gather(settings: Settings, request: ReportRequest) -> Report:
    store = build_read_only_store(settings)
    await store.open()
    try:
        return await gather(store, request)
    finally:
        await store.close()


def build_read_only_store(settings: Settings) -> Any:
    """The configured store, opened for reading when the backend can (SQLite's `read_only`)."""
    options = settings.store.options
    if "read_only" in type(options).model_fields:
        options = options.model_copy(update={"read_only": True})
    return STORES.get(settings.store.type)(options)


def _until(text: str, settings: Settings) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO date or date-time (e.g. 2026-01-08)", param_hint="--until"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(settings.display.timezone))
    return as_utc(value)
