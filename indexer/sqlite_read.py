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

import numpy as np
import orjson

from indexer import codec
from indexer.fts_query import compile_match
from indexer.sqlite_write import (
    BRAND,
    HASHTAG,
    LANG,
    MICROS_PER_DAY,
    MICROS_PER_HOUR,
    PLATFORM,
    TOPIC,
    Chunk,
    from_micros,
    micros,
)
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


def scan_page(
    db: sqlite3.Connection, since: datetime | None, after: int | None, size: int
) -> tuple[list[EnrichedPost], int | None]:
    """One page of posts in storage order (rowid), and the cursor to continue after it. With
    `since`, the scan starts at the first rowid of the hours from then on (hours know theirs)."""
    lo, _ = _window(since, None)
    start = after or 0
    if since is not None:
        (first,) = db.execute("SELECT min(first_post) FROM hours WHERE hour >= ?", (lo // MICROS_PER_HOUR,)).fetchone()
        start = max(start, (first or 0) - 1)
    rows = db.execute(
        "SELECT rowid, doc FROM posts WHERE rowid > ? AND +created_at >= ? ORDER BY rowid LIMIT ?",
        (start, lo, size),
    ).fetchall()
    return [codec.load_post(doc) for _, doc in rows], (rows[-1][0] if rows else None)


# --------------------------------------------------------------------------- series

SEAL = 600_000_000
"""A rollup is kept only for periods that ended at least this long ago (10 min): the current
hour changes with every batch, so caching it would be wasted work."""

BucketRow = list[Any]  # [start µs, count, authors, sentiment sum, negative, positive]


class _Scope:
    """A query's platform/lang narrowing as dictionary keys (0 = any), SQL and arguments;
    `empty` when a value was never seen, so nothing can match."""

    def __init__(self, db: sqlite3.Connection, platform: str | None, lang: str | None, alias: str) -> None:
        self.platform = self.lang = 0
        self.sql = ""
        self.args: list[Any] = []
        self.empty = False
        for column, kind, value in (("platform", PLATFORM, platform), ("lang", LANG, lang)):
            if value is None:
                continue
            found = name_key(db, kind, value)
            if found is None:
                self.empty = True
            key = -1 if found is None else found
            setattr(self, column, key)
            self.sql += f" AND {alias}.{column} = ?"
            self.args.append(key)


def _hour_versions(db: sqlite3.Connection, start: int, end: int) -> dict[int, int]:
    rows = db.execute(
        "SELECT hour, version FROM hours WHERE hour >= ? AND hour < ?",
        (start // MICROS_PER_HOUR, end // MICROS_PER_HOUR),
    )
    return dict(rows.fetchall())


def _stored(
    db: sqlite3.Connection, kind: int, grain: int, scope: _Scope, start: int, end: int
) -> dict[int, tuple[int, bytes]]:
    rows = db.execute(
        "SELECT start, version, data FROM rollups WHERE kind = ? AND grain = ? AND platform = ? AND lang = ? "
        "AND start >= ? AND start < ?",
        (kind, grain, scope.platform, scope.lang, start, end),
    )
    return {start: (version, data) for start, version, data in rows}


def _ranges(starts: list[int], size: int) -> list[tuple[int, int]]:
    """Consecutive chunk starts merged into [start, end) ranges."""
    out: list[tuple[int, int]] = []
    for start in starts:
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], start + size)
        else:
            out.append((start, start + size))
    return out


def _bucket_rows(
    db: sqlite3.Connection, kind: int, keys: list[int] | None, step: int, lo: int, hi: int, scope: _Scope
) -> Iterator[tuple[int, BucketRow]]:
    """(subject key, bucket) for the facts of `keys` (None: every subject of the kind) in [lo, hi)."""
    aggregates = "count(*), count(DISTINCT author), total(sentiment), sum(label < 0), sum(label > 0)"
    if kind == BRAND:
        if keys is None:
            keys = [k for (k,) in db.execute("SELECT key FROM names WHERE kind = ?", (BRAND,))]
        marks = ",".join("?" * len(keys))
        sql = (
            f"SELECT brand, ts - ts % ? AS b, {aggregates} FROM brand_facts f WHERE brand IN ({marks}) "
            f"AND ts >= ? AND ts < ?{scope.sql} GROUP BY brand, b"
        )
        args: list[Any] = [step, *keys, lo, hi, *scope.args]
    else:
        subjects = f" AND term IN ({','.join('?' * len(keys))})" if keys is not None else ""
        sql = (
            f"SELECT term, ts - ts % ? AS b, {aggregates} FROM term_facts f WHERE kind = ? AND ts >= ? AND ts < ?"
            f"{subjects}{scope.sql} GROUP BY term, b"
        )
        args = [step, kind, lo, hi, *(keys or ()), *scope.args]
    for key, b, c, a, total, neg, pos in db.execute(sql, args):
        yield key, [b, c, a, total, neg, pos]


def series(
    db: sqlite3.Connection, query: SeriesQuery, since: datetime, until: datetime, now: datetime
) -> tuple[list[Series], list[Chunk]]:
    """The series, and the day rollups computed on the way that are worth keeping."""
    step = int(query.step.total_seconds() * 1_000_000)
    if step <= 0 or step % 1_000_000:
        raise ValueError(f"series step must be a whole number of seconds, got {query.step}")
    kind = KIND_CODE[query.kind]
    scope = _Scope(db, query.platform, query.lang, "f")
    lo, hi = _window(since, until)
    to_store: list[Chunk] = []
    if query.subject is not None:
        names = [subject_name(query.kind, query.subject)]
    elif query.kind == "brand":
        names = [n for (n,) in db.execute("SELECT name FROM names WHERE kind = ? ORDER BY name", (BRAND,))]
    else:
        tops, to_store = top_terms(
            db, query.kind, since, until, now, lang=query.lang, platform=query.platform, limit=query.limit
        )
        names = [t.term for t in tops]
    keys = {n: name_key(db, kind, n) for n in names}
    wanted = {k for k in keys.values() if k is not None}
    merged: dict[int, dict[int, BucketRow]] = {k: {} for k in wanted}
    if wanted and not scope.empty and hi > lo:
        live = _series_from_rollups(db, kind, step, scope, lo, hi, now, wanted, merged, to_store)
        for start, end in live:
            for key, bucket in _bucket_rows(db, kind, sorted(wanted), step, start, end, scope):
                merged[key][bucket[0]] = bucket
    out = []
    first = floor_time(since, query.step)
    for name in names:
        subject_key = keys[name]
        rows = sorted(merged.get(subject_key, {}).values()) if subject_key is not None else []
        if query.subject is None and not rows:
            continue
        buckets = tuple(
            Bucket(start=from_micros(b), count=c, authors=a, sentiment_sum=t, negative=n, positive=p)
            for b, c, a, t, n, p in rows
        )
        out.append(
            Series(
                subject=name,
                kind=query.kind,
                step=query.step,
                start=first,
                end=until,
                buckets=buckets,
                platform=query.platform,
                lang=query.lang,
            )
        )
    return out, to_store


_BUCKET_COLUMNS = ("<u4", "<i8", "<u4", "<u4", "<f8", "<u4", "<u4")
"""A day rollup, packed column by column: subject key, bucket start (µs), count, distinct
authors, sentiment sum, negative, positive. A view decodes it, and picking the wanted subjects
out of a day of every hashtag is one vectorised mask, not a parse of thousands of them."""


def _pack_buckets(rows: list[tuple[int, BucketRow]]) -> bytes:
    columns = list(zip(*((key, *bucket) for key, bucket in rows), strict=True)) if rows else [()] * 7
    head = np.array([len(rows)], dtype="<u4").tobytes()
    return head + b"".join(np.asarray(col, dtype=t).tobytes() for col, t in zip(columns, _BUCKET_COLUMNS, strict=True))


def _unpack_buckets(blob: bytes, wanted: set[int]) -> Iterator[tuple[int, BucketRow]]:
    n = int(np.frombuffer(blob, dtype="<u4", count=1)[0])
    at = 4
    columns = []
    for t in _BUCKET_COLUMNS:
        column = np.frombuffer(blob, dtype=t, count=n, offset=at)
        columns.append(column)
        at += column.nbytes
    keep = np.flatnonzero(np.isin(columns[0], np.fromiter(wanted, dtype=np.int64, count=len(wanted))))
    for i in keep:
        key, start, count, authors, total, negative, positive = (c[i] for c in columns)
        yield int(key), [int(start), int(count), int(authors), float(total), int(negative), int(positive)]


def _series_from_rollups(
    db: sqlite3.Connection,
    kind: int,
    step: int,
    scope: _Scope,
    lo: int,
    hi: int,
    now: datetime,
    wanted: set[int],
    merged: dict[int, dict[int, BucketRow]],
    to_store: list[Chunk],
) -> list[tuple[int, int]]:
    """Fill `merged` from day rollups (computing and queueing missing ones); return the
    [start, end) ranges still to compute live (partial days at the edges, or everything).
    Buckets divide days here, so every bucket comes from exactly one of these places."""
    if MICROS_PER_DAY % step:
        return [(lo, hi)]
    first = -(-lo // MICROS_PER_DAY) * MICROS_PER_DAY  # first whole day inside the window
    last = hi // MICROS_PER_DAY * MICROS_PER_DAY
    if first >= last:
        return [(lo, hi)]
    hours = _hour_versions(db, first, last)
    stored = _stored(db, kind, step, scope, first, last)
    sealed_before = micros(now) - SEAL
    missing = []
    for day in range(first, last, MICROS_PER_DAY):
        version = sum(v for h, v in hours.items() if day <= h * MICROS_PER_HOUR < day + MICROS_PER_DAY)
        found = stored.get(day)
        if found is not None and found[0] == version:
            for key, bucket in _unpack_buckets(found[1], wanted):
                merged[key][bucket[0]] = bucket
        else:
            missing.append((day, version))
    for start, end in _ranges([d for d, _ in missing], MICROS_PER_DAY):
        per_day: dict[int, list[tuple[int, BucketRow]]] = {}
        for key, bucket in _bucket_rows(db, kind, None, step, start, end, scope):
            per_day.setdefault(bucket[0] // MICROS_PER_DAY * MICROS_PER_DAY, []).append((key, bucket))
            if key in wanted:
                merged[key][bucket[0]] = bucket
        for day, version in missing:
            if start <= day < end and day + MICROS_PER_DAY <= sealed_before:
                data = _pack_buckets(per_day.get(day, []))
                to_store.append(Chunk(kind, step, scope.platform, scope.lang, day, day + MICROS_PER_DAY, version, data))
    edges = [(lo, first), (last, hi)]
    return [(a, b) for a, b in edges if b > a]


# --------------------------------------------------------------------------- terms and drivers


class _HourTerms:
    """Term counts and distinct (term, author) pairs of one stretch of time, as arrays.

    Packed as little-endian uint32 arrays (two lengths, terms, counts, pair terms, pair
    authors) when kept as an hour rollup: decoding is a view, not a parse, and merging a day
    of hours is a few vectorised operations rather than a Python loop over every author."""

    def __init__(self, terms: np.ndarray, counts: np.ndarray, pair_terms: np.ndarray, pair_authors: np.ndarray) -> None:
        self.terms, self.counts, self.pair_terms, self.pair_authors = terms, counts, pair_terms, pair_authors

    @classmethod
    def from_rows(cls, rows: list[tuple[int, int | None, int]]) -> _HourTerms:
        """From (term, author, count) rows, each (term, author) once."""
        if not rows:
            empty = np.zeros(0, dtype=np.uint32)
            return cls(empty, empty, empty, empty)
        terms = np.array([r[0] for r in rows], dtype=np.uint32)
        counts = np.array([r[2] for r in rows], dtype=np.int64)
        order = np.argsort(terms, kind="stable")
        unique_terms, starts = _runs(terms[order])
        per_term = np.add.reduceat(counts[order], starts).astype(np.uint32)
        known = np.array([r[1] is not None for r in rows], dtype=bool)
        authors = np.array([r[1] or 0 for r in rows], dtype=np.uint32)
        return cls(unique_terms, per_term, terms[known], authors[known])

    def pack(self) -> bytes:
        head = np.array([len(self.terms), len(self.pair_terms)], dtype="<u4")
        parts = (head, self.terms, self.counts, self.pair_terms, self.pair_authors)
        return b"".join(np.asarray(p, dtype="<u4").tobytes() for p in parts)

    @classmethod
    def unpack(cls, blob: bytes) -> _HourTerms:
        data = np.frombuffer(blob, dtype="<u4")
        n, m = int(data[0]), int(data[1])
        at = 2
        terms, counts = data[at : at + n], data[at + n : at + 2 * n]
        at += 2 * n
        return cls(terms, counts, data[at : at + m], data[at + m : at + 2 * m])


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct keys, start index of each run) of a sorted array."""
    if len(sorted_keys) == 0:
        return sorted_keys, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
    return sorted_keys[starts], starts


def _rank_terms(parts: list[_HourTerms], limit: int) -> list[tuple[int, int, int]]:
    """(term key, count, distinct authors) of the best `limit` terms by (authors, count), plus
    any term tied with the last of them (names settle those ties). Sorting and run-lengths
    only: numpy's hash-based `unique` is many times slower on a week of (term, author) pairs."""
    parts = [p for p in parts if len(p.terms)]
    if not parts:
        return []
    all_terms = np.concatenate([p.terms for p in parts]).astype(np.int64)
    order = np.argsort(all_terms, kind="stable")
    terms, starts = _runs(all_terms[order])
    counts = np.add.reduceat(np.concatenate([p.counts for p in parts]).astype(np.int64)[order], starts)
    pairs = (np.concatenate([p.pair_terms for p in parts]).astype(np.uint64) << np.uint64(32)) | np.concatenate(
        [p.pair_authors for p in parts]
    ).astype(np.uint64)
    pairs.sort()
    distinct, _ = _runs(pairs)
    author_terms, author_starts = _runs((distinct >> np.uint64(32)).astype(np.int64))
    author_counts = np.diff(np.append(author_starts, len(distinct)))
    authors = np.zeros(len(terms), dtype=np.int64)
    authors[np.searchsorted(terms, author_terms)] = author_counts
    ranked = np.lexsort((-counts, -authors))
    if len(ranked) > limit:
        edge = ranked[limit - 1]
        rest = ranked[limit:]
        tied = rest[(authors[rest] == authors[edge]) & (counts[rest] == counts[edge])]
        ranked = np.concatenate([ranked[:limit], tied])
    return [(int(terms[i]), int(counts[i]), int(authors[i])) for i in ranked]


def top_terms(
    db: sqlite3.Connection,
    kind: TermKind | SeriesKind,
    since: datetime,
    until: datetime,
    now: datetime,
    *,
    brand: str | None = None,
    lang: str | None = None,
    platform: str | None = None,
    limit: int = 20,
) -> tuple[list[TermCount], list[Chunk]]:
    """Terms by distinct authors, then count, then name; with the hour rollups worth keeping."""
    code = KIND_CODE[kind]
    scope = _Scope(db, platform, lang, "t")
    lo, hi = _window(since, until)
    if scope.empty or hi <= lo or limit <= 0:
        return [], []
    if brand is not None:
        return _top_terms_of_brand(db, code, brand, lo, hi, scope, limit), []
    parts: list[_HourTerms] = []
    first = -(-lo // MICROS_PER_HOUR) * MICROS_PER_HOUR
    last = hi // MICROS_PER_HOUR * MICROS_PER_HOUR
    to_store: list[Chunk] = []
    live = [(lo, hi)]
    if first < last:
        live = [(a, b) for a, b in ((lo, first), (last, hi)) if b > a]
        versions = _hour_versions(db, first, last)
        stored = _stored(db, code, 0, scope, first, last)
        sealed_before = micros(now) - SEAL
        missing = []
        for hour in range(first, last, MICROS_PER_HOUR):
            version = versions.get(hour // MICROS_PER_HOUR, 0)
            found = stored.get(hour)
            if found is not None and found[0] == version:
                parts.append(_HourTerms.unpack(found[1]))
            else:
                missing.append((hour, version))
        for start, end in _ranges([h for h, _ in missing], MICROS_PER_HOUR):
            per_hour = _term_hours(db, code, start, end, scope)
            for hour, version in missing:
                if start <= hour < end:
                    terms = per_hour.get(hour) or _HourTerms.from_rows([])
                    parts.append(terms)
                    if hour + MICROS_PER_HOUR <= sealed_before:
                        end_of_hour = hour + MICROS_PER_HOUR
                        chunk = Chunk(code, 0, scope.platform, scope.lang, hour, end_of_hour, version, terms.pack())
                        to_store.append(chunk)
    for start, end in live:
        parts.extend(_term_hours(db, code, start, end, scope).values())
    ranked = _rank_terms(parts, limit)
    names = _names_of(db, [t for t, _, _ in ranked])
    top = sorted(ranked, key=lambda r: (-r[2], -r[1], names[r[0]]))[:limit]
    return [TermCount(term=names[t], count=c, authors=a) for t, c, a in top], to_store


def _term_hours(db: sqlite3.Connection, kind: int, lo: int, hi: int, scope: _Scope) -> dict[int, _HourTerms]:
    """Per hour start, the terms of the facts in [lo, hi)."""
    rows = db.execute(
        f"SELECT ts - ts % {MICROS_PER_HOUR}, term, author, count(*) FROM term_facts t "
        f"WHERE kind = ? AND ts >= ? AND ts < ?{scope.sql} GROUP BY 1, term, author",
        [kind, lo, hi, *scope.args],
    ).fetchall()
    by_hour: dict[int, list[tuple[int, int | None, int]]] = {}
    for hour, term, author, count in rows:
        by_hour.setdefault(hour, []).append((term, author, count))
    return {hour: _HourTerms.from_rows(found) for hour, found in by_hour.items()}


def _names_of(db: sqlite3.Connection, keys: Sequence[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        marks = ",".join("?" * len(chunk))
        names.update(db.execute(f"SELECT key, name FROM names WHERE key IN ({marks})", chunk).fetchall())
    return names


def emerging_terms(
    db: sqlite3.Connection,
    kind: TermKind,
    window: tuple[datetime, datetime],
    baseline: tuple[datetime, datetime],
    brand: str | None,
    lang: str | None,
    limit: int,
    min_count: int,
) -> list[TermCount]:
    code = KIND_CODE[kind]
    scope = _Scope(db, None, lang, "t")
    brand_key = name_key(db, BRAND, brand) if brand is not None else None
    if scope.empty or (brand is not None and brand_key is None):
        return []

    def counts(since: datetime, until: datetime) -> tuple[int, dict[int, tuple[int, int]]]:
        lo, hi = _window(since, until)
        args: list[Any] = [code, lo, hi, *scope.args]
        of_brand = ""
        if brand_key is not None:
            of_brand = " AND EXISTS (SELECT 1 FROM brand_facts b WHERE b.brand = ? AND b.ts = t.ts AND b.post = t.post)"
            args.append(brand_key)
        rows = db.execute(
            "SELECT term, count(*), count(DISTINCT author) FROM term_facts t "
            f"WHERE kind = ? AND ts >= ? AND ts < ?{scope.sql}{of_brand} GROUP BY term",
            args,
        )
        per_term = {term: (docs, authors) for term, docs, authors in rows}
        if brand_key is not None:
            sql = f"SELECT count(*) FROM brand_facts t WHERE brand = ? AND ts >= ? AND ts < ?{scope.sql}"
            total = db.execute(sql, [brand_key, lo, hi, *scope.args]).fetchone()[0]
        else:
            sql = f"SELECT count(*) FROM posts t WHERE created_at >= ? AND created_at < ?{scope.sql}"
            total = db.execute(sql, [lo, hi, *scope.args]).fetchone()[0]
        return int(total), per_term

    fg_total, foreground = counts(*window)
    bg_total, background = counts(*baseline)
    scored = []
    for term, (docs, authors) in foreground.items():
        if docs < min_count:
            continue
        score = codec.jlh(docs, fg_total, background.get(term, (0, 0))[0], bg_total)
        if score > 0:
            scored.append((score, term, docs, authors))
    names = _names_of(db, [t for _, t, _, _ in scored])
    scored.sort(key=lambda r: (-r[0], names[r[1]]))
    return [TermCount(term=names[t], count=d, authors=a) for _, t, d, a in scored[:limit]]


def _top_terms_of_brand(
    db: sqlite3.Connection, kind: int, brand: str, lo: int, hi: int, scope: _Scope, limit: int
) -> list[TermCount]:
    brand_key = name_key(db, BRAND, brand)
    if brand_key is None:
        return []
    rows = db.execute(
        "SELECT n.name, count(*) AS c, count(DISTINCT t.author) AS a FROM brand_facts b "
        "JOIN term_facts t ON t.kind = ? AND t.ts = b.ts AND t.post = b.post JOIN names n ON n.key = t.term "
        f"WHERE b.brand = ? AND b.ts >= ? AND b.ts < ?{scope.sql} "
        "GROUP BY t.term ORDER BY a DESC, c DESC, n.name LIMIT ?",
        [kind, brand_key, lo, hi, *scope.args, limit],
    )
    return [TermCount(term=name, count=c, authors=a) for name, c, a in rows]


def drivers(
    db: sqlite3.Connection, query: SeriesQuery, subject: str, since: datetime, until: datetime, limit: int
) -> Drivers:
    kind = KIND_CODE[query.kind]
    key = name_key(db, kind, subject_name(query.kind, subject))
    scope = _Scope(db, query.platform, query.lang, "s")
    if key is None or scope.empty:
        return Drivers()
    lo, hi = _window(since, until)
    if kind == BRAND:
        source = "brand_facts s"
        where = f"s.brand = ? AND s.ts >= ? AND s.ts < ?{scope.sql}"
        args: list[Any] = [key, lo, hi, *scope.args]
        other = ""
    else:
        source = "term_facts s"
        where = f"s.kind = ? AND s.ts >= ? AND s.ts < ? AND s.term = ?{scope.sql}"
        args = [kind, lo, hi, key, *scope.args]
        other = " AND t.term != s.term"

    def terms(term_kind: int) -> tuple[TermCount, ...]:
        rows = db.execute(
            f"SELECT n.name, count(*) AS c, count(DISTINCT t.author) AS a FROM {source} "
            "JOIN term_facts t ON t.kind = ? AND t.ts = s.ts AND t.post = s.post JOIN names n ON n.key = t.term "
            f"WHERE {where}{other} GROUP BY t.term ORDER BY a DESC, c DESC, n.name LIMIT ?",
            [term_kind, *args, limit],
        )
        return tuple(TermCount(term=name, count=c, authors=a) for name, c, a in rows)

    authors = tuple(
        TermCount(term=handle or author_id, count=c, authors=1)
        for handle, author_id, c in db.execute(
            f"SELECT a.handle, a.id, count(*) AS c FROM {source} JOIN authors a ON a.key = s.author "
            f"WHERE {where} GROUP BY s.author ORDER BY c DESC, a.id LIMIT ?",
            [*args, limit],
        )
    )
    posts = tuple(
        codec.post_ref(codec.load_post(doc))
        for (doc,) in db.execute(
            f"SELECT p.doc FROM {source} JOIN posts p ON p.rowid = s.post "
            f"WHERE {where} ORDER BY p.engagement DESC, p.created_at DESC, p.id LIMIT ?",
            [*args, limit],
        )
    )
    neg, neu, pos = db.execute(
        f"SELECT total(s.label < 0), total(s.label = 0), total(s.label > 0) FROM {source} WHERE {where}", args
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
    """Newest first, exactly.

    Posts not yet in the full-text index (rowid above `fts_indexed`) are matched in memory.
    The indexed ones are found by walking the hours of the window from the newest: one MATCH per
    group of hours (1, 2, 4, ... hours), restricted to the rowid range those hours' posts have
    (FTS5 seeks straight to it) and then to their creation time. Posts of older hours are older,
    so the walk stops as soon as `limit` posts are in hand. A common word needs one small group;
    a rare one needs a few growing groups.
    """
    if limit <= 0:
        return []
    lo, hi = _window(since, until)
    indexed = int(db.execute("SELECT value FROM meta WHERE key = 'fts_indexed'").fetchone()[0])
    found: list[tuple[int, str, int]] = []
    # `+created_at`: the tail is found by rowid; an index on time would scan every post
    for rowid, ts, post_id, doc in db.execute(
        "SELECT rowid, created_at, id, doc FROM posts WHERE rowid > ? AND +created_at >= ? AND +created_at < ?",
        (indexed, lo, hi),
    ):
        if query.matches(codec.load_post(doc)):
            found.append((ts, post_id, rowid))
    hours = db.execute(
        "SELECT hour, first_post, last_post FROM hours WHERE hour >= ? AND hour <= ? AND first_post <= ? "
        "ORDER BY hour DESC",
        (lo // MICROS_PER_HOUR, (hi - 1) // MICROS_PER_HOUR, indexed),
    ).fetchall()
    expression = compile_match(query)
    from_index = 0
    size = 1
    while hours and from_index < limit:
        group, hours = hours[:size], hours[size:]
        start = max(lo, group[-1][0] * MICROS_PER_HOUR)
        end = min(hi, (group[0][0] + 1) * MICROS_PER_HOUR)
        first = min(h[1] for h in group)
        last = min(indexed, max(h[2] for h in group))
        rows = db.execute(
            "SELECT p.created_at, p.id, p.rowid FROM fts JOIN posts p ON p.rowid = fts.rowid "
            "WHERE fts MATCH ? AND fts.rowid >= ? AND fts.rowid <= ? AND p.created_at >= ? AND p.created_at < ? "
            "ORDER BY p.created_at DESC, p.id DESC LIMIT ?",
            (expression, first, last, start, end, limit),
        ).fetchall()
        found.extend(rows)
        from_index += len(rows)
        size *= 2
    found.sort(reverse=True)
    top = [rowid for _, _, rowid in found[:limit]]
    docs = dict(db.execute(f"SELECT rowid, doc FROM posts WHERE rowid IN ({','.join('?' * len(top))})", top).fetchall())
    return [codec.load_post(docs[rowid]) for rowid in top]


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
