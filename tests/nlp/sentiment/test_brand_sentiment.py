"""Per-brand sentiment: clause- and contrast-aware attribution in posts naming several brands."""

from __future__ import annotations

import pytest

from nlp.sentiment.attribution import BrandRef, attribute, clauses
from nlp.sentiment.words import CLAUSE, COMPARISON, CONTRAST, NO_BOUNDARY, Word
from tests.nlp.sentiment.conftest import Analyse, brand_scores, score

AIRLINES = {"Delta": ["Delta", "@delta"], "United": ["United", "@united"]}
SHOPS = {"Digikala": ["دیجی‌کالا", "دیجیکالا"], "Snapp": ["اسنپ"]}


def signs(analyse: Analyse, text: str, brands: dict[str, list[str]]) -> dict[str, int]:
    scores = brand_scores(analyse(text, brands=brands))
    return {brand: (value > 0) - (value < 0) for brand, value in scores.items()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Delta was great, unlike United", {"Delta": 1, "United": -1}),
        ("Unlike United, Delta was on time and friendly", {"United": -1, "Delta": 1}),
        ("Delta, unlike United, was friendly", {"Delta": 1, "United": -1}),
        ("Delta is better than United", {"Delta": 1, "United": -1}),
        ("United lost my bag again. Switched to Delta, love it!", {"United": -1, "Delta": 1}),
        ("Delta was lovely but United was a nightmare", {"Delta": 1, "United": -1}),
        ("Delta was nice, unlike United which lost my bag", {"Delta": 1, "United": -1}),
        ("United and Delta are both terrible", {"United": -1, "Delta": -1}),
        ("Love it! Thanks @delta and @united", {"Delta": 1, "United": 1}),
    ],
)
def test_english_per_brand(analyse: Analyse, text: str, expected: dict[str, int]) -> None:
    assert signs(analyse, text, AIRLINES) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("دیجی‌کالا عالی بود ولی اسنپ افتضاح", {"Digikala": 1, "Snapp": -1}),
        ("اسنپ خیلی دیر رسید. از دیجی‌کالا خریدم، عالی بود", {"Snapp": -1, "Digikala": 1}),
        ("دیجی‌کالا از اسنپ خیلی بهتره", {"Digikala": 1, "Snapp": -1}),  # X از Y بهتره: X better than Y
        ("اسنپ برخلاف دیجی‌کالا خیلی سریع بود", {"Snapp": 1, "Digikala": -1}),  # X, unlike Y, was fast
        ("دیجی‌کالا و اسنپ هر دو افتضاح بودن", {"Digikala": -1, "Snapp": -1}),
    ],
)
def test_persian_per_brand(analyse: Analyse, text: str, expected: dict[str, int]) -> None:
    assert signs(analyse, text, SHOPS) == expected


def test_one_brand_gets_the_post_score(analyse: Analyse) -> None:
    doc = analyse("The new Delta lounge is wonderful", brands=AIRLINES)
    assert brand_scores(doc) == {"Delta": score(doc)}


def test_no_brand_no_brand_sentiment(analyse: Analyse) -> None:
    assert brand_scores(analyse("A wonderful day")) == {}


def test_brand_without_sentiment_of_its_own_is_neutral(analyse: Analyse) -> None:
    scores = brand_scores(analyse("Delta was great. United flies to Chicago too", brands=AIRLINES))
    assert scores["Delta"] > 0
    assert scores["United"] == 0.0


def _words(*spec: tuple[str, float, int]) -> tuple[list[Word], list[float]]:
    return [Word(key, valence, boundary) for key, valence, boundary in spec], [v for _, v, _ in spec]


def test_consecutive_boundaries_open_one_clause() -> None:
    words, _ = _words(("a", 0, NO_BOUNDARY), (",", 0, CLAUSE), ("but", 0, CONTRAST), ("b", 0, NO_BOUNDARY))
    assert clauses(words) == [(0, 1, NO_BOUNDARY), (1, 4, CONTRAST)]


def test_attribute_returns_scopes_in_order_of_mention() -> None:
    words, valences = _words(
        ("x", 0, NO_BOUNDARY), ("good", 2.0, NO_BOUNDARY), (",", 0, CLAUSE), ("unlike", 0, COMPARISON), ("y", 0, 0)
    )
    scopes = attribute(words, valences, [BrandRef("X", 0, 1), BrandRef("Y", 4, 5)])
    assert [(s.brand, s.ranges, s.inverse) for s in scopes] == [("X", ((0, 2),), False), ("Y", ((0, 2),), True)]
