"""CLI commands, one module per area; each exposes `register(app: typer.Typer)`.

The order here is the order of `trendwatch --help`.
"""

from __future__ import annotations

from types import ModuleType

from trendwatch.service.commands import (
    backtest,
    config_cmd,
    crawl,
    dashboards,
    demo_cmd,
    enrich,
    nlp_model,
    run_cmd,
    sources,
    store,
)

COMMAND_MODULES: list[ModuleType] = [
    demo_cmd,
    run_cmd,
    config_cmd,
    sources,
    crawl,
    enrich,
    nlp_model,
    store,
    backtest,
    dashboards,
]
