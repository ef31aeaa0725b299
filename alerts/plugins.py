"""Every detector and notifier type, registered explicitly by its short config name."""

from __future__ import annotations

from typing import Any

from alerts.detectors.emerging_term import EmergingTerm
from alerts.detectors.share_of_voice import ShareOfVoice
from alerts.detectors.tone_shift import ToneShift
from alerts.detectors.volume_spike import VolumeSpike
from alerts.notifiers.email import EmailNotifier
from alerts.notifiers.log import LogNotifier
from alerts.notifiers.slack import SlackNotifier
from alerts.notifiers.telegram import TelegramNotifier
from alerts.notifiers.webhook import WebhookNotifier
from trendwatch.registry import Registry

DETECTORS: Registry[Any] = Registry("detector")
NOTIFIERS: Registry[Any] = Registry("notifier")

# BEGIN detectors (owned by the detectors engineer)
DETECTORS.register("volume_spike", VolumeSpike)
DETECTORS.register("emerging_term", EmergingTerm)
DETECTORS.register("tone_shift", ToneShift)
DETECTORS.register("share_of_voice", ShareOfVoice)
# END detectors

# BEGIN notifiers (owned by the alert engine)
NOTIFIERS.register("log", LogNotifier)
NOTIFIERS.register("webhook", WebhookNotifier)
NOTIFIERS.register("slack", SlackNotifier)
NOTIFIERS.register("telegram", TelegramNotifier)
NOTIFIERS.register("email", EmailNotifier)
# END notifiers
