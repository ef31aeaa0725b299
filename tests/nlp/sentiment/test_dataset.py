"""Reading labelled posts, mapping their labels, and the seeded hold-out split."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from nlp.sentiment.dataset import DataError, holdout_split, map_labels, parse_label_map, read_labelled


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_with_quotes_newlines_bom_and_empty_rows(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "posts.csv",
        '\ufefftext,label\n"good, really",positive\n"two\nlines",negative\n,neutral\n"  ",neutral\nok,neu\n',
    )
    data = read_labelled(path, "text", "label")
    assert data.texts == ["good, really", "two\nlines", "ok"]
    assert data.labels == ["positive", "negative", "neu"]
    assert data.skipped == 2
    assert [post.line for post in data.posts] == [2, 4, 7]


def test_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(row) for row in [{"t": "nice", "y": 1}, {"t": "bad", "y": 0}]) + b"\n")
    data = read_labelled(path, "t", "y")
    assert data.texts == ["nice", "bad"]
    assert data.labels == ["1", "0"]


def test_missing_column_lists_the_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "posts.csv", "comment,label_id\nhi,0\n")
    with pytest.raises(DataError, match=r"no column 'text'; columns are: comment, label_id"):
        read_labelled(path, "text", "label_id")


def test_bad_jsonl_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text('{"text": "a", "label": "pos"}\n{not json}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"posts.jsonl:2: not JSON"):
        read_labelled(path, "text", "label")
    path.write_text('["a list"]\n', encoding="utf-8")
    with pytest.raises(DataError, match=r":1: expected a JSON object"):
        read_labelled(path, "text", "label")
    path.write_text('{"text": "a"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r":1: no 'label' field"):
        read_labelled(path, "text", "label")


def test_empty_label_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "posts.csv", "text,label\nfine,positive\nwhat,\n")
    with pytest.raises(DataError, match=r"posts.csv:3: the 'label' value is empty"):
        read_labelled(path, "text", "label")


def test_missing_file_and_no_rows(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        read_labelled(tmp_path / "nope.csv", "text", "label")
    with pytest.raises(DataError, match="no labelled rows"):
        read_labelled(write_csv(tmp_path / "empty.csv", "text,label\n,positive\n"), "text", "label")


def test_label_synonyms_in_any_case_and_persian() -> None:
    assert map_labels(["Positive", "NEG", "neu", "happy", "SAD", "منفی", "مثبت", "خنثی"]) == [
        "positive",
        "negative",
        "neutral",
        "positive",
        "negative",
        "negative",
        "positive",
        "neutral",
    ]


def test_numeric_labels_need_a_map() -> None:
    with pytest.raises(DataError) as error:
        map_labels(["0", "1", "1", "maybe"])
    message = str(error.value)
    assert "'1' (2×)" in message
    assert "'0' (1×)" in message
    assert "'maybe' (1×)" in message
    assert "--label-map" in message
    assert map_labels(["0", "1"], parse_label_map("0=positive, 1=NEG")) == ["positive", "negative"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [("0positive", "is not VALUE=LABEL"), ("=positive", "is not VALUE=LABEL"), ("0=great", "is not one of")],
)
def test_bad_label_map(spec: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_label_map(spec)


def test_holdout_split_is_seeded_complementary_and_stable() -> None:
    train, held = holdout_split(100, 0.3, seed=7)
    assert len(held) == 30
    assert len(train) == 70
    assert sorted(train + held) == list(range(100))
    assert holdout_split(100, 0.3, seed=7) == (train, held)
    assert holdout_split(100, 0.3, seed=8) != (train, held)
    assert holdout_split(10, 0.0) == (list(range(10)), [])
    with pytest.raises(DataError):
        holdout_split(10, 1.0)
