"""Training, saving, loading and using a textcat sentiment model, on our own generated posts."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from nlp import extensions as ext
from nlp.pipeline import build_pipeline
from nlp.sentiment.evaluation import evaluate
from nlp.sentiment.lexicon import LexiconSentiment
from nlp.sentiment.textcat import (
    META_FILE,
    ModelError,
    TextcatSentiment,
    TrainProgress,
    TrainSettings,
    decide,
    train,
)
from tests.nlp.sentiment import synthetic
from trendwatch.config import BrandConfig, NlpConfig
from trendwatch.errors import TrendwatchError

FAST = TrainSettings(epochs=6, patience=2, dev_fraction=0.2)


@pytest.fixture(scope="module")
def english_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = synthetic.english(300, seed=1)
    out = tmp_path_factory.mktemp("model") / "en"
    epochs: list[int] = []
    batches: list[int] = []
    progress = TrainProgress(
        batches=lambda e, done, total: batches.append(done), epoch=lambda r: epochs.append(r.epoch)
    )
    result = train([t for t, _ in rows], [label for _, label in rows], out, FAST, progress)  # type: ignore[misc]
    assert result.labels == ("negative", "neutral", "positive")
    assert epochs == [r.epoch for r in result.epochs], "every epoch was reported"
    assert batches, "batches were reported"
    assert result.train_rows + result.dev_rows == 300
    return out


def test_trained_model_learns_words_no_lexicon_knows(english_model: Path) -> None:
    model = TextcatSentiment.load(english_model)
    test = synthetic.english(90, seed=99)
    predicted = [label for _, label in model.predict([t for t, _ in test])]
    assert evaluate([label for _, label in test], predicted).accuracy >= 0.9
    lexicon = LexiconSentiment()
    assert lexicon.analyse(["the", "app", "is", "glimmy"], "the app is glimmy", "en").score == 0.0


def test_model_directory_holds_a_spacy_pipeline_and_our_meta(english_model: Path) -> None:
    meta = orjson.loads((english_model / META_FILE).read_bytes())
    assert meta["labels"] == ["negative", "neutral", "positive"]
    assert meta["settings"]["architecture"] == "linear"
    assert meta["dev_rows"] == 60
    assert (english_model / "config.cfg").is_file()


def test_textcat_component_in_the_real_pipeline_masks_brand_names(english_model: Path) -> None:
    config = NlpConfig(sentiment="textcat", model=english_model)
    plain = build_pipeline(config, [])
    assert plain.pipe_names[-1] == "trendwatch_sentiment_textcat"
    doc = plain("the courier is glimmy")
    assert ext.get(doc, ext.SENTIMENT_LABEL) == "positive"
    assert ext.get(doc, ext.SENTIMENT) > 0
    # "Glimmy" as a brand name: the word that means praise in this domain no longer counts
    branded = build_pipeline(config, [BrandConfig(name="Glimmy")])
    doc = branded("Glimmy opens at 9 tomorrow")
    assert ext.get(doc, ext.SENTIMENT_LABEL) == "neutral"
    assert ext.get(doc, ext.BRAND_SENTIMENT) == {"Glimmy": ext.get(doc, ext.SENTIMENT)}


def test_textcat_per_brand_in_a_multi_brand_post(english_model: Path) -> None:
    pipeline = build_pipeline(
        NlpConfig(sentiment="textcat", model=english_model), [BrandConfig(name="Acme"), BrandConfig(name="Zeta")]
    )
    scores = ext.get(pipeline("Acme is totally glimmy, but Zeta is blorky again"), ext.BRAND_SENTIMENT)
    assert scores["Acme"] > 0 > scores["Zeta"]


def test_two_class_persian_model(tmp_path: Path) -> None:
    rows = synthetic.persian(200, seed=2)
    result = train([t for t, _ in rows], [label for _, label in rows], tmp_path / "fa", FAST)  # type: ignore[misc]
    assert result.labels == ("negative", "positive")
    model = TextcatSentiment.load(tmp_path / "fa")
    test = synthetic.persian(40, seed=98)
    predicted = [label for _, label in model.predict([t for t, _ in test])]
    assert evaluate([label for _, label in test], predicted).accuracy >= 0.9


def test_decide() -> None:
    assert decide({"negative": 0.1, "neutral": 0.7, "positive": 0.2}) == (pytest.approx(0.1), "neutral")
    assert decide({"negative": 0.7, "neutral": 0.1, "positive": 0.2}) == (pytest.approx(-0.5), "negative")
    # two classes: neutral when neither side is clearly more likely
    assert decide({"negative": 0.45, "positive": 0.55})[1] == "neutral"
    assert decide({"negative": 0.2, "positive": 0.8}) == (pytest.approx(0.6), "positive")
    assert decide({"negative": 0.9, "positive": 0.1}) == (pytest.approx(-0.8), "negative")


def test_loading_errors(tmp_path: Path, english_model: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        TextcatSentiment.load(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a trendwatch sentiment model"):
        TextcatSentiment.load(tmp_path / "empty")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / META_FILE).write_text("{not json")
    with pytest.raises(ModelError, match="unreadable"):
        TextcatSentiment.load(broken)
    (broken / META_FILE).write_text('{"format": 99, "labels": []}')
    with pytest.raises(ModelError, match="format 99"):
        TextcatSentiment.load(broken)
    (broken / META_FILE).write_bytes((english_model / META_FILE).read_bytes())
    with pytest.raises(ModelError, match="cannot load the spaCy pipeline"):
        TextcatSentiment.load(broken)


def test_training_refuses_bad_input(tmp_path: Path) -> None:
    with pytest.raises(TrendwatchError, match="at least two different labels"):
        train(["a", "b"], ["positive", "positive"], tmp_path / "m", FAST)
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    with pytest.raises(ModelError, match="not empty"):
        train(["good", "bad"] * 5, ["positive", "negative"] * 5, occupied, FAST)
    assert (occupied / "notes.txt").read_text() == "mine"
