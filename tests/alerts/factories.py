"""Literal alerts, drivers and contexts for the alert-engine tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from alerts.explain import AlertContext, Notification, explain, single
from trendwatch.config import BrandConfig
from trendwatch.models import Alert, Drivers, PostRef, TermCount
from trendwatch.timeutil import DisplayClock

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)

MARKUP_POST = (
    '<b>bold</b> *star* _under_ ~strike~ `code` [link](http://evil.example) <a href="http://evil.example">x</a> '
    "&amp; &lt;script&gt; <!channel> <@U123> # heading > quote | pipe \\ backslash"
)


def alert(
    *,
    rule: str = "volume",
    subject: str = "Digikala",
    status: str = "open",
    severity: str = "warning",
    direction: str = "up",
    at: datetime = T0,
    started_at: datetime | None = None,
    expected: float = 12.0,
    observed: float = 60.0,
    z: float = 5.0,
    score: float = 0.99,
    **kw: Any,
) -> Alert:
    return Alert(
        rule=rule,
        kind=kw.pop("kind", "volume"),
        subject=subject,
        metric=kw.pop("metric", "posts"),
        status=status,  # type: ignore[arg-type]
        severity=severity,  # type: ignore[arg-type]
        direction=direction,  # type: ignore[arg-type]
        started_at=started_at or at - STEP,
        at=at,
        expected=expected,
        observed=observed,
        score=score,
        z=z,
        **kw,
    )


def drivers(post_text: str = "Digikala delivery was late again #digikala", *, n_posts: int = 2) -> Drivers:
    return Drivers(
        hashtags=(TermCount("#digikala", 40, 31), TermCount("#تاخیر", 12, 11)),
        terms=(TermCount("delivery", 30, 25), TermCount("ارسال", 18, 15)),
        authors=(TermCount("@ali", 6, 1), TermCount("@sara", 4, 1)),
        posts=tuple(
            PostRef(
                id=f"mastodon:{i}",
                text=post_text,
                url=f"https://social.example/@u/{i}",
                author="@ali" if i % 2 == 0 else "@سارا",
                created_at=T0 - timedelta(minutes=3 + i),
                sentiment=-0.6,
            )
            for i in range(n_posts)
        ),
        negative=45,
        neutral=10,
        positive=5,
    )


def context(dashboard_url: str | None = "https://tw.example") -> AlertContext:
    return AlertContext(
        brands=(
            BrandConfig(name="Digikala", aliases=["دیجی‌کالا"], language="fa"),
            BrandConfig(name="Acme", language="en"),
        ),
        clock=DisplayClock(tz="Asia/Tehran", calendar="jalali", digits="persian"),
        dashboard_url=dashboard_url,
    )


def notification(subject: str = "Acme", post: str = MARKUP_POST, note_id: str = "n-1", **kw: Any) -> Notification:
    """One explained alert about `subject` (Acme: English; Digikala: Persian) quoting `post`."""
    return single(note_id, explain(alert(subject=subject, drivers=drivers(post), **kw), context()))
