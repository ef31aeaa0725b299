"""The report's words and numbers in English or Persian.

Words come from the report language; digits, calendar and time zone from the display settings
(`display:` in the config), so a Persian report can use Jalali dates and Persian digits, with
Persian separators (٬ for thousands, ٫ for decimals). A signed number is wrapped in
left-to-right marks so "-0.21" keeps its sign on the left inside right-to-left text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import jdatetime

from trendwatch.service.report.model import Language
from trendwatch.timeutil import DisplayClock

LRM = "\u200e"
RLM = "\u200f"
BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

Direction = Literal["ltr", "rtl"]


def direction_of(text: str, default: Direction) -> Direction:
    """The direction of the first strong character (Unicode bidi classes L, R, AL)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return default


TEXTS: dict[Language, dict[str, str]] = {
    "en": {
        "title": "Competitor report",
        "subtitle": "{own} and competitors, {period}",
        "generated": "Generated {when} · times in {tz}",
        "headline": "Key figures",
        "brand": "Brand",
        "mentions": "Mentions",
        "change": "Change",
        "share": "Share of voice",
        "authors": "Unique authors",
        "net": "Net sentiment",
        "margin": "±95%",
        "new": "new",
        "own": "own brand",
        "summary_lead": "{brand} led the conversation with {share} of mentions.",
        "summary_own": "{brand}: {mentions} mentions ({change} on the previous period), net sentiment {net}.",
        "summary_quiet": "No brand was mentioned in this period.",
        "chart_mentions": "Mentions per {step}",
        "chart_share": "Share of voice",
        "chart_net": "Net sentiment with its 95% interval",
        "net_note": "Net sentiment: share of positive minus share of negative mentions, from -1 to +1.",
        "talk": "What people talked about",
        "hashtags": "Top hashtags",
        "topics": "Top topics",
        "posts": "Most engaging posts",
        "engagement": "{likes} likes · {reposts} reposts · {replies} replies",
        "open_post": "open",
        "alerts": "Alerts in this period",
        "no_alerts": "No alerts in this period.",
        "started": "Started",
        "rule": "Rule",
        "subject": "Subject",
        "what": "Measure",
        "observed": "Observed",
        "expected": "Expected",
        "status": "Status",
        "severity": "Severity",
        "nothing": "—",
        "footer": "Made with trendwatch",
        "step_hour": "hour",
        "step_day": "day",
        "step_week": "week",
        "status_open": "open",
        "status_updated": "updated",
        "status_resolved": "resolved",
        "severity_info": "info",
        "severity_warning": "warning",
        "severity_critical": "critical",
        "metric_posts": "posts",
        "metric_authors": "authors",
        "metric_share": "share",
        "metric_net_sentiment": "net sentiment",
        "date": "Date",
        "positive": "Positive",
        "negative": "Negative",
        "neutral": "Neutral",
    },
    "fa": {
        "title": "گزارش مقایسه با رقبا",
        "subtitle": "{own} و رقبا، {period}",
        "generated": "تهیه‌شده در {when} · زمان‌ها به وقت {tz}",
        "headline": "شاخص‌های اصلی",
        "brand": "برند",
        "mentions": "اشاره‌ها",
        "change": "تغییر",
        "share": "سهم صدا",
        "authors": "نویسندگان یکتا",
        "net": "خالص احساسات",
        "margin": "±۹۵٪",
        "new": "تازه",
        "own": "برند ما",
        "summary_lead": "بیشترین سهم گفتگو با {brand} بود: {share} از اشاره‌ها.",
        "summary_own": "{brand}: {mentions} اشاره ({change} نسبت به دوره قبل)، خالص احساسات {net}.",
        "summary_quiet": "در این دوره از هیچ برندی نامی برده نشد.",
        "chart_mentions": "اشاره‌ها در هر {step}",
        "chart_share": "سهم صدا",
        "chart_net": "خالص احساسات با بازه اطمینان ۹۵٪",
        "net_note": "خالص احساسات: سهم اشاره‌های مثبت منهای سهم اشاره‌های منفی، از منفی یک تا مثبت یک.",
        "talk": "موضوعات گفتگو",
        "hashtags": "هشتگ‌های پرتکرار",
        "topics": "موضوعات پرتکرار",
        "posts": "پست‌های با بیشترین تعامل",
        "engagement": "{likes} پسند · {reposts} بازنشر · {replies} پاسخ",
        "open_post": "مشاهده",
        "alerts": "هشدارهای این دوره",
        "no_alerts": "در این دوره هشداری ثبت نشد.",
        "started": "شروع",
        "rule": "قاعده",
        "subject": "موضوع",
        "what": "شاخص",
        "observed": "مشاهده‌شده",
        "expected": "مورد انتظار",
        "status": "وضعیت",
        "severity": "شدت",
        "nothing": "—",
        "footer": "تهیه‌شده با trendwatch",
        "step_hour": "ساعت",
        "step_day": "روز",
        "step_week": "هفته",
        "status_open": "باز",
        "status_updated": "به‌روزشده",
        "status_resolved": "برطرف‌شده",
        "severity_info": "اطلاع",
        "severity_warning": "هشدار",
        "severity_critical": "بحرانی",
        "metric_posts": "پست",
        "metric_authors": "نویسنده",
        "metric_share": "سهم",
        "metric_net_sentiment": "خالص احساسات",
        "date": "تاریخ",
        "positive": "مثبت",
        "negative": "منفی",
        "neutral": "خنثی",
    },
}


@dataclass(frozen=True, slots=True)
class Locale:
    """Formats words, numbers and instants for one report."""

    language: Language
    clock: DisplayClock

    @property
    def rtl(self) -> bool:
        return self.language == "fa"

    @property
    def persian_digits(self) -> bool:
        return self.clock.digits == "persian"

    def t(self, key: str, **values: object) -> str:
        """The sentence `key` with its values; in Persian each value ends with a right-to-left mark
        so a Latin name or a number next to it keeps its place in the sentence."""
        text = TEXTS[self.language][key]
        if not values:
            return text
        if self.rtl:
            values = {name: self.embed(str(value)) for name, value in values.items()}
        return text.format(**values)

    def embed(self, text: str) -> str:
        """`text` ready to sit inside a Persian sentence: a left-to-right value (a Latin name,
        "@handle", "#tag") is held together by left-to-right marks, and a right-to-left mark
        after it keeps the following words and numbers in their place. English: unchanged."""
        if not self.rtl:
            return text
        if direction_of(text, "rtl") == "ltr":
            text = f"{LRM}{text}{LRM}"
        return f"{text}{RLM}"

    def word(self, prefix: str, value: str) -> str:
        """A translated enumeration value (status, severity, metric); unknown ones pass through."""
        return TEXTS[self.language].get(f"{prefix}_{value}", value)

    # -------------------------------------------------------------- numbers

    def _digits(self, text: str) -> str:
        if not self.persian_digits:
            return text
        return self.clock.number(text.replace(",", "٬").replace(".", "٫"))

    def integer(self, value: int) -> str:
        return self._digits(f"{value:,d}")

    def decimal(self, value: float, places: int = 2, *, signed: bool = False) -> str:
        text = f"{value:+.{places}f}" if signed else f"{value:.{places}f}"
        return self._ltr(self._digits(text)) if signed or value < 0 else self._digits(text)

    def percent(self, value: float, places: int = 0, *, signed: bool = False) -> str:
        number = f"{value * 100:+.{places}f}" if signed else f"{value * 100:.{places}f}"
        text = self._digits(number) + "٪" if self.persian_digits else number + "%"
        return self._ltr(text) if signed else text

    def change(self, value: float | None) -> str:
        return self.t("new") if value is None else self.percent(value, signed=True)

    def maybe(self, value: float | None, places: int = 2, *, signed: bool = False) -> str:
        return self.t("nothing") if value is None else self.decimal(value, places, signed=signed)

    def join(self, parts: list[str], separator: str = " · ") -> str:
        """Parts in reading order, each embedded (see `embed`) in a Persian report."""
        return separator.join(self.embed(part) for part in parts)

    def _ltr(self, text: str) -> str:
        return f"{LRM}{text}{LRM}"

    # -------------------------------------------------------------- time

    def date(self, value: datetime) -> str:
        local = self.clock.local(value)
        if self.clock.calendar == "jalali":
            text = jdatetime.date.fromgregorian(date=local.date()).strftime("%Y/%m/%d")
        else:
            text = local.strftime("%Y-%m-%d")
        return self._digits(text)

    def short_date(self, value: datetime, step: timedelta) -> str:
        """A chart tick: month/day for daily or weekly buckets, day and hour for hourly ones."""
        local = self.clock.local(value)
        if self.clock.calendar == "jalali":
            j = jdatetime.datetime.fromgregorian(datetime=local)
            text = j.strftime("%d %H:00") if step < timedelta(days=1) else j.strftime("%m/%d")
        else:
            text = local.strftime("%d %H:00") if step < timedelta(days=1) else local.strftime("%m/%d")
        return self._digits(text)

    def when(self, value: datetime) -> str:
        return self.clock.format(value)

    def period(self, since: datetime, until: datetime) -> str:
        last = until - timedelta(microseconds=1)
        return f"{self.date(since)} – {self.date(last)}"

    def step(self, step: timedelta) -> str:
        if step < timedelta(days=1):
            return self.t("step_hour")
        if step < timedelta(days=7):
            return self.t("step_day")
        return self.t("step_week")


def strip_bidi(text: str) -> str:
    """Text without bidirectional control characters (for comparisons and CSV)."""
    return text.translate({ord(c): None for c in BIDI_CONTROLS})
