"""Configuration errors name the file, the key path and the line; secrets never appear."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel, HttpUrl

from trendwatch.config import PluginOptions, load_config, parse_config
from trendwatch.errors import ConfigError
from trendwatch.registry import Registry


class _FeedOptions(PluginOptions):
    url: HttpUrl
    token: str | None = None


class _Feed:
    Options: ClassVar[type[BaseModel]] = _FeedOptions
    description: ClassVar[str] = "a test feed"


class _StoreOptions(PluginOptions):
    path: str = "x.db"


class _Store:
    Options: ClassVar[type[BaseModel]] = _StoreOptions
    description: ClassVar[str] = "a test store"


def _registries() -> dict[str, Registry[object]]:
    sources: Registry[object] = Registry("source")
    sources.register("feed", _Feed)
    stores: Registry[object] = Registry("store")
    stores.register("sqlite", _Store)
    return {"sources": sources, "store": stores}


def _issues(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "cfg.yaml", registries=_registries(), env=env or {})
    assert str(caught.value).startswith("cfg.yaml: ")
    return [str(issue) for issue in caught.value.issues]


def test_valid_config_with_plugin_options_validated() -> None:
    text = """
brand:
  name: Digikala
  aliases: [دیجی‌کالا, دیجی کالا, "#digikala"]
competitors:
  - name: Torob
sources:
  - type: feed
    name: news
    url: https://example.com/feed.xml
    token: ${FEED_TOKEN}
"""
    settings = parse_config(text, registries=_registries(), env={"FEED_TOKEN": "s3cret"})
    assert [b.name for b in settings.brands] == ["Digikala", "Torob"]
    assert settings.brand.aliases[0] == "دیجی\u200cکالا"
    source = settings.sources[0]
    assert source.name == "news"
    assert str(source.options.url) == "https://example.com/feed.xml"
    assert source.options.token == "s3cret"
    assert settings.store.options.path == "x.db"


def test_unknown_source_type_names_the_key_and_known_types() -> None:
    text = "brand: {name: A}\nsources:\n  - name: x\n    type: rsss\n"
    assert _issues(text) == ["line 4, sources[0].type: unknown source type 'rsss'; known: feed"]


def test_brand_without_a_name() -> None:
    text = "brand:\n  aliases: [a]\n"
    assert _issues(text) == ["line 1, brand.name: required key is missing"]


def test_blank_brand_name() -> None:
    text = "brand:\n  name: '  '\n"
    assert _issues(text) == ["line 2, brand.name: a brand needs a non-empty name"]


def test_broken_yaml_gives_the_line() -> None:
    text = "brand:\n  name: A\nsources:\n  - type: feed\n   url: x\n"
    issues = _issues(text)
    assert len(issues) == 1
    assert issues[0].startswith("line 5, <top level>: not valid YAML")


def test_missing_environment_variable_names_the_key_not_a_value() -> None:
    text = "brand: {name: A}\nsources:\n  - type: feed\n    url: https://x.test/\n    token: ${FEED_TOKEN}\n"
    assert _issues(text) == [
        "line 5, sources[0].token: environment variable FEED_TOKEN is not set (referenced as ${FEED_TOKEN})"
    ]


def test_secret_values_never_echoed_in_errors() -> None:
    text = "brand: {name: A}\nsources:\n  - type: feed\n    url: ${FEED_URL}\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "cfg.yaml", registries=_registries(), env={"FEED_URL": "not a url hunter2"})
    assert "hunter2" not in str(caught.value)
    assert "sources[0].url" in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    text = """
brand: {name: A}
competitors:
  - name: A
display:
  timezone: Mars/Olympus
sources:
  - type: feed
    url: https://a.test/
  - type: feed
    url: https://b.test/
    colour: blue
"""
    issues = _issues(text)
    assert (
        "line 6, display.timezone: unknown time zone 'Mars/Olympus'; use an IANA name such as 'Asia/Tehran' or 'UTC'"
        in issues
    )
    assert "line 12, sources[1].colour: unknown key (check the spelling; see deploy/config.example.yaml)" in issues
    assert len(issues) == 2  # plugin blocks are checked even when the rest is invalid
    fixed = text.replace("Mars/Olympus", "Asia/Tehran")
    issues = _issues(fixed)
    assert "line 3, competitors: two brands are named 'A'; give each a distinct name" in issues
    assert "line 7, sources: two sources are named 'feed'; give each a distinct name" in issues
    assert "line 12, sources[1].colour: unknown key (check the spelling; see deploy/config.example.yaml)" in issues


def test_unknown_top_level_key() -> None:
    assert _issues("brand: {name: A}\nsorces: []\n") == [
        "line 2, sorces: unknown key (check the spelling; see deploy/config.example.yaml)"
    ]


def test_exposed_web_needs_a_token() -> None:
    issues = _issues("brand: {name: A}\nweb: {host: 0.0.0.0}\n")
    assert len(issues) == 1
    assert issues[0].startswith("line 2, web: binding to 0.0.0.0 exposes the service")


def test_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_env_default_syntax() -> None:
    settings = parse_config("brand: {name: '${BRAND:-Digikala}'}\n", env={})
    assert settings.brand.name == "Digikala"


def test_example_config_is_valid_without_plugins() -> None:
    from trendwatch.config import load_config as load

    settings = load(Path(__file__).resolve().parents[2] / "deploy" / "config.example.yaml", env={})
    assert settings.web.token is None
    assert settings.display.calendar == "jalali"


def test_empty_sections_mean_none_configured() -> None:
    settings = parse_config("brand: {name: A}\nsources:\ndetectors:\nnotifiers:\ncompetitors:\n")
    assert settings.sources == settings.detectors == settings.notifiers == settings.competitors == []


class _Report(PluginOptions):
    every: str = "7d"
    to: list[str]


def test_free_form_sections_are_validated_by_the_given_model() -> None:
    settings = parse_config("brand: {name: A}\nreport:\n  to: [a@b.c]\n", sections={"report": _Report})
    assert isinstance(settings.report, _Report)
    assert settings.report.to == ["a@b.c"]
    with pytest.raises(ConfigError) as caught:
        parse_config(
            "brand: {name: A}\nreport:\n  every: 1d\n  colour: red\n", "cfg.yaml", sections={"report": _Report}
        )
    assert [str(i) for i in caught.value.issues] == [
        "line 2, report.to: required key is missing",
        "line 4, report.colour: unknown key (check the spelling; see deploy/config.example.yaml)",
    ]
    assert parse_config("brand: {name: A}\n", sections={"report": _Report}).report is None
