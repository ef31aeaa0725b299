"""Every detector and notifier type, registered explicitly by its short config name."""

from __future__ import annotations

from typing import Any

from alerts.detectors.volume_spike import VolumeSpike
from trendwatch.registry import Registry

DETECTORS: Registry[Any] = Registry("detector")
NOTIFIERS: Registry[Any] = Registry("notifier")

# BEGIN detectors (owned by the detectors engineer)
DETECTORS.register("volume_spike", VolumeSpike)
# END detectors
