"""The sentiment component at the end of the real pipeline (nlp.pipeline): normalised text,
detected language, matched brands."""

from __future__ import annotations

import pytest
from spacy.language import Language

from nlp import extensions as ext
from nlp.pipeline import build_pipeline
from trendwatch.config import BrandConfig, NlpConfig


@pytest.fixture(scope="module")
def pipeline() -> Language:
    brands = [
        BrandConfig(name="United", aliases=["United Airlines"], handles=["@united"]),
        BrandConfig(name="Delta", handles=["@delta"]),
        BrandConfig(name="Digikala", aliases=["دیجی‌کالا"], handles=["@digikala"], language="fa"),
        BrandConfig(name="Snapp", aliases=["اسنپ"], language="fa"),
    ]
    return build_pipeline(NlpConfig(), brands)


def test_sentiment_runs_last(pipeline: Language) -> None:
    assert pipeline.pipe_names[-1] == "trendwatch_sentiment_lexicon"


def test_brand_names_do_not_make_a_post_positive(pipeline: Language) -> None:
    doc = pipeline("United Airlines flight UA 93 boarded at gate 4 @united")
    assert ext.get(doc, ext.SENTIMENT) == 0.0
    assert ext.get(doc, ext.SENTIMENT_LABEL) == "neutral"
    assert ext.get(doc, ext.BRAND_SENTIMENT) == {"United": 0.0}


def test_per_brand_through_the_real_pipeline(pipeline: Language) -> None:
    doc = pipeline("Delta was great, unlike @united")
    scores = ext.get(doc, ext.BRAND_SENTIMENT)
    assert scores["Delta"] > 0 > scores["United"]


def test_persian_through_the_real_pipeline(pipeline: Language) -> None:
    # Arabic letters, a stray half-space and an elongation, normalised before the scorer sees them
    doc = pipeline("ديجي‌كالا عاليييي بود ولی اسنپ اصلا خوب نبود")
    assert ext.get(doc, ext.LANG) == "fa"
    scores = ext.get(doc, ext.BRAND_SENTIMENT)
    assert scores["Digikala"] > 0 > scores["Snapp"]


def test_negation_written_apart_is_joined_by_the_normaliser(pipeline: Language) -> None:
    assert ext.get(pipeline("اصلا پیشنهاد نمی کنم"), ext.SENTIMENT) < 0
