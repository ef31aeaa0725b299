"""The English lexicon scorer: VADER's rules over our tokens, checked against the VADER package
itself and pinned rule by rule."""

from __future__ import annotations

import pytest
import spacy
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from nlp.sentiment.english import INERT, EnglishScorer
from nlp.sentiment.valence import VADER_CALIBRATION
from tests.nlp.sentiment.conftest import Analyse, brand_scores, label, score

NLP = spacy.blank("xx")

# VADER's own demonstration sentences (vaderSentiment.py, __main__), which exercise every rule.
VADER_EXAMPLES = [
    "VADER is smart, handsome, and funny.",
    "VADER is smart, handsome, and funny!",
    "VADER is VERY SMART, handsome, and FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "The book was good.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today SUX!",
    "Today only kinda sux! But I'll get by, lol",
    "Make sure you :) or :D today!",
    "Not bad at all",
    "Sentiment analysis has never been good.",
    "Sentiment analysis has never been this good!",
    "Most automated sentiment analysis tools are shit.",
    "With VADER, sentiment analysis is the shit!",
    "Other sentiment analysis tools can be quite bad.",
    "On the other hand, VADER is quite bad ass",
    "VADER is such a badass!",
    "Without a doubt, excellent idea.",
    "Roger Dodger is one of the most compelling variations on this theme.",
    "Roger Dodger is at least compelling as a variation on the theme.",
    "Roger Dodger is one of the least compelling variations on this theme.",
    "Not such a badass after all.",
]


@pytest.fixture(scope="module")
def scorer() -> EnglishScorer:
    return EnglishScorer()


def vader_like(scorer: EnglishScorer, text: str) -> float:
    """Our score with VADER's own calibration (plain sums, ±0.05 neutral band)."""
    return scorer.score([t.text for t in NLP.make_doc(text)], text).score(VADER_CALIBRATION)


@pytest.mark.parametrize("text", VADER_EXAMPLES)
def test_reimplementation_agrees_with_the_vader_package(scorer: EnglishScorer, text: str) -> None:
    expected = SentimentIntensityAnalyzer().polarity_scores(text)["compound"]
    assert vader_like(scorer, text) == pytest.approx(expected, abs=0.02)


def test_the_lexicon_is_read_from_the_installed_package(scorer: EnglishScorer) -> None:
    from nlp.sentiment.resources import vader_lexicon

    lexicon = vader_lexicon()
    assert len(lexicon) > 7000
    assert lexicon["good"] == 1.9
    assert lexicon["united"] > 0  # the reason brand names must be excluded


@pytest.mark.parametrize(
    ("negated", "plain"),
    [
        ("The food is not good", "The food is good"),
        ("The service isn't great", "The service is great"),
        ("I don't love it", "I love it"),
        ("It was never good", "It was good"),
        ("Without a doubt, an excellent idea.", "An excellent idea."),
    ],
)
def test_negation_flips_or_keeps_as_vader_says(analyse: Analyse, negated: str, plain: str) -> None:
    if "doubt" in negated:  # "without a doubt" is not a negation
        assert score(analyse(negated)) > 0
    else:
        assert score(analyse(plain)) > 0 > score(analyse(negated))


def test_negated_negative_becomes_mildly_positive(analyse: Analyse) -> None:
    assert score(analyse("The movie was bad")) < 0 < score(analyse("The movie was not bad at all"))


def test_boosters_and_dampeners_scale(analyse: Analyse) -> None:
    good, very, kinda = (score(analyse(t)) for t in ("It is good", "It is very good", "It is kind of good"))
    assert kinda < good < very


def test_all_caps_word_among_lower_case_is_stronger(analyse: Analyse) -> None:
    assert score(analyse("The show was GREAT tonight")) > score(analyse("The show was great tonight"))


def test_but_weights_the_second_clause(analyse: Analyse) -> None:
    doc = analyse("The food was good, but the service was terrible and slow")
    assert score(doc) < 0
    assert score(analyse("The service was terrible, but the food was really great")) > 0


def test_exclamation_marks_add_intensity(analyse: Analyse) -> None:
    assert score(analyse("I love this!!!")) > score(analyse("I love this"))


def test_hashtags_elongations_and_curly_apostrophes_are_read(analyse: Analyse) -> None:
    assert score(analyse("Another delay #fail")) < 0
    assert score(analyse("this is sooooo goooood")) > 0
    assert score(analyse("I don\u2019t like it")) < 0


def test_emoji_count_as_used_on_social_media(analyse: Analyse) -> None:
    assert score(analyse("new phone 😍")) > 0
    assert score(analyse("new phone 🔥🔥")) > 0  # fire is praise here, not arson
    assert score(analyse("my order 😡")) < 0


def test_like_as_a_preposition_is_not_a_sentiment(analyse: Analyse) -> None:
    assert score(analyse("It looks like rain tomorrow")) == 0
    assert score(analyse("I like the new update")) > 0


def test_no_as_a_determiner_is_not_negative(analyse: Analyse) -> None:
    assert score(analyse("No school tomorrow")) == 0
    assert score(analyse("No!")) < 0


def test_capitalised_words_inside_a_sentence_count_half(analyse: Analyse) -> None:
    assert 0 < score(analyse("I am watching Best Buy ads")) < score(analyse("I am watching the best ads"))


def test_sentence_end_stops_negation(analyse: Analyse) -> None:
    assert score(analyse("It isn't new. Scary.")) < 0


def test_questions_dampen_praise(analyse: Analyse) -> None:
    assert 0 < score(analyse("Is the new phone good?")) < score(analyse("The new phone is good."))


def test_inflections_of_lexicon_words(scorer: EnglishScorer) -> None:
    words = {w.key: w.valence for w in scorer.words(["deaths", "stopped", "saddest", "happily", "cars"])}
    assert words["deaths"] < 0
    assert words["stopped"] < 0
    assert words["saddest"] < 0
    assert words["happily"] > 0
    assert scorer.words(["cars"])[0].valence == 0  # "car" is not a sentiment word; no "care" guess


def test_label_thresholds(analyse: Analyse) -> None:
    assert label(analyse("I love it, it is wonderful")) == "positive"
    assert label(analyse("The meeting is at noon")) == "neutral"
    assert label(analyse("This is awful")) == "negative"


def test_brand_names_and_handles_never_count(analyse: Analyse) -> None:
    """VADER scores "united" +1.8: a post about United Airlines must not be positive for it."""
    text = "United flight 93 to Chicago boarded at 9"
    assert score(analyse(text)) > 0  # without brand spans VADER's "united" counts...
    doc = analyse(text, brands={"United": ["United"]})
    assert score(doc) == 0.0
    assert label(doc) == "neutral"
    handle = analyse("@united flight 93 boarded", brands={"United": ["@united"]})
    assert score(handle) == 0.0
    assert brand_scores(handle) == {"United": 0.0}


def test_brand_tokens_are_not_modifiers_either(analyse: Analyse) -> None:
    # "Never" as a brand name (the span) must not negate "good"
    assert score(analyse("Never good coffee", brands={"Never": ["Never"]})) > 0


def test_inert_words_are_inert(scorer: EnglishScorer) -> None:
    words = scorer.words(["great", "@someone", "https://x.co/a"], inert=[0])
    assert words == [INERT, INERT, INERT]


def test_memo_is_bounded(scorer: EnglishScorer) -> None:
    fresh = EnglishScorer()
    fresh._memo.limit = 100
    for n in range(1000):
        fresh.words([f"word{n}"])
    assert len(fresh._memo) <= 101
