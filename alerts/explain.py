"""Every alert explains itself, in the language of the brand it is about.

`explain(alert, context)` turns an event into an `Explanation`: a title, one sentence of expected
versus observed, facts (how unusual as z and odds, when it started, severity, filters, the
sentiment split), the hashtags/terms/authors that drove it, example posts and a link to the
dashboard filtered to it. It is channel-neutral *plain text*: each notifier escapes it for its
own markup (HTML, Slack mrkdwn, JSON), so post text quoted here can never inject formatting.

Texts come from `alerts/templates/<lang>.yaml` (English and Persian). Persian explanations are
right-to-left safe: every line starts with a right-to-left mark, every interpolated value (brand
names, hashtags, numbers, quoted posts) sits in a Unicode directional isolate so a Latin brand
name or a URL cannot reorder the sentence around it, and bidi controls arriving inside user
text are removed so a post cannot flip the rest of the message. Numbers use Persian digits and
separators, and dates the Jalali calendar, when the display settings say so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import yaml

from trendwatch.config import BrandConfig
from trendwatch.links import safe_url
from trendwatch.models import Alert, Drivers, TermCount
from trendwatch.timeutil import PERSIAN_DIGITS, DisplayClock

Lang = Literal["en", "fa"]
LANGUAGES: tuple[Lang, ...] = ("en", "fa")
TEMPLATES = Path(__file__).with_name("templates")

RLM = "\u200f"  # right-to-left mark: makes a line's paragraph direction RTL
FSI = "\u2068"  # first-strong isolate: the value takes its own direction ...
PDI = "\u2069"  # ... and cannot reorder the text around it
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")
_RTL_CHAR = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")

COUNT_METRICS = frozenset({"posts", "mentions", "count", "authors"})
SHARE_METRICS = frozenset({"share", "share_of_voice", "negative_share", "positive_share"})
ICONS = {"critical": "🔴", "warning": "🟠", "info": "🔵", "resolved": "✅", "digest": "🗞"}
QUOTE_CHARS = 280
DRIVER_ITEMS = 5


@dataclass(frozen=True, slots=True)
class AlertContext:
    """What the engine knows beyond the alert: the brands (each brand's `language` decides the
    language of its alerts), how to show time, and the dashboard's public base URL (links are
    left out without one)."""

    brands: Sequence[BrandConfig] = ()
    clock: DisplayClock = field(default_factory=DisplayClock)
    dashboard_url: str | None = None

    def brand_of(self, alert: Alert) -> BrandConfig | None:
        wanted = alert.subject.casefold()
        for brand in self.brands:
            if wanted in (name.casefold() for name in brand.names()):
                return brand
        return None

    def language_for(self, alert: Alert) -> Lang:
        """The brand's language; else the alert's language filter; else the own brand's."""
        brand = self.brand_of(alert)
        if brand is not None:
            return brand.language
        if alert.lang in LANGUAGES:
            return alert.lang
        return self.brands[0].language if self.brands else "en"


@dataclass(frozen=True, slots=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class DriverList:
    label: str
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Quote:
    """An example post, cleaned of control characters, whitespace collapsed, shortened; its
    link only when it is plain http(s) (`trendwatch.links.safe_url`)."""

    author: str
    when: str
    text: str
    url: str | None


@dataclass(frozen=True, slots=True)
class Explanation:
    """One alert event, explained in plain text in one language (see the module docstring)."""

    alert: Alert
    lang: Lang
    rtl: bool
    icon: str
    title: str
    summary: str
    facts: tuple[Fact, ...]
    drivers: tuple[DriverList, ...]
    quotes_label: str
    quotes: tuple[Quote, ...]
    post_line: str
    link: str | None
    link_label: str
    persian_digits: bool = False

    def number(self, value: int) -> str:
        """An integer written with this explanation's digits (for channel-added text)."""
        text = str(value)
        return text.translate(PERSIAN_DIGITS) if self.persian_digits else text

    @property
    def mark(self) -> str:
        """Put at the start of every line (a right-to-left mark for Persian, nothing otherwise)."""
        return RLM if self.rtl else ""

    def quote_line(self, quote: Quote, text: str | None = None) -> str:
        """`author · time: “text”` in this language; `text` lets a channel pass escaped text."""
        return self.post_line.format(author=quote.author, time=quote.when, text=quote.text if text is None else text)

    def lines(self) -> list[str]:
        """The explanation as plain-text lines (log lines, the email text part, fallbacks)."""
        m = self.mark
        out = [f"{m}{self.icon} {self.title}", f"{m}{self.summary}"]
        out += [f"{m}{fact.label}: {fact.value}" for fact in self.facts]
        out += [f"{m}{d.label}: {_join(d.items, self.rtl)}" for d in self.drivers]
        if self.quotes:
            out.append(f"{m}{self.quotes_label}:")
            out += [f"{m}  {self.quote_line(q)}" + (f" {q.url}" if q.url else "") for q in self.quotes]
        if self.link:
            out.append(f"{m}{self.link_label}: {self.link}")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True, slots=True)
class Notification:
    """What a notifier delivers: one explained event, or a digest of several.

    `id` is stable for one delivery (the outbox key), so a receiver can drop a repeat
    (webhooks carry it as a header); `title` is in the language of the first item.
    """

    id: str
    title: str
    items: tuple[Explanation, ...]
    digest: bool = False
    more: str | None = None
    parts_sent: int = 0  # of a notification carried as several messages: how many an earlier attempt sent

    def __post_init__(self) -> None:
        if not self.items:
            raise ValueError("a notification needs at least one explained alert")

    @property
    def lang(self) -> Lang:
        return self.items[0].lang

    @property
    def rtl(self) -> bool:
        return self.items[0].rtl

    @property
    def icon(self) -> str:
        return ICONS["digest"] if self.digest else self.items[0].icon

    @property
    def alerts(self) -> tuple[Alert, ...]:
        return tuple(item.alert for item in self.items)

    def text(self) -> str:
        if not self.digest:
            return self.items[0].text()
        mark = self.items[0].mark
        parts = [f"{mark}{self.icon} {self.title}"] + ["\n".join(item.lines()) for item in self.items]
        if self.more:
            parts.append(f"{mark}{self.more}")
        return "\n\n".join(parts)


def single(event_id: str, explanation: Explanation) -> Notification:
    return Notification(id=event_id, title=explanation.title, items=(explanation,))


def digest(
    digest_id: str, explanations: Sequence[Explanation], context: AlertContext, *, limit: int = 20
) -> Notification:
    """Several events as one message, the most severe first, at most `limit` explained."""
    if not explanations:
        raise ValueError("a digest needs at least one explained alert")
    ordered = sorted(explanations, key=lambda e: (-_severity_rank(e.alert), e.alert.at))
    shown, hidden = tuple(ordered[:limit]), len(ordered) - limit
    lang, rtl = shown[0].lang, shown[0].rtl
    words, numbers = templates(lang), _Numbers(lang, context.clock)
    title = str(words["digest"]["title"]).format(n=isolate(numbers.integer(len(ordered)), rtl))
    more = str(words["digest"]["more"]).format(n=isolate(numbers.integer(hidden), rtl)) if hidden > 0 else None
    return Notification(id=digest_id, title=title, items=shown, digest=True, more=more)


# ------------------------------------------------------------------------------------ templates


@cache
def templates(lang: Lang) -> Mapping[str, Any]:
    """The texts of one language, read once from alerts/templates/<lang>.yaml."""
    data = yaml.safe_load((TEMPLATES / f"{lang}.yaml").read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"alerts/templates/{lang}.yaml is not a mapping")
    return data


def clean(text: str) -> str:
    """User text made safe to embed: bidi and control characters removed, whitespace collapsed.

    Zero-width non-joiners (the Persian half-space) are kept: they are part of the spelling.
    """
    return _SPACE.sub(" ", _CONTROL.sub(" ", _BIDI_CONTROLS.sub("", text))).strip()


def isolate(text: str, always: bool = True) -> str:
    """`text` in a first-strong isolate (when `always`, or when it holds right-to-left letters)."""
    if always or _RTL_CHAR.search(text):
        return f"{FSI}{text}{PDI}"
    return text


def strip_bidi(text: str) -> str:
    """`text` without the directional marks and isolates this module adds (for comparisons)."""
    return text.replace(RLM, "").replace(FSI, "").replace(PDI, "")


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ------------------------------------------------------------------------------------- explain


def explain(alert: Alert, context: AlertContext) -> Explanation:
    """The explanation of one event in the language `context` picks for it."""
    lang = context.language_for(alert)
    return _Writer(alert, context, lang).explanation()


class _Numbers:
    """Numbers for people: separators, Persian digits and signs in Persian text when configured."""

    def __init__(self, lang: Lang, clock: DisplayClock) -> None:
        self.persian = lang == "fa" and clock.digits == "persian"
        self.group, self.point = ("٬", "٫") if self.persian else (",", ".")

    def _out(self, text: str) -> str:
        text = text.replace(",", "\0").replace(".", self.point).replace("\0", self.group)
        return text.translate(PERSIAN_DIGITS) if self.persian else text

    def integer(self, value: float) -> str:
        return self._out(f"{round(value):,}")

    def amount(self, value: float) -> str:
        """Counts: whole numbers from 10 up, one decimal below (an expectation of 2.4 posts)."""
        if not math.isfinite(value):
            return "∞"
        if abs(value) >= 10 or float(value).is_integer():
            return self.integer(value)
        return self._out(f"{value:,.1f}")

    def fixed(self, value: float, places: int = 1, signed: bool = False) -> str:
        if not math.isfinite(value):
            return "∞" if value > 0 else "-∞" if value < 0 else "?"
        text = f"{value:+,.{places}f}" if signed else f"{value:,.{places}f}"
        return self._out(text)

    def compact(self, value: float) -> str:
        """2 significant digits, e.g. 3.5 (for '3.5 million')."""
        return self._out(f"{value:.2g}" if value < 100 else f"{value:,.0f}")


class _Writer:
    def __init__(self, alert: Alert, context: AlertContext, lang: Lang) -> None:
        self.alert, self.context, self.lang = alert, context, lang
        self.words = templates(lang)
        self.rtl = bool(self.words["rtl"])
        self.numbers = _Numbers(lang, context.clock)
        # English keeps the display zone but Gregorian dates and Latin digits.
        self.clock = context.clock if lang == "fa" else DisplayClock(tz=context.clock.tz)

    # ---- small pieces

    def v(self, text: str) -> str:
        """An interpolated value, isolated (always in RTL text; in LTR text when it holds RTL)."""
        return isolate(text, always=self.rtl)

    def subject(self) -> str:
        name = self.alert.subject
        brand = self.context.brand_of(self.alert)
        if brand is not None and self.lang == "fa" and not _RTL_CHAR.search(name):
            name = next((a for a in brand.aliases if _RTL_CHAR.search(a)), name)
        return self.v(clean(name))

    def metric(self) -> tuple[str, str]:
        spec = self.words["metrics"].get(self.alert.metric)
        if spec is None:
            label = self.alert.metric.replace("_", " ")
            return label, label
        return str(spec["label"]), str(spec["unit"])

    def value(self, x: float) -> str:
        metric = self.alert.metric
        if metric in SHARE_METRICS:
            return self.v(self.words["percent"].format(n=self.numbers.fixed(100 * x, 1 if abs(x) < 0.1 else 0)))
        if metric in COUNT_METRICS:
            return self.v(self.numbers.amount(x))
        if metric in ("net_sentiment", "sentiment"):
            return self.v(self.numbers.fixed(x, 2, signed=True))
        return self.v(self.numbers.fixed(x, 2) if abs(x) < 100 else self.numbers.integer(x))

    def when(self, at: datetime) -> str:
        return self.words["when"].format(date=self.v(self.clock.format(at)), ago=self.ago(self.alert.at - at))

    def ago(self, delta: timedelta) -> str:
        minutes = int(delta.total_seconds() // 60)
        ago = self.words["ago"]
        if minutes < 1:
            return str(ago["now"])
        if minutes < 90:
            return str(ago["minutes"]).format(n=self.v(self.numbers.integer(minutes)))
        if minutes < 36 * 60:
            return str(ago["hours"]).format(n=self.v(self.numbers.integer(minutes / 60)))
        return str(ago["days"]).format(n=self.v(self.numbers.integer(minutes / 1440)))

    def duration(self, delta: timedelta) -> str:
        minutes = max(0, int(delta.total_seconds() // 60))
        d, rest = divmod(minutes, 1440)
        h, m = divmod(rest, 60)
        n = self.numbers.integer
        if d:
            return str(self.words["duration"]["days"]).format(d=self.v(n(d)), h=self.v(n(h)))
        if h:
            return str(self.words["duration"]["hours"]).format(h=self.v(n(h)), m=self.v(n(m)))
        return str(self.words["duration"]["minutes"]).format(m=self.v(n(m)))

    def unusual(self) -> str:
        z = self.alert.z
        z_text = self.v(self.numbers.fixed(z, 1, signed=z < 0)) if math.isfinite(z) else self.v("∞")
        p = 0.5 * math.erfc(abs(z) / math.sqrt(2)) if math.isfinite(z) else 0.0
        if p > 0.05:
            return str(self.words["unusual_common"]).format(z=z_text)
        if p < 1e-12:
            return str(self.words["unusual_extreme"]).format(
                z=z_text, one=self.numbers.integer(1), odds=self.v(self.odds(1e12))
            )
        return str(self.words["unusual"]).format(z=z_text, one=self.numbers.integer(1), odds=self.v(self.odds(1 / p)))

    def odds(self, n: float) -> str:
        mags = self.words["magnitudes"]
        for size, name in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
            if n >= size:
                return str(mags[name]).format(n=self.numbers.compact(n / size))
        if n >= 10_000:
            return str(mags["thousand"]).format(n=self.numbers.compact(n / 1000))
        rounded = round(n, -1) if n >= 100 else round(n)
        return self.numbers.integer(rounded)

    def item(self, term: TermCount, by_count: bool = False, prefix: str = "") -> str:
        text = clean(term.term)
        if prefix and not text.startswith(prefix):
            text = prefix + text  # the store keeps hashtags without their '#'
        return str(self.words["item"]).format(
            term=self.v(text), n=self.v(self.numbers.integer(term.count if by_count else term.authors))
        )

    # ---- the parts of an explanation

    def title(self) -> str:
        alert, words = self.alert, self.words
        family = _family(alert)
        label, _ = self.metric()
        template = words["titles"][family][alert.direction]
        noun = words["nouns"]["hashtag" if alert.subject.startswith("#") else "topic"]
        text = template.format(metric=label, metric_cap=_cap(label), subject=self.subject(), noun=noun)
        return str(words["status"][alert.status]) + text

    def summary(self) -> str:
        alert, words = self.alert, self.words
        if alert.status == "resolved":
            return str(words["summary"]["resolved"]).format(
                subject=self.subject(), duration=self.duration(alert.at - alert.started_at)
            )
        label, unit = self.metric()
        fill = {
            "observed": self.value(alert.observed),
            "expected": self.value(alert.expected),
            "unit": unit,
            "metric": label,
            "metric_cap": _cap(label),
        }
        if alert.metric in COUNT_METRICS:
            if alert.direction == "up":
                ratio = alert.observed / alert.expected if alert.expected > 0 else math.inf
                fill["ratio"] = self.v(">100" if ratio > 100 else self.numbers.fixed(ratio, 1))
                return str(words["summary"]["count_up"]).format(**fill)
            fewer = 1 - alert.observed / alert.expected if alert.expected > 0 else 0.0
            fill["change"] = self.v(str(words["percent"]).format(n=self.numbers.integer(100 * fewer)))
            return str(words["summary"]["count_down"]).format(**fill)
        delta = alert.observed - alert.expected
        if alert.metric in SHARE_METRICS:
            points = self.numbers.fixed(100 * delta, 1, signed=True)
            fill["change"] = str(words["points"]).format(n=self.v(points))
        else:
            fill["change"] = self.v(self.numbers.fixed(delta, 2, signed=True))
        return str(words["summary"]["level"]).format(**fill)

    def facts(self) -> tuple[Fact, ...]:
        alert, labels = self.alert, self.words["labels"]
        _, unit = self.metric()
        unit_suffix = f" {unit}" if unit and alert.metric in COUNT_METRICS else ""
        if alert.status == "resolved":  # the values of the last unusual evaluation would mislead
            facts = [
                Fact(labels["started"], self.when(alert.started_at)),
                Fact(labels["lasted"], self.duration(alert.at - alert.started_at)),
            ]
        else:
            facts = [
                Fact(labels["observed"], self.value(alert.observed) + unit_suffix),
                Fact(labels["expected"], self.value(alert.expected) + unit_suffix),
                Fact(labels["unusual"], self.unusual()),
                Fact(labels["started"], self.when(alert.started_at)),
            ]
        facts.append(Fact(labels["severity"], str(self.words["severity"][alert.severity])))
        if alert.platform:
            facts.append(Fact(labels["platform"], self.v(clean(alert.platform))))
        if alert.lang:
            facts.append(Fact(labels["language"], self.v(clean(alert.lang))))
        if alert.drivers is not None:
            split = self.sentiment(alert.drivers)
            if split:
                facts.append(Fact(labels["sentiment"], split))
        return tuple(facts)

    def sentiment(self, drivers: Drivers) -> str | None:
        total = drivers.negative + drivers.neutral + drivers.positive
        if total <= 0:
            return None
        fill: dict[str, str] = {}
        for name in ("negative", "neutral", "positive"):
            count = getattr(drivers, name)
            fill[name] = self.v(self.numbers.integer(count))
            fill[f"{name}_pct"] = self.v(str(self.words["percent"]).format(n=self.numbers.integer(100 * count / total)))
        return str(self.words["sentiment"]).format(**fill)

    def drivers(self) -> tuple[DriverList, ...]:
        labels, alert = self.words["labels"], self.alert
        out: list[DriverList] = []
        drivers = alert.drivers
        if drivers is not None:
            for name, terms, by_count, prefix in (
                ("hashtags", drivers.hashtags, False, "#"),
                ("terms", drivers.terms, False, ""),
                ("authors", drivers.authors, True, ""),
            ):
                if terms:
                    items = tuple(self.item(t, by_count, prefix) for t in terms[:DRIVER_ITEMS])
                    out.append(DriverList(labels[name], items))
        if alert.related:
            out.append(DriverList(labels["related"], tuple(self.v(clean(r)) for r in alert.related[:DRIVER_ITEMS])))
        return tuple(out)

    def quotes(self) -> tuple[Quote, ...]:
        drivers = self.alert.drivers
        if drivers is None:
            return ()
        out = []
        for post in drivers.posts[:3]:
            text = shorten(clean(post.text), QUOTE_CHARS)
            if not text:
                continue
            author = clean(post.author or "") or str(self.words["unknown_author"])
            out.append(
                Quote(
                    author=self.v(author),
                    when=self.v(self.clock.format(post.created_at)),
                    text=self.v(text),
                    url=safe_url(post.url),
                )
            )
        return tuple(out)

    def link(self) -> str | None:
        return dashboard_link(self.alert, self.context.dashboard_url)

    def explanation(self) -> Explanation:
        status = "resolved" if self.alert.status == "resolved" else self.alert.severity
        return Explanation(
            alert=self.alert,
            lang=self.lang,
            rtl=self.rtl,
            icon=ICONS[status],
            title=self.title(),
            summary=self.summary(),
            facts=self.facts(),
            drivers=self.drivers(),
            quotes_label=str(self.words["labels"]["posts"]),
            quotes=self.quotes(),
            post_line=str(self.words["post"]),
            link=self.link(),
            link_label=str(self.words["labels"]["link"]),
            persian_digits=self.numbers.persian,
        )


def dashboard_link(alert: Alert, base_url: str | None) -> str | None:
    """The dashboard filtered to the alert: its subject, filters, and the time around it.

    `brand=` for brand alerts, `hashtag=`/`topic=` for term alerts, `from`/`to` in UTC ISO-8601,
    `alert=` the alert key (the web app highlights it).
    """
    if not base_url:
        return None
    subject_param = "hashtag" if alert.subject.startswith("#") else "topic" if _family(alert) == "emerging" else "brand"
    params: dict[str, str] = {subject_param: alert.subject}
    if alert.platform:
        params["platform"] = alert.platform
    if alert.lang:
        params["lang"] = alert.lang
    params["from"] = _utc(alert.started_at - timedelta(hours=6))
    params["to"] = _utc(alert.at + timedelta(hours=1))
    params["alert"] = alert.key
    return f"{base_url.rstrip('/')}/?{urlencode(params)}"


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _family(alert: Alert) -> str:
    kind = alert.kind.lower()
    if "emerg" in kind or "trend" in kind or "hashtag" in kind or "topic" in kind:
        return "emerging"
    if alert.metric in COUNT_METRICS and ("volume" in kind or "spike" in kind or "mention" in kind):
        return "volume"
    return "generic"


def _cap(label: str) -> str:
    return label[:1].upper() + label[1:]


def _join(items: Sequence[str], rtl: bool) -> str:
    return ("، " if rtl else ", ").join(items)


def _severity_rank(alert: Alert) -> int:
    return {"info": 0, "warning": 1, "critical": 2}[alert.severity] + (0 if alert.status != "resolved" else -3)
