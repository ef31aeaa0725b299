"""deploy/config.example.yaml is a valid configuration: every plugin block validates against
its class's options, and `check-config` says so. (Its secrets default to empty.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from trendwatch.service import plugins
from trendwatch.service.report.schedule import ScheduledReport

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "config.example.yaml"


def test_example_validates_with_every_plugin() -> None:
    settings = plugins.load(EXAMPLE)
    for section in plugins.REGISTRIES:
        for plugin in settings.plugins(section):
            assert plugin.options is not None, f"{section} {plugin.name}"
    used = {p.type for section in ("sources", "detectors", "notifiers") for p in settings.plugins(section)}
    registered = {name for section in ("sources", "detectors", "notifiers") for name in plugins.REGISTRIES[section].names()}
    assert used == registered, "the example shows every source, detector and notifier type"
    assert settings.report is None or isinstance(settings.report, ScheduledReport)


def test_check_config_command_accepts_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trendwatch", "check-config", str(EXAMPLE)], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout
