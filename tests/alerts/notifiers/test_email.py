"""The email notifier against a local SMTP server with STARTTLS and AUTH (aiosmtpd)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from structlog.testing import capture_logs

from alerts.explain import strip_bidi
from alerts.notifiers.base import DeliveryFailed
from alerts.notifiers.email import EmailNotifier, EmailOptions
from tests.alerts.factories import MARKUP_POST, notification
from tests.alerts.servers import SmtpServer
from trendwatch.errors import NotConfigured


def make(smtp: SmtpServer, session: aiohttp.ClientSession, ca: Path, **options: Any) -> EmailNotifier:
    defaults: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": smtp.port,
        "username": "alerts",
        "password": "s3cret!",
        "sender": "trendwatch <alerts@example.com>",
        "to": ["team@example.com", "ops@example.com"],
        "ca_file": ca,
        "backoff": "10ms",
        "timeout": "5s",
    }
    return EmailNotifier("mail", EmailOptions(**(defaults | options)), session)


async def test_multipart_mail_over_starttls_with_login(
    smtp: SmtpServer, session: aiohttp.ClientSession, tls_files: tuple[Path, Path]
) -> None:
    await make(smtp, session, tls_files[0]).send(notification(note_id="evt-7", post=MARKUP_POST))
    [(envelope, message, tls, authenticated)] = smtp.messages
    assert tls, "the session was upgraded with STARTTLS before the mail went through"
    assert authenticated
    assert envelope.rcpt_tos == ["team@example.com", "ops@example.com"]
    assert message["Subject"] == "[trendwatch] 🟠 Spike in mentions of Acme"
    assert message["X-Trendwatch-Delivery"] == "evt-7"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert MARKUP_POST in text, "the text part quotes the post as written"
    assert "<b>bold</b>" not in html, "no tag from the post survives into the HTML part"
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert 'href="http://evil.example"' not in html


async def test_every_attempt_carries_the_same_message_id(
    smtp: SmtpServer, session: aiohttp.ClientSession, tls_files: tuple[Path, Path]
) -> None:
    mailer = make(smtp, session, tls_files[0])
    await mailer.send(notification(note_id="evt-7"))
    await mailer.send(notification(note_id="evt-7"))  # a retry after a lost reply
    await mailer.send(notification(note_id="evt-8"))
    ids = [message["Message-ID"] for _, message, _, _ in smtp.messages]
    assert ids == ["<evt-7@example.com>", "<evt-7@example.com>", "<evt-8@example.com>"]


async def test_persian_mail_is_right_to_left(
    smtp: SmtpServer, session: aiohttp.ClientSession, tls_files: tuple[Path, Path]
) -> None:
    await make(smtp, session, tls_files[0]).send(notification(subject="Digikala"))
    [(_, message, _, _)] = smtp.messages
    html = message.get_body(("html",)).get_content()
    assert '<html lang="fa" dir="rtl">' in html
    assert "جهش در اشاره‌ها به" in strip_bidi(message["Subject"])
    assert "۱۴۰۵-۰۸-۲۹" in message.get_body(("plain",)).get_content()


async def test_wrong_password_fails_at_once_without_revealing_it(
    smtp: SmtpServer, session: aiohttp.ClientSession, tls_files: tuple[Path, Path]
) -> None:
    with capture_logs() as logs, pytest.raises(DeliveryFailed) as info:
        await make(smtp, session, tls_files[0], password="wrong-password-value").send(notification())
    assert info.value.reason == "auth"
    assert not info.value.retryable
    assert "'alerts'" in str(info.value)
    assert "wrong-password-value" not in str(info.value) + str(logs)
    assert smtp.messages == []


async def test_connection_refused_is_retryable(session: aiohttp.ClientSession, tls_files: tuple[Path, Path]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    notifier = EmailNotifier(
        "mail",
        EmailOptions(host="127.0.0.1", port=port, sender="a@example.com", to=["b@example.com"], backoff="10ms"),
        session,
    )
    with pytest.raises(DeliveryFailed) as info:
        await notifier.send(notification())
    assert info.value.reason == "connect"
    assert info.value.retryable


async def test_an_untrusted_certificate_is_refused(
    smtp: SmtpServer, session: aiohttp.ClientSession, tls_files: tuple[Path, Path]
) -> None:
    notifier = make(smtp, session, tls_files[0], ca_file=None)  # system CAs do not know our cert
    with pytest.raises(DeliveryFailed) as info:
        await notifier.send(notification())
    assert info.value.reason == "tls"
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    assert smtp.messages == []


async def test_a_server_without_starttls_is_refused_when_starttls_is_required(
    session: aiohttp.ClientSession, tls_files: tuple[Path, Path]
) -> None:
    plain = await SmtpServer(*tls_files, tls=False).start()
    try:
        with pytest.raises(DeliveryFailed) as info:
            await make(plain, session, tls_files[0]).send(notification())
        assert info.value.reason == "not_supported"
        assert not info.value.retryable
        assert plain.messages == []
    finally:
        await plain.close()


async def test_needs_host_sender_and_recipients(session: aiohttp.ClientSession) -> None:
    with pytest.raises(NotConfigured, match="needs host, sender, to"):
        EmailNotifier("mail", EmailOptions(), session)
    with pytest.raises(NotConfigured, match="password but no username"):
        EmailNotifier("mail", EmailOptions(host="h", sender="a@b", to=["c@d"], password="x"), session)
