"""The embedded store's schema, as an ordered list of migrations.

`PRAGMA user_version` records the version a database is at; `migrate` applies every later
migration, each in its own transaction, so a database written by any earlier trendwatch opens
with the current one. Never edit a released migration: append a new one (and a fixture of the
previous version to tests/indexer/fixtures/, which the migration test opens).

Layout (v1):

- `posts`: one row per post id; `doc` is the lossless JSON of the EnrichedPost (indexer.codec);
  the other columns are what queries filter on, dictionary-encoded (`names`, `authors`);
  `created_at` is in microseconds since the epoch (UTC).
- `facts`: one row per (subject, post) — a brand, hashtag or topic the post counts towards —
  clustered by (subject, time), with what a series bucket needs (author, tone, platform, lang).
  Upserts rewrite a post's facts, so re-ingesting never double counts.
- `fts`: contentless FTS5 over folded title/body plus a `meta` column of keyword tokens
  (indexer.fts_query); filled in batches behind the posts table (`meta.fts_indexed` is the
  highest rowid indexed), which is what keeps ingest fast.
- `days`: a version per UTC day, bumped whenever that day's facts change (rollups key on it).
- `state`, `alerts`: the key-value table and the alert history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

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


MIGRATIONS: tuple[Migration, ...] = (Migration(1, "posts, facts, full-text index, state, alerts", _v1),)
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
