"""`trendwatch grafana export DIR`: dashboards as JSON files plus Grafana provisioning.

Layout of DIR (deploy/grafana/ is this command's output, committed):

    dashboards/<uid>.json                 one file per dashboard
    provisioning/datasources/trendwatch.yaml
    provisioning/dashboards/trendwatch.yaml

Files are written whole (to a temporary name, then renamed), so Grafana's provisioning, which
re-reads the directory every minute, never loads a half-written dashboard. A `trendwatch-*.json`
left from a dashboard that no longer exists is removed, so it does not linger in Grafana.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
import yaml
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as dm

from trendwatch.errors import TrendwatchError
from trendwatch.service.grafana.provisioning import HEADER, ProvisioningOptions, dashboard_provider, datasources

log = structlog.get_logger(__name__)


class ExportError(TrendwatchError):
    """The export directory cannot be written."""


@dataclass(frozen=True, slots=True)
class ExportedFiles:
    dashboards: tuple[Path, ...]
    provisioning: tuple[Path, ...]
    removed: tuple[Path, ...]


def dashboard_json(dashboard: dm.Dashboard) -> str:
    """The dashboard as Grafana JSON (stable key order, UTF-8 text kept readable)."""
    return json.dumps(dashboard, cls=JSONEncoder, indent=2, ensure_ascii=False) + "\n"


def dashboard_dict(dashboard: dm.Dashboard) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(dashboard_json(dashboard))
    return data


def export(directory: Path, dashboards: list[dm.Dashboard], options: ProvisioningOptions) -> ExportedFiles:
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"{directory} exists and is not a directory")
    boards_dir = directory / "dashboards"
    sources_dir = directory / "provisioning" / "datasources"
    providers_dir = directory / "provisioning" / "dashboards"
    try:
        for path in (boards_dir, sources_dir, providers_dir):
            path.mkdir(parents=True, exist_ok=True)
        written = []
        for dashboard in dashboards:
            path = boards_dir / f"{dashboard.uid}.json"
            _write(path, dashboard_json(dashboard))
            written.append(path)
        removed = []
        for stale in sorted(boards_dir.glob("trendwatch-*.json")):
            if stale not in written:
                stale.unlink()
                removed.append(stale)
                log.info("removed stale dashboard", path=str(stale))
        provisioning = [
            sources_dir / "trendwatch.yaml",
            providers_dir / "trendwatch.yaml",
        ]
        _write(provisioning[0], HEADER + _yaml(datasources(options)))
        _write(provisioning[1], HEADER + _yaml(dashboard_provider(options)))
    except OSError as exc:
        raise ExportError(f"cannot write to {directory}: {exc.strerror or exc}") from None
    log.info("grafana export", directory=str(directory), dashboards=len(written))
    return ExportedFiles(tuple(written), tuple(provisioning), tuple(removed))


def _yaml(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
