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
from indexer.fts_query import LAYOUT, UNIVERSE, meta_token
from indexer.store import UpsertResult
from trendwatch.errors import StoreError
from trendwatch.models import Alert, Author, EnrichedPost
from trendwatch.query import FOLD_VERSION, author_key, fold, hashtag_key, keyword

log = structlog.get_logger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROS_PER_DAY = 86_400_000_000
MICROS_PER_HOUR = 3_600_000_000
_INSERT_POSTS = (
    "INSERT INTO posts(id, created_at, platform, source, lang, author, sentiment, label, engagement, doc, rowid) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_BRANDS = "INSERT INTO brand_facts VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_TERMS = "INSERT INTO term_facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
_MICRO = timedelta(microseconds=1)

# `names.kind` values
PLATFORM, SOURCE, LANG, BRAND, HASHTAG, TOPIC = range(6)
_TOKEN_KIND = {PLATFORM: "platform", LANG: "lang", BRAND: "brand", HASHTAG: "hashtag"}
NAME_CACHE = 200_000
"""Most names of one kind the writer keeps in memory (a long tail of key phrases recurs rarely)."""
ROLLUP_FORMAT = 2
"""Version of the packed rollup layouts in indexer.sqlite_read (1 was JSON)."""
LABELS = codec.LABEL_VALUE

FtsRow = tuple[str, str, str]  # folded title, folded body, meta tokens


def micros(value: datetime) -> int:
    """Microseconds since the Unix epoch, exactly."""
    return (value - EPOCH) // _MICRO


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def author_tokens(author: Author | None) -> str:
    """The meta tokens that let `author:` match a post's author id or handle."""
    return "" if author is None else _author_tokens(author.id, author.handle)


def _author_tokens(author_id: str, handle: str | None) -> str:
    keys = {author_key(author_id), author_key(handle or "")} - {""}
    return " ".join(meta_token("author", k) for k in sorted(keys))


def fts_row(post: EnrichedPost) -> FtsRow:
    """The full-text columns of a post: folded title and text, and its keyword tokens."""
    p, e = post.post, post.enrichment
    meta = [UNIVERSE, meta_token("platform", keyword(p.platform))]
    if e.lang:
        meta.append(meta_token("lang", keyword(e.lang)))
    meta.extend(meta_token("brand", keyword(b)) for b, _, _ in codec.brand_tones(e))
    meta.extend(meta_token("hashtag", h) for h in codec.searchable_hashtags(post))
    if p.author is not None:
        meta.append(author_tokens(p.author))
    return fold(p.title) if p.title else "", fold(p.text), " ".join(meta)


@dataclass(frozen=True, slots=True)
class _Rows:
    """Everything one post writes: its posts row (rowid last), facts rows and FTS columns."""

    post: tuple[Any, ...]
    brands: list[tuple[Any, ...]]
    terms: list[tuple[Any, ...]]
    fts: FtsRow
    hour: int


def _name_token(token_kind: str | None, kind: int, name: str) -> str:
    """The meta token that finds a name in the full-text index ("" for kinds not searched so)."""
    if token_kind is None:
        return ""
    return meta_token(token_kind, name if kind == HASHTAG else keyword(name))


def _widen(hours: dict[int, tuple[int, int]], hour: int, rowid: int) -> None:
    found = hours.get(hour)
    hours[hour] = (rowid, rowid) if found is None else (min(found[0], rowid), max(found[1], rowid))


@dataclass(frozen=True, slots=True)
class Chunk:
    """A rollup a reader computed: valid while the summed versions of the hours it covers
    (`start`..`end`, microseconds) still equal `version`."""

    kind: int
    grain: int
    platform: int
    lang: int
    start: int
    end: int
    version: int
    data: bytes


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
        self._authors: dict[str, tuple[int, str | None, str]] = {}  # id -> (key, handle, meta tokens)
        self._kinds: list[dict[str, tuple[int, str]]] = [{} for _ in range(6)]  # per kind: name -> (key, token)
        self.next_rowid = 1
        self.fts_indexed = 0
        self.load()

    # ------------------------------------------------------------------ caches

    def load(self) -> None:
        db = self.db
        self._authors.clear()
        self._kinds = [{} for _ in range(6)]
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

    def _name_key(self, kind: int, name: str) -> int:
        row = self.db.execute(
            "INSERT INTO names(kind, name) VALUES (?, ?) ON CONFLICT(kind, name) DO UPDATE SET name = name "
            "RETURNING key",
            (kind, name),
        ).fetchone()
        return int(row[0])

    def _fail(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        pending = self.pending
        self.load()
        self.pending = pending  # what was pending before this transaction is still pending

    # ------------------------------------------------------------------ posts

    def resolve_authors(self, posts: Sequence[EnrichedPost]) -> None:
        """Make sure every author of `posts` has a key in the cache (one round trip for the new)."""
        cache = self._authors
        missing: dict[str, str | None] = {}
        for post in posts:
            author = post.post.author
            if author is not None:
                cached = cache.get(author.id)
                if cached is None or cached[1] != author.handle:
                    missing[author.id] = author.handle
        if not missing:
            return
        if len(cache) + len(missing) > 200_000:  # bounded: authors are many, most post rarely
            cache.clear()
        self.db.executemany(
            "INSERT INTO authors(id, handle) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET handle = excluded.handle "
            "WHERE handle IS NOT excluded.handle",
            list(missing.items()),
        )
        ids = list(missing)
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            marks = ",".join("?" * len(chunk))
            for key, author_id, handle in self.db.execute(
                f"SELECT key, id, handle FROM authors WHERE id IN ({marks})", chunk
            ):
                cache[author_id] = (key, handle, _author_tokens(author_id, handle))

    def resolve_names(self, posts: Sequence[EnrichedPost]) -> None:
        """Make sure the hashtags and topics `posts` write are in the per-kind caches: the
        missing ones read, and the new ones created, in a few statements for the whole batch
        rather than one per name. (Platforms, sources, languages and brands are few: `_name`
        creates each the first time it is seen.)

        Posts bring a long tail of new key phrases, so the caches are bounded: a kind's cache is
        emptied before it would outgrow NAME_CACHE (its names are read again when they recur)."""
        kinds = self._kinds
        batch_names: dict[int, set[str]] = {HASHTAG: set(), TOPIC: set()}
        for post in posts:
            p, e = post.post, post.enrichment
            for tag in (*e.hashtags, *p.hashtags):
                batch_names[HASHTAG].add(hashtag_key(tag))
            for topic in e.topics:
                batch_names[TOPIC].add(topic.strip())
        for kind, wanted in batch_names.items():
            cache = kinds[kind]
            wanted.discard("")
            names = {name for name in wanted if name not in cache}
            if not names:
                continue
            if len(cache) + len(names) > NAME_CACHE:
                cache.clear()
                names = wanted  # the batch's cached names are gone with the rest
            found = self._read_names(kind, names)
            new = sorted(names.difference(found))
            if new:
                self.db.executemany("INSERT INTO names(kind, name) VALUES (?, ?)", [(kind, n) for n in new])
                found.update(self._read_names(kind, new))
            token_kind = _TOKEN_KIND.get(kind)
            for name, key in found.items():
                cache[name] = (key, _name_token(token_kind, kind, name))

    @property
    def cached_names(self) -> int:
        """How many names the writer holds in memory now."""
        return sum(len(cache) for cache in self._kinds)

    def _read_names(self, kind: int, names: Iterable[str]) -> dict[str, int]:
        wanted = list(names)
        found: dict[str, int] = {}
        for start in range(0, len(wanted), 5000):
            chunk = wanted[start : start + 5000]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT name, key FROM names WHERE kind = ? AND name IN ({marks})", [kind, *chunk])
            found.update(rows.fetchall())
        return found

    def _name(self, kind: int, name: str) -> tuple[int, str]:
        """(dictionary key, meta token) of a name, from the per-kind cache or created (one
        statement: `resolve_names` does a batch's names at once)."""
        found = self._kinds[kind].get(name)
        if found is None:
            key = self._name_key(kind, name)
            found = self._kinds[kind][name] = (key, _name_token(_TOKEN_KIND.get(kind), kind, name))
        return found

    def rows(self, post: EnrichedPost, rowid: int, doc: bytes) -> _Rows:
        """The rows of one post (authors must be resolved first)."""
        brands: list[tuple[Any, ...]] = []
        terms: list[tuple[Any, ...]] = []
        post_row, fts, hour = self._add(post, rowid, doc, brands, terms)
        return _Rows(post=post_row, brands=brands, terms=terms, fts=fts, hour=hour)

    def _add(
        self, post: EnrichedPost, rowid: int, doc: bytes, brands: list[tuple[Any, ...]], terms: list[tuple[Any, ...]]
    ) -> tuple[tuple[Any, ...], FtsRow, int]:
        """Append the facts rows of one post to `brands` and `terms`; return its posts row (rowid
        last), its FTS columns and its hour. The hot path of ingest: it computes exactly what
        `fts_row` and `indexer.codec` define, with every lookup cached and each list of names
        walked once (tests/indexer/test_sqlite_store.py checks the two agree)."""
        p, e = post.post, post.enrichment
        kinds = self._kinds
        ts = (p.created_at - EPOCH) // _MICRO
        author = p.author
        if author is not None:
            author_key_, _, author_meta = self._authors[author.id]
        else:
            author_key_, author_meta = None, ""
        platform, platform_meta = kinds[PLATFORM].get(p.platform) or self._name(PLATFORM, p.platform)
        meta = [UNIVERSE, platform_meta]
        lang = None
        if e.lang:
            lang, lang_meta = kinds[LANG].get(e.lang) or self._name(LANG, e.lang)
            meta.append(lang_meta)
        source = (kinds[SOURCE].get(p.source) or self._name(SOURCE, p.source))[0]
        score, label = e.sentiment, LABELS[e.sentiment_label]
        if e.mentions:
            brand_names = kinds[BRAND]
            for brand, brand_score, brand_label in codec.brand_tones(e):
                key, token = brand_names.get(brand) or self._name(BRAND, brand)
                brands.append((key, ts, rowid, author_key_, platform, lang, brand_score, LABELS[brand_label]))
                meta.append(token)
        if e.hashtags or p.hashtags:
            # codec.hashtags_of (counted: the enrichment's) then codec.searchable_hashtags
            # (also found by the platform's), each key once, in that order
            tags = kinds[HASHTAG]
            seen: set[str] = set()
            for tag in e.hashtags:
                tag = hashtag_key(tag)
                if tag and tag not in seen:
                    seen.add(tag)
                    key, token = tags.get(tag) or self._name(HASHTAG, tag)
                    terms.append((HASHTAG, ts, key, rowid, author_key_, platform, lang, score, label))
                    meta.append(token)
            for tag in p.hashtags:
                tag = hashtag_key(tag)
                if tag and tag not in seen:  # found by it, not counted under it
                    seen.add(tag)
                    meta.append((tags.get(tag) or self._name(HASHTAG, tag))[1])
        if e.topics:
            topics = kinds[TOPIC]
            done: set[str] = set()
            for topic in e.topics:  # codec.topics_of
                topic = topic.strip()
                if topic and topic not in done:
                    done.add(topic)
                    key = (topics.get(topic) or self._name(TOPIC, topic))[0]
                    terms.append((TOPIC, ts, key, rowid, author_key_, platform, lang, score, label))
        if author_meta:
            meta.append(author_meta)
        g = p.engagement
        engagement = (g.likes or 0) + (g.reposts or 0) + (g.replies or 0)  # codec.engagement_total
        post_row = (p.id, ts, platform, source, lang, author_key_, score, label, engagement, doc, rowid)
        fts = (fold(p.title) if p.title else "", fold(p.text), " ".join(meta))
        return post_row, fts, ts // MICROS_PER_HOUR

    def upsert(self, posts: Sequence[EnrichedPost]) -> UpsertResult:
        batch = list({p.id: p for p in posts}.values())  # the last copy of an id wins
        if not batch:
            return UpsertResult(0, 0)
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            existing = self._existing([p.id for p in batch])
            self.resolve_authors(batch)
            self.resolve_names(batch)
            changes = _Changes(pending={}, next_rowid=self.next_rowid)
            new_rows: list[tuple[Any, ...]] = []
            new_brands: list[tuple[Any, ...]] = []
            new_terms: list[tuple[Any, ...]] = []
            updated = 0
            hours: dict[int, tuple[int, int]] = {}
            dump, add, pending = codec.dump_post, self._add, changes.pending
            rowid = changes.next_rowid
            for post in batch:
                known = existing.get(post.id)
                if known is None:
                    post_row, pending[rowid], hour = add(post, rowid, dump(post), new_brands, new_terms)
                    new_rows.append(post_row)
                    # rowids only grow, so a new post widens its hour's range upwards
                    span = hours.get(hour)
                    hours[hour] = (rowid, rowid) if span is None else (span[0], rowid)
                    rowid += 1
                else:
                    updated += 1
                    self._update(post, known, changes, hours)
            changes.next_rowid = rowid
            db.executemany(_INSERT_POSTS, new_rows)
            db.executemany(_INSERT_BRANDS, new_brands)
            db.executemany(_INSERT_TERMS, new_terms)
            self._touch(hours)
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
        self, post: EnrichedPost, known: tuple[int, bytes], changes: _Changes, hours: dict[int, tuple[int, int]]
    ) -> None:
        rowid, old_doc = known
        doc = codec.dump_post(post)
        if old_doc == doc:
            return
        old = codec.load_post(old_doc)
        self.resolve_authors([old])
        self.resolve_names([old, post])
        before, after = self.rows(old, rowid, old_doc), self.rows(post, rowid, doc)
        db = self.db
        db.execute(
            "UPDATE posts SET id = ?, created_at = ?, platform = ?, source = ?, lang = ?, author = ?, sentiment = ?, "
            "label = ?, engagement = ?, doc = ? WHERE rowid = ?",
            after.post,
        )
        if before.brands != after.brands or before.terms != after.terms:
            self._delete_facts(before)
            db.executemany(_INSERT_BRANDS, after.brands)
            db.executemany(_INSERT_TERMS, after.terms)
            _widen(hours, before.hour, rowid)
            _widen(hours, after.hour, rowid)
        if rowid > self.fts_indexed:
            changes.pending[rowid] = after.fts
        elif before.fts != after.fts:
            self._fts_delete([(rowid, *before.fts)])
            db.execute("INSERT INTO fts(rowid, title, body, meta) VALUES (?, ?, ?, ?)", (rowid, *after.fts))

    def _fts_delete(self, rows: Iterable[tuple[int, str, str, str]]) -> None:
        self.db.executemany("INSERT INTO fts(fts, rowid, title, body, meta) VALUES ('delete', ?, ?, ?, ?)", rows)

    def _delete_facts(self, rows: _Rows) -> None:
        self.db.executemany(
            "DELETE FROM brand_facts WHERE brand = ? AND ts = ? AND post = ?", [f[:3] for f in rows.brands]
        )
        self.db.executemany(
            "DELETE FROM term_facts WHERE kind = ? AND ts = ? AND term = ? AND post = ?", [f[:4] for f in rows.terms]
        )

    def _touch(self, hours: dict[int, tuple[int, int]]) -> None:
        """Bump the version of each hour whose facts changed (rollups over it are stale now) and
        widen its rowid range to cover the posts written into it."""
        self.db.executemany(
            "INSERT INTO hours(hour, version, first_post, last_post) VALUES (?, 1, ?, ?) ON CONFLICT(hour) DO UPDATE "
            "SET version = version + 1, "
            "first_post = min(coalesce(first_post, excluded.first_post), excluded.first_post), "
            "last_post = max(coalesce(last_post, excluded.last_post), excluded.last_post)",
            [(h, first, last) for h, (first, last) in hours.items()],
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

    def check_index_layout(self) -> bool:
        """Re-index everything when the index was built by another text folding or meta layout
        (contentless FTS5 can only delete what it is given exactly as it was indexed)."""
        built = (self._meta("fold_version", None), self._meta("fts_layout", 1))
        if built == (FOLD_VERSION, LAYOUT):
            return False
        indexed = self.fts_indexed
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("INSERT INTO fts(fts) VALUES ('delete-all')")
        self._set_meta("fts_indexed", 0)
        self._set_meta("fold_version", FOLD_VERSION)
        self._set_meta("fts_layout", LAYOUT)
        self.db.execute("COMMIT")
        self.fts_indexed = 0
        self.pending.clear()
        if indexed:
            log.info("full-text index will be rebuilt", reason="built by another version", posts=indexed)
        return True

    # ------------------------------------------------------------------ rollups

    def check_rollup_format(self) -> None:
        """Forget rollups kept in another format (they are derived data: recomputed on demand)."""
        if self._meta("rollup_format", None) == ROLLUP_FORMAT:
            return
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("DELETE FROM rollups")
        self._set_meta("rollup_format", ROLLUP_FORMAT)
        self.db.execute("COMMIT")

    def store_rollups(self, chunks: Sequence[Chunk]) -> int:
        """Keep the chunks whose hours have not changed since they were computed."""
        stored = 0
        try:
            self.db.execute("BEGIN IMMEDIATE")
            for c in chunks:
                (version,) = self.db.execute(
                    "SELECT coalesce(sum(version), 0) FROM hours WHERE hour >= ? AND hour < ?",
                    (c.start // MICROS_PER_HOUR, c.end // MICROS_PER_HOUR),
                ).fetchone()
                if version == c.version:
                    self.db.execute(
                        "INSERT OR REPLACE INTO rollups VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (c.kind, c.grain, c.platform, c.lang, c.start, c.version, c.data),
                    )
                    stored += 1
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._fail()
            raise StoreError(f"could not keep rollups: {exc}") from exc
        return stored

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
        """Add an event to the alert history; the same event (alert key, status, time) again is a
        no-op, so a retry or a restart never duplicates history (the first record stays)."""
        try:
            self.db.execute(
                "INSERT INTO alerts(key, status, at, doc) VALUES (?, ?, ?, ?) ON CONFLICT(key, status, at) DO NOTHING",
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
                hours: dict[int, tuple[int, int]] = {}
                indexed = []
                posts = [(rowid, doc, codec.load_post(doc)) for rowid, doc in rows]
                self.resolve_authors([p for _, _, p in posts])
                self.resolve_names([p for _, _, p in posts])
                for rowid, doc, post in posts:
                    old = self.rows(post, rowid, doc)
                    self._delete_facts(old)
                    _widen(hours, old.hour, rowid)
                    if rowid <= self.fts_indexed:
                        indexed.append((rowid, *old.fts))
                self._fts_delete(indexed)
                self.db.executemany("DELETE FROM posts WHERE rowid = ?", [(r,) for r, _ in rows])
                self._touch(hours)
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
        self.db.execute("DELETE FROM hours WHERE hour < ?", (limit // MICROS_PER_HOUR,))
        self.db.execute("DELETE FROM rollups WHERE start < ?", (limit - limit % MICROS_PER_DAY,))
        return deleted

    def forget_unused_names(self) -> int:
        """Delete the hashtag and topic names no term fact counts any more (left behind by
        retention, or by re-ingested posts whose phrases changed); return how many. Their keys
        may go to new names later, so the writer's caches of them are emptied too."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            forgotten = self.db.execute(
                "DELETE FROM names WHERE kind IN (?, ?) AND key NOT IN (SELECT term FROM term_facts)", (HASHTAG, TOPIC)
            ).rowcount
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._fail()
            raise StoreError(f"could not forget unused names: {exc}") from exc
        self._kinds[HASHTAG].clear()
        self._kinds[TOPIC].clear()
        return forgotten

    def delete_alerts_before(self, cutoff: datetime) -> int:
        return self.db.execute("DELETE FROM alerts WHERE at < ?", (micros(cutoff),)).rowcount
