"""The notifiers section of deploy/config.example.yaml validates and builds."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from alerts.plugins import NOTIFIERS
from trendwatch.config import parse_config
from trendwatch.errors import ConfigError, NotConfigured

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "config.example.yaml"
ENV = {
    "WEBHOOK_SECRET": "k",
    "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T/B/x",
    "TELEGRAM_BOT_TOKEN": "1:abc",
    "SMTP_PASSWORD": "pw",
}


def section() -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    start, end = text.index("# BEGIN notifiers"), text.index("# END notifiers")
    return "brand: {name: X}\nnotifiers:\n" + text[start:end]


async def test_every_notifier_in_the_example_is_valid_and_builds() -> None:
    settings = parse_config(section(), "example", registries={"notifiers": NOTIFIERS}, env=ENV)
    assert sorted(p.type for p in settings.notifiers) == ["email", "log", "slack", "telegram", "webhook"]
    async with aiohttp.ClientSession() as session:
        built = [NOTIFIERS.get(p.type)(p.name, p.options, session) for p in settings.notifiers]
    assert [n.name for n in built] == ["log", "webhook", "slack", "telegram", "email"]


async def test_without_the_environment_secret_notifiers_decline_by_name() -> None:
    settings = parse_config(section(), "example", registries={"notifiers": NOTIFIERS}, env={})
    by_name = {p.name: p for p in settings.notifiers}
    async with aiohttp.ClientSession() as session:
        with pytest.raises(NotConfigured, match="needs webhook_url"):
            NOTIFIERS.get("slack")("slack", by_name["slack"].options, session)
        with pytest.raises(NotConfigured, match="needs token"):
            NOTIFIERS.get("telegram")("telegram", by_name["telegram"].options, session)
        with pytest.raises(NotConfigured, match="needs secret"):  # an empty secret is no secret, not ''
            NOTIFIERS.get("webhook")("webhook", by_name["webhook"].options, session)


def test_a_typo_is_an_error_with_the_key() -> None:
    text = "brand: {name: X}\nnotifiers:\n  - type: telegram\n    chat: '@x'\n"
    with pytest.raises(ConfigError) as info:
        parse_config(text, "bad.yaml", registries={"notifiers": NOTIFIERS}, env={})
    assert "line 4, notifiers[0].chat: unknown key" in str(info.value)
    text = "brand: {name: X}\nnotifiers:\n  - type: email\n    digest: soon\n"
    with pytest.raises(ConfigError, match=r"notifiers\[0\]\.digest"):
        parse_config(text, "bad.yaml", registries={"notifiers": NOTIFIERS}, env={})
