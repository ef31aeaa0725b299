"""CLI commands, one module per area; each exposes `register(app: typer.Typer)`."""

from __future__ import annotations

from types import ModuleType

from trendwatch.service.commands import config_cmd, enrich

COMMAND_MODULES: list[ModuleType] = [config_cmd, enrich]
