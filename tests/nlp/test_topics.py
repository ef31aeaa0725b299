"""Hashtags and key phrases (nlp.topics)."""

from __future__ import annotations

import pytest
from spacy.language import Language

from nlp.topics import TermCounter, key_phrases
from tests.nlp.conftest import pipeline
from trendwatch.config import BrandConfig
from trendwatch.models import Enrichment


@pytest.fixture(scope="module")
def nlp() -> Language:
    return pipeline([BrandConfig(name="Brand", aliases=["برند"], hashtags=["#brand_name"]), BrandConfig(name="Nike")])


def test_hashtag_variants_merge(nlp: Language) -> None:
    doc = nlp("#Sale #sale #SALE #دیجی_کالا #دیجی‌کالا")
    assert doc._.hashtags == ("sale", "دیجی_کالا")


def test_brand_hashtags_in_any_script_become_the_brand(nlp: Language) -> None:
    assert nlp("#برند #Brand #brand_name #BRAND")._.hashtags == ("brand",)


def test_hashtags_keep_order_of_first_use(nlp: Language) -> None:
    assert nlp("#b then #a then #b")._.hashtags == ("b", "a")


def test_url_fragments_are_not_hashtags(nlp: Language) -> None:
    assert nlp("see http://example.com/page#section")._.hashtags == ()


def test_key_phrases_skip_stop_words_punctuation_and_brands(nlp: Language) -> None:
    doc = nlp("I just bought the new Nike Air shoes, running shoes are great!")
    assert doc._.topics == ("bought", "air", "shoes", "air shoes", "running", "running shoes", "great")


def test_persian_key_phrases(nlp: Language) -> None:
    doc = nlp("ارسال سریع بود ولی بسته بندی خراب بود")
    assert doc._.topics == (
        "ارسال",
        "سریع",
        "ارسال سریع",
        "بسته",
        "بندی",
        "خراب",
        "بسته بندی",
        "بندی خراب",
        "بسته بندی خراب",
    )


def test_no_key_phrases_for_languages_without_stop_words(nlp: Language) -> None:
    doc = nlp("Der Kunde ist nicht zufrieden #service")
    assert doc._.topics == ()
    assert doc._.hashtags == ("service",)


def test_mentions_urls_numbers_emoji_are_not_topics(nlp: Language) -> None:
    doc = nlp("@someone check https://x.com 2024 😍 deals")
    assert doc._.topics == ("check", "deals")


def test_key_phrases_are_capped_and_unique() -> None:
    words: list[str | None] = [f"w{i}" for i in range(40)]
    phrases = key_phrases(words, limit=10)
    assert len(phrases) == 10 == len(set(phrases))
    assert key_phrases(["a", "b", None, "a", "b"]) == ["a", "b", "a b"]


def test_term_counter_counts_terms_and_unique_authors() -> None:
    counter = TermCounter()
    e = Enrichment(
        post_id="t:1", lang="en", text="", sentiment=0.0, sentiment_label="neutral", hashtags=("x",), topics=("a",)
    )
    counter.add(e, "alice")
    counter.add(e, "alice")
    counter.add(e, "bob")
    (tag,) = counter.top("hashtag")
    assert (tag.term, tag.count, tag.authors) == ("x", 3, 2)
    assert counter.top("topic")[0].term == "a"
