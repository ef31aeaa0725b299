"""Every source type trendwatch knows, registered explicitly by its short config name."""

from __future__ import annotations

from typing import Any

from trendwatch.registry import Registry

SOURCES: Registry[Any] = Registry("source")
