"""The scheduled report: the service e-mails the competitor report every `every` (e.g. weekly).

The service's scheduler calls `send_scheduled_report(store, settings, schedule)` when a report is
due; this module builds the report for the `period` before now (rounded down to the hour),
renders it, and sends one e-mail: the HTML report as the body, with the formats in `attach`
(PDF by default) as attachments. The SMTP keys are the ones of the email notifier
(`alerts/notifiers/email.py`), so one SMTP block can be copied between the two.

Configuration (`ScheduledReport`, e.g. under `report:` in the config file)::

    report:
      every: 7d                  # how often the scheduler sends it
      period: 7d                 # the window each report covers (ending at the send time)
      brands: []                 # config names; empty = every brand
      language: null             # en | fa; null = display.language
      attach: [pdf]              # pdf, csv, html
      subject: null              # default: the report's title and period
      email:
        host: smtp.example.com
        port: null               # 587 with starttls, 465 with tls, else 25
        starttls: true
        tls: false
        username: reports@example.com
        password: ${TRENDWATCH_SMTP_PASSWORD}
        sender: "trendwatch <reports@example.com>"
        to: [strategy@example.com]

A login refused, a recipient refused or a TLS failure raises `DeliveryError(retryable=False)`
at once; a refused connection, a timeout or a 4xx answer is tried `attempts` times, then raises
`DeliveryError(retryable=True)` for the scheduler to try at its next tick. Each outcome is logged
once and counted in `trendwatch_notifications_total{notifier="report"}`.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal

import aiosmtplib
import structlog
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from trendwatch.config import Settings
from trendwatch.errors import DeliveryError
from trendwatch.metrics import NOTIFICATIONS
from trendwatch.service.local_buckets import LocalGrid
from trendwatch.service.report.gather import HOUR, ReportStore, gather, make_request
from trendwatch.service.report.locale import strip_bidi
from trendwatch.service.report.model import Format, Report
from trendwatch.service.report.render import MEDIA_TYPES, render
from trendwatch.service.report.view import make_view
from trendwatch.timeutil import Duration, parse_duration, utcnow

log = structlog.get_logger(__name__)


class ReportEmail(BaseModel):
    """Where the report goes and through which SMTP server (the email notifier's keys)."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(min_length=1, description="SMTP server.")
    port: int | None = Field(None, ge=1, le=65535, description="Default 587 with STARTTLS, 465 with tls, else 25.")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS (required when true).")
    tls: bool = Field(False, description="Implicit TLS from the first byte (SMTPS, port 465).")
    username: str | None = Field(None, description="SMTP login, if the server needs one.")
    password: SecretStr | None = Field(None, description="SMTP password; write ${TRENDWATCH_SMTP_PASSWORD}.")
    sender: str = Field(min_length=3, description="From address, e.g. 'trendwatch <reports@example.com>'.")
    to: list[str] = Field(min_length=1, description="Recipients.")
    ca_file: Path | None = Field(None, description="CA bundle to verify the server with (default: system CAs).")
    timeout: Duration = Field(parse_duration("60s"), description="Per attempt (the PDF can take a while to send).")
    attempts: int = Field(3, ge=1, le=10, description="Attempts before giving up until the next tick.")
    backoff: Duration = Field(parse_duration("5s"), description="First wait between attempts (doubles).")

    @model_validator(mode="after")
    def _consistent(self) -> ReportEmail:
        if self.tls and self.starttls:
            self.starttls = False  # implicit TLS needs no upgrade
        if self.password is not None and not self.username:
            raise ValueError("a password needs a username")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or (465 if self.tls else 587 if self.starttls else 25)


class ScheduledReport(BaseModel):
    """A report the service sends by e-mail on a schedule."""

    model_config = ConfigDict(extra="forbid")

    every: Duration = Field(parse_duration("7d"), description="How often the report is sent.")
    period: Duration = Field(parse_duration("7d"), description="The window each report covers, ending when sent.")
    brands: list[str] = Field(default_factory=list, description="Brands by config name; empty = all.")
    language: Literal["en", "fa"] | None = Field(None, description="Report language; null = display.language.")
    attach: list[Format] = Field(
        default_factory=lambda: list[Format](["pdf"]), description="Attachments: pdf, csv, html."
    )
    subject: str | None = Field(None, description="E-mail subject; default: the title and the period.")
    email: ReportEmail

    @model_validator(mode="after")
    def _sensible(self) -> ScheduledReport:
        if self.every < HOUR or self.period < HOUR:
            raise ValueError("every and period must be at least 1h")
        return self


@dataclass(frozen=True, slots=True)
class SentReport:
    """What was sent: for the scheduler's log and for tests."""

    subject: str
    recipients: tuple[str, ...]
    attachments: tuple[str, ...]
    since: datetime
    until: datetime
    size: int


async def send_scheduled_report(
    store: ReportStore, settings: Settings, schedule: ScheduledReport, *, now: datetime | None = None
) -> SentReport:
    """Build the report for the `schedule.period` before `now` and e-mail it (see module doc)."""
    now = now or utcnow()
    request = make_request(
        settings,
        span=schedule.period,
        until=LocalGrid(settings.display.timezone, HOUR).floor(now),  # the last full local hour
        brands=schedule.brands,
        language=schedule.language,
    )
    report = await gather(store, request, now=now)
    message = report_message(report, schedule, now=now)
    await _deliver(message, schedule.email)
    attachments = tuple(part.get_filename() or "" for part in message.iter_attachments())
    NOTIFICATIONS.labels(notifier="report", result="delivered").inc()
    log.info(
        "report sent",
        recipients=len(schedule.email.to),
        attachments=list(attachments),
        since=request.since.isoformat(),
        until=request.until.isoformat(),
    )
    return SentReport(
        subject=str(message["Subject"]),
        recipients=tuple(schedule.email.to),
        attachments=attachments,
        since=request.since,
        until=request.until,
        size=len(message.as_bytes()),
    )


def report_message(report: Report, schedule: ScheduledReport, *, now: datetime) -> EmailMessage:
    """The e-mail: a plain-text summary, the HTML report as the rich body, and the attachments."""
    view = make_view(report)
    subject = schedule.subject or f"{view.title} · {view.period}"
    message = EmailMessage()
    message["Subject"] = strip_bidi(subject)
    message["From"] = schedule.email.sender
    message["To"] = ", ".join(schedule.email.to)
    message["Date"] = formatdate(now.timestamp(), localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"report-{int(report.request.until.timestamp())}", domain="trendwatch")
    lines = [view.title, view.subtitle, "", *view.summary, ""]
    lines += [f"{r.brand}: {r.mentions} · {r.change} · {r.share} · {r.net}" for r in view.figures]
    message.set_content(strip_bidi("\n".join(lines)) + "\n")
    message.add_alternative(render(report, "html").decode("utf-8"), subtype="html")
    stem = f"trendwatch-report-{report.request.until:%Y%m%d}"
    for fmt in dict.fromkeys(schedule.attach):
        maintype, subtype = MEDIA_TYPES[fmt].split("/")
        message.add_attachment(render(report, fmt), maintype=maintype, subtype=subtype, filename=f"{stem}.{fmt}")
    return message


async def _deliver(message: EmailMessage, email: ReportEmail) -> None:
    where = f"SMTP server {email.host}:{email.effective_port}"
    context = ssl.create_default_context(cafile=str(email.ca_file) if email.ca_file else None)
    for attempt in range(1, email.attempts + 1):
        try:
            await aiosmtplib.send(
                message,
                hostname=email.host,
                port=email.effective_port,
                username=email.username,
                password=email.password.get_secret_value() if email.password else None,
                use_tls=email.tls,
                start_tls=email.starttls,
                tls_context=context if (email.tls or email.starttls) else None,
                timeout=email.timeout.total_seconds(),
            )
            return
        except aiosmtplib.SMTPAuthenticationError as exc:
            problem, retryable = f"{where} refused the login of {email.username!r} ({exc.code})", False
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(r.recipient for r in exc.recipients)
            problem, retryable = f"{where} refused the recipients {refused}", False
        except aiosmtplib.SMTPTimeoutError:
            problem, retryable = f"{where} timed out", True
        except aiosmtplib.SMTPResponseException as exc:
            problem, retryable = f"{where} answered {exc.code} {exc.message}", 400 <= exc.code < 500
        except ssl.SSLError as exc:
            problem, retryable = f"TLS with {where} failed: {exc.reason}", False
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPServerDisconnected, OSError) as exc:
            problem, retryable = f"cannot reach {where} ({type(exc).__name__})", True
        except aiosmtplib.SMTPException as exc:
            problem, retryable = f"{where}: {exc.message}", False
        if not retryable or attempt == email.attempts:
            NOTIFICATIONS.labels(notifier="report", result="failed").inc()
            log.warning("report not sent", problem=problem, retryable=retryable, attempts=attempt)
            raise DeliveryError(f"the scheduled report was not sent: {problem}", retryable=retryable)
        NOTIFICATIONS.labels(notifier="report", result="retry").inc()
        await asyncio.sleep(email.backoff.total_seconds() * 2 ** (attempt - 1))
