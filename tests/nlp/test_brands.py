"""Brand matching across scripts and spellings (nlp.brands)."""

from __future__ import annotations

import pytest
from spacy.language import Language

from nlp import extensions as ext
from nlp.brands import spellings
from tests.nlp.conftest import pipeline
from trendwatch.config import BrandConfig

ZWNJ = "\u200c"

BRANDS = [
    BrandConfig(name="Digikala", aliases=["دیجی‌کالا"], handles=["@digikalacom"], hashtags=["#دیجی_کالا_تخفیف"]),
    BrandConfig(name="Snapp", aliases=["اسنپ"], finglish=True),
    BrandConfig(name="Divar", finglish=True),
    BrandConfig(name="دیوار تهران"),  # a Persian-only name with no finglish: Latin text must not match
    BrandConfig(name="Apple", aliases=["iPhone"], exclude=["apple pie", "Big Apple"]),
    BrandConfig(name="Time Warner", aliases=["Time Warner Cable"]),
    BrandConfig(name="GM", aliases=["General Motors"]),
    BrandConfig(name="AT&T", hashtags=["#att"]),
    BrandConfig(name="McDonald's"),
    BrandConfig(name="United Airlines", handles=["@united"]),
]


@pytest.fixture(scope="module")
def nlp() -> Language:
    return pipeline(BRANDS)


def found(nlp: Language, text: str) -> list[tuple[str, str]]:
    doc = nlp(text)
    return [(span.label_, span.text) for span in doc.spans[ext.BRAND_SPANS]]


@pytest.mark.parametrize(
    "text",
    [
        "خرید از دیجی‌کالا",  # configured form, ZWNJ
        "خرید از دیجی کالا",  # space
        "خرید از دیجیکالا",  # nothing
        "خرید از ديجي كالا",  # Arabic letter variants
        "خرید از دیجی‌‌کالا",  # doubled ZWNJ
        "I ordered from Digikala",
        "I ordered from DIGIKALA",
        "I ordered from digi-kala",
        "#digikala",
        "#دیجی_کالا",
        "#DigiKala",
        "@digikala",
        "@digikalacom",
        "#دیجی_کالا_تخفیف",
    ],
)
def test_digikala_in_every_script_and_spelling(nlp: Language, text: str) -> None:
    assert [label for label, _ in found(nlp, text)] == ["Digikala"]


@pytest.mark.parametrize("text", ["اسنپو نصب کردم", "اسنپ‌رو نصب کردم", "اسنپش خوبه", "اسنپی ها"])
def test_persian_enclitics_glued_to_a_name(nlp: Language, text: str) -> None:
    assert [label for label, _ in found(nlp, text)] == ["Snapp"]


def test_enclitics_are_not_added_to_short_names() -> None:
    torob = pipeline([BrandConfig(name="Torob", aliases=["ترب"])])
    assert found(torob, "سفر به تربت حیدریه") == []
    assert found(torob, "قیمت ترب") == [("Torob", "ترب")]


def test_mentions_point_into_the_normalised_text(nlp: Language) -> None:
    doc = nlp("سفارشم از ديجي كالا نرسید")
    (span,) = doc.spans[ext.BRAND_SPANS]
    assert doc.text[span.start_char : span.end_char] == "دیجی کالا"


@pytest.mark.parametrize(
    "text", ["Time Warner is down", "TimeWarner", "time-warner cable", "Time/Warner DVR", "#time_warner", "@TimeWarner"]
)
def test_separators_between_words_do_not_matter(nlp: Language, text: str) -> None:
    assert [label for label, _ in found(nlp, text)] == ["Time Warner"]


def test_the_longest_overlapping_mention_wins(nlp: Language) -> None:
    assert found(nlp, "Time Warner Cable again") == [("Time Warner", "Time Warner Cable")]


def test_possessives_and_apostrophe_variants(nlp: Language) -> None:
    assert found(nlp, "It's Time Warner's fault") == [("Time Warner", "Time Warner")]
    labels = [label for label, _ in found(nlp, "McDonald's, Mcdonalds, McDonald’s and mcdonalds")]
    assert labels == ["McDonald's"] * 4


def test_ampersand_names_and_their_hashtag_forms(nlp: Language) -> None:
    assert [b for b, _ in found(nlp, "AT&amp;T dropped the ball #att #at&t")] == ["AT&T"] * 3


def test_short_capitalised_acronyms_match_only_as_written(nlp: Language) -> None:
    assert found(nlp, "GM files for bankruptcy, $GM down") == [("GM", "GM"), ("GM", "$GM")]
    assert found(nlp, "gm everyone! Gm friends") == []
    assert found(nlp, "General Motors") == [("GM", "General Motors")]


def test_exclusions_cancel_overlapping_mentions(nlp: Language) -> None:
    assert found(nlp, "I baked an apple pie in the Big Apple") == []
    assert found(nlp, "Apple pie is great but Apple's phones are better") == [("Apple", "Apple")]
    assert found(nlp, "my new iPhone") == [("Apple", "iPhone")]


def test_configured_handles_match_only_as_handles(nlp: Language) -> None:
    assert found(nlp, "@united lost my bag") == [("United Airlines", "@united")]
    assert found(nlp, "the United States") == []
    assert found(nlp, "flying United Airlines") == [("United Airlines", "United Airlines")]


def test_finglish_generates_persian_spellings_of_latin_names(nlp: Language) -> None:
    assert found(nlp, "سفارش از اسنپ") == [("Snapp", "اسنپ")]
    assert found(nlp, "آگهی در دیوار") == [("Divar", "دیوار")]


def test_without_finglish_there_is_no_transliteration(nlp: Language) -> None:
    assert found(nlp, "divar tehran") == [("Divar", "divar")]  # the other brand, by its own name
    assert found(nlp, "دیوار تهران") == [("دیوار تهران", "دیوار تهران")]


def test_finglish_generates_latin_spellings_of_persian_names() -> None:
    nlp = pipeline([BrandConfig(name="دیجی‌کالا", finglish=True)])
    assert found(nlp, "ordered from dijikala") == [("دیجی‌کالا", "dijikala")]
    assert found(nlp, "ordered from Diji Kala") == [("دیجی‌کالا", "Diji Kala")]


def test_no_brands_configured_finds_nothing() -> None:
    nlp = pipeline([])
    assert list(nlp("Digikala Apple").spans[ext.BRAND_SPANS]) == []


def test_words_containing_a_brand_name_are_not_mentions(nlp: Language) -> None:
    assert found(nlp, "Applesauce and pineapple, gmail, snapper") == []


def test_spellings_cover_every_separator() -> None:
    assert set(spellings("Time Warner")) == {"Time Warner", "TimeWarner", "Time-Warner", "Time/Warner"}
    assert spellings(f"دیجی{ZWNJ}کالا") == ["دیجی کالا", "دیجیکالا", "دیجی-کالا", "دیجی/کالا"]
    assert len(spellings("a b c d e f")) == 2  # long phrases: spaced or joined


def test_one_word_names_also_match_split_compounds(nlp: Language) -> None:
    assert "دیجی کالا" in spellings("دیجیکالا")
    assert "Digi-kala" in spellings("Digikala")
    assert "digi kala" not in [s.lower() for s in spellings("Digikala")]
    assert spellings("AT&T") == ["AT&T"]
    safeway = pipeline([BrandConfig(name="Safeway")])
    assert found(safeway, "a safe way home") == []
    assert found(safeway, "safe-way") == [("Safeway", "safe-way")]
