"""The embedded store: one SQLite file, zero set-up, good for one machine and millions of posts.

SQLite is synchronous, so it runs off the event loop: every write goes to one writer thread
(one connection, so writes are serialised and the caches in `indexer.sqlite_write` need no
locks) and reads go to a small pool of reader threads, each with its own connection. The
database is in WAL mode, so readers work on a consistent snapshot and are never blocked by the
writer. One process writes a database at a time (a lock file next to it says which); any number
may open it read-only.

Schema, migrations and layout: `indexer.sqlite_schema`. Writes: `indexer.sqlite_write`.
Queries: `indexer.sqlite_read`.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any, ClassVar, Literal, TypeVar

import structlog
from pydantic import Field

from indexer import sqlite_browse as browse
from indexer import sqlite_read as read
from indexer.sqlite_schema import LATEST, Migration, migrate, version_of
from indexer.sqlite_write import Chunk, Writer
from indexer.store import Facet, FacetField, FacetOrder, PostFilter, PostOrder, TermKind, UpsertResult
from trendwatch.config import PluginOptions
from trendwatch.errors import StoreError
from trendwatch.metrics import POSTS_STORED
from trendwatch.models import Alert, AlertStatus, Drivers, EnrichedPost, Series, SeriesQuery, TermCount
from trendwatch.query import parse
from trendwatch.timeutil import Duration, parse_duration, utcnow

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock, one writer by convention
    fcntl = None  # type: ignore[assignment]

log = structlog.get_logger(__name__)
T = TypeVar("T")
RETENTION_EVERY = timedelta(hours=1)


class SqliteOptions(PluginOptions):
    path: Path = Field(
        Path("trendwatch.db"), description="The database file; created, with its directory, on first use."
    )
    retention: Duration | None = Field(
        None, description="Delete posts (and alerts) older than this, checked hourly, e.g. 180d; unset keeps all."
    )
    readers: int = Field(4, ge=1, le=64, description="Threads answering queries concurrently.")
    cache_mb: int = Field(64, ge=2, le=65536, description="SQLite page cache per connection, in MiB.")
    fts_batch: int = Field(5000, ge=1, le=1_000_000, description="Posts added to the full-text index per transaction.")
    fts_delay: Duration = Field(
        parse_duration("1s"), description="Index a smaller batch once ingest has been quiet this long."
    )
    synchronous: Literal["normal", "full"] = Field(
        "normal", description="normal survives a crash of the process; full also a power cut (slower)."
    )
    read_only: bool = Field(False, description="Open for reading only (exports, searches from another process).")


class SqliteStore:
    """The Store protocol on SQLite (see indexer/store.py for the contract)."""

    Options: ClassVar[type[SqliteOptions]] = SqliteOptions
    description: ClassVar[str] = "Embedded store in one SQLite file (WAL, FTS5): zero set-up, one machine."
    most_alerts: ClassVar[int | None] = None

    def __init__(self, options: SqliteOptions) -> None:
        self.options = options
        self.path = options.path
        self._writer: Writer | None = None
        self._write_pool: ThreadPoolExecutor | None = None
        self._read_pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._lock_file: IO[str] | None = None
        self._flush_timer: asyncio.TimerHandle | None = None
        self._flush_task: asyncio.Task[None] | None = None
        self._retention_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        if self._read_pool is not None:
            return
        if self.options.read_only:
            if not self.path.exists():
                raise StoreError(f"{self.path}: no such database")
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._take_lock()
        self._read_pool = ThreadPoolExecutor(self.options.readers, thread_name_prefix="sqlite-read")
        try:
            if self.options.read_only:
                version = await self._read(version_of)
                if version != LATEST:
                    raise StoreError(
                        f"{self.path} is at schema version {version}, this trendwatch reads {LATEST}: "
                        "open it once without read_only to migrate it"
                    )
                return
            self._write_pool = ThreadPoolExecutor(1, thread_name_prefix="sqlite-write")
            await self._write(self._open_writer)
        except BaseException:
            await self.close()
            raise
        if self.options.retention is not None:
            self._retention_task = asyncio.create_task(self._retention_loop(self.options.retention))

    def _take_lock(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StoreError(
                f"{self.path} is being written by {holder}; stop it first, or open the store read-only"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"trendwatch pid {os.getpid()}\n")
        handle.flush()
        self._lock_file = handle

    def _connect(self) -> sqlite3.Connection:
        if self.options.read_only:
            db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
            )
        else:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute(f"PRAGMA cache_size = {-1024 * self.options.cache_mb}")
        db.execute("PRAGMA temp_store = MEMORY")
        db.execute("PRAGMA mmap_size = 268435456")
        with self._connections_lock:
            self._connections.append(db)
        return db

    def _open_writer(self) -> None:
        try:
            db = self._connect()
            if db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                raise StoreError(f"{self.path}: cannot switch to WAL mode (is it on a network file system?)")
            db.execute(f"PRAGMA synchronous = {self.options.synchronous.upper()}")
            if migrate(db, on_step=self._migrating):
                log.info("database migrated", path=str(self.path), version=version_of(db))
            writer = Writer(db, self.options.fts_batch)
            writer.check_index_layout()
            writer.check_rollup_format()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a trendwatch database or is damaged: {exc}") from exc
        except RuntimeError as exc:
            raise StoreError(f"{self.path}: {exc}") from exc
        if writer.fts_lag:
            log.info("catching up the full-text index", path=str(self.path), posts=writer.fts_lag)
            writer.flush_fts()
        self._writer = writer

    def _migrating(self, migration: Migration) -> None:
        log.info("migrating database", path=str(self.path), to=migration.version, what=migration.description)

    async def close(self) -> None:
        if self._retention_task is not None:
            self._retention_task.cancel()
            await asyncio.gather(self._retention_task, return_exceptions=True)
            self._retention_task = None
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self._flush_task is not None:
            await asyncio.gather(self._flush_task, return_exceptions=True)
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._write_pool is not None and self._writer is not None:
            try:
                await self._write(self._close_writer)
            except StoreError as exc:
                log.warning("could not finish the full-text index on close", error=str(exc))
        for pool in (self._write_pool, self._read_pool):
            if pool is not None:
                pool.shutdown(wait=True)
        self._write_pool = self._read_pool = None
        self._writer = None
        with self._connections_lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _close_writer(self) -> None:
        writer = self._require_writer()
        writer.flush_fts()
        writer.db.execute("PRAGMA optimize")

    # ------------------------------------------------------------------ threads

    def _require_writer(self) -> Writer:
        if self._writer is None:
            raise StoreError(f"{self} is not open for writing")
        return self._writer

    async def _write(self, fn: Callable[..., T], *args: Any) -> T:
        if self._write_pool is None:
            raise StoreError(f"{self} is not open for writing" + (" (read_only)" if self.options.read_only else ""))
        return await asyncio.get_running_loop().run_in_executor(self._write_pool, fn, *args)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        if self._read_pool is None:
            raise StoreError(f"{self} is not open")
        return await asyncio.get_running_loop().run_in_executor(self._read_pool, self._in_snapshot, fn, args)

    def _in_snapshot(self, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        try:
            db = getattr(self._local, "db", None)
            if db is None:
                db = self._local.db = self._connect()
                db.execute("PRAGMA query_only = 1")
            with read.snapshot(db):
                return fn(db, *args)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: query failed: {exc}") from exc

    # ------------------------------------------------------------------ writes

    async def upsert(self, posts: Sequence[EnrichedPost]) -> UpsertResult:
        result = await self._write(self._upsert, posts)
        POSTS_STORED.labels(result="inserted").inc(result.inserted)
        POSTS_STORED.labels(result="updated").inc(result.updated)
        if self._writer is not None and self._writer.fts_lag and self._flush_timer is None:
            loop = asyncio.get_running_loop()
            self._flush_timer = loop.call_later(self.options.fts_delay.total_seconds(), self._start_flush)
        return result

    def _upsert(self, posts: Sequence[EnrichedPost]) -> UpsertResult:
        writer = self._require_writer()
        result = writer.upsert(posts)
        if writer.fts_lag >= self.options.fts_batch:
            writer.flush_fts()
        return result

    def _start_flush(self) -> None:
        self._flush_timer = None
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.create_task(self._flush_quietly())

    async def _flush_quietly(self) -> None:
        try:
            await self.flush()
        except StoreError as exc:
            log.warning("full-text indexing failed; will retry on the next write", error=str(exc))

    async def flush(self) -> int:
        """Bring the full-text index up to date now (otherwise it follows within `fts_delay`)."""
        return await self._write(lambda: self._require_writer().flush_fts())

    async def set_state(self, key: str, value: Any) -> None:
        await self._write(lambda: self._require_writer().set_state(key, value))

    async def record_alert(self, alert: Alert) -> None:
        await self._write(lambda: self._require_writer().record_alert(alert))

    async def delete_before(self, cutoff: datetime, progress: Callable[[int], None] | None = None) -> int:
        """Retention: delete posts created before `cutoff` and alerts recorded before it."""

        def run() -> int:
            writer = self._require_writer()
            deleted = writer.delete_before(cutoff, progress=progress)
            alerts = writer.delete_alerts_before(cutoff)
            log.info("retention", path=str(self.path), before=cutoff.isoformat(), posts=deleted, alerts=alerts)
            return deleted

        return await self._write(run)

    async def vacuum(self, full: bool = False) -> int:
        """Forget hashtag and topic names nothing counts any more, merge the full-text index,
        return free pages to the file system, tidy statistics; return how many names were
        forgotten. `full` rewrites the whole file (VACUUM): smallest result, needs free space of
        its size."""

        def run() -> int:
            writer = self._require_writer()
            writer.flush_fts()
            forgotten = writer.forget_unused_names()
            db = writer.db
            db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
            if full:
                db.execute("VACUUM")
            else:
                db.execute("PRAGMA incremental_vacuum")
            db.execute("PRAGMA optimize")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return forgotten

        return await self._write(run)

    async def _retention_loop(self, keep: timedelta) -> None:
        while True:
            try:
                await self.delete_before(utcnow() - keep)
            except StoreError as exc:
                log.warning("retention failed; will retry", path=str(self.path), error=str(exc))
            await asyncio.sleep(RETENTION_EVERY.total_seconds())

    # ------------------------------------------------------------------ reads

    async def get(self, ids: Sequence[str]) -> list[EnrichedPost]:
        return await self._read(read.get, list(ids))

    async def count(self, since: datetime | None = None, until: datetime | None = None) -> int:
        return await self._read(read.count, since, until)

    async def series(self, query: SeriesQuery, since: datetime, until: datetime) -> list[Series]:
        found, chunks = await self._read(read.series, query, since, until, utcnow())
        self._keep(chunks)
        return found

    async def top_terms(
        self,
        kind: TermKind,
        since: datetime,
        until: datetime,
        *,
        brand: str | None = None,
        lang: str | None = None,
        limit: int = 20,
    ) -> list[TermCount]:
        found, chunks = await self._read(
            lambda db: read.top_terms(db, kind, since, until, utcnow(), brand=brand, lang=lang, limit=limit)
        )
        self._keep(chunks)
        return found

    async def emerging_terms(
        self,
        kind: TermKind,
        since: datetime,
        until: datetime,
        baseline_since: datetime,
        baseline_until: datetime,
        *,
        brand: str | None = None,
        lang: str | None = None,
        limit: int = 20,
        min_count: int = 3,
    ) -> list[TermCount]:
        window, baseline = (since, until), (baseline_since, baseline_until)
        return await self._read(read.emerging_terms, kind, window, baseline, brand, lang, limit, min_count)

    def _keep(self, chunks: list[Chunk]) -> None:
        """Hand rollups a query computed to the writer, in the background: the query has its
        answer already, and a rollup that went stale meanwhile is simply not kept."""
        if not chunks or self._write_pool is None:
            return
        task = asyncio.create_task(self._write(lambda: self._require_writer().store_rollups(chunks)))
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Task[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not keep rollups", error=str(task.exception()))

    async def drivers(
        self, query: SeriesQuery, subject: str, since: datetime, until: datetime, limit: int = 5
    ) -> Drivers:
        return await self._read(read.drivers, query, subject, since, until, limit)

    async def search(
        self, query: str, *, since: datetime | None = None, until: datetime | None = None, limit: int = 50
    ) -> list[EnrichedPost]:
        parsed = parse(query)
        return await self._read(read.search, parsed, since, until, limit)

    async def scan(
        self, since: datetime | None = None, after: Any = None, page: int = 1000
    ) -> AsyncIterator[tuple[list[EnrichedPost], Any]]:
        cursor = after
        while True:
            posts, cursor = await self._read(read.scan_page, since, cursor, page)
            if not posts:
                return
            yield posts, cursor

    async def get_state(self, key: str) -> Any | None:
        return await self._read(read.get_state, key)

    async def get_states(self, prefix: str) -> dict[str, Any]:
        return await self._read(read.get_states, prefix)

    async def alerts(
        self, *, since: datetime | None = None, status: AlertStatus | None = None, limit: int = 200
    ) -> list[Alert]:
        return await self._read(read.alerts, since, status, limit)

    async def facets(
        self,
        field: FacetField,
        since: datetime,
        until: datetime,
        *,
        where: PostFilter | None = None,
        order: FacetOrder = "count",
        limit: int = 20,
    ) -> list[Facet]:
        return await self._read(browse.facets, field, since, until, where or PostFilter(), order, limit)

    async def posts(
        self,
        since: datetime,
        until: datetime,
        *,
        where: PostFilter | None = None,
        order: PostOrder = "newest",
        limit: int = 50,
        offset: int = 0,
    ) -> list[EnrichedPost]:
        return await self._read(browse.posts, since, until, where or PostFilter(), order, limit, offset)
