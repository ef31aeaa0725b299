"""The embedded store's writer: everything that changes the database, on one connection.

All of it runs on the store's single writer thread, so the caches here (dictionary keys, the
next rowid, the batch of posts not yet in the full-text index) need no locks. Each public method
is one transaction; when it fails, the caches are reset from the database so nothing stale
survives a rollback.

Why the full-text index lags: FTS5 is the costliest part of an insert. New posts are folded once
at upsert time and kept in `pending`; `flush_fts` writes them in one statement per batch, which
is several times faster than indexing row by row. Searches stay exact meanwhile: readers scan the
posts above `meta.fts_indexed` with the in-memory matcher. After a crash the pending posts are
re-read from their stored JSON (the slow path, once).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from indexer import codec
from indexer.fts_query import UNIVERSE, day_token, meta_token
from indexer.store import UpsertResult
from trendwatch.errors import StoreError
from trendwatch.models import Alert, Author, EnrichedPost
from trendwatch.query import FOLD_VERSION, author_key, fold, keyword

log = structlog.get_logger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_DAY = 86_400_000_000
_MICRO = timedelta(microseconds=1)

# `names.kind` values
PLATFORM, SOURCE, LANG, BRAND, HASHTAG, TOPIC = range(6)
LABELS = codec.LABEL_VALUE

FtsRow = tuple[str, str, str]  # folded title, folded body, meta tokens


def micros(value: datetime) -> int:
    """Microseconds since the Unix epoch, exactly."""
    return (value - EPOCH) // _MICRO


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def fts_row(post: EnrichedPost) -> FtsRow:
    """The full-text columns of a post: folded title and text, and its keyword tokens."""
    p, e = post.post, post.enrichment
    meta = [UNIVERSE, day_token(micros(p.created_at) // MICROS_PER_DAY), meta_token("platform", keyword(p.platform))]
    if e.lang:
        meta.append(meta_token("lang", keyword(e.lang)))
    meta.extend(meta_token("brand", keyword(b)) for b in e.brands)
    meta.extend(meta_token("hashtag", h) for h in codec.hashtags_of(post))
    if p.author is not None:
        keys = {author_key(p.author.id), author_key(p.author.handle or "")} - {""}
        meta.extend(meta_token("author", k) for k in sorted(keys))
    return fold(p.title or ""), fold(p.text), " ".join(meta)


@dataclass(slots=True)
class _Changes:
    """What one upsert wrote, applied to the caches only after COMMIT."""

    pending: dict[int, FtsRow]
    next_rowid: int


class Writer:
    """Owns the writer connection (autocommit mode; transactions are explicit)."""

    def __init__(self, db: sqlite3.Connection, fts_batch: int) -> None:
        self.db = db
        self.fts_batch = fts_batch
        self.pending: dict[int, FtsRow] = {}
        self._names: dict[tuple[int, str], int] = {}
        self._authors: dict[str, tuple[int, str | None]] = {}
        self.next_rowid = 1
        self.fts_indexed = 0
        self.load()

    # ------------------------------------------------------------------ caches

    def load(self) -> None:
        db = self.db
        self._names = {(kind, name): key for key, kind, name in db.execute("SELECT key, kind, name FROM names")}
        self._authors.clear()
        self.pending.clear()
        top = db.execute("SELECT max(rowid) FROM posts").fetchone()[0] or 0
        self.next_rowid = max(top, self._meta("rowid_floor", 0)) + 1
        self.fts_indexed = self._meta("fts_indexed", 0)

    def _meta(self, key: str, default: Any) -> Any:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else row[0]

    def _set_meta(self, key: str, value: Any) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def name_key(self, kind: int, name: str) -> int:
        key = self._names.get((kind, name))
        if key is None:
            row = self.db.execute(
                "INSERT INTO names(kind, name) VALUES (?, ?) ON CONFLICT(kind, name) DO UPDATE SET name = name "
                "RETURNING key",
                (kind, name),
            ).fetchone()
            key = self._names[(kind, name)] = int(row[0])
        return key

    def author_key(self, author: Author | None) -> int | None:
        if author is None:
            return None
        cached = self._authors.get(author.id)
        if cached is not None and cached[1] == author.handle:
            return cached[0]
        row = self.db.execute(
            "INSERT INTO authors(id, handle) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET handle = excluded.handle "
            "RETURNING key",
            (author.id, author.handle),
        ).fetchone()
        if len(self._authors) > 200_000:  # bounded: authors are many, most post rarely
            self._authors.clear()
        self._authors[author.id] = (int(row[0]), author.handle)
        return int(row[0])

    def _fail(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        pending = self.pending
        self.load()
        self.pending = pending  # what was pending before this transaction is still pending

    # ------------------------------------------------------------------ posts

    def _facts(self, post: EnrichedPost, rowid: int, ts: int, author: int | None) -> list[tuple[Any, ...]]:
        facts = codec.facts_of(post)
        p, e = post.post, post.enrichment
        platform = self.name_key(PLATFORM, p.platform)
        lang = self.name_key(LANG, e.lang) if e.lang else None
        tone = facts.tone
        label = LABELS[tone.label]
        rows = [
            (self.name_key(BRAND, brand), ts, rowid, BRAND, author, platform, lang, t.score, LABELS[t.label])
            for brand, t in facts.brands.items()
        ]
        rows.extend(
            (self.name_key(HASHTAG, tag), ts, rowid, HASHTAG, author, platform, lang, tone.score, label)
            for tag in facts.hashtags
        )
        rows.extend(
            (self.name_key(TOPIC, topic), ts, rowid, TOPIC, author, platform, lang, tone.score, label)
            for topic in facts.topics
        )
        return rows

    def _post_row(self, post: EnrichedPost, ts: int, author: int | None, doc: bytes) -> tuple[Any, ...]:
        p, e = post.post, post.enrichment
        return (
            p.id,
            ts,
            self.name_key(PLATFORM, p.platform),
            self.name_key(SOURCE, p.source),
            self.name_key(LANG, e.lang) if e.lang else None,
            author,
            e.sentiment,
            LABELS[e.sentiment_label],
            codec.engagement_total(p),
            doc,
        )

    def upsert(self, posts: Sequence[EnrichedPost]) -> UpsertResult:
        batch = list({p.id: p for p in posts}.values())  # the last copy of an id wins
        if not batch:
            return UpsertResult(0, 0)
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            existing = self._existing([p.id for p in batch])
            changes = _Changes(pending={}, next_rowid=self.next_rowid)
            new_rows: list[tuple[Any, ...]] = []
            new_facts: list[tuple[Any, ...]] = []
            updated = 0
            days: set[int] = set()
            for post in batch:
                ts = micros(post.post.created_at)
                author = self.author_key(post.post.author)
                doc = codec.dump_post(post)
                known = existing.get(post.id)
                if known is None:
                    rowid = changes.next_rowid
                    changes.next_rowid += 1
                    new_rows.append((rowid, *self._post_row(post, ts, author, doc)))
                    new_facts.extend(self._facts(post, rowid, ts, author))
                    changes.pending[rowid] = fts_row(post)
                    days.add(ts // MICROS_PER_DAY)
                else:
                    updated += 1
                    self._update(post, known, ts, author, doc, changes, days)
            db.executemany(
                "INSERT INTO posts(rowid, id, created_at, platform, source, lang, author, sentiment, label, "
                "engagement, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                new_rows,
            )
            db.executemany("INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", new_facts)
            self._touch(days)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._fail()
            raise StoreError(f"could not store {len(batch)} posts: {exc}") from exc
        except BaseException:
            self._fail()
            raise
        self.next_rowid = changes.next_rowid
        self.pending.update(changes.pending)
        return UpsertResult(inserted=len(new_rows), updated=updated)

    def _existing(self, ids: list[str]) -> dict[str, tuple[int, bytes]]:
        found: dict[str, tuple[int, bytes]] = {}
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            marks = ",".join("?" * len(chunk))
            for rowid, post_id, doc in self.db.execute(
                f"SELECT rowid, id, doc FROM posts WHERE id IN ({marks})", chunk
            ):
                found[post_id] = (rowid, doc)
        return found

    def _update(
        self,
        post: EnrichedPost,
        known: tuple[int, bytes],
        ts: int,
        author: int | None,
        doc: bytes,
        changes: _Changes,
        days: set[int],
    ) -> None:
        rowid, old_doc = known
        if old_doc == doc:
            return
        old = codec.load_post(old_doc)
        old_ts = micros(old.post.created_at)
        old_facts = self._facts(old, rowid, old_ts, self.author_key(old.post.author))
        facts = self._facts(post, rowid, ts, author)
        db = self.db
        db.execute(
            "UPDATE posts SET id = ?, created_at = ?, platform = ?, source = ?, lang = ?, author = ?, sentiment = ?, "
            "label = ?, engagement = ?, doc = ? WHERE rowid = ?",
            (*self._post_row(post, ts, author, doc), rowid),
        )
        if old_facts != facts:
            db.executemany("DELETE FROM facts WHERE subject = ? AND ts = ? AND post = ?", [f[:3] for f in old_facts])
            db.executemany("INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", facts)
            days.update((old_ts // MICROS_PER_DAY, ts // MICROS_PER_DAY))
        new_fts = fts_row(post)
        if rowid > self.fts_indexed:
            changes.pending[rowid] = new_fts
            return
        old_fts = fts_row(old)
        if old_fts != new_fts:
            self._fts_delete([(rowid, *old_fts)])
            db.execute("INSERT INTO fts(rowid, title, body, meta) VALUES (?, ?, ?, ?)", (rowid, *new_fts))

    def _fts_delete(self, rows: Iterable[tuple[int, str, str, str]]) -> None:
        self.db.executemany("INSERT INTO fts(fts, rowid, title, body, meta) VALUES ('delete', ?, ?, ?, ?)", rows)

    def _touch(self, days: Iterable[int]) -> None:
        self.db.executemany(
            "INSERT INTO days(day, version) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET version = version + 1",
            [(d,) for d in days],
        )

    # ------------------------------------------------------------------ full-text index

    @property
    def fts_lag(self) -> int:
        return self.next_rowid - 1 - self.fts_indexed

    def flush_fts(self, progress: Callable[[int], None] | None = None) -> int:
        """Index every committed post above the watermark, `fts_batch` rows per transaction."""
        done = 0
        top = self.next_rowid - 1
        while self.fts_indexed < top:
            start = self.fts_indexed + 1
            end = min(top, self.fts_indexed + max(self.fts_batch, 1))
            rows = self._fts_rows(start, end)
            try:
                self.db.execute("BEGIN IMMEDIATE")
                self.db.executemany("INSERT INTO fts(rowid, title, body, meta) VALUES (?, ?, ?, ?)", rows)
                self._set_meta("fts_indexed", end)
                self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._fail()
                raise StoreError(f"could not update the full-text index: {exc}") from exc
            for rowid in range(start, end + 1):
                self.pending.pop(rowid, None)
            self.fts_indexed = end
            done += len(rows)
            if progress:
                progress(len(rows))
        return done

    def _fts_rows(self, start: int, end: int) -> list[tuple[int, str, str, str]]:
        pending = self.pending
        if all(r in pending for r in range(start, end + 1)):
            return [(r, *pending[r]) for r in range(start, end + 1)]
        # Slow path (after a restart or a fold change): fold from the stored JSON.
        rows = []
        for rowid, doc in self.db.execute("SELECT rowid, doc FROM posts WHERE rowid BETWEEN ? AND ?", (start, end)):
            found = pending.get(rowid)
            rows.append((rowid, *(found or fts_row(codec.load_post(doc)))))
        return rows

    def check_fold_version(self) -> bool:
        """Re-index everything when the text folding changed since the index was built."""
        if self._meta("fold_version", None) == FOLD_VERSION:
            return False
        indexed = self.fts_indexed
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("INSERT INTO fts(fts) VALUES ('delete-all')")
        self._set_meta("fts_indexed", 0)
        self._set_meta("fold_version", FOLD_VERSION)
        self.db.execute("COMMIT")
        self.fts_indexed = 0
        self.pending.clear()
        if indexed:
            log.info("full-text index will be rebuilt", reason="text folding changed", posts=indexed)
        return True

    # ------------------------------------------------------------------ state and alerts

    def set_state(self, key: str, value: Any) -> None:
        try:
            if value is None:
                self.db.execute("DELETE FROM state WHERE key = ?", (key,))
            else:
                self.db.execute(
                    "INSERT INTO state(key, value, updated_at) VALUES (?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    (key, codec.dumps(value), time.time_ns() // 1000),
                )
        except sqlite3.Error as exc:
            raise StoreError(f"could not save state {key!r}: {exc}") from exc

    def record_alert(self, alert: Alert) -> None:
        try:
            self.db.execute(
                "INSERT INTO alerts(key, status, at, doc) VALUES (?, ?, ?, ?)",
                (alert.key, alert.status, micros(alert.at), codec.dumps(alert)),
            )
        except sqlite3.Error as exc:
            raise StoreError(f"could not record alert {alert.key!r}: {exc}") from exc

    # ------------------------------------------------------------------ maintenance

    def delete_before(self, cutoff: datetime, batch: int = 5000, progress: Callable[[int], None] | None = None) -> int:
        """Delete posts created before `cutoff` (with their facts and index entries)."""
        limit = micros(cutoff)
        deleted = 0
        while True:
            rows = self.db.execute(
                "SELECT rowid, doc FROM posts WHERE created_at < ? ORDER BY created_at LIMIT ?", (limit, batch)
            ).fetchall()
            if not rows:
                break
            try:
                self.db.execute("BEGIN IMMEDIATE")
                days: set[int] = set()
                indexed = []
                for rowid, doc in rows:
                    post = codec.load_post(doc)
                    ts = micros(post.post.created_at)
                    facts = self._facts(post, rowid, ts, self.author_key(post.post.author))
                    self.db.executemany(
                        "DELETE FROM facts WHERE subject = ? AND ts = ? AND post = ?", [f[:3] for f in facts]
                    )
                    days.add(ts // MICROS_PER_DAY)
                    if rowid <= self.fts_indexed:
                        indexed.append((rowid, *fts_row(post)))
                self._fts_delete(indexed)
                self.db.executemany("DELETE FROM posts WHERE rowid = ?", [(r,) for r, _ in rows])
                self._touch(days)
                top = max(r for r, _ in rows)
                if top >= self.next_rowid - 1:  # never hand a deleted rowid out again
                    self._set_meta("rowid_floor", top)
                self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._fail()
                raise StoreError(f"retention stopped after {deleted} posts: {exc}") from exc
            for rowid, _ in rows:
                self.pending.pop(rowid, None)
            deleted += len(rows)
            if progress:
                progress(len(rows))
        self.db.execute("DELETE FROM days WHERE day < ?", (limit // MICROS_PER_DAY,))
        return deleted

    def delete_alerts_before(self, cutoff: datetime) -> int:
        return self.db.execute("DELETE FROM alerts WHERE at < ?", (micros(cutoff),)).rowcount
