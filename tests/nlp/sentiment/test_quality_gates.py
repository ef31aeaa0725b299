"""The sentiment quality gates, measured on the labelled data in ../shared (skipped without it).

The lexicon gates run the service's whole pipeline over every row (a few seconds each). The
textcat gates train a model on one half and score the other (about 20 s each): marked slow.
The same figures come from the documented commands (docs/nlp.md, "Sentiment"):

    trendwatch nlp eval --data .../en/tweeteval_sentiment_val_test.csv --text-col text --label-col label
    trendwatch nlp train --data ... --out DIR --holdout 0.5
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp import extensions as ext
from nlp.pipeline import build_pipeline
from nlp.sentiment.dataset import LabelledData, holdout_split, map_labels, parse_label_map, read_labelled
from nlp.sentiment.evaluation import Evaluation, evaluate
from nlp.sentiment.textcat import TrainSettings, train
from tests.conftest import shared_path
from trendwatch.config import NlpConfig
from trendwatch.models import SentimentLabel


def tweeteval() -> tuple[LabelledData, list[SentimentLabel]]:
    data = read_labelled(shared_path("data", "sentiment", "en", "tweeteval_sentiment_val_test.csv"), "text", "label")
    return data, map_labels(data.labels)


def snappfood() -> tuple[LabelledData, list[SentimentLabel]]:
    path = shared_path("data", "sentiment", "fa", "snappfood_test.csv")
    data = read_labelled(path, "comment", "label_id")
    return data, map_labels(data.labels, parse_label_map("0=positive,1=negative"))


def predict(config: NlpConfig, texts: list[str], two_class: bool) -> list[str]:
    """What `trendwatch nlp eval` predicts (two-class data: neutral to the side of its score,
    exactly 0 to negative)."""
    out = []
    for doc in build_pipeline(config, []).pipe(texts, batch_size=1000):
        label: str = ext.get(doc, ext.SENTIMENT_LABEL)
        if two_class and label == "neutral":
            label = "positive" if ext.get(doc, ext.SENTIMENT) > 0 else "negative"
        out.append(label)
    return out


def halves(gold: list[SentimentLabel], predicted: list[str]) -> list[Evaluation]:
    """Scores on the whole set and on each half of the seeded 0.5 split."""
    rest, held = holdout_split(len(gold), 0.5, seed=0)
    parts = [list(range(len(gold))), rest, held]
    return [evaluate([gold[i] for i in part], [predicted[i] for i in part]) for part in parts]


def test_english_lexicon_macro_f1_on_tweeteval() -> None:
    data, gold = tweeteval()
    whole, first, second = halves(gold, predict(NlpConfig(), data.texts, two_class=False))
    assert whole.macro_f1 >= 0.60
    assert first.macro_f1 >= 0.60
    assert second.macro_f1 >= 0.60


def test_persian_lexicon_accuracy_on_snappfood() -> None:
    data, gold = snappfood()
    whole, first, second = halves(gold, predict(NlpConfig(), data.texts, two_class=True))
    assert whole.accuracy >= 0.80
    assert first.accuracy >= 0.80
    assert second.accuracy >= 0.80


def trained_on_half(data: LabelledData, gold: list[SentimentLabel], out: Path, two_class: bool) -> Evaluation:
    rest, held = holdout_split(len(gold), 0.5, seed=0)
    train([data.texts[i] for i in rest], [gold[i] for i in rest], out, TrainSettings())
    predicted = predict(NlpConfig(sentiment="textcat", model=out), [data.texts[i] for i in held], two_class)
    return evaluate([gold[i] for i in held], predicted)


@pytest.mark.slow
def test_english_textcat_on_a_held_out_half(tmp_path: Path) -> None:
    data, gold = tweeteval()
    assert trained_on_half(data, gold, tmp_path / "en", two_class=False).macro_f1 >= 0.64
