"""The spaCy factories and the contract with the rest of the pipeline (tests/nlp/sentiment
uses its own minimal pipeline; test_pipeline.py runs the real one)."""

from __future__ import annotations

import pytest
import spacy
from spacy.language import Language

import nlp.sentiment  # noqa: F401  (registers the factories)
from nlp import extensions as ext
from nlp.sentiment.components import ASSIGNS, LEXICON_FACTORY, REQUIRES, TEXTCAT_FACTORY, add_sentiment_pipe
from nlp.sentiment.textcat import ModelError
from tests.nlp.sentiment.conftest import Analyse, brand_scores, label, make_doc, score
from trendwatch.config import NlpConfig


def test_factories_are_registered_with_their_contract() -> None:
    for factory in (LEXICON_FACTORY, TEXTCAT_FACTORY):
        assert Language.has_factory(factory)
        meta = Language.get_factory_meta(factory)
        assert list(meta.requires) == REQUIRES
        assert list(meta.assigns) == ASSIGNS == ["doc._.sentiment", "doc._.sentiment_label", "doc._.brand_sentiment"]


def test_lexicon_component_assigns_all_three(analyse: Analyse) -> None:
    doc = analyse("The Delta crew was wonderful!", brands={"Delta": ["Delta"]})
    assert -1.0 <= score(doc) <= 1.0
    assert score(doc) > 0
    assert label(doc) == "positive"
    assert brand_scores(doc) == {"Delta": score(doc)}
    assert doc._.sentiment == score(doc)  # the Underscore view agrees with ext.get


def test_add_sentiment_pipe_follows_the_config() -> None:
    nlp = spacy.blank("xx")
    add_sentiment_pipe(nlp, NlpConfig())
    assert nlp.pipe_names == [LEXICON_FACTORY]
    doc = nlp("I love it")
    assert ext.get(doc, ext.SENTIMENT) > 0


def test_textcat_factory_needs_a_model(tmp_path: object) -> None:
    nlp = spacy.blank("xx")
    with pytest.raises(ValueError, match="needs config"):
        nlp.add_pipe(TEXTCAT_FACTORY)
    with pytest.raises(ModelError, match="does not exist"):
        nlp.add_pipe(TEXTCAT_FACTORY, config={"model": "/nonexistent/model"})


@pytest.mark.parametrize("text", ["", "   ", "!!!", "😀", "https://example.com", "@someone", "#", "123"])
def test_degenerate_posts(analyse: Analyse, text: str) -> None:
    doc = analyse(text)
    assert -1.0 <= score(doc) <= 1.0
    assert label(doc) in ("negative", "neutral", "positive")


def test_language_routes_the_scorer(blank_nlp: Language, analyse: Analyse) -> None:
    # an English sentiment word in a post marked Persian still counts (Latin words in Persian posts)
    assert score(analyse("this is great", lang="fa")) > 0
    # Arabic goes to the Persian lexicon (shared script and much vocabulary)
    assert score(analyse("الخدمة ممتاز", lang="ar")) > 0
    # "other" (say, a German post) still reads emoji
    assert score(analyse("Neues Handy 😍", lang="other")) > 0


def test_pipe_matches_call(blank_nlp: Language, lexicon_component: object) -> None:
    texts = ["good", "bad", "غذا عالی بود", "meh"]
    one = [score(lexicon_component(make_doc(blank_nlp, t))) for t in texts]  # type: ignore[operator]
    many = [score(d) for d in lexicon_component.pipe(make_doc(blank_nlp, t) for t in texts)]  # type: ignore[attr-defined]
    assert one == many
