"""CLI commands, one module per area; each exposes `register(app: typer.Typer)`."""

from __future__ import annotations

from types import ModuleType

from trendwatch.service.commands import config_cmd, dashboards

COMMAND_MODULES: list[ModuleType] = [config_cmd, dashboards]
