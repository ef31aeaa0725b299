"""The email notifier: multipart text + HTML mail over SMTP, with STARTTLS by default.

The HTML part escapes every text (a post full of tags shows as text) and is laid out right to
left for Persian alerts (`dir="rtl"`); the text part is the plain explanation. It connects per
message with aiosmtplib: `starttls: true` (port 587) upgrades the connection and refuses to
send if the server cannot; `tls: true` (port 465) connects over TLS from the start. An SMTP
login failure or a refused recipient will not pass by retrying and is reported at once; a
refused connection, a timeout or a 4xx reply is retried.
"""

from __future__ import annotations

import html
import ssl
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import ClassVar

import aiohttp
import aiosmtplib
from pydantic import Field, SecretStr, field_validator, model_validator

from alerts.explain import Explanation, Notification, strip_bidi
from alerts.notifiers.base import BaseNotifier, DeliveryFailed, NotifierOptions
from trendwatch.errors import NotConfigured


class EmailOptions(NotifierOptions):
    host: str | None = Field(None, description="SMTP server.")
    port: int | None = Field(None, ge=1, le=65535, description="Default 587 with STARTTLS, 465 with tls, else 25.")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS (required when true).")
    tls: bool = Field(False, description="Implicit TLS from the first byte (SMTPS, port 465).")
    username: str | None = Field(None, description="SMTP login, if the server needs one.")
    password: SecretStr | None = Field(None, description="SMTP password; write ${SMTP_PASSWORD}.")
    sender: str | None = Field(None, description="From address, e.g. 'trendwatch <alerts@example.com>'.")
    to: list[str] = Field(default_factory=list, description="Recipients.")
    subject_prefix: str = Field("[trendwatch]", description="Put before every subject.")
    ca_file: Path | None = Field(None, description="CA bundle to verify the server with (default: system CAs).")

    @field_validator("host", "username", "password", "sender", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _one_tls_mode(self) -> EmailOptions:
        if self.tls and self.starttls:
            self.starttls = False  # implicit TLS needs no upgrade
        return self


def _html_item(item: Explanation) -> str:
    e = html.escape
    parts = [f'<h2 style="margin:0 0 8px">{item.icon} {e(item.title)}</h2>', f"<p>{e(item.summary)}</p>"]
    rows = "".join(
        f'<tr><th style="text-align:start;padding:2px 12px 2px 0">{e(f.label)}</th><td>{e(f.value)}</td></tr>'
        for f in item.facts
    )
    parts.append(f"<table>{rows}</table>")
    for driver in item.drivers:
        sep = "، " if item.rtl else ", "
        parts.append(f"<p><b>{e(driver.label)}:</b> {e(sep.join(driver.items))}</p>")
    if item.quotes:
        parts.append(f"<p><b>{e(item.quotes_label)}:</b></p>")
        for quote in item.quotes:
            link = f' <a href="{e(quote.url, quote=True)}">↗</a>' if quote.url else ""
            parts.append(
                f'<blockquote style="margin:4px 12px;color:#444">{e(item.quote_line(quote))}{link}</blockquote>'
            )
    if item.link:
        parts.append(f'<p><a href="{e(item.link, quote=True)}">{e(item.link_label)}</a></p>')
    direction = "rtl" if item.rtl else "ltr"
    return f'<div dir="{direction}" lang="{item.lang}" style="text-align:start">{"".join(parts)}</div>'


def html_body(notification: Notification) -> str:
    direction = "rtl" if notification.rtl else "ltr"
    items = '<hr style="border:0;border-top:1px solid #ddd">'.join(_html_item(i) for i in notification.items)
    head = f"<h1>{notification.icon} {html.escape(notification.title)}</h1>" if notification.digest else ""
    more = f"<p>{html.escape(notification.more)}</p>" if notification.more else ""
    return (
        f'<!DOCTYPE html><html lang="{notification.lang}" dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{html.escape(strip_bidi(notification.title))}</title></head>"
        f'<body style="font-family:Tahoma,Vazirmatn,Arial,sans-serif">{head}{items}{more}</body></html>'
    )


class EmailNotifier(BaseNotifier):
    Options: ClassVar[type[EmailOptions]] = EmailOptions
    description: ClassVar[str] = "Email each alert (text + HTML) through an SMTP server with STARTTLS."

    def __init__(self, name: str, options: EmailOptions, session: aiohttp.ClientSession) -> None:
        super().__init__(name, options, session)
        self.opts = options
        missing = [
            key for key, value in (("host", options.host), ("sender", options.sender), ("to", options.to)) if not value
        ]
        if missing:
            raise NotConfigured(f"notifier {name!r} needs {', '.join(missing)} (the SMTP server, From and recipients)")
        if options.password is not None and not options.username:
            raise NotConfigured(f"notifier {name!r} has a password but no username")
        self.host: str = options.host or ""
        self.port = options.port or (465 if options.tls else 587 if options.starttls else 25)
        self._what = f"SMTP server {self.host}:{self.port}"
        self._tls_context: ssl.SSLContext | None = None
        if options.tls or options.starttls:
            self._tls_context = ssl.create_default_context(cafile=str(options.ca_file) if options.ca_file else None)

    def message(self, notification: Notification) -> EmailMessage:
        opts = self.opts
        msg = EmailMessage()
        msg["Subject"] = f"{opts.subject_prefix} {notification.icon} {strip_bidi(notification.title)}".strip()
        msg["From"] = opts.sender
        msg["To"] = ", ".join(opts.to)
        msg["Date"] = formatdate(localtime=False)
        # The same id on every attempt, so a receiver can drop a repeat after a retried send.
        msg["Message-ID"] = f"<{notification.id}@{_domain(opts.sender)}>"
        msg["X-Trendwatch-Delivery"] = notification.id
        msg.set_content(notification.text())
        msg.add_alternative(html_body(notification), subtype="html")
        return msg

    async def deliver(self, notification: Notification) -> None:
        opts = self.opts
        try:
            await aiosmtplib.send(
                self.message(notification),
                hostname=self.host,
                port=self.port,
                username=opts.username,
                password=opts.password.get_secret_value() if opts.password else None,
                use_tls=opts.tls,
                start_tls=opts.starttls,
                tls_context=self._tls_context,
                timeout=opts.timeout.total_seconds(),
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed(
                f"{self._what} refused the login of {opts.username!r}: {exc.code} (check username and password)",
                reason="auth",
                retryable=False,
            ) from None
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(r.recipient for r in exc.recipients)
            raise DeliveryFailed(
                f"{self._what} refused the recipients {refused}", reason="recipients", retryable=False
            ) from None
        except aiosmtplib.SMTPNotSupported as exc:
            raise DeliveryFailed(f"{self._what}: {exc.message}", reason="not_supported", retryable=False) from None
        except aiosmtplib.SMTPTimeoutError:
            raise DeliveryFailed(f"{self._what} timed out", reason="timeout") from None
        except aiosmtplib.SMTPResponseException as exc:
            transient = 400 <= exc.code < 500
            raise DeliveryFailed(
                f"{self._what} answered {exc.code} {exc.message}", reason=f"smtp_{exc.code}", retryable=transient
            ) from None
        except ssl.SSLError as exc:
            raise DeliveryFailed(f"TLS with {self._what} failed: {exc.reason}", reason="tls", retryable=False) from None
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, OSError) as exc:
            raise DeliveryFailed(f"cannot reach {self._what} ({type(exc).__name__})", reason="connect") from None
        except aiosmtplib.SMTPException as exc:
            if "STARTTLS" in exc.message:  # aiosmtplib's words when the server cannot upgrade
                raise DeliveryFailed(
                    f"{self._what} does not offer STARTTLS (set starttls: false only for a trusted local relay)",
                    reason="not_supported",
                    retryable=False,
                ) from None
            raise DeliveryFailed(f"{self._what}: {exc.message}", reason="smtp_error") from None


def _domain(sender: str | None) -> str:
    """The domain of the From address (`"Name <a@example.com>"` -> `example.com`)."""
    address = parseaddr(sender or "")[1]
    return address.rpartition("@")[2] or "trendwatch"
