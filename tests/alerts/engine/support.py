"""A literal detector and a store whose series the test writes, for engine tests.

`ScriptedStore` answers `series` with what the test put there and `drivers` with fixed drivers;
its state and alert history live in a real store when one is given (SQLite, re-opened to prove
restarts), else in a JSON dict (values pass through JSON either way, as in a real store).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import orjson

from alerts.lifecycle import LifecyclePolicy
from tests.alerts.factories import STEP, drivers
from trendwatch.config import PluginOptions
from trendwatch.errors import StoreError
from trendwatch.models import Alert, Bucket, Drivers, Series, SeriesQuery


class ThresholdDetector:
    """Pure: the last complete bucket above `threshold` posts is an alert (critical above 3x)."""

    Options: ClassVar[type[PluginOptions]] = PluginOptions
    description: ClassVar[str] = "test detector"

    def __init__(self, name: str = "volume", threshold: int = 20, policy: LifecyclePolicy | None = None) -> None:
        self.name = name
        self.threshold = threshold
        self.interval = STEP
        self.lookback = timedelta(hours=2)
        self.query = SeriesQuery(kind="brand", step=STEP)
        self.calls = 0
        if policy is not None:
            self.policy = policy

    def evaluate(self, series: Sequence[Series], now: datetime) -> list[Alert]:
        self.calls += 1
        out = []
        for s in series:
            buckets = [b for b in s.dense() if b.start + s.step <= now]
            if not buckets or buckets[-1].count <= self.threshold:
                continue
            last = buckets[-1]
            severity = "critical" if last.count > 3 * self.threshold else "warning"
            out.append(
                Alert(
                    rule=self.name,
                    kind="volume",
                    subject=s.subject,
                    metric="posts",
                    status="open",
                    severity=severity,  # type: ignore[arg-type]
                    direction="up",
                    started_at=last.start,
                    at=now,
                    expected=self.threshold / 2,
                    observed=float(last.count),
                    score=0.999,
                    z=6.0,
                )
            )
        return out


class BrokenDetector(ThresholdDetector):
    def evaluate(self, series: Sequence[Series], now: datetime) -> list[Alert]:
        raise ZeroDivisionError("detector bug")


@dataclass
class ScriptedStore:
    """Series written by the test; state/history in `real` (a Store) or a JSON dict."""

    real: Any = None
    counts: dict[str, int] = field(default_factory=dict)  # subject -> posts in the last bucket
    drivers_value: Drivers = field(default_factory=drivers)
    state: dict[str, bytes] = field(default_factory=dict)
    history: list[Alert] = field(default_factory=list)
    fail_set_state: dict[str, int] = field(default_factory=dict)  # key prefix -> which write to it raises
    writes: list[str] = field(default_factory=list)

    async def series(self, query: SeriesQuery, since: datetime, until: datetime) -> list[Series]:
        out = []
        last = until - query.step - timedelta(seconds=until.timestamp() % query.step.total_seconds())
        for subject, count in self.counts.items():
            out.append(
                Series(
                    subject=subject,
                    kind="brand",
                    step=query.step,
                    start=last - timedelta(hours=1),
                    end=last + query.step,
                    buckets=(Bucket(start=last, count=count, authors=count),),
                )
            )
        return out

    async def drivers(
        self, query: SeriesQuery, subject: str, since: datetime, until: datetime, limit: int = 5
    ) -> Drivers:
        return self.drivers_value

    async def get_state(self, key: str) -> Any | None:
        if self.real is not None:
            return await self.real.get_state(key)
        raw = self.state.get(key)
        return None if raw is None else orjson.loads(raw)

    async def set_state(self, key: str, value: Any) -> None:
        for prefix in list(self.fail_set_state):
            if key.startswith(prefix):
                self.fail_set_state[prefix] -= 1
                if self.fail_set_state[prefix] == 0:
                    del self.fail_set_state[prefix]
                    raise StoreError(f"simulated crash writing {key}")
        self.writes.append(key)
        if self.real is not None:
            await self.real.set_state(key, value)
        elif value is None:
            self.state.pop(key, None)
        else:
            self.state[key] = orjson.dumps(value)

    async def record_alert(self, alert: Alert) -> None:
        if self.real is not None:
            await self.real.record_alert(alert)
        self.history.append(alert)
