"""Numbers and times as platforms and pages write them: Persian and Arabic digits, "1.2K",
ISO 8601. Shared by the pollers (`pollers/raw.py`) and the spiders: one reader of each."""

from __future__ import annotations

import re
from datetime import datetime

from trendwatch.timeutil import as_utc

DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫٬", "01234567890123456789.,")
"""Persian and Arabic-Indic digits (and their decimal/thousands separators) to Latin ones."""

_COUNT = re.compile(r"^(\d+(?:\.\d+)?)\s*([KMB]?)$", re.IGNORECASE)
_SCALE = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}


def parse_count(text: str | None) -> int | None:
    """'1.2K' -> 1200, '33.4K' -> 33400, '1.5M' -> 1500000, '987' -> 987; Persian digits too.
    None when there is no count or it cannot be read (the platform did not say)."""
    if text is None:
        return None
    cleaned = text.translate(DIGITS).replace(",", "").replace("\u00a0", " ").strip()
    match = _COUNT.match(cleaned)
    if not match:
        return None
    return round(float(match.group(1)) * _SCALE[match.group(2).upper()])


def parse_iso_time(value: str | None) -> datetime | None:
    """An ISO 8601 time as aware UTC (naive = UTC); None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().translate(DIGITS))
    except ValueError:
        return None
    return as_utc(parsed)
