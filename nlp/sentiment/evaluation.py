"""Accuracy, macro-F1 and the confusion matrix of predicted against gold labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from trendwatch.models import SENTIMENT_LABELS


@dataclass(frozen=True, slots=True)
class ClassScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Scores over the gold classes. `matrix[i][j]` counts posts of gold `labels[i]` predicted as
    `predicted_labels[j]` (predictions may include a class the gold data lacks, e.g. neutral)."""

    labels: tuple[str, ...]
    predicted_labels: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]
    accuracy: float
    macro_f1: float
    classes: tuple[ClassScores, ...]
    count: int


def evaluate(gold: Sequence[str], predicted: Sequence[str]) -> Evaluation:
    """Macro-F1 averages F1 over the classes present in `gold`."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    if not gold:
        raise ValueError("nothing to evaluate")
    order: dict[str, int] = {label: i for i, label in enumerate(SENTIMENT_LABELS)}
    labels = tuple(sorted(set(gold), key=lambda x: (order.get(x, 99), x)))
    predicted_labels = tuple(sorted(set(gold) | set(predicted), key=lambda x: (order.get(x, 99), x)))
    counts = {(g, p): 0 for g in labels for p in predicted_labels}
    for g, p in zip(gold, predicted, strict=True):
        counts[(g, p)] += 1
    classes = []
    for label in labels:
        tp = counts[(label, label)]
        fp = sum(counts[(g, label)] for g in labels if g != label)
        fn = sum(counts[(label, p)] for p in predicted_labels if p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        classes.append(ClassScores(label, precision, recall, f1, tp + fn))
    correct = sum(counts[(label, label)] for label in labels)
    return Evaluation(
        labels=labels,
        predicted_labels=predicted_labels,
        matrix=tuple(tuple(counts[(g, p)] for p in predicted_labels) for g in labels),
        accuracy=correct / len(gold),
        macro_f1=sum(c.f1 for c in classes) / len(classes),
        classes=tuple(classes),
        count=len(gold),
    )
