"""The log notifier writes one structured line per notification, text included."""

from __future__ import annotations

import aiohttp
from structlog.testing import capture_logs

from alerts.explain import digest, explain
from alerts.notifiers.log import LogNotifier, LogOptions
from tests.alerts.factories import alert, context, notification


async def test_one_structured_line_per_alert(session: aiohttp.ClientSession) -> None:
    with capture_logs() as logs:
        await LogNotifier("log", LogOptions(), session).send(notification(note_id="evt-1"))
    [line] = [entry for entry in logs if entry["event"] == "alert"]
    assert line["log_level"] == "warning"
    assert line["id"] == "evt-1"
    assert line["alerts"][0]["key"] == "volume|Acme"
    assert line["alerts"][0]["severity"] == "warning"
    assert line["text"].startswith("🟠 Spike in mentions of Acme")


async def test_digest_and_level(session: aiohttp.ClientSession) -> None:
    items = [explain(alert(subject=s), context()) for s in ("Acme", "Digikala")]
    with capture_logs() as logs:
        await LogNotifier("log", LogOptions(level="info", text=False), session).send(digest("d", items, context()))
    [line] = [entry for entry in logs if entry["event"] == "alert"]
    assert line["log_level"] == "info"
    assert line["digest"] is True
    assert [a["subject"] for a in line["alerts"]] == ["Acme", "Digikala"]
    assert "text" not in line


async def test_accepts_filters_by_severity_and_event(session: aiohttp.ClientSession) -> None:
    notifier = LogNotifier("log", LogOptions(min_severity="warning", events=["open", "resolved"]), session)
    assert notifier.accepts(alert(severity="critical"))
    assert not notifier.accepts(alert(severity="info"))
    assert not notifier.accepts(alert(status="updated"))
    assert notifier.accepts(alert(status="resolved"))
