"""A minimal pipeline for the sentiment tests, independent of the NLP core's components.

`analyse(text, brands, lang)` tokenises with spaCy's multi-language tokenizer, sets
`doc._.lang` and `doc.spans["brands"]` the way the core's language and brand components do
(brand names matched case-insensitively on token boundaries), then runs the sentiment component
under test. So these tests pin the sentiment contract without depending on how the core detects
languages or matches brands; tests/nlp/sentiment/test_pipeline.py checks the real pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pytest
import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from nlp import extensions as ext
from nlp.sentiment.components import LexiconSentimentComponent
from nlp.sentiment.lexicon import script_language

Analyse = Callable[..., Doc]


def make_doc(nlp: Language, text: str, brands: Mapping[str, Sequence[str]] = {}, lang: str | None = None) -> Doc:
    doc = nlp.make_doc(text)
    ext.put(doc, ext.LANG, lang or script_language(text))
    if brands:
        matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for brand, names in brands.items():
            matcher.add(brand, [nlp.make_doc(name) for name in names])
        doc.spans[ext.BRAND_SPANS] = [
            Span(doc, start, end, label=nlp.vocab.strings[match_id]) for match_id, start, end in matcher(doc)
        ]
    return doc


@pytest.fixture(scope="session")
def blank_nlp() -> Language:
    return spacy.blank("xx")


@pytest.fixture(scope="session")
def lexicon_component() -> LexiconSentimentComponent:
    return LexiconSentimentComponent()


@pytest.fixture(scope="session")
def analyse(blank_nlp: Language, lexicon_component: LexiconSentimentComponent) -> Analyse:
    """text (+ brands {name: [aliases]}, lang) -> the Doc after the lexicon sentiment component."""

    def run(text: str, brands: Mapping[str, Sequence[str]] = {}, lang: str | None = None) -> Doc:
        return lexicon_component(make_doc(blank_nlp, text, brands, lang))

    return run


def score(doc: Doc) -> float:
    return float(ext.get(doc, ext.SENTIMENT))


def label(doc: Doc) -> str:
    return str(ext.get(doc, ext.SENTIMENT_LABEL))


def brand_scores(doc: Doc) -> dict[str, float]:
    return dict(ext.get(doc, ext.BRAND_SENTIMENT) or {})
