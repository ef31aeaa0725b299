"""Every detector and notifier type, registered explicitly by its short config name."""

from __future__ import annotations

from typing import Any

from trendwatch.registry import Registry

DETECTORS: Registry[Any] = Registry("detector")
NOTIFIERS: Registry[Any] = Registry("notifier")
