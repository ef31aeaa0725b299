"""The embedded store's queries: pure functions of a read connection.

Each function runs inside one read transaction (a consistent WAL snapshot), so a query never
sees half of a concurrent upsert, and readers never wait for the writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import orjson

from indexer import codec
from indexer.fts_query import compile_match, within_days
from indexer.sqlite_write import BRAND, HASHTAG, LANG, MICROS_PER_DAY, PLATFORM, TOPIC, from_micros, micros
from indexer.store import TermKind
from trendwatch.models import (
    Alert,
    AlertStatus,
    Bucket,
    Drivers,
    EnrichedPost,
    Series,
    SeriesKind,
    SeriesQuery,
    TermCount,
)
from trendwatch.query import Query, hashtag_key
from trendwatch.timeutil import floor_time

KIND_CODE: dict[str, int] = {"brand": BRAND, "hashtag": HASHTAG, "topic": TOPIC}
_FAR_PAST, _FAR_FUTURE = -(2**62), 2**62


@contextmanager
def snapshot(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    db.execute("BEGIN")
    try:
        yield db
    finally:
        db.execute("COMMIT")


def _window(since: datetime | None, until: datetime | None) -> tuple[int, int]:
    return (micros(since) if since else _FAR_PAST, micros(until) if until else _FAR_FUTURE)


def subject_name(kind: SeriesKind | TermKind, subject: str) -> str:
    """A subject as stored: hashtags folded without '#', topics trimmed, brands as configured."""
    if kind == "hashtag":
        return hashtag_key(subject)
    return subject.strip() if kind == "topic" else subject


def name_key(db: sqlite3.Connection, kind: int, name: str) -> int | None:
    row = db.execute("SELECT key FROM names WHERE kind = ? AND name = ?", (kind, name)).fetchone()
    return None if row is None else int(row[0])


# --------------------------------------------------------------------------- posts


def count(db: sqlite3.Connection, since: datetime | None, until: datetime | None) -> int:
    if since is None and until is None:
        return int(db.execute("SELECT count(*) FROM posts").fetchone()[0])
    lo, hi = _window(since, until)
    return int(
        db.execute("SELECT count(*) FROM posts WHERE created_at >= ? AND created_at < ?", (lo, hi)).fetchone()[0]
    )


def get(db: sqlite3.Connection, ids: Sequence[str]) -> list[EnrichedPost]:
    found: dict[str, EnrichedPost] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), 5000):
        chunk = unique[start : start + 5000]
        marks = ",".join("?" * len(chunk))
        for post_id, doc in db.execute(f"SELECT id, doc FROM posts WHERE id IN ({marks})", chunk):
            found[post_id] = codec.load_post(doc)
    return [found[i] for i in unique if i in found]


# --------------------------------------------------------------------------- series


class _Filters:
    """SQL for a SeriesQuery's platform/lang narrowing; `empty` when a value was never seen."""

    def __init__(self, db: sqlite3.Connection, platform: str | None, lang: str | None, alias: str = "f") -> None:
        self.sql, self.args, self.empty = "", [], False
        for column, kind, value in (("platform", PLATFORM, platform), ("lang", LANG, lang)):
            if value is None:
                continue
            key = name_key(db, kind, value)
            if key is None:
                self.empty = True
            self.sql += f" AND {alias}.{column} = ?"
            self.args.append(key)


def series(db: sqlite3.Connection, query: SeriesQuery, since: datetime, until: datetime) -> list[Series]:
    step = int(query.step.total_seconds() * 1_000_000)
    if step <= 0 or step % 1_000_000:
        raise ValueError(f"series step must be a whole number of seconds, got {query.step}")
    kind = KIND_CODE[query.kind]
    filters = _Filters(db, query.platform, query.lang)
    lo, hi = _window(since, until)
    if query.subject is not None:
        subjects = [subject_name(query.kind, query.subject)]
    elif query.kind == "brand":
        subjects = [n for (n,) in db.execute("SELECT name FROM names WHERE kind = ? ORDER BY name", (kind,))]
    else:
        tops = top_terms(db, query.kind, since, until, lang=query.lang, platform=query.platform, limit=query.limit)
        subjects = [t.term for t in tops]
    start = floor_time(since, query.step)
    out = []
    for name in subjects:
        key = name_key(db, kind, name)
        buckets: tuple[Bucket, ...] = ()
        if key is not None and not filters.empty:
            rows = db.execute(
                "SELECT ts - ts % ? AS b, count(*), count(DISTINCT author), total(sentiment), "
                "sum(label < 0), sum(label > 0) FROM facts f "
                f"WHERE subject = ? AND ts >= ? AND ts < ?{filters.sql} GROUP BY b ORDER BY b",
                [step, key, lo, hi, *filters.args],
            )
            buckets = tuple(
                Bucket(start=from_micros(b), count=c, authors=a, sentiment_sum=s, negative=neg, positive=pos)
                for b, c, a, s, neg, pos in rows
            )
        if query.subject is None and not buckets:
            continue
        out.append(
            Series(
                subject=name,
                kind=query.kind,
                step=query.step,
                start=start,
                end=until,
                buckets=buckets,
                platform=query.platform,
                lang=query.lang,
            )
        )
    return out


# --------------------------------------------------------------------------- terms and drivers


def top_terms(
    db: sqlite3.Connection,
    kind: TermKind | SeriesKind,
    since: datetime,
    until: datetime,
    *,
    brand: str | None = None,
    lang: str | None = None,
    platform: str | None = None,
    limit: int = 20,
) -> list[TermCount]:
    code = KIND_CODE[kind]
    filters = _Filters(db, platform, lang)
    if filters.empty:
        return []
    lo, hi = _window(since, until)
    sql = (
        "SELECT n.name, count(*) AS c, count(DISTINCT f.author) AS a FROM facts f JOIN names n ON n.key = f.subject "
        f"WHERE f.kind = ? AND f.ts >= ? AND f.ts < ?{filters.sql}"
    )
    args: list[Any] = [code, lo, hi, *filters.args]
    if brand is not None:
        brand_key = name_key(db, BRAND, brand)
        if brand_key is None:
            return []
        sql += " AND EXISTS (SELECT 1 FROM facts b WHERE b.subject = ? AND b.ts = f.ts AND b.post = f.post)"
        args.append(brand_key)
    sql += " GROUP BY f.subject ORDER BY a DESC, c DESC, n.name LIMIT ?"
    args.append(limit)
    return [TermCount(term=name, count=c, authors=a) for name, c, a in db.execute(sql, args)]


def drivers(
    db: sqlite3.Connection, query: SeriesQuery, subject: str, since: datetime, until: datetime, limit: int
) -> Drivers:
    kind = KIND_CODE[query.kind]
    key = name_key(db, kind, subject_name(query.kind, subject))
    filters = _Filters(db, query.platform, query.lang, alias="s")
    if key is None or filters.empty:
        return Drivers()
    lo, hi = _window(since, until)
    scope = f"s.subject = ? AND s.ts >= ? AND s.ts < ?{filters.sql}"
    args = [key, lo, hi, *filters.args]

    def terms(term_kind: int) -> tuple[TermCount, ...]:
        rows = db.execute(
            "SELECT n.name, count(*) AS c, count(DISTINCT t.author) AS a FROM facts s "
            "JOIN facts t ON t.kind = ? AND t.ts = s.ts AND t.post = s.post JOIN names n ON n.key = t.subject "
            f"WHERE {scope} AND t.subject != s.subject GROUP BY t.subject ORDER BY a DESC, c DESC, n.name LIMIT ?",
            [term_kind, *args, limit],
        )
        return tuple(TermCount(term=name, count=c, authors=a) for name, c, a in rows)

    authors = tuple(
        TermCount(term=handle or author_id, count=c, authors=1)
        for handle, author_id, c in db.execute(
            "SELECT a.handle, a.id, count(*) AS c FROM facts s JOIN authors a ON a.key = s.author "
            f"WHERE {scope} GROUP BY s.author ORDER BY c DESC, a.id LIMIT ?",
            [*args, limit],
        )
    )
    posts = tuple(
        codec.post_ref(codec.load_post(doc))
        for (doc,) in db.execute(
            "SELECT p.doc FROM facts s JOIN posts p ON p.rowid = s.post "
            f"WHERE {scope} ORDER BY p.engagement DESC, p.created_at DESC, p.id LIMIT ?",
            [*args, limit],
        )
    )
    neg, neu, pos = db.execute(
        f"SELECT total(s.label < 0), total(s.label = 0), total(s.label > 0) FROM facts s WHERE {scope}", args
    ).fetchone()
    return Drivers(
        hashtags=terms(HASHTAG),
        terms=terms(TOPIC),
        authors=authors,
        posts=posts,
        negative=int(neg),
        neutral=int(neu),
        positive=int(pos),
    )


# --------------------------------------------------------------------------- search


def search(
    db: sqlite3.Connection, query: Query, since: datetime | None, until: datetime | None, limit: int
) -> list[EnrichedPost]:
    """Newest first. Walks the days backwards through the full-text index (one MATCH per group
    of days, doubling the group each time) and scans the not-yet-indexed tail in memory."""
    if limit <= 0:
        return []
    lo, hi = _window(since, until)
    indexed = int(db.execute("SELECT value FROM meta WHERE key = 'fts_indexed'").fetchone()[0])
    found: list[tuple[int, str, bytes]] = []
    for ts, post_id, doc in db.execute(
        "SELECT created_at, id, doc FROM posts WHERE rowid > ? AND created_at >= ? AND created_at < ?",
        (indexed, lo, hi),
    ):
        if query.matches(codec.load_post(doc)):
            found.append((ts, post_id, doc))
    expression = compile_match(query)
    days = [
        d
        for (d,) in db.execute(
            "SELECT day FROM days WHERE day >= ? AND day <= ? ORDER BY day DESC",
            (lo // MICROS_PER_DAY if since else _FAR_PAST, (hi - 1) // MICROS_PER_DAY if until else _FAR_FUTURE),
        )
    ]
    from_index = 0
    group = 1
    while days and from_index < limit:
        chosen, days = days[:group], days[group:]
        rows = db.execute(
            "SELECT created_at, id, doc FROM posts WHERE rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?) "
            "AND rowid <= ? AND created_at >= ? AND created_at < ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (within_days(expression, chosen), indexed, lo, hi, limit),
        ).fetchall()
        found.extend(rows)
        from_index += len(rows)
        group *= 2
    found.sort(key=lambda r: (r[0], r[1]), reverse=True)
    return [codec.load_post(doc) for _, _, doc in found[:limit]]


# --------------------------------------------------------------------------- state and alerts


def get_state(db: sqlite3.Connection, key: str) -> Any | None:
    row = db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
    return None if row is None else orjson.loads(row[0])


def get_states(db: sqlite3.Connection, prefix: str) -> dict[str, Any]:
    rows = db.execute(
        "SELECT key, value FROM state WHERE key >= ? AND key < ? ORDER BY key", (prefix, prefix + "\U0010ffff")
    )
    return {key: orjson.loads(value) for key, value in rows if key.startswith(prefix)}


def alerts(db: sqlite3.Connection, since: datetime | None, status: AlertStatus | None, limit: int) -> list[Alert]:
    sql = "SELECT doc FROM alerts WHERE at >= ?"
    args: list[Any] = [micros(since) if since else _FAR_PAST]
    if status is not None:
        sql += " AND status = ?"
        args.append(status)
    sql += " ORDER BY at DESC, id DESC LIMIT ?"
    args.append(limit)
    return [codec.alert_from_dict(orjson.loads(doc)) for (doc,) in db.execute(sql, args)]
