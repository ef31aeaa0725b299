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
    registered = {
        name for section in ("sources", "detectors", "notifiers") for name in plugins.REGISTRIES[section].names()
    }
    assert used == registered, "the example shows every source, detector and notifier type"
    assert settings.report is None or isinstance(settings.report, ScheduledReport)


def test_check_config_command_accepts_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "trendwatch", "check-config", str(EXAMPLE)], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK" in result.stdout


def test_check_config_lists_every_problem_with_key_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "brand:\n  aliases: [x]\n"
        "sources:\n  - type: rsss\n  - type: mastodon\n    limit: 400\n"
        "notifiers:\n  - type: webhook\n    url: ${HOOK_URL}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "trendwatch", "check-config", str(bad)],
        cwd=ROOT, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert result.returncode == 2
    out = " ".join(result.stdout.split())
    assert "4 problem(s)" in out
    assert "line 9, notifiers[0].url: environment variable HOOK_URL is not set" in out
    assert "line 1, brand.name: required key is missing" in out  # a missing key: its block's line
    assert "line 4, sources[0].type: unknown source type 'rsss'; known: bluesky, hackernews," in out
    assert "line 6, sources[1].limit: Input should be less than or equal to 40" in out
