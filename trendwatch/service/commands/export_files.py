"""The files of an export in progress, written so that it can be stopped at any moment and resumed.

The output grows in `<out>.partial` (NDJSON, CSV) or as numbered files in `<out>.parts/`
(Parquet). After each page the checkpoint `<out>.progress.json` records the job, the store's
cursor and how far the output had got: its size in bytes, or the number of parts. The checkpoint
is replaced atomically (temporary file, fsync, rename), so it is never torn. A page written after
the last checkpoint (the process was killed in between) is cut off on resume, so the resumed
export repeats no row and loses none. A fresh export clears whatever an earlier job left behind.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, NoReturn

import typer

from indexer import codec
from trendwatch.models import EnrichedPost


class ExportFormat(StrEnum):
    ndjson = "ndjson"
    csv = "csv"
    parquet = "parquet"


COLUMNS = (
    "id", "platform", "source", "created_at", "lang", "author_id", "author_handle", "title", "text", "url",
    "brands", "hashtags", "topics", "sentiment", "sentiment_label", "likes", "reposts", "replies", "views",
)  # fmt: skip

_PART = re.compile(r"part-(\d{6})\.parquet")


def flat_row(post: EnrichedPost) -> dict[str, Any]:
    """One post as a flat row (csv, parquet): lists joined with '|', absent counts empty."""
    p, e = post.post, post.enrichment
    return {
        "id": p.id,
        "platform": p.platform,
        "source": p.source,
        "created_at": p.created_at.isoformat(),
        "lang": e.lang,
        "author_id": p.author.id if p.author else None,
        "author_handle": p.author.handle if p.author else None,
        "title": p.title,
        "text": p.text,
        "url": p.url,
        "brands": "|".join(e.brands),
        "hashtags": "|".join(codec.hashtags_of(post)),
        "topics": "|".join(codec.topics_of(post)),
        "sentiment": e.sentiment,
        "sentiment_label": e.sentiment_label,
        "likes": p.engagement.likes,
        "reposts": p.engagement.reposts,
        "replies": p.engagement.replies,
        "views": p.engagement.views,
    }


@dataclass
class Checkpoint:
    """Where an export stands. `job` identifies it (format, query, store and `--since` as typed,
    so `7d` resumes); `since` is the start it resolved to when it began, kept for the resume;
    `after` is the store's scan cursor; `size`/`parts` how much output those pages made."""

    job: dict[str, Any]
    since: str | None = None
    after: Any = None
    written: int = 0
    seen: int = 0
    size: int = 0
    parts: int = 0
    version: int = field(default=2)

    @staticmethod
    def path_for(out: Path) -> Path:
        return out.with_name(out.name + ".progress.json")

    @classmethod
    def load(cls, path: Path, job: dict[str, Any]) -> Checkpoint | None:
        """The checkpoint of this same job, or None: there is none, it belongs to another job
        or an older version, or it cannot be read (then the export starts over)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != 2 or data.get("job") != job:
            return None
        try:
            return cls(**data)
        except TypeError:
            return None

    def save(self, path: Path) -> None:
        """Replace the checkpoint file atomically: a kill leaves the old one or the new one."""
        temporary = path.with_name(path.name + ".tmp")
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(asdict(self)))
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)


class ExportWriter:
    """Appends pages of posts to the output in progress; `resume` is the checkpoint to carry on
    from (the output is first cut back to what it covers), None to start afresh."""

    def __init__(self, out: Path, fmt: ExportFormat, resume: Checkpoint | None) -> None:
        self.out, self.fmt = out, fmt
        self.partial = out.with_name(out.name + ".partial")
        self.parts = out.with_name(out.name + ".parts")
        self.handle: IO[str] | None = None
        self.part = resume.parts if resume else 0
        if fmt is ExportFormat.parquet:
            _require_pyarrow()
            self.parts.mkdir(exist_ok=True)
            for stale in self._part_files(after=self.part):
                stale.unlink()
            if len(self._part_files()) < self.part:
                _cannot_resume(f"{self.parts} holds fewer parts than its checkpoint says ({self.part})")
            return
        if resume:
            if not self.partial.exists() or self.partial.stat().st_size < resume.size:
                _cannot_resume(f"{self.partial} is missing or shorter than its checkpoint says")
            os.truncate(self.partial, resume.size)
        self.handle = self.partial.open("a" if resume else "w", encoding="utf-8", newline="")
        if fmt is ExportFormat.csv and self.size == 0:
            csv.writer(self.handle).writerow(COLUMNS)
            self._sync()

    @property
    def size(self) -> int:
        """Bytes of the partial output on disk (0 for parquet)."""
        return os.fstat(self.handle.fileno()).st_size if self.handle is not None else 0

    def write(self, posts: list[EnrichedPost]) -> None:
        if self.fmt is ExportFormat.ndjson:
            assert self.handle is not None
            self.handle.write("".join(codec.dump_post(p).decode() + "\n" for p in posts))
        elif self.fmt is ExportFormat.csv:
            assert self.handle is not None
            writer = csv.DictWriter(self.handle, fieldnames=COLUMNS)
            writer.writerows(flat_row(p) for p in posts)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pylist([flat_row(p) for p in posts], schema=parquet_schema())
            self.part += 1
            pq.write_table(table, self.parts / f"part-{self.part:06d}.parquet")
        self._sync()

    def mark(self, checkpoint: Checkpoint) -> None:
        """Record in `checkpoint` how far the output has got (call after `write`)."""
        checkpoint.size, checkpoint.parts = self.size, self.part

    def finish(self) -> None:
        """Move the finished output to its name (a kill meanwhile leaves the parts in place)."""
        if self.handle is not None:
            self.handle.close()
            self.partial.replace(self.out)
            return
        import pyarrow.parquet as pq

        parts = self._part_files()
        with pq.ParquetWriter(self.partial, parquet_schema()) as writer:
            for part in parts:
                writer.write_table(pq.read_table(part))
        self.partial.replace(self.out)
        for part in parts:
            part.unlink()
        self.parts.rmdir()

    def close(self) -> None:
        if self.handle is not None and not self.handle.closed:
            self.handle.close()

    def _sync(self) -> None:
        if self.handle is not None:
            self.handle.flush()
            os.fsync(self.handle.fileno())

    def _part_files(self, after: int = 0) -> list[Path]:
        """The parts numbered above `after`, in order."""
        found = []
        for path in self.parts.iterdir():
            match = _PART.fullmatch(path.name)
            if match and int(match.group(1)) > after:
                found.append(path)
        return sorted(found)


def _cannot_resume(why: str) -> NoReturn:
    raise typer.BadParameter(f"cannot resume: {why}; pass --restart to start over", param_hint="--out")


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise typer.BadParameter(
            "parquet needs pyarrow: pip install 'trendwatch[parquet]'", param_hint="--format"
        ) from None


def parquet_schema() -> Any:
    import pyarrow as pa

    text = pa.string()
    types = {
        "sentiment": pa.float64(),
        "likes": pa.int64(),
        "reposts": pa.int64(),
        "replies": pa.int64(),
        "views": pa.int64(),
    }
    return pa.schema([(name, types.get(name, text)) for name in COLUMNS])
