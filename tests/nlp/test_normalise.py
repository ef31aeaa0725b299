"""Every normalisation rule of nlp.normalise, one test each (the module docstring numbers them)."""

from __future__ import annotations

import csv
import html
import unicodedata

import pytest

from nlp import normalise as N
from nlp.normalise import fold, key, normalise
from tests.conftest import shared_path

ZWNJ = "\u200c"


# 1. HTML entities
def test_html_entities_are_unescaped() -> None:
    assert normalise("AT&amp;T &lt;3 &quot;ok&quot;") == 'AT&T <3 "ok"'


def test_a_bare_ampersand_is_kept() -> None:
    assert normalise("Wieden & Kennedy") == "Wieden & Kennedy"


# 2. NFC
def test_alef_with_combining_maddah_composes() -> None:
    assert normalise("\u0627\u0653ب") == "آب"


# 3. the character table
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("علي", "علی"),  # Arabic yeh
        ("مصطفى", "مصطفی"),  # alef maksura
        ("كتاب", "کتاب"),  # Arabic kaf
        ("مدرسة", "مدرسه"),  # teh marbuta
        ("خانۀ", "خانه"),  # heh with yeh above
        ("أحمد إيران ٱلله", "احمد ایران الله"),  # hamza forms of alef
        ("مؤمن", "مومن"),  # waw with hamza
    ],
)
def test_arabic_letter_variants_become_persian(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_diacritics_and_tatweel_are_removed() -> None:
    assert normalise("مُحَمَّد") == "محمد"
    assert normalise("كتـــاب") == "کتاب"


def test_persian_and_arabic_indic_digits_become_ascii() -> None:
    assert normalise("۱۴۰۳ و ٢٠٢٤ با ۵٪") == "1403 و 2024 با 5%"
    assert normalise("۳٫۵ میلیون و ۱۲۳٬۴۵۶ تومان") == "3.5 میلیون و 123,456 تومان"


def test_arabic_presentation_forms_become_letters() -> None:
    assert normalise("ﻻ ﺑﺎﺷﺪ ﻙ") == "لا باشد ک"


def test_full_width_latin_becomes_ascii() -> None:
    assert normalise("ＮＩＫＥ ２") == "NIKE 2"


def test_typographic_apostrophe_becomes_ascii() -> None:
    assert normalise("McDonald’s isn’t") == "McDonald's isn't"


def test_invisible_controls_are_removed() -> None:
    assert normalise("\ufeffhe\u200bllo\u200f \u202bسلام\u202c\u00ad") == "hello سلام"


def test_exotic_spaces_become_plain_spaces() -> None:
    assert normalise("a\u00a0b\u2009c\u3000d\te") == "a b c d e"


# 4. ZWJ
def test_zwj_is_kept_inside_emoji_and_dropped_elsewhere() -> None:
    assert normalise("👩\u200d💻 ok") == "👩\u200d💻 ok"
    assert normalise("سل\u200dام") == "سلام"


# 5. ZWNJ cleanup
def test_doubled_zwnj_becomes_one() -> None:
    assert normalise(f"می{ZWNJ}{ZWNJ}خواهم") == f"می{ZWNJ}خواهم"


def test_stray_zwnj_is_removed() -> None:
    assert normalise(f"{ZWNJ}سلام{ZWNJ} دنیا {ZWNJ}") == "سلام دنیا"
    assert normalise(f"Nike{ZWNJ}Air") == "NikeAir"


# 6. whitespace
def test_space_runs_and_blank_lines_collapse() -> None:
    assert normalise("  a   b \r\n\r\n\n c  ") == "a b\nc"


# 7. Persian affixes
def test_mi_and_nemi_prefixes_join_with_zwnj() -> None:
    assert normalise("می خواهم و نمی روم") == f"می{ZWNJ}خواهم و نمی{ZWNJ}روم"


@pytest.mark.parametrize("suffix", ["ها", "های", "هایی", "ترین"])
def test_plural_and_superlative_suffixes_join_with_zwnj(suffix: str) -> None:
    assert normalise(f"کتاب {suffix} خوب") == f"کتاب{ZWNJ}{suffix} خوب"


def test_the_comparative_joins_before_az() -> None:
    assert normalise("بزرگ تر از این") == f"بزرگ{ZWNJ}تر از این"
    assert normalise("لباس تر شد") == "لباس تر شد", "تر alone is also the adjective 'wet'"
    assert normalise("بزرگ تر ازش") == "بزرگ تر ازش"


def test_ha_at_the_end_of_a_sentence_is_the_interjection() -> None:
    assert normalise("سلام ها") == "سلام ها"
    assert normalise("خوبی ها؟ آره") == "خوبی ها؟ آره"
    assert normalise("سلام ها !") == "سلام ها !"
    assert normalise("سلام ها\nخوبی") == "سلام ها\nخوبی"
    assert normalise("کتاب ها را خواندم") == f"کتاب{ZWNJ}ها را خواندم"


def test_suffix_rule_leaves_words_that_merely_start_like_a_suffix() -> None:
    assert normalise("کتاب هاشمی") == "کتاب هاشمی"
    assert normalise("من ترم") == "من ترم"


# 8. elongation
def test_latin_elongation_keeps_two_letters() -> None:
    assert normalise("sooooo goooood NOOOO") == "soo good NOO"


def test_persian_elongation_keeps_one_letter() -> None:
    assert normalise("خیلیییییی خوووب") == "خیلی خوب"


def test_persian_elongation_keeps_a_letter_the_word_doubles() -> None:
    assert normalise("مممممنون") == "ممنون"
    assert normalise("مممنونم دوستان") == "ممنونم دوستان"
    assert normalise("مممکنه") == "ممکنه"
    assert normalise("مرسییی ممنون") == "مرسی ممنون"


def test_elongation_spares_urls_handles_and_one_letter_words() -> None:
    assert normalise("http://cooool.com/aaaa @loooool World War III zzz") == (
        "http://cooool.com/aaaa @loooool World War III zzz"
    )


# 9. long chunks
def test_a_run_without_spaces_is_cut_into_pieces() -> None:
    assert normalise("😍" * 2500).split(" ") == ["😍" * 1000, "😍" * 1000, "😍" * 500]
    assert normalise("a " * 600) == ("a " * 600).strip()  # long text, short words: untouched


def test_control_characters_are_removed() -> None:
    assert normalise("nul\x00 bell\x07 esc\x1b[0m del\x7f c1\x9b") == "nul bell esc[0m del c1"


def test_lone_surrogates_are_removed() -> None:
    assert normalise("bad \ud800 surrogate") == "bad surrogate"


def test_emoji_urls_mentions_and_case_are_kept() -> None:
    text = "Love it 😍🔥 @Nike https://nike.com/x #JustDoIt"
    assert normalise(text) == text


def test_normalise_is_idempotent() -> None:
    text = "علي  مي خواهد كتاب ها را ۱۲ بار بخوانددددد &amp; sooooo 👩\u200d💻"
    once = normalise(text)
    assert normalise(once) == once


# match keys
def test_fold_ignores_case_joiners_and_loose_letters() -> None:
    assert fold(f"دیجی{ZWNJ}کالا") == fold("دیجیکالا") == "دیجیکالا"
    assert fold("Time_Warner") == fold("time-warner") == fold("TimeWarner") == "timewarner"
    assert fold("AT&T") == "att"
    assert fold("آمازون") == fold("امازون")
    assert fold("مسئله") == fold("مسیله")


def test_fold_keeps_a_lone_separator() -> None:
    assert fold("-") == "-"
    assert fold("/") == "/"


def test_key_of_a_phrase_drops_spaces() -> None:
    assert key("Time Warner") == "timewarner"
    assert key("ديجي كالا") == key("دیجی‌کالا") == "دیجیکالا"


def _every_step(text: str) -> str:
    """normalise() without its shortcuts: every rule applied unconditionally."""
    if "&" in text and ";" in text:
        text = html.unescape(text)
    text = unicodedata.normalize("NFC", text).translate(N.TABLE)
    text = N._ZWJ_OUTSIDE_EMOJI.sub("", text)
    text = N._ZWNJ_STRAY.sub("", N._ZWNJ_RUN.sub(ZWNJ, text))
    text = N._NEWLINES.sub("\n", N._SPACES.sub(" ", text)).strip()
    text = N._SUFFIX_APART.sub(f"{ZWNJ}\\1", N._PREFIX_APART.sub(f"\\1{ZWNJ}", text))
    return N._LONG_CHUNK.sub(N._cut, N._ELONGATED.sub(N._shorten, text))


def test_shortcuts_change_nothing_on_real_posts() -> None:
    """normalise() skips rules a text cannot trigger; on real posts that must not matter."""
    persian = shared_path("data", "sentiment", "fa", "snappfood_test.csv")
    english = shared_path("data", "sentiment", "en", "tweeteval_sentiment_val_test.csv")
    with persian.open(encoding="utf-8") as fa, english.open(encoding="utf-8") as en:
        texts = [r["comment"] for r in csv.DictReader(fa)] + [r["text"] for r in csv.DictReader(en)]
    assert len(texts) > 28_000
    assert [t for t in texts if normalise(t) != _every_step(t)] == []
