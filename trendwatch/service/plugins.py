"""Building configured plugins from the registries of every stage.

The only place that knows all four registries; the config loader validates each plugin block
against the Options of the class its `type:` names.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp
import structlog
from pydantic import BaseModel

from alerts.plugins import DETECTORS, NOTIFIERS
from crawlers.plugins import SOURCES
from indexer.plugins import STORES
from trendwatch.config import PluginConfig, Settings, load_config, parse_config, settings_from_data
from trendwatch.errors import NotConfigured
from trendwatch.registry import Registry
from trendwatch.service.report.schedule import ScheduledReport

log = structlog.get_logger(__name__)

REGISTRIES: dict[str, Registry[Any]] = {
    "store": STORES,
    "sources": SOURCES,
    "detectors": DETECTORS,
    "notifiers": NOTIFIERS,
}


# Top-level sections the kernel does not know, validated against the service's own models.
SECTIONS: dict[str, type[BaseModel]] = {"report": ScheduledReport}


def load(path: str | Path) -> Settings:
    """Load and fully validate a config file (plugin options and service sections included)."""
    return load_config(path, REGISTRIES, sections=SECTIONS)


def parse(text: str, file: str = "<config>") -> Settings:
    return parse_config(text, file=file, registries=REGISTRIES, sections=SECTIONS)


def from_data(data: Any, file: str = "<config>") -> Settings:
    """Validate config data built in code (the demo's), exactly as a file would be."""
    return settings_from_data(data, file=file, registries=REGISTRIES, sections=SECTIONS)


def build_store(settings: Settings) -> Any:
    plugin = settings.store
    return STORES.get(plugin.type)(plugin.options)


def build_sources(settings: Settings, session: aiohttp.ClientSession) -> list[Any]:
    return _build("sources", settings.sources, lambda p: SOURCES.get(p.type)(p.name, p.options, session))


def build_detectors(settings: Settings) -> list[Any]:
    return _build("detectors", settings.detectors, lambda p: DETECTORS.get(p.type)(p.name, p.options))


def build_notifiers(settings: Settings, session: aiohttp.ClientSession) -> list[Any]:
    return _build("notifiers", settings.notifiers, lambda p: NOTIFIERS.get(p.type)(p.name, p.options, session))


def _build(section: str, plugins: Sequence[PluginConfig], make: Any) -> list[Any]:
    """Construct each enabled plugin; one that raises NotConfigured is skipped with a warning."""
    built = []
    for plugin in plugins:
        if not plugin.enabled:
            log.info("plugin disabled", section=section, name=plugin.name, type=plugin.type)
            continue
        try:
            built.append(make(plugin))
        except NotConfigured as exc:
            log.warning("plugin skipped", section=section, name=plugin.name, type=plugin.type, reason=str(exc))
    log.info("plugins enabled", section=section, names=[getattr(p, "name", "?") for p in built])
    return built
