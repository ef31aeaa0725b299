"""A daily budget a source must not overspend (YouTube quota units, X posts read), kept in the
cursor so a restart remembers what today already cost.

The day is the platform's accounting day (YouTube resets quotas at midnight Pacific time).
`reserve(units)` is called before a request that may cost `units`: it records them, or raises
`QuotaExhausted` (a `RateLimited` with `retry_after` = seconds until the next day) when they do
not fit. Checking and recording are one synchronous step, so queries running side by side cannot
all pass the check before any of them has paid. `refund(units)` gives back what a request turned
out not to cost (X bills the posts returned, not the page size asked for). Spending is saved with
each batch, so after a crash at most the requests of the pages not yet committed are forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from trendwatch.errors import RateLimited
from trendwatch.timeutil import utcnow


class QuotaExhausted(RateLimited):
    reason = "quota_exhausted"


class DailyBudget:
    def __init__(
        self,
        limit: int,
        *,
        unit: str,
        zone: str = "UTC",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.limit = limit
        self.unit = unit
        self.zone = ZoneInfo(zone)
        self.clock = clock
        self.day = self._today()
        self.used = 0

    def _today(self) -> str:
        return self.clock().astimezone(self.zone).date().isoformat()

    def _roll(self) -> None:
        today = self._today()
        if today != self.day:
            self.day, self.used = today, 0

    @property
    def remaining(self) -> int:
        self._roll()
        return max(0, self.limit - self.used)

    def seconds_to_reset(self) -> float:
        local = self.clock().astimezone(self.zone)
        tomorrow = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return (tomorrow - local).total_seconds()

    def reserve(self, units: int) -> None:
        """Record `units` as spent, or raise `QuotaExhausted` when they do not fit today."""
        self._roll()
        if self.used + units > self.limit:
            wait = self.seconds_to_reset()
            raise QuotaExhausted(
                f"today's budget of {self.limit} {self.unit} is spent ({self.used} used); "
                f"it resets in {wait / 3600:.1f} h",
                retry_after=wait,
            )
        self.used += units

    def refund(self, units: int) -> None:
        """Give back reserved units a request did not cost (today's only: a new day starts at 0)."""
        self._roll()
        self.used = max(0, self.used - units)

    def dump(self) -> dict[str, Any]:
        self._roll()
        return {"day": self.day, "used": self.used}

    def load(self, data: Any) -> None:
        """Take back a saved count; within one process the larger of the two wins (never forget spending)."""
        self._roll()
        if isinstance(data, dict) and isinstance(data.get("used"), int) and data.get("day") == self.day:
            self.used = max(self.used, data["used"])
