"""`trendwatch enrich`: run the NLP stage over a CSV or JSONL export, without storing anything.

For exports from other listening tools, spreadsheets and ad-hoc checks: every row becomes one
JSON line with what trendwatch understood (language, brands, sentiment, per-brand sentiment,
topics, hashtags). Brands come from a config file (`-c`) or from repeatable `--brand` options.
A bad row (malformed JSON, no text, a text that is not a string) is reported with its line number
and skipped; the run goes on.
"""

from __future__ import annotations

import contextlib
import csv
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from nlp.enricher import Enricher, build_enricher
from nlp.topics import TermCounter
from trendwatch.config import BrandConfig, LoggingConfig, NlpConfig, load_config
from trendwatch.models import Enrichment, Post
from trendwatch.service import logs

PLATFORM = "import"


class InputFormat(StrEnum):
    auto = "auto"
    csv = "csv"
    tsv = "tsv"
    jsonl = "jsonl"


def register(app: typer.Typer) -> None:
    app.command("enrich")(enrich)


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    id: str
    text: str


class BadRow(Exception):
    """A row that cannot be enriched; the message says why (its line is reported with it)."""


def enrich(
    input_file: Annotated[
        Path, typer.Option("--input", "-i", help="CSV or JSONL file to enrich.", metavar="FILE", show_default=False)
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Where to write the JSONL results ('-': stdout).",
            metavar="OUT.jsonl",
            show_default=False,
        ),
    ],
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Config file: its brands and nlp settings are used.", metavar="CONFIG"),
    ] = None,
    brand: Annotated[
        list[str] | None,
        typer.Option(
            "--brand",
            "-b",
            help="A brand as 'Name=alias one|alias two|@handle|#tag' (repeatable; the first is the own "
            "brand, the rest competitors). Instead of --config.",
            metavar="SPEC",
        ),
    ] = None,
    finglish: Annotated[
        bool, typer.Option("--finglish", help="Also match Finglish/Persian spellings of --brand names.")
    ] = False,
    text_col: Annotated[str, typer.Option("--text-col", help="Column (or JSON key) holding the text.")] = "text",
    id_col: Annotated[
        str, typer.Option("--id-col", help="Column (or JSON key) holding the row id; the line number if absent.")
    ] = "id",
    input_format: Annotated[
        InputFormat, typer.Option("--format", help="Input format; 'auto' goes by the file extension.")
    ] = InputFormat.auto,
) -> None:
    """Enrich a CSV or JSONL export (language, brands, sentiment, topics, hashtags) into JSONL.

    Each output line has id, lang, brands, mentions, sentiment, sentiment_label, brand_sentiment,
    topics and hashtags. Nothing is stored.
    """
    err = Console(stderr=True, highlight=False)
    if config is not None and brand:
        raise typer.BadParameter("use either --config or --brand, not both", param_hint="--brand")
    if not input_file.is_file():
        raise typer.BadParameter(f"{input_file} is not a readable file", param_hint="--input")
    if str(out) != "-" and not out.parent.is_dir():
        raise typer.BadParameter(f"the directory {out.parent} does not exist", param_hint="--out")
    nlp_config, brands, logging = _settings(config, brand or [], finglish)
    logs.configure(logging)  # to stderr: stdout may be the output
    fmt = _format(input_file, input_format)
    enricher = build_enricher(nlp_config, brands)
    summary = Summary(err)
    started = datetime.now(UTC)
    with _progress(err) as progress, input_file.open("rb") as source:
        task = progress.add_task("enriching", total=input_file.stat().st_size or None)
        lines = _CountingLines(source, lambda n: progress.advance(task, n))
        if fmt == "jsonl":
            rows = _jsonl_rows(lines, text_col, id_col, summary)
        else:
            rows = _csv_rows(lines, csv.excel_tab if fmt == "tsv" else csv.excel, text_col, id_col, summary)
        with _sink(out) as sink:
            for batch in _batches(rows, nlp_config.batch_size):
                _write(sink, batch, _run(enricher, batch, input_file.name, started), summary)
    _report(err, summary, out)
    if summary.skipped and not summary.enriched:
        raise typer.Exit(1)


# ------------------------------------------------------------------------------------ settings


def _sink(out: Path) -> contextlib.AbstractContextManager[IO[bytes]]:
    if str(out) == "-":
        return contextlib.nullcontext(sys.stdout.buffer)
    return out.open("wb")


def _settings(
    config: Path | None, specs: list[str], finglish: bool
) -> tuple[NlpConfig, list[BrandConfig], LoggingConfig | None]:
    if config is not None:
        settings = load_config(config)  # brands and nlp only: plugin options are not needed here
        return settings.nlp, settings.brands, settings.logging
    return NlpConfig(), [parse_brand(spec, finglish) for spec in specs], None


def parse_brand(spec: str, finglish: bool = False) -> BrandConfig:
    """'Name=alias one|alias two|@handle|#tag' -> BrandConfig."""
    name, _, rest = spec.partition("=")
    if not name.strip():
        raise typer.BadParameter(f"{spec!r} has no brand name (write 'Name=alias|@handle|#tag')", param_hint="--brand")
    aliases, handles, hashtags = [], [], []
    for item in (part.strip() for part in rest.split("|")):
        if not item:
            continue
        if item.startswith("@"):
            handles.append(item)
        elif item.startswith("#"):
            hashtags.append(item)
        else:
            aliases.append(item)
    try:
        return BrandConfig(name=name, aliases=aliases, handles=handles, hashtags=hashtags, finglish=finglish)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise typer.BadParameter(
            f"{spec!r}: {problem} (write 'Name=alias|@handle|#tag')", param_hint="--brand"
        ) from None


def _format(path: Path, chosen: InputFormat) -> str:
    if chosen is not InputFormat.auto:
        return chosen.value
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return suffix[1:]
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise typer.BadParameter(
        f"cannot tell the format of {path.name}: use --format csv|tsv|jsonl", param_hint="--format"
    )


# --------------------------------------------------------------------------------------- input


class _CountingLines:
    """Binary lines of a file, reporting how many bytes each one took (for the progress bar)."""

    def __init__(self, source: IO[bytes], advance: Any) -> None:
        self._source, self._advance = source, advance
        self.line = 0

    def __iter__(self) -> Iterator[bytes]:
        for raw in self._source:
            self.line += 1
            self._advance(len(raw))
            yield raw


def _csv_rows(
    lines: _CountingLines, dialect: type[csv.Dialect], text_col: str, id_col: str, summary: Summary
) -> Iterator[Row]:
    """Rows of a CSV/TSV file; the header is checked at once (before anything is written)."""
    decoded = (raw.decode("utf-8-sig" if lines.line == 1 else "utf-8", errors="replace") for raw in lines)
    reader = csv.DictReader(decoded, dialect=dialect)
    fields = reader.fieldnames or []
    if text_col not in fields:
        raise typer.BadParameter(
            f"no column {text_col!r} in the header; columns: {', '.join(fields) or '(none)'}", param_hint="--text-col"
        )
    return _csv_records(reader, len(fields), text_col, id_col, summary)


def _csv_records(
    reader: csv.DictReader[str], width: int, text_col: str, id_col: str, summary: Summary
) -> Iterator[Row]:
    start = reader.line_num + 1
    for record in reader:
        line, start = start, reader.line_num + 1
        if None in record:
            summary.skip(line, f"{width + len(record[None])} fields where the header has {width}")
        elif record.get(text_col) is None:
            summary.skip(line, f"{sum(v is not None for v in record.values())} fields where the header has {width}")
        else:
            yield Row(line, record.get(id_col) or str(line), record[text_col])


def _jsonl_rows(lines: _CountingLines, text_col: str, id_col: str, summary: Summary) -> Iterator[Row]:
    for raw in lines:
        line = lines.line
        if not raw.strip():
            continue
        try:
            try:
                item = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise BadRow(f"not valid JSON ({exc.msg})") from None
            if not isinstance(item, dict):
                raise BadRow(f"a JSON {type(item).__name__}, not an object")
            text = item.get(text_col)
            if text is None:
                raise BadRow(f"no {text_col!r} key")
            if not isinstance(text, str):
                raise BadRow(f"{text_col!r} is not a string (got {type(text).__name__})")
            row_id = item.get(id_col)
            yield Row(line, str(row_id) if row_id not in (None, "") else str(line), text)
        except BadRow as exc:
            summary.skip(line, str(exc))


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# -------------------------------------------------------------------------------------- output


def _run(enricher: Enricher, batch: list[Row], source: str, at: datetime) -> list[Enrichment]:
    posts = [
        Post(id=f"{PLATFORM}:{row.line}", platform=PLATFORM, source=source, text=row.text, created_at=at)
        for row in batch
    ]
    return enricher(posts)


def record(row_id: str, e: Enrichment) -> dict[str, Any]:
    """The output line for one row."""
    return {
        "id": row_id,
        "lang": e.lang,
        "brands": list(e.brands),
        "mentions": [{"brand": m.brand, "text": m.text} for m in e.mentions],
        "sentiment": round(e.sentiment, 4),
        "sentiment_label": e.sentiment_label,
        "brand_sentiment": {brand: round(score, 4) for brand, score in e.brand_sentiment.items()},
        "topics": list(e.topics),
        "hashtags": list(e.hashtags),
    }


def _write(sink: IO[bytes], batch: list[Row], results: list[Enrichment], summary: Summary) -> None:
    for row, result in zip(batch, results, strict=True):
        sink.write(orjson.dumps(record(row.id, result)) + b"\n")
        summary.add(result)


class Summary:
    """What the run did: counts for the closing report; skipped rows are reported as they come."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.enriched = 0
        self.skipped = 0
        self.languages: Counter[str] = Counter()
        self.brands: Counter[str] = Counter()
        self.labels: Counter[str] = Counter()
        self.terms = TermCounter()
        self.problems: list[tuple[int, str]] = []

    def add(self, e: Enrichment) -> None:
        self.enriched += 1
        self.languages[e.lang] += 1
        self.brands.update(e.brands)
        self.labels[e.sentiment_label] += 1
        self.terms.add(e)

    def skip(self, line: int, reason: str) -> None:
        self.skipped += 1
        self.problems.append((line, reason))
        self.console.print(f"[yellow]line {line}: skipped: {reason}[/yellow]")


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _report(console: Console, s: Summary, out: Path) -> None:
    console.print(f"{s.enriched} rows enriched, {s.skipped} skipped -> {out}")
    if not s.enriched:
        return
    table = Table("", "", title_justify="left", show_header=False, box=None, padding=(0, 2))
    table.add_row("languages", _counts(s.languages))
    table.add_row("sentiment", _counts(s.labels))
    table.add_row("brands", _counts(s.brands) or "-")
    table.add_row("top hashtags", ", ".join(f"#{t.term} ({t.count})" for t in s.terms.top("hashtag", 8)) or "-")
    table.add_row("top topics", ", ".join(f"{t.term} ({t.count})" for t in s.terms.top("topic", 8)) or "-")
    console.print(table)


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {n}" for key, n in counter.most_common())
