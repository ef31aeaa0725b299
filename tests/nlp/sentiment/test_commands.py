"""`trendwatch nlp train` and `trendwatch nlp eval`, run through the real CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from nlp.sentiment.dataset import holdout_split
from tests.nlp.sentiment import synthetic
from trendwatch.service.cli import app


def run(*args: str) -> Any:
    return CliRunner().invoke(app, ["nlp", *args])


def plain(output: str) -> str:
    """CLI output without rich's box drawing and line wrapping."""
    return " ".join(output.replace("│", " ").replace("┃", " ").split())


@pytest.fixture
def english_csv(tmp_path: Path) -> Path:
    rows = [
        ("I love this phone, it is wonderful", "positive"),
        ("Great service, thank you!", "pos"),
        ("The update is awful and buggy", "negative"),
        ("Worst delivery ever", "NEG"),
        ("The store opens at 9", "neutral"),
        ("Version 2 ships on Monday", "neu"),
    ]
    return synthetic.write_csv(tmp_path / "labelled.csv", rows)


def test_eval_lexicon_table(english_csv: Path) -> None:
    result = run("eval", "--data", str(english_csv))
    assert result.exit_code == 0, result.output
    text = plain(result.stdout)
    assert "model: lexicon (default)" in text
    assert "posts 6" in text
    assert "accuracy 1.0000" in text
    assert "macro-F1 1.0000" in text
    assert "Confusion matrix" in text
    assert "negative 2 0 0" in text


def test_eval_json(english_csv: Path) -> None:
    result = run("eval", "--data", str(english_csv), "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["posts"] == 6
    assert figures["accuracy"] == 1.0
    assert figures["confusion"]["matrix"] == [[2, 0, 0], [0, 2, 0], [0, 0, 2]]


def test_eval_two_class_data_maps_neutral_by_score(tmp_path: Path) -> None:
    rows = [("غذا عالی بود", "0"), ("غذا سرد بود", "1"), ("سفارش ساعت ۸ رسید", "1"), ("ممنون", "0")]
    data = synthetic.write_csv(tmp_path / "fa.csv", rows, "comment", "label_id")
    args = ("eval", "--data", str(data), "--text-col", "comment", "--label-col", "label_id")
    result = run(*args, "--label-map", "0=positive,1=negative", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["confusion"]["predicted_labels"] == ["negative", "positive"]  # no neutral column
    assert figures["accuracy"] == 1.0  # the fact with no sentiment at all counts negative by default
    positive = json.loads(
        run(*args, "--label-map", "0=positive,1=negative", "--json", "--neutral-as", "positive").stdout
    )
    assert positive["accuracy"] == 0.75


def test_eval_unknown_labels_exit_2_with_a_hint(tmp_path: Path) -> None:
    data = synthetic.write_csv(tmp_path / "fa.csv", [("خوب", "0"), ("بد", "1")], "comment", "label_id")
    result = run("eval", "--data", str(data), "--text-col", "comment", "--label-col", "label_id")
    assert result.exit_code == 2
    message = plain(result.stderr)
    assert "unknown label value(s): '0' (1×), '1' (1×)" in message
    assert "--label-map" in message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--text-col", "comment"), "no column 'comment'; columns are: text, label"),
        (("--label-map", "0=great"), "'great' is not one of negative, neutral, positive"),
        (("--model", "/nonexistent/dir"), "does not exist"),
        (("--part", "middle"), "--part must be held-out or rest"),
        (("--holdout", "0.5", "--part", "held-out", "--seed", "1"), None),
    ],
)
def test_eval_errors(english_csv: Path, args: tuple[str, ...], message: str | None) -> None:
    result = run("eval", "--data", str(english_csv), *args)
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert message in plain(result.stderr)


def test_eval_missing_file(tmp_path: Path) -> None:
    result = run("eval", "--data", str(tmp_path / "none.csv"))
    assert result.exit_code == 2
    assert "no such file" in plain(result.stderr)


def test_train_then_eval_the_model_on_the_held_out_part(tmp_path: Path) -> None:
    rows = synthetic.english(240, seed=5)
    data = synthetic.write_csv(tmp_path / "posts.csv", rows)
    train_idx, _ = holdout_split(240, 0.25)
    counts = Counter(rows[i][1] for i in train_idx)
    out = tmp_path / "model"
    result = run("train", "--data", str(data), "--out", str(out), "--holdout", "0.25", "--epochs", "6")
    assert result.exit_code == 0, result.output
    log = plain(result.stderr)
    expected = ", ".join(f"{label} {counts[label]}" for label in ("negative", "neutral", "positive"))
    assert f"training on 180 posts ({expected}); 60 held out" in log
    assert "epoch 1: loss" in log
    assert f"saved {out}" in log
    assert "scoring the 60 held-out rows" in log
    trained = plain(result.stdout)
    assert "held out" in trained
    assert "macro-F1" in trained
    held = run("eval", "--data", str(data), "--model", str(out), "--holdout", "0.25", "--json")
    assert held.exit_code == 0, held.output
    figures = json.loads(held.stdout)
    assert figures["posts"] == len(holdout_split(240, 0.25)[1]) == 60
    assert figures["accuracy"] >= 0.9
    assert f"macro-F1 {figures['macro_f1']:.4f}" in trained  # train's report scored the same rows
    rest = json.loads(
        run("eval", "--data", str(data), "--model", str(out), "--holdout", "0.25", "--part", "rest", "--json").stdout
    )
    assert rest["posts"] == 180


def test_train_refuses_one_label_and_bad_architecture(tmp_path: Path) -> None:
    data = synthetic.write_csv(tmp_path / "posts.csv", [("good", "positive"), ("great", "positive")])
    result = run("train", "--data", str(data), "--out", str(tmp_path / "m"))
    assert result.exit_code != 0
    assert "at least two different labels" in plain(result.stderr) + str(result.exception)
    result = run("train", "--data", str(data), "--out", str(tmp_path / "m"), "--architecture", "transformer")
    assert result.exit_code == 2
    assert "--architecture must be linear or ensemble" in plain(result.stderr)
