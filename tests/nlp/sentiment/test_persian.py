"""The Persian lexicon scorer: our lexicon and rules, pinned rule by rule (formal and colloquial)."""

from __future__ import annotations

import pytest

from nlp.sentiment.persian import PersianScorer, fa_key
from nlp.sentiment.persian_verbs import build_verb_forms
from nlp.sentiment.resources import read_valence_table
from tests.nlp.sentiment.conftest import Analyse, brand_scores, label, score


def s(analyse: Analyse, text: str) -> float:
    return score(analyse(text, lang="fa"))


@pytest.mark.parametrize(
    ("affirmative", "negated"),
    [
        ("غذا خوب بود", "غذا خوب نبود"),  # copula, past
        ("غذا خوب است", "غذا خوب نیست"),  # copula, present
        ("کیفیت خوبی داشت", "کیفیت خوبی نداشت"),  # ی of the indefinite stripped
        ("راضی بودم", "اصلا راضی نبودم"),
        ("دوست دارم", "دوست ندارم"),  # light-verb compound
        ("لذت بردم", "لذت نبردم"),
        ("پیشنهاد می‌کنم", "پیشنهاد نمی‌کنم"),  # می/نمی with a half-space
        ("پیشنهاد میکنم", "پیشنهاد نمیکنم"),  # ... joined
        ("پیشنهاد می کنم", "پیشنهاد نمی کنم"),  # ... written apart
        ("می‌ارزه", "نمی‌ارزه"),  # a verb with its own sentiment
    ],
)
def test_verb_negation_flips(analyse: Analyse, affirmative: str, negated: str) -> None:
    assert s(analyse, affirmative) > 0 > s(analyse, negated)


def test_negated_negative_is_positive(analyse: Analyse) -> None:
    assert s(analyse, "هیچ مشکلی نداشت") > 0
    assert s(analyse, "بد نبود") > 0
    assert s(analyse, "کم نذاشتن") > 0  # "they did not fall short"


@pytest.mark.parametrize("text", ["بدون مشکل رسید", "نه بد بود"])
def test_particles_negate_the_next_word(analyse: Analyse, text: str) -> None:
    assert s(analyse, text) > 0


def test_negated_verb_with_nothing_to_flip_is_a_complaint(analyse: Analyse) -> None:
    assert s(analyse, "سس نداشت") < 0
    assert s(analyse, "غذا نرسید") < 0
    assert s(analyse, "نوشابه رو نیاوردن") < 0
    assert s(analyse, "غذا رسید") == 0  # the affirmative is just a fact


def test_negation_does_not_reach_across_a_clause(analyse: Analyse) -> None:
    assert s(analyse, "مشکل اینجاست که غذا نرسید") < 0  # که opens a new clause: مشکل stays negative
    assert s(analyse, "متاسفانه مثل قبل نبود") < 0  # "unfortunately" is never flipped


def test_intensifiers_and_diminishers(analyse: Analyse) -> None:
    assert s(analyse, "خوب") < s(analyse, "خیلی خوب") < s(analyse, "خیلییییی خوب")
    assert s(analyse, "خیلی سرد") < s(analyse, "سرد") < s(analyse, "کمی سرد") < 0
    assert s(analyse, "فوق‌العاده دیر رسید") < s(analyse, "دیر رسید") < 0  # an adjective as intensifier


def test_contrast_weighs_what_follows(analyse: Analyse) -> None:
    assert s(analyse, "غذا خوب بود ولی خیلی دیر رسید") < 0
    assert s(analyse, "غذا دیر رسید اما خیلی خوشمزه بود") > 0


@pytest.mark.parametrize(
    ("text", "sign"),
    [
        ("عالیه", 1),  # colloquial copula -ه
        ("خوبه", 1),
        ("افتضاحه", -1),
        ("عالیییی", 1),  # elongation undone
        ("خوشمزه‌ترین پیتزا", 1),  # superlative suffix
        ("نامناسب بود", -1),  # نا + a positive word
        ("غیرحرفه‌ای", -1),
        ("بی کیفیت", -1),  # written apart, with a half-space, or joined: one word
        ("بی‌کیفیت", -1),
        ("بیکیفیت", -1),
        ("حرف نداشت", 1),  # idiom: "it was flawless"
        ("دستتون درد نکنه", 1),  # thanks, although it has "pain" and a negation
        ("خسته نباشید", 1),
        ("خدا خیرتون بده", 1),  # بده is "give" here, not "bad"
        ("مرسی از پیک", 1),
        ("غذا سرد بود 😡", -1),
        ("😍", 1),
        ("ok بود", 1),  # Latin words in a Persian post
    ],
)
def test_colloquial_forms_affixes_idioms_and_emoji(analyse: Analyse, text: str, sign: int) -> None:
    value = s(analyse, text)
    assert value * sign > 0, f"{text!r} scored {value}"


def test_arabic_letter_variants_and_diacritics_are_ignored(analyse: Analyse) -> None:
    assert s(analyse, "كيفيت خوبي نداشت") == s(analyse, "کیفیت خوبی نداشت") < 0
    assert fa_key("مُتَشَكِّرَم") == fa_key("متشکرم")


def test_comparison_with_az(analyse: Analyse) -> None:
    assert s(analyse, "از قبل بهتره") > 0  # a comparison ...
    assert s(analyse, "بهتره دقت کنید") <= 0  # ... while بهتره alone is advice ("you had better")


def test_labels(analyse: Analyse) -> None:
    assert label(analyse("همه چیز عالی بود ممنون", lang="fa")) == "positive"
    assert label(analyse("سفارش ساعت ۸ ثبت شد", lang="fa")) == "neutral"
    assert label(analyse("خیلی افتضاح بود", lang="fa")) == "negative"


def test_brand_names_never_count(analyse: Analyse) -> None:
    # "عالی" (excellent) as a brand name: the post is neutral about it
    doc = analyse("سفارش از عالی رسید", brands={"Aali": ["عالی"]}, lang="fa")
    assert score(doc) == 0.0
    assert brand_scores(doc) == {"Aali": 0.0}
    assert s(analyse, "سفارش از عالی رسید") > 0  # without the brand span it would count


def test_lexicon_entries_are_well_formed() -> None:
    table = read_valence_table("fa_lexicon.tsv")
    assert len(table) > 400
    assert all(-4.0 <= value <= 4.0 and value != 0 for value in table.values())
    keys = [fa_key(term) for term in table]
    assert len(keys) == len(set(keys)), "two entries normalise to the same key"


def test_verb_forms_cover_formal_and_colloquial_negation() -> None:
    forms = build_verb_forms()
    for form in ("نبود", "نیست", "نداشت", "نداره", "نمیدم", "نیومد", "نیامد", "نیاوردن", "نرسیده", "نمیشه", "نکنه"):
        assert forms[form].negated, form
    for form in ("بود", "میشه", "داره", "میاد"):
        assert not forms[form].negated, form
    for word in ("بد", "بده", "بدن", "خوب", "کم", "نان", "نمونه"):
        assert word not in forms or not forms[word].negated or word == "بده", word


def test_memo_keys_by_orth_hash_and_text_agree() -> None:
    scorer = PersianScorer()
    from spacy.strings import StringStore

    strings = StringStore(["غذا", "خوب", "نبود"])
    by_text = scorer.score(["غذا", "خوب", "نبود"], "غذا خوب نبود")
    hashes = [strings["غذا"], strings["خوب"], strings["نبود"]]
    by_hash = scorer.score(hashes, "غذا خوب نبود", resolve=lambda h: str(strings[h]))
    assert by_text.valences == by_hash.valences
