"""Labelled posts for training and evaluating sentiment models: reading, label mapping, splits.

Files are CSV (any dialect the csv module sniffs as comma-separated, UTF-8 with or without BOM)
or JSON Lines (`.jsonl`/`.ndjson`, one object per line). Label values are mapped onto
trendwatch's three labels: the names themselves and common synonyms are understood
(neg/negative/sad/منفی, neu/neutral/خنثی, pos/positive/happy/مثبت, any case); anything else —
numeric codes in particular, whose meaning differs between data sets — needs an explicit map
(`0=positive,1=negative`). Unknown values are an error that lists them, never a guess.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from trendwatch.errors import TrendwatchError
from trendwatch.models import SENTIMENT_LABELS, SentimentLabel

SYNONYMS: Mapping[str, SentimentLabel] = {
    **dict.fromkeys(["negative", "neg", "sad", "bad", "unhappy", "منفی"], "negative"),
    **dict.fromkeys(["neutral", "neu", "none", "objective", "خنثی"], "neutral"),
    **dict.fromkeys(["positive", "pos", "happy", "good", "مثبت"], "positive"),
}


class DataError(TrendwatchError):
    """A labelled data file cannot be used as asked (missing file or column, bad row, labels)."""


@dataclass(frozen=True, slots=True)
class LabelledPost:
    """One labelled row: `line` is its line number in the file (for error messages)."""

    line: int
    text: str
    label: str


@dataclass(frozen=True, slots=True)
class LabelledData:
    posts: tuple[LabelledPost, ...]
    skipped: int  # rows without text

    @property
    def texts(self) -> list[str]:
        return [post.text for post in self.posts]

    @property
    def labels(self) -> list[str]:
        return [post.label for post in self.posts]


def read_labelled(path: Path, text_col: str, label_col: str) -> LabelledData:
    """Read `text_col` and `label_col` from a CSV or JSONL file; rows with empty text are
    skipped and counted, rows without a label are an error naming the line."""
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    rows = _jsonl_rows(path) if path.suffix.lower() in (".jsonl", ".ndjson") else _csv_rows(path, text_col, label_col)
    posts: list[LabelledPost] = []
    skipped = 0
    for line, row in rows:
        text = row.get(text_col)
        label = row.get(label_col)
        if text_col not in row or label_col not in row:
            missing = text_col if text_col not in row else label_col
            raise DataError(f"{path}:{line}: no {missing!r} field (fields: {', '.join(map(str, row))})")
        text = "" if text is None else str(text)
        if not text.strip():
            skipped += 1
            continue
        if label is None or str(label).strip() == "":
            raise DataError(f"{path}:{line}: the {label_col!r} value is empty")
        posts.append(LabelledPost(line, text, str(label).strip()))
    if not posts:
        raise DataError(f"{path}: no labelled rows with text in column {text_col!r}")
    return LabelledData(tuple(posts), skipped)


def _csv_rows(path: Path, text_col: str, label_col: str) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        for column in (text_col, label_col):
            if column not in fields:
                raise DataError(f"{path}: no column {column!r}; columns are: {', '.join(fields) or '(none)'}")
        try:
            for row in reader:
                yield reader.line_num, row
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DataError(f"{path}:{reader.line_num}: unreadable CSV ({exc})") from None


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                row = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise DataError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
            yield number, row


def parse_label_map(spec: str | None) -> dict[str, SentimentLabel]:
    """`"0=positive,1=negative"` -> {"0": "positive", "1": "negative"}."""
    if not spec:
        return {}
    mapping: dict[str, SentimentLabel] = {}
    for item in spec.split(","):
        value, sep, target = item.partition("=")
        value, target = value.strip(), target.strip().lower()
        if not sep or not value:
            raise DataError(f"label map item {item.strip()!r} is not VALUE=LABEL (e.g. 0=positive,1=negative)")
        canonical = SYNONYMS.get(target)
        if canonical is None:
            raise DataError(f"label map item {item.strip()!r}: {target!r} is not one of {', '.join(SENTIMENT_LABELS)}")
        mapping[value] = canonical
    return mapping


def map_labels(values: Sequence[str], label_map: Mapping[str, SentimentLabel] | None = None) -> list[SentimentLabel]:
    """Map raw label values to negative/neutral/positive; error listing every unknown value."""
    label_map = label_map or {}
    out: list[SentimentLabel] = []
    unknown: Counter[str] = Counter()
    for value in values:
        mapped = label_map.get(value) or SYNONYMS.get(value.lower())
        if mapped is None:
            unknown[value] += 1
            continue
        out.append(mapped)
    if unknown:
        listed = ", ".join(f"{value!r} ({count}×)" for value, count in unknown.most_common(10))
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise DataError(
            f"unknown label value(s): {listed}{more}. Labels must be negative/neutral/positive "
            f"(or neg/neu/pos, sad/happy); map others with --label-map, e.g. --label-map 0=positive,1=negative"
        )
    return out


def holdout_split(count: int, fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """Row indices (train, held out): a seeded shuffle, the last `fraction` held out. The same
    (count, fraction, seed) always gives the same split, so `nlp train` and `nlp eval` agree."""
    if not 0.0 <= fraction < 1.0:
        raise DataError(f"the held-out fraction must be in [0, 1), got {fraction}")
    order = list(range(count))
    random.Random(seed).shuffle(order)
    cut = count - round(count * fraction)
    return sorted(order[:cut]), sorted(order[cut:])
