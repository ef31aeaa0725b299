"""Times given on the command line (`--since`, `--until` of export, search, reindex and
backtest): one reading for all. (`--older-than` is an age only: `parse_duration`.)"""

from __future__ import annotations

from datetime import datetime

import typer

from trendwatch.timeutil import OutOfRange, ago, as_utc, parse_duration, utcnow


def parse_when(text: str, option: str, now: datetime | None = None) -> datetime:
    """`now`, a duration ago (`7d`, `36h`), or an ISO date or time (UTC when no offset is given);
    anything else, or a time out of range, is a usage error naming `option`."""
    value = text.strip()
    now = now or utcnow()
    if value.lower() == "now":
        return now
    try:
        return ago(now, parse_duration(value))
    except OutOfRange as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None
    except ValueError:
        pass
    try:
        return as_utc(datetime.fromisoformat(value))
    except (ValueError, OverflowError):  # OverflowError: an offset that moves it out of years 1-9999
        raise typer.BadParameter(
            f"{text!r} is neither a date or time (2026-11-01, 2026-11-01T08:00+03:30) nor a duration ago (7d, 36h)",
            param_hint=option,
        ) from None
