"""The scheduled report e-mail, sent to a real local SMTP server (aiosmtpd, STARTTLS + AUTH).

The SMTP server is the one the email notifier is tested against (tests/alerts/servers.py).
"""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from pypdf import PdfReader

from tests.alerts.fixtures import smtp, tls_files
from tests.alerts.servers import SmtpServer
from tests.service.test_report import DAY, UNTIL, ReportWorld, open_world
from trendwatch.errors import DeliveryError
from trendwatch.metrics import NOTIFICATIONS
from trendwatch.service.report.locale import strip_bidi
from trendwatch.service.report.schedule import ReportEmail, ScheduledReport, send_scheduled_report

__all__ = ["smtp", "tls_files"]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[ReportWorld]:
    opened = await open_world(tmp_path)
    yield opened
    await opened.store.close()


def schedule(smtp: SmtpServer, ca: Path, **overrides: Any) -> ScheduledReport:
    email: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": smtp.port,
        "username": "alerts",
        "password": "s3cret!",
        "sender": "trendwatch <reports@example.com>",
        "to": ["ceo@example.com", "strategy@example.com"],
        "ca_file": str(ca),
        "timeout": "10s",
        "backoff": "10ms",
    }
    email.update(overrides.pop("email", {}))
    return ScheduledReport.model_validate({"period": "7d", "attach": ["pdf", "csv"], "email": email, **overrides})


def _sent(result: str) -> float:
    return NOTIFICATIONS.labels(notifier="report", result=result)._value.get()


async def test_the_report_is_mailed_with_its_attachments(
    world: ReportWorld, smtp: SmtpServer, tls_files: tuple[Path, Path]
) -> None:
    before = _sent("delivered")
    sent = await send_scheduled_report(
        world.store, world.settings, schedule(smtp, tls_files[0]), now=UNTIL + timedelta(minutes=20)
    )
    [(envelope, message, tls, authenticated)] = smtp.messages
    assert tls, "STARTTLS before the login and the mail"
    assert authenticated
    assert envelope.rcpt_tos == ["ceo@example.com", "strategy@example.com"]
    assert sent.until == UNTIL, "the period ends at the last full hour"
    assert sent.since == UNTIL - 7 * DAY
    assert message["Subject"] == "گزارش مقایسه با رقبا · ۱۴۰۴/۱۰/۱۱ – ۱۴۰۴/۱۰/۱۷"
    assert sent.subject == message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert '<html lang="fa" dir="rtl">' in html
    text = message.get_body(("plain",)).get_content()
    assert "بیشترین سهم گفتگو با Digikala بود" in strip_bidi(text)
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {"trendwatch-report-20260107.pdf", "trendwatch-report-20260107.csv"}
    assert sent.attachments == tuple(attachments)
    pdf = PdfReader(io.BytesIO(attachments["trendwatch-report-20260107.pdf"].get_content()))
    assert "گزارش مقایسه با رقبا" in strip_bidi(pdf.pages[0].extract_text())
    assert attachments["trendwatch-report-20260107.csv"].get_content_type() == "text/csv"
    assert _sent("delivered") == before + 1


async def test_brand_language_and_subject_follow_the_schedule(
    world: ReportWorld, smtp: SmtpServer, tls_files: tuple[Path, Path]
) -> None:
    plan = schedule(smtp, tls_files[0], brands=["torob"], language="en", attach=["html"], subject="Weekly: Torob")
    await send_scheduled_report(world.store, world.settings, plan, now=UNTIL)
    [(_, message, _, _)] = smtp.messages
    assert message["Subject"] == "Weekly: Torob"
    html = message.get_body(("html",)).get_content()
    assert '<html lang="en" dir="ltr">' in html
    assert "Snapp Shop" not in html
    assert [p.get_filename() for p in message.iter_attachments()] == ["trendwatch-report-20260107.html"]


async def test_a_refused_login_fails_at_once_and_is_not_retryable(
    world: ReportWorld, smtp: SmtpServer, tls_files: tuple[Path, Path]
) -> None:
    before = _sent("failed")
    plan = schedule(smtp, tls_files[0], email={"password": "wrong-password"}, attach=[])
    with pytest.raises(DeliveryError, match="refused the login of 'alerts'") as caught:
        await send_scheduled_report(world.store, world.settings, plan, now=UNTIL)
    assert caught.value.retryable is False
    assert "wrong-password" not in str(caught.value)
    assert smtp.messages == []
    assert _sent("failed") == before + 1


async def test_an_unreachable_server_is_retried_then_reported_as_retryable(
    world: ReportWorld, tls_files: tuple[Path, Path]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plan = ScheduledReport.model_validate(
        {
            "attach": [],
            "email": {
                "host": "127.0.0.1",
                "port": port,
                "sender": "r@example.com",
                "to": ["a@example.com"],
                "attempts": 2,
                "backoff": "10ms",
                "timeout": "2s",
            },
        }
    )
    before = _sent("retry")
    with pytest.raises(DeliveryError, match=r"cannot reach SMTP server 127\.0\.0\.1") as caught:
        await send_scheduled_report(world.store, world.settings, plan, now=UNTIL)
    assert caught.value.retryable is True
    assert _sent("retry") == before + 1


def test_the_configuration_is_checked() -> None:
    good = {"email": {"host": "smtp.example.com", "sender": "r@example.com", "to": ["a@example.com"]}}
    parsed = ScheduledReport.model_validate(good)
    assert parsed.period.days == 7
    assert parsed.attach == ["pdf"]
    assert parsed.email.effective_port == 587
    assert ScheduledReport.model_validate({**good, "email": {**good["email"], "tls": True}}).email.effective_port == 465
    for bad, message in [
        ({**good, "attach": ["docx"]}, "attach"),
        ({**good, "every": "5m"}, "at least 1h"),
        ({**good, "emial": {}}, "emial"),
        ({"email": {**good["email"], "to": []}}, "to"),
        ({"email": {**good["email"], "password": "x"}}, "needs a username"),
    ]:
        with pytest.raises(ValidationError, match=message):
            ScheduledReport.model_validate(bad)


def test_the_example_configuration_is_a_valid_schedule() -> None:
    """deploy/config.example.yaml's (commented) report block parses into a ScheduledReport."""
    text = (Path(__file__).resolve().parents[2] / "deploy" / "config.example.yaml").read_text(encoding="utf-8")
    block = text.split("# BEGIN report", 1)[1].split("# END report", 1)[0]
    lines = [line[1:] for line in block.splitlines() if line.startswith(("#report:", "#  "))]
    data = yaml.safe_load("\n".join(lines))
    parsed = ScheduledReport.model_validate(data["report"])
    assert parsed.email.to == ["strategy@example.com"]
    assert parsed.email.password is not None
    assert parsed.email.password.get_secret_value() == "${TRENDWATCH_SMTP_PASSWORD}"
    assert set(ScheduledReport.model_fields) == set(data["report"])
    assert set(ReportEmail.model_fields) == set(data["report"]["email"]), "every SMTP key is documented"
