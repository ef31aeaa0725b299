"""The Sentiment140 brand-matching gate (issue 4): recall and precision >= 0.95.

The brands, the query-to-brand map and the hand-read list of rows that name other configured
brands live in bench/nlp_quality.py, which prints the same figures for the README.
"""

from __future__ import annotations

from bench.nlp_quality import BRANDS, NAMED_IN_TEXT, QUERY_BRAND, evaluate
from tests.conftest import shared_path


def test_brand_rows_are_matched_and_other_rows_are_not() -> None:
    data = shared_path("data", "sentiment", "en", "sentiment140_testdata_manual_2009-06-14.csv")
    scores = evaluate(data)
    assert scores.rows == 498
    assert scores.brand_rows == 194
    assert scores.recall >= 0.95, "\n".join(scores.misses)
    assert scores.precision >= 0.95, "\n".join(scores.wrong)


def test_the_gate_covers_every_brand_the_issue_names() -> None:
    named = {"Nike", "Kindle", "Time Warner", "AT&T", "GM", "Safeway", "Google", "McDonald's", "Comcast", "Visa"}
    named |= {"Sony", "Yahoo", "Bing", "ESPN", "AIG", "jQuery"}
    assert {b.name for b in BRANDS} == named
    assert set(QUERY_BRAND.values()) == named
    assert all(brands <= named for brands in NAMED_IN_TEXT.values())
