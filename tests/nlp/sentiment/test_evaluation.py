"""Accuracy, macro-F1 and the confusion matrix, on literal label lists computed by hand."""

from __future__ import annotations

import pytest

from nlp.sentiment.evaluation import evaluate


def test_three_classes() -> None:
    gold = ["positive", "positive", "negative", "neutral", "neutral", "negative"]
    pred = ["positive", "neutral", "negative", "neutral", "positive", "positive"]
    ev = evaluate(gold, pred)
    assert ev.labels == ("negative", "neutral", "positive")
    assert ev.matrix == ((1, 0, 1), (0, 1, 1), (0, 1, 1))
    assert ev.accuracy == pytest.approx(3 / 6)
    # negative P=1 R=.5 F=.667; neutral P=.5 R=.5 F=.5; positive P=1/3 R=.5 F=.4
    assert ev.macro_f1 == pytest.approx((2 / 3 + 0.5 + 0.4) / 3)
    assert [c.support for c in ev.classes] == [2, 2, 2]


def test_two_class_gold_with_neutral_predictions() -> None:
    ev = evaluate(["negative", "positive", "positive"], ["negative", "neutral", "positive"])
    assert ev.labels == ("negative", "positive")
    assert ev.predicted_labels == ("negative", "neutral", "positive")
    assert ev.matrix == ((1, 0, 0), (0, 1, 1))
    assert ev.accuracy == pytest.approx(2 / 3)
    assert ev.macro_f1 == pytest.approx((1.0 + 2 / 3) / 2)  # positive: P=1, R=.5


def test_errors() -> None:
    with pytest.raises(ValueError, match="2 gold labels but 1"):
        evaluate(["positive", "negative"], ["positive"])
    with pytest.raises(ValueError, match="nothing"):
        evaluate([], [])
