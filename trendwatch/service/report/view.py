"""The report's text, formatted once for every output (HTML, PDF): titles, rows, sentences.

Formats differ in layout only; what the report says (which figures, in which words, with
which digits and dates) is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass

from trendwatch.models import Alert
from trendwatch.service.report.locale import Locale
from trendwatch.service.report.model import BrandSummary, Report, TopPost


@dataclass(frozen=True, slots=True)
class FigureRow:
    brand: str
    own: bool
    mentions: str
    change: str
    share: str
    authors: str
    net: str
    margin: str


@dataclass(frozen=True, slots=True)
class AlertRow:
    started: str
    subject: str
    metric: str
    observed: str
    expected: str
    severity: str
    severity_key: str
    status: str
    status_key: str
    rule: str


@dataclass(frozen=True, slots=True)
class View:
    locale: Locale
    title: str
    subtitle: str
    generated: str
    period: str
    summary: tuple[str, ...]
    figures: tuple[FigureRow, ...]
    alerts: tuple[AlertRow, ...]

    def engagement(self, post: TopPost) -> str:
        n = self.locale.integer
        return self.locale.t(
            "engagement", likes=n(post.likes or 0), reposts=n(post.reposts or 0), replies=n(post.replies or 0)
        )


def make_view(report: Report) -> View:
    request = report.request
    locale = Locale(request.language, request.clock)
    period = locale.period(request.since, request.until)
    return View(
        locale=locale,
        title=locale.t("title"),
        subtitle=locale.t("subtitle", own=request.own_brand, period=period),
        generated=locale.t("generated", when=locale.when(report.generated_at), tz=request.clock.tz),
        period=period,
        summary=_summary(report, locale),
        figures=tuple(_figure_row(b, locale) for b in report.brands),
        alerts=tuple(_alert_row(a, locale) for a in report.alerts),
    )


def _figure_row(summary: BrandSummary, locale: Locale) -> FigureRow:
    return FigureRow(
        brand=summary.brand,
        own=summary.own,
        mentions=locale.integer(summary.mentions),
        change=locale.change(summary.change),
        share=locale.percent(summary.share),
        authors=locale.integer(summary.authors),
        net=locale.maybe(summary.net_sentiment, signed=True),
        margin=locale.maybe(summary.net_margin),
    )


def _summary(report: Report, locale: Locale) -> tuple[str, ...]:
    leader = report.leader
    if leader is None:
        return (locale.t("summary_quiet"),)
    sentences = [locale.t("summary_lead", brand=leader.brand, share=locale.percent(leader.share))]
    own = next((b for b in report.brands if b.own), None)
    if own is not None:
        sentences.append(
            locale.t(
                "summary_own",
                brand=own.brand,
                mentions=locale.integer(own.mentions),
                change=locale.change(own.change),
                net=locale.maybe(own.net_sentiment, signed=True),
            )
        )
    return tuple(sentences)


def _alert_row(alert: Alert, locale: Locale) -> AlertRow:
    places = 0 if alert.metric in ("posts", "authors") else 2
    return AlertRow(
        started=locale.when(alert.started_at),
        subject=alert.subject,
        metric=locale.word("metric", alert.metric),
        observed=locale.decimal(alert.observed, places),
        expected=locale.decimal(alert.expected, places),
        severity=locale.word("severity", alert.severity),
        severity_key=alert.severity,
        status=locale.word("status", alert.status),
        status_key=alert.status,
        rule=alert.rule,
    )
