"""How long a server asks us to wait: `Retry-After`, and the reset of a platform's rate-limit
window. Read once here for the pollers' session (`crawlers.http`), the Scrapy spiders and the
notifiers (`alerts.notifiers.base`).

Only a finite number of seconds is a wait: `inf`, `1e400` (which overflows to `inf`) and `nan`
are not understood (None, as an unreadable header is), and a wait is clamped to `MAX_WAIT` (a
day), so no header can block a host for ever or overflow a `timedelta` further on. A wait in the
past is 0.
"""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime

#: The longest wait a header can ask for: a platform that says "come back in a month" is asked
#: again tomorrow.
MAX_WAIT = 86_400.0
#: Numbers above this in a reset header are epoch timestamps (X, Bluesky), not seconds from now.
_EPOCH = 1e9


def finite_wait(seconds: float) -> float | None:
    """`seconds` between 0 and `MAX_WAIT`, or None when it is not a finite number."""
    if not math.isfinite(seconds):
        return None
    return min(MAX_WAIT, max(0.0, seconds))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """A `Retry-After` header (seconds, fractions allowed, or an HTTP date) as seconds from now;
    None when absent or not understood."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    number = _number(text)
    if number is not None:
        return finite_wait(number)
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return finite_wait((moment - (now or datetime.now(UTC))).total_seconds())


def reset_seconds(value: str, now: datetime | None = None) -> float | None:
    """A rate-limit reset header as seconds from now: an ISO timestamp (Mastodon), epoch seconds
    (X, Bluesky) or seconds from now (Reddit, the IETF draft); None when not understood."""
    text = value.strip()
    moment_now = now or datetime.now(UTC)
    number = _number(text)
    if number is not None:
        return finite_wait(number - moment_now.timestamp() if number > _EPOCH else number)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return finite_wait((moment - moment_now).total_seconds())
