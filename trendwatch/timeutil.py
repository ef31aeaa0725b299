"""Time: everything inside is timezone-aware UTC; display zone and calendar are configuration.

`Duration` is the pydantic type for config values such as `5m`, `1h30m`, `7d` or a number of
seconds. `DisplayClock` renders instants for people: in a configured zone (e.g. Asia/Tehran),
on the Gregorian or Jalali calendar, with Latin or Persian digits.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jdatetime
from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|w|d|h|m|s)")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


class OutOfRange(ValueError):
    """A well-formed duration or time too far out to compute with (beyond Python's datetime
    range, years 1 to 9999). A ValueError, so pydantic reports it as a validation error."""


def parse_duration(value: object) -> timedelta:
    """`"90s"`, `"5m"`, `"1h30m"`, `"7d"`, `"2w"`, a number of seconds, or a timedelta.

    Raises ValueError for anything else, and its subclass `OutOfRange` for a duration longer
    than a timedelta can hold (about 2.7 million years)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as '5m', '1h' or '7d'")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return _seconds(value, value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as '5m', '1h' or '7d'")
    text = value.strip().lower().replace(" ", "")
    if text.isdigit():
        return _seconds(int(text), value)
    pos, seconds = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"{value!r} is not a duration; use e.g. '90s', '5m', '1h30m', '7d'")
    return _seconds(seconds, value)


def _seconds(seconds: float, value: object) -> timedelta:
    if isinstance(seconds, float) and math.isnan(seconds):
        raise ValueError("expected a duration such as '5m', '1h' or '7d'")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise OutOfRange(f"{value!r} is too long a duration (at most {timedelta.max.days:,} days)") from None


def ago(now: datetime, age: timedelta) -> datetime:
    """`now - age`, or `OutOfRange` when that is before year 1."""
    try:
        return now - age
    except OverflowError:
        raise OutOfRange(f"{format_duration(age)} before {now:%Y-%m-%d} is before year 1") from None


def format_duration(delta: timedelta) -> str:
    """The inverse of `parse_duration`: 5400 s -> '1h30m', 0.3 s -> '300ms', 90.5 s -> '1m30s500ms'."""
    millis = round(delta.total_seconds() * 1000)
    if millis == 0:
        return "0s"
    seconds, millis = divmod(millis, 1000)
    out = []
    for unit in ("d", "h", "m", "s"):
        size = int(_UNITS[unit])
        if seconds >= size:
            out.append(f"{seconds // size}{unit}")
            seconds %= size
    if millis:
        out.append(f"{millis}ms")
    return "".join(out)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def floor_time(value: datetime, step: timedelta) -> datetime:
    """Start of the `step`-wide bucket (aligned to the Unix epoch) that contains `value`."""
    epoch = int(as_utc(value).timestamp())
    size = int(step.total_seconds())
    return datetime.fromtimestamp(epoch - epoch % size, UTC)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Asia/Tehran' or 'UTC'") from None


@dataclass(frozen=True, slots=True)
class DisplayClock:
    """Renders instants for people in the configured zone, calendar and digits."""

    tz: str = "UTC"
    calendar: Literal["gregorian", "jalali"] = "gregorian"
    digits: Literal["latin", "persian"] = "latin"

    def local(self, value: datetime) -> datetime:
        return as_utc(value).astimezone(zone(self.tz))

    def format(self, value: datetime, *, seconds: bool = False) -> str:
        local = self.local(value)
        pattern = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
        if self.calendar == "jalali":
            text = jdatetime.datetime.fromgregorian(datetime=local).strftime(pattern)
        else:
            text = local.strftime(pattern)
        return self.number(text)

    def number(self, text: str) -> str:
        return text.translate(PERSIAN_DIGITS) if self.digits == "persian" else text
