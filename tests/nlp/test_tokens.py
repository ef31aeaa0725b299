"""Every tokenizer rule of nlp.tokens (module docstring), one test each."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from nlp.tokens import hashtag_text

Tokens = Callable[[str], list[str]]
ZWNJ = "\u200c"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#دیجی_کالا عالیه", ["#دیجی_کالا", "عالیه"]),
        (f"#دیجی{ZWNJ}کالا", [f"#دیجی{ZWNJ}کالا"]),
        ("#Kindle2 rocks!!!", ["#Kindle2", "rocks", "!!!"]),
        ("#brand_name.", ["#brand_name", "."]),
        ("#1 fan", ["#1", "fan"]),  # no letter: not a hashtag token, still one token
    ],
)
def test_hashtags_stay_whole(tokenizer: Tokens, text: str, expected: list[str]) -> None:
    assert tokenizer(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@stellargirl I", ["@stellargirl", "I"]),
        ("RT @jquery: list", ["RT", "@jquery", ":", "list"]),
        ("hi @user@mastodon.social!", ["hi", "@user@mastodon.social", "!"]),
        ("@alice.bsky.social.", ["@alice.bsky.social", "."]),
    ],
)
def test_mentions_stay_whole(tokenizer: Tokens, text: str, expected: list[str]) -> None:
    assert tokenizer(text) == expected


def test_cashtags_stay_whole_and_money_splits(tokenizer: Tokens) -> None:
    assert tokenizer("$GM down, paid $700") == ["$GM", "down", ",", "paid", "$", "700"]


def test_urls_stay_whole(tokenizer: Tokens) -> None:
    assert tokenizer("see http://bit.ly/ONH7w. and www.example.com/a?b=1") == [
        "see",
        "http://bit.ly/ONH7w",
        ".",
        "and",
        "www.example.com/a?b=1",
    ]


def test_emoticons_stay_whole(tokenizer: Tokens) -> None:
    assert tokenizer("perfect :) sad :-( love <3 =]") == ["perfect", ":)", "sad", ":-(", "love", "<3", "=]"]


def test_an_emoticon_glued_to_a_word_splits_off(tokenizer: Tokens) -> None:
    assert tokenizer("Safeway!(: yay") == ["Safeway", "!", "(:", "yay"]
    assert tokenizer("great:) ok;-)") == ["great", ":)", "ok", ";-)"]
    assert tokenizer("Go:D") == ["Go", ":D"]


def test_each_emoji_is_a_token_even_when_glued(tokenizer: Tokens) -> None:
    assert tokenizer("great😍😍love") == ["great", "😍", "😍", "love"]
    assert tokenizer("عالی🔥") == ["عالی", "🔥"]


def test_emoji_modifiers_and_zwj_sequences_stay_inside_their_emoji(tokenizer: Tokens) -> None:
    assert tokenizer("👍🏽 👩\u200d💻 🇮🇷 ❤️") == ["👍🏽", "👩\u200d💻", "🇮🇷", "❤️"]


def test_zwnj_compounds_are_one_token(tokenizer: Tokens) -> None:
    assert tokenizer(f"می{ZWNJ}خواهم کتاب{ZWNJ}ها") == [f"می{ZWNJ}خواهم", f"کتاب{ZWNJ}ها"]
    assert tokenizer("می خواهم") == [f"می{ZWNJ}خواهم"]  # normalised first


def test_punctuation_splits_off_in_both_scripts(tokenizer: Tokens) -> None:
    assert tokenizer("«عالی» بود، ولی؟ (great), yes.") == [
        "«",
        "عالی",
        "»",
        "بود",
        "،",
        "ولی",
        "؟",
        "(",
        "great",
        ")",
        ",",
        "yes",
        ".",
    ]


def test_a_run_of_the_same_mark_is_one_token(tokenizer: Tokens) -> None:
    assert tokenizer("wow!!! really??? hmm...") == ["wow", "!!!", "really", "???", "hmm", "..."]


def test_possessive_s_splits_off(tokenizer: Tokens) -> None:
    assert tokenizer("Nike's jets, McDonald's") == ["Nike", "'s", "jets", ",", "McDonald", "'s"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GM/Chevy", ["GM", "/", "Chevy"]),
        ("Nike-sponsored", ["Nike", "-", "sponsored"]),
        ("Ajax,jquery", ["Ajax", ",", "jquery"]),
        ("Espn..Jus", ["Espn", "..", "Jus"]),
        ("Yay!Happy", ["Yay", "!", "Happy"]),
    ],
)
def test_infixes_between_letters(tokenizer: Tokens, text: str, expected: list[str]) -> None:
    assert tokenizer(text) == expected


def test_ampersand_and_apostrophe_inside_words_do_not_split(tokenizer: Tokens) -> None:
    assert tokenizer("AT&T don't 1,000") == ["AT&T", "don't", "1,000"]


def test_hashtag_text_is_readable_and_comparable() -> None:
    assert hashtag_text("#دیجی_کالا") == "دیجی_کالا"
    assert hashtag_text(f"#دیجی{ZWNJ}کالا") == "دیجی_کالا"
    assert hashtag_text("#Brand_Name") == hashtag_text("#brand_name") == "brandname"
    assert (
        hashtag_text("#BlackFriday") == hashtag_text("#Black_Friday") == hashtag_text("#blackfriday") == "blackfriday"
    )
    assert hashtag_text("#iPhone") == hashtag_text("#iphone") == "iphone"
