"""The detectors section of deploy/config.example.yaml: valid, every key commented, every
option of every detector shown, and what it shows is the default."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.plugins import DETECTORS
from trendwatch.config import parse_config
from trendwatch.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "config.example.yaml"


def section() -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    start, end = text.index("# BEGIN detectors"), text.index("# END detectors")
    return text[start:end]


def test_every_detector_in_the_example_validates_and_builds() -> None:
    settings = parse_config(
        "brand: {name: X}\ndetectors:\n" + section(), "example", registries={"detectors": DETECTORS}
    )
    assert sorted(p.type for p in settings.detectors) == sorted(DETECTORS.names())
    for plugin in settings.detectors:
        detector = DETECTORS.get(plugin.type)(plugin.name, plugin.options)
        assert detector.name == plugin.name
        # The example documents the defaults: building from defaults gives the same options.
        assert plugin.options == DETECTORS.get(plugin.type).Options(), plugin.type


def test_every_key_is_commented_and_every_option_is_shown() -> None:
    shown: dict[str, set[str]] = {}
    current = ""
    for line in section().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        assert "#" in stripped, f"uncommented key: {stripped}"
        key, _, value = stripped.removeprefix("- ").partition(":")
        if key == "type":
            current = value.split("#")[0].strip()
            shown[current] = set()
        shown[current].add(key)
    for name, cls in DETECTORS:
        assert set(cls.Options.model_fields) | {"type", "name", "enabled"} == shown[name], name


def test_a_bad_detector_option_names_its_key() -> None:
    text = "brand: {name: X}\ndetectors:\n  - type: tone_shift\n    window: 30m\n    step: 1h\n"
    with pytest.raises(ConfigError, match=r"detectors\[0\]"):
        parse_config(text, "bad.yaml", registries={"detectors": DETECTORS})
    text = "brand: {name: X}\ndetectors:\n  - type: volume_spike\n    threshold: 4.5\n"
    with pytest.raises(ConfigError, match=r"line 4, detectors\[0\]\.threshold"):
        parse_config(text, "bad.yaml", registries={"detectors": DETECTORS})
