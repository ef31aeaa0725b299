"""Every store backend, registered explicitly by its short config name."""

from __future__ import annotations

from typing import Any

from trendwatch.registry import Registry

STORES: Registry[Any] = Registry("store")
