"""The embedded store's schema, as an ordered list of migrations.

`PRAGMA user_version` records the version a database is at; `migrate` applies every later
migration, each in its own transaction, so a database written by any earlier trendwatch opens
with the current one. Never edit a released migration: append a new one (and a fixture of the
previous version to tests/indexer/fixtures/, which the migration test opens).

Layout (v5; v1 had one `facts` table clustered by subject, slow to write at scale, and `days`;
v2 had no rowid ranges per hour; v3 could record an alert event twice; v4 and earlier could
hold Persian hashtag keys joined by a space):

- `posts`: one row per post id; `doc` is the lossless JSON of the EnrichedPost (indexer.codec);
  the other columns are what queries filter on, dictionary-encoded (`names`, `authors`);
  `created_at` is in microseconds since the epoch (UTC).
- `brand_facts`: one row per (brand, post), clustered by (brand, time): few brands, so writes
  append to a few places and one brand's series is one range scan. `term_facts`: one row per
  (hashtag or topic, post), clustered by (kind, time): thousands of terms, so clustering by time
  keeps writes appends. Both carry what a bucket needs (author, tone, platform, lang); upserts
  rewrite a post's facts, so re-ingesting never double counts.
- `fts`: contentless FTS5 over folded title/body plus a `meta` column of keyword tokens
  (indexer.fts_query); filled in batches behind the posts table (`meta.fts_indexed` is the
  highest rowid indexed), which is what keeps ingest fast. `meta.fts_layout` and
  `meta.fold_version` name how it was built; a store that builds it differently rebuilds it.
- `hours`: per UTC hour, a version bumped whenever that hour's facts change, and the range of
  rowids its posts have (`first_post`..`last_post`, a superset after deletions): search restricts
  the full-text index to an hour's rowids, walking hours newest first.
- `rollups`: pre-aggregated chunks, computed lazily by queries and kept while the versions of
  the hours they cover are unchanged: per day and series step, the buckets of every subject of a
  kind; per hour, each term's count and distinct authors (for top terms).
- `state`, `alerts`: the key-value table and the alert history, one row per event: (alert key,
  status, time) is unique (v4), so recording an event again (a retried transaction, a restart)
  changes nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from trendwatch.query import hashtag_key

FTS_TOKENIZER = "unicode61 remove_diacritics 0 categories 'L* N*' tokenchars '_'"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


def run_script(db: sqlite3.Connection, script: str) -> None:
    """Execute each statement of `script` inside the caller's transaction (executescript would
    commit it)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {statement.strip()[:80]}")


def _v1(db: sqlite3.Connection) -> None:
    run_script(
        db,
        f"""
        CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
        CREATE TABLE names(
            key INTEGER PRIMARY KEY,
            kind INTEGER NOT NULL,
            name TEXT NOT NULL,
            UNIQUE(kind, name)
        );
        CREATE TABLE authors(key INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, handle TEXT);
        CREATE TABLE posts(
            rowid INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            platform INTEGER NOT NULL,
            source INTEGER NOT NULL,
            lang INTEGER,
            author INTEGER,
            sentiment REAL NOT NULL,
            label INTEGER NOT NULL,
            engagement INTEGER NOT NULL,
            doc BLOB NOT NULL
        );
        CREATE INDEX posts_time ON posts(created_at);
        CREATE TABLE facts(
            subject INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            post INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            author INTEGER,
            platform INTEGER NOT NULL,
            lang INTEGER,
            sentiment REAL NOT NULL,
            label INTEGER NOT NULL,
            PRIMARY KEY(subject, ts, post)
        ) WITHOUT ROWID;
        CREATE INDEX facts_kind_time ON facts(kind, ts, subject, author);
        CREATE VIRTUAL TABLE fts USING fts5(title, body, meta, content='', tokenize="{FTS_TOKENIZER}");
        CREATE TABLE days(day INTEGER PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE state(key TEXT PRIMARY KEY, value BLOB NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE alerts(
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            status TEXT NOT NULL,
            at INTEGER NOT NULL,
            doc BLOB NOT NULL
        );
        CREATE INDEX alerts_at ON alerts(at);
        INSERT INTO meta(key, value) VALUES ('fts_indexed', 0), ('rowid_floor', 0);
        """,
    )


def _v2(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE brand_facts(
            brand INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            post INTEGER NOT NULL,
            author INTEGER,
            platform INTEGER NOT NULL,
            lang INTEGER,
            sentiment REAL NOT NULL,
            label INTEGER NOT NULL,
            PRIMARY KEY(brand, ts, post)
        ) WITHOUT ROWID;
        CREATE TABLE term_facts(
            kind INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            term INTEGER NOT NULL,
            post INTEGER NOT NULL,
            author INTEGER,
            platform INTEGER NOT NULL,
            lang INTEGER,
            sentiment REAL NOT NULL,
            label INTEGER NOT NULL,
            PRIMARY KEY(kind, ts, term, post)
        ) WITHOUT ROWID;
        INSERT INTO brand_facts
            SELECT subject, ts, post, author, platform, lang, sentiment, label FROM facts WHERE kind = 3;
        INSERT INTO term_facts
            SELECT kind, ts, subject, post, author, platform, lang, sentiment, label FROM facts WHERE kind IN (4, 5);
        DROP TABLE facts;
        CREATE TABLE hours(hour INTEGER PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO hours SELECT DISTINCT created_at / 3600000000, 1 FROM posts;
        DROP TABLE days;
        CREATE TABLE rollups(
            kind INTEGER NOT NULL,
            grain INTEGER NOT NULL,
            platform INTEGER NOT NULL,
            lang INTEGER NOT NULL,
            start INTEGER NOT NULL,
            version INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY(kind, grain, platform, lang, start)
        ) WITHOUT ROWID;
        """,
    )


def _v3(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        ALTER TABLE hours ADD COLUMN first_post INTEGER;
        ALTER TABLE hours ADD COLUMN last_post INTEGER;
        UPDATE hours SET
            first_post = (SELECT min(rowid) FROM posts
                          WHERE created_at >= hour * 3600000000 AND created_at < (hour + 1) * 3600000000),
            last_post = (SELECT max(rowid) FROM posts
                         WHERE created_at >= hour * 3600000000 AND created_at < (hour + 1) * 3600000000);
        DELETE FROM rollups;
        """,
    )


def _v4(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        DELETE FROM alerts WHERE id NOT IN (SELECT min(id) FROM alerts GROUP BY key, status, at);
        CREATE UNIQUE INDEX alerts_event ON alerts(key, status, at);
        """,
    )


def _v5(db: sqlite3.Connection) -> None:
    """Hashtag keys as `hashtag_key` writes them now (Persian words joined by `_`; earlier
    versions joined them by a space): each name re-keyed, the facts of two names that became one
    key merged under it, rollups recomputed."""
    hashtag = 4  # names.kind and term_facts.kind of hashtags (indexer.sqlite_write.HASHTAG)
    names = db.execute("SELECT key, name FROM names WHERE kind = ?", (hashtag,)).fetchall()
    for key, name in names:
        new = hashtag_key(name)
        if not new or new == name:
            continue
        found = db.execute("SELECT key FROM names WHERE kind = ? AND name = ?", (hashtag, new)).fetchone()
        if found is None:
            db.execute("UPDATE names SET name = ? WHERE key = ?", (new, key))
            continue
        # a post counted under both keys keeps one fact
        db.execute("UPDATE OR IGNORE term_facts SET term = ? WHERE kind = ? AND term = ?", (found[0], hashtag, key))
        db.execute("DELETE FROM term_facts WHERE kind = ? AND term = ?", (hashtag, key))
        db.execute("DELETE FROM names WHERE key = ?", (key,))
    db.execute("DELETE FROM rollups")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "posts, facts, full-text index, state, alerts", _v1),
    Migration(2, "facts split into brand (by brand) and term (by time) tables; hour versions; rollups", _v2),
    Migration(3, "rowid range of each hour's posts (search walks hours newest first); hour rollups as arrays", _v3),
    Migration(4, "one alert history row per event (alert key, status, time); duplicates removed", _v4),
    Migration(5, "Persian hashtag keys joined by _ (were spaces); facts of merged keys merged", _v5),
)
LATEST = MIGRATIONS[-1].version


def version_of(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, on_step: Callable[[Migration], None] | None = None) -> list[Migration]:
    """Bring `db` (autocommit connection) to the latest version; return the migrations applied."""
    current = version_of(db)
    if current > LATEST:
        raise RuntimeError(
            f"the database is at schema version {current}, newer than this trendwatch knows "
            f"({LATEST}); upgrade trendwatch"
        )
    if current == 0 and db.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0] == 0:
        db.execute("PRAGMA auto_vacuum = INCREMENTAL")  # only takes effect before the first table
    applied = []
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        if on_step:
            on_step(migration)
        db.execute("BEGIN IMMEDIATE")
        try:
            migration.apply(db)
            db.execute(f"PRAGMA user_version = {migration.version}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        applied.append(migration)
    return applied
