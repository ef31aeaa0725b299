"""Language of short posts (nlp.language): the rules, one case each."""

from __future__ import annotations

import pytest
from spacy.language import Language

from nlp import extensions as ext
from nlp.language import word_class
from tests.nlp.conftest import pipeline


@pytest.fixture(scope="module")
def nlp() -> Language:
    return pipeline()


def lang(nlp: Language, text: str) -> str:
    return str(nlp(text)._.lang)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("سفارشم دیر رسید ولی غذا خوب بود", "fa"),
        ("علي كتاب را خريد", "fa"),  # Persian typed on an Arabic keyboard
        ("خرید iPhone 13 Pro Max از دیجی‌کالا", "fa"),  # Latin brand names inside Persian
        ("هذا الكتاب في المكتبة على الطاولة", "ar"),
        ("ذهبت إلى السوق مع أخي", "ar"),
        ("I love my new phone", "en"),
        ("Nike rocks", "en"),  # no function word: Latin script defaults to English
        ("Der Kunde ist nicht zufrieden mit dem Service", "other"),
        ("El servicio es muy malo y la comida también", "other"),
        ("Привет, как дела?", "other"),
        ("今日はいい天気ですね", "other"),
        ("یہ بہت اچھا ہے، میں خوش ہوں", "other"),  # Urdu
        ("salam chetori? kheili khoobam merci", "fa"),  # Finglish
        ("😍😍🔥 123 http://x.com @user", "other"),  # no letters
        ("", "other"),
    ],
)
def test_language_of_short_posts(nlp: Language, text: str, expected: str) -> None:
    assert lang(nlp, text) == expected


@pytest.mark.parametrize(
    ("word", "cls"),
    [
        ("است", "fa"),
        ("گوشی", "fa"),  # Persian-only letter
        ("می\u200cخوام", "fa"),  # verb prefix
        ("کتاب\u200cها", "fa"),  # plural suffix
        ("فی", "ar"),
        ("المکتبه", "ar"),  # al- prefix
        ("البته", "fa"),  # a Persian word that starts with al-
        ("کتاب", "arabic"),
        ("the", "en"),
        ("und", "latin_other"),
        ("kheili", "finglish"),
        ("phone", "latin"),
        ("Привет", "script_other"),
        ("@user", ""),
        ("https://x.com", ""),
        ("123", ""),
        ("#دیجی_کالا", "arabic"),
    ],
)
def test_word_classes(word: str, cls: str) -> None:
    assert word_class(word) == cls


def test_fast_accessors_agree_with_the_underscore_view(nlp: Language) -> None:
    doc = nlp("hello world")
    assert ext.get(doc, ext.LANG) == doc._.lang == "en"
    ext.put(doc, ext.LANG, "fa")
    assert doc._.lang == "fa"
    doc._.topics = ("x",)
    assert ext.get(doc, ext.TOPICS) == ("x",)
    assert ext.get(nlp.make_doc("x"), ext.SENTIMENT_LABEL) == "neutral"
    assert ext.text(doc) == doc.text
