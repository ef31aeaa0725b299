"""Query parameters shared by the API's views: the time window and the filters.

A window is `from`/`to` (ISO-8601; without an offset means UTC) or a `range` (a duration such
as `24h`, `7d`) ending at `to` (default: now). It is cut into chart buckets of `step` (chosen
from the window's length unless given) on the display zone's calendar (a day starts at local
midnight, an hour at HH:00 local; see `trendwatch.service.local_buckets`), and widened to whole
buckets: `to` rounds up, `from` rounds down. Filters narrow by brand (one of
the configured brands, any letter case), platform and language. Every mistake is a `BadRequest`
naming the parameter, answered as a 400 with a JSON `ApiError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from indexer.store import PostFilter
from trendwatch.config import Settings
from trendwatch.models import SentimentLabel
from trendwatch.service.local_buckets import LocalGrid
from trendwatch.service.web import schema
from trendwatch.timeutil import DisplayClock, as_utc, format_duration, parse_duration

DEFAULT_RANGE = timedelta(days=7)
MAX_BUCKETS = 5000
MIN_STEP = timedelta(minutes=1)
MAX_SPAN = timedelta(days=3660)
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)
"""`from` and `to` lie in [EARLIEST, LATEST): far enough inside datetime's range (years 1 to
9999) that widening the window by MAX_SPAN and a step stays computable."""
_STEPS = (  # the longest span each automatic step is used for
    (timedelta(hours=36), timedelta(minutes=15)),
    (timedelta(days=8), timedelta(hours=1)),
    (timedelta(days=35), timedelta(hours=6)),
    (timedelta(days=200), timedelta(days=1)),
)


class BadRequest(Exception):
    """A request the API cannot answer as asked; becomes a 400 with an `ApiError` body."""

    def __init__(
        self, message: str, *, param: str | None = None, query: str | None = None, position: int | None = None
    ) -> None:
        super().__init__(message)
        self.body = schema.ApiError(error=message, param=param, query=query, position=position)


def auto_step(span: timedelta) -> timedelta:
    for longest, step in _STEPS:
        if span <= longest:
            return step
    return timedelta(days=7)


def _instant(query: Mapping[str, str], name: str) -> datetime | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    try:
        value = as_utc(datetime.fromisoformat(text))
    except (ValueError, OverflowError):  # OverflowError: an offset that takes 0001-01-01 before year 1
        raise BadRequest(f"{name}={text!r} is not an ISO-8601 time, e.g. 2026-11-20T18:00:00Z", param=name) from None
    if not EARLIEST <= value < LATEST:
        raise BadRequest(
            f"{name}={text!r} is out of range: use a time from {EARLIEST.year} to {LATEST.year - 1}", param=name
        )
    return value


def _duration(query: Mapping[str, str], name: str) -> timedelta | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:  # OutOfRange too: "'99999999999999d' is too long a duration"
        raise BadRequest(f"{name}: {exc}", param=name) from None


def integer(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = query.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise BadRequest(f"{name}={text!r} is not a whole number", param=name) from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}", param=name)
    return value


def choice(query: Mapping[str, str], name: str, options: tuple[str, ...], default: str) -> str:
    value = query.get(name, "").strip() or default
    if value not in options:
        raise BadRequest(f"{name}={value!r} is not one of: {', '.join(options)}", param=name)
    return value


@dataclass(frozen=True, slots=True)
class Scope:
    """The window and filters of one API request."""

    since: datetime
    until: datetime
    step: timedelta
    brand: str | None = None
    platform: str | None = None
    lang: str | None = None
    tz: str = "UTC"

    @property
    def grid(self) -> LocalGrid:
        """The chart buckets: `step` on the display zone's calendar."""
        return LocalGrid(self.tz, self.step)

    @property
    def span(self) -> timedelta:
        return self.until - self.since

    @property
    def previous(self) -> tuple[datetime, datetime]:
        """The window of equal length just before this one."""
        return self.since - self.span, self.since

    def where(
        self, *, brand: str | None = None, tone: SentimentLabel | None = None, any_brand: bool = False
    ) -> PostFilter:
        """The store filter: this scope's platform and language, and `brand` (default: the
        scope's own brand filter, or none with `any_brand`)."""
        chosen = brand if brand is not None else None if any_brand else self.brand
        return PostFilter(brand=chosen, platform=self.platform, lang=self.lang, tone=tone)

    def window(self, clock: DisplayClock) -> schema.Window:
        return schema.Window(
            since=self.since,
            until=self.until,
            step_seconds=int(self.step.total_seconds()),
            since_display=clock.format(self.since),
            until_display=clock.format(self.until),
            timezone=clock.tz,
        )

    def filters(self) -> schema.Filters:
        return schema.Filters(brand=self.brand, platform=self.platform, lang=self.lang)


def scope(query: Mapping[str, str], settings: Settings, now: datetime) -> Scope:
    """The window and filters a request asks for (module docstring)."""
    until = _instant(query, "to") or now
    since = _instant(query, "from")
    span = _duration(query, "range")
    if span is not None and span > MAX_SPAN:
        raise BadRequest(f"the window may span at most {MAX_SPAN.days} days", param="range")
    if since is None:
        span = span or DEFAULT_RANGE
        if span <= timedelta(0):
            raise BadRequest("range must be longer than zero", param="range")
        since = until - span
    if since >= until:
        raise BadRequest("from must be before to", param="from")
    if until - since > MAX_SPAN:
        raise BadRequest(f"the window may span at most {MAX_SPAN.days} days", param="range")
    step = _duration(query, "step") or auto_step(until - since)
    if step < MIN_STEP or step.total_seconds() % 1:
        raise BadRequest(f"step must be whole seconds and at least {format_duration(MIN_STEP)}", param="step")
    if step > MAX_SPAN:
        raise BadRequest(f"step may be at most {MAX_SPAN.days} days", param="step")
    grid = LocalGrid(settings.display.timezone, step)
    until, since = grid.ceil(until), grid.floor(since)
    if (until - since) / step > MAX_BUCKETS:
        raise BadRequest(f"step too small for the window (at most {MAX_BUCKETS} buckets)", param="step")
    return Scope(
        since=since,
        until=until,
        step=step,
        brand=brand_name(query.get("brand", ""), settings),
        platform=_keyword(query, "platform"),
        lang=_keyword(query, "lang"),
        tz=grid.tz,
    )


def brand_name(value: str, settings: Settings) -> str | None:
    """The configured brand `value` names (any letter case), None for none; else BadRequest."""
    value = value.strip()
    if not value:
        return None
    wanted = value.casefold()
    for brand in settings.brands:
        if brand.name.casefold() == wanted:
            return brand.name
    known = ", ".join(b.name for b in settings.brands)
    raise BadRequest(f"unknown brand {value!r}; configured: {known}", param="brand")


def _keyword(query: Mapping[str, str], name: str) -> str | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    if len(value) > 64 or '"' in value:
        raise BadRequest(
            f"{name} must be a short name such as {'mastodon' if name == 'platform' else 'fa'}", param=name
        )
    return value
