"""Alerts as JSON-safe dicts and back, for the store's state table and the delivery outbox.

The lifecycle keeps the last candidate of an alert in its state and the outbox keeps whole
events (drivers included) until they are delivered, both as JSON in the store; this module is
the one place that knows how an `Alert` looks on disk. Timestamps are ISO-8601 with offset;
non-finite floats (a z of infinity when the baseline had no variance) become the strings
"inf", "-inf" or "nan", since strict JSON has no literal for them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from trendwatch.models import Alert, Drivers, PostRef, TermCount


def _num(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


def _float(value: Any) -> float:
    return float(value)  # float("inf") / float("nan") read the strings back


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.utcoffset() is None:
        raise ValueError(f"timestamp {value!r} has no UTC offset")
    return parsed


def _terms(items: tuple[TermCount, ...]) -> list[dict[str, Any]]:
    return [{"term": t.term, "count": t.count, "authors": t.authors} for t in items]


def _read_terms(items: Any) -> tuple[TermCount, ...]:
    return tuple(TermCount(term=str(t["term"]), count=int(t["count"]), authors=int(t["authors"])) for t in items or ())


def drivers_to_json(drivers: Drivers) -> dict[str, Any]:
    return {
        "hashtags": _terms(drivers.hashtags),
        "terms": _terms(drivers.terms),
        "authors": _terms(drivers.authors),
        "posts": [
            {
                "id": p.id,
                "text": p.text,
                "url": p.url,
                "author": p.author,
                "created_at": p.created_at.isoformat(),
                "sentiment": _num(p.sentiment),
            }
            for p in drivers.posts
        ],
        "negative": drivers.negative,
        "neutral": drivers.neutral,
        "positive": drivers.positive,
    }


def drivers_from_json(data: Mapping[str, Any]) -> Drivers:
    return Drivers(
        hashtags=_read_terms(data.get("hashtags")),
        terms=_read_terms(data.get("terms")),
        authors=_read_terms(data.get("authors")),
        posts=tuple(
            PostRef(
                id=str(p["id"]),
                text=str(p["text"]),
                url=p.get("url"),
                author=p.get("author"),
                created_at=_time(p["created_at"]),
                sentiment=_float(p.get("sentiment", 0.0)),
            )
            for p in data.get("posts") or ()
        ),
        negative=int(data.get("negative", 0)),
        neutral=int(data.get("neutral", 0)),
        positive=int(data.get("positive", 0)),
    )


def alert_to_json(alert: Alert) -> dict[str, Any]:
    """A JSON-serialisable dict holding every field of `alert` (drivers included)."""
    return {
        "rule": alert.rule,
        "kind": alert.kind,
        "subject": alert.subject,
        "metric": alert.metric,
        "status": alert.status,
        "severity": alert.severity,
        "direction": alert.direction,
        "started_at": alert.started_at.isoformat(),
        "at": alert.at.isoformat(),
        "expected": _num(alert.expected),
        "observed": _num(alert.observed),
        "score": alert.score,
        "z": _num(alert.z),
        "platform": alert.platform,
        "lang": alert.lang,
        "related": list(alert.related),
        "drivers": None if alert.drivers is None else drivers_to_json(alert.drivers),
    }


def alert_from_json(data: Mapping[str, Any]) -> Alert:
    """The inverse of `alert_to_json`; raises KeyError/ValueError on a malformed record."""
    drivers = data.get("drivers")
    return Alert(
        rule=str(data["rule"]),
        kind=str(data["kind"]),
        subject=str(data["subject"]),
        metric=str(data["metric"]),
        status=data["status"],
        severity=data["severity"],
        direction=data["direction"],
        started_at=_time(data["started_at"]),
        at=_time(data["at"]),
        expected=_float(data["expected"]),
        observed=_float(data["observed"]),
        score=float(data["score"]),
        z=_float(data["z"]),
        platform=data.get("platform"),
        lang=data.get("lang"),
        related=tuple(str(r) for r in data.get("related") or ()),
        drivers=None if drivers is None else drivers_from_json(drivers),
    )
