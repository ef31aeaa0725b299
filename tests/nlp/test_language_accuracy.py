"""Language accuracy on labelled posts from ../shared plus our own sentences
(bench/nlp_quality.py builds the set and prints the same figures for the README)."""

from __future__ import annotations

from bench.nlp_quality import OWN_SENTENCES, evaluate_language
from tests.conftest import shared_path


def test_language_accuracy_on_labelled_posts() -> None:
    shared = shared_path("data", "sentiment").parents[1]
    scores = evaluate_language(shared)
    assert scores.total > 1400
    assert scores.accuracy >= 0.98, "\n".join(scores.errors)
    assert scores.language_accuracy("en") >= 0.98
    assert scores.language_accuracy("fa") >= 0.98
    assert scores.language_accuracy("ar") >= 0.9
    assert scores.language_accuracy("other") >= 0.85


def test_own_sentences_cover_every_language() -> None:
    assert set(OWN_SENTENCES) == {"fa", "ar", "en", "other"}
    assert len(OWN_SENTENCES["ar"]) >= 40
