"""The user query language: folding, parsing (with error positions) and the in-memory matcher."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trendwatch.errors import QuerySyntaxError
from trendwatch.models import Author, BrandMention, EnrichedPost, Enrichment, Post
from trendwatch.query import (
    FOLD_MAPPINGS,
    And,
    Document,
    Field,
    Near,
    Not,
    Or,
    Words,
    fold,
    hashtag_key,
    parse,
    words,
)

WHEN = datetime(2026, 11, 20, tzinfo=UTC)


# --------------------------------------------------------------------------- folding


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("دیجي‌كالا", "دیجی کالا"),  # Arabic yeh and kaf, half-space
        ("مدرسة", "مدرسه"),  # teh marbuta
        ("خانۀ", "خانه"),  # heh with yeh above
        ("آزمون", "ازمون"),  # alef madda
        ("مسئول", "مسیول"),  # yeh with hamza
        ("کتابٌ", "کتاب"),  # tanwin removed, not a word break
        ("مـــرسی", "مرسی"),  # tatweel
        ("۱۴۰۵ و ٢٠٢٦", "1405 و 2026"),  # Persian and Arabic-Indic digits
        ("ﻻ", "لا"),  # presentation form
        ("DigiKala", "digikala"),
    ],
)
def test_fold_unifies_spelling_variants(variant: str, canonical: str) -> None:
    assert words(variant) == words(canonical)


def test_words_split_on_half_space_hyphen_and_apostrophe_but_not_underscore() -> None:
    assert words("دیجی‌کالا e-mail don't foo_bar") == ["دیجی", "کالا", "e", "mail", "don", "t", "foo_bar"]


def test_fold_is_idempotent_and_keeps_length_of_plain_text() -> None:
    text = "Hello دیجي‌كالا ۱۲۳"
    assert fold(fold(text)) == fold(text)
    assert fold("plain ascii") == "plain ascii"
    assert all(len(k) == 1 for k in FOLD_MAPPINGS)


def test_hashtag_keys_are_folded_without_the_hash() -> None:
    assert hashtag_key("#DigiKala") == "digikala"
    assert hashtag_key("#دیجي_كالا") == "دیجی_کالا"  # variants folded, words joined by _


# --------------------------------------------------------------------------- parsing


def test_operators_and_precedence() -> None:
    root = parse('a OR b c NOT d "x y" #Tag lang:FA').root
    assert root == Or(
        (
            Words(("a",), 0),
            And(
                (
                    Words(("b",), 5),
                    Words(("c",), 7),
                    Not(Words(("d",), 13)),
                    Words(("x", "y"), 15),
                    Field("hashtag", "tag", 21),
                    Field("lang", "fa", 26),
                )
            ),
        )
    )


def test_explicit_and_lowercase_words_and_parentheses() -> None:
    assert parse("(a or b) AND c").root == And(
        (Words(("a",), 1), Words(("or",), 3), Words(("b",), 6), Words(("c",), 13))
    )


def test_near_with_or_groups_and_prefix() -> None:
    root = parse('(late OR "very slow") NEAR/3 deliver*').root
    assert root == Near(
        left=(Words(("late",), 1), Words(("very", "slow"), 9)),
        right=(Words(("deliver",), 29, prefix=True),),
        distance=3,
        position=22,
    )


def test_field_values_quoted_and_authors_without_at() -> None:
    root = parse('brand:"Snapp Shop" author:@Ali platform:Telegram').root
    assert root == And((Field("brand", "snapp shop", 0), Field("author", "ali", 19), Field("platform", "telegram", 31)))
    assert parse("brand:x").needs_enrichment
    assert not parse("lang:fa").needs_enrichment
    assert parse("a #b lang:fa").fields == {"hashtag", "lang"}


def test_a_bare_term_with_several_words_is_a_phrase() -> None:
    assert parse("دیجی‌کالا").root == Words(("دیجی", "کالا"), 0)


def test_double_negation_cancels() -> None:
    assert parse("NOT NOT a").root == Words(("a",), 8)


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("", 0, "empty query"),
        ("   ", 0, "empty query"),
        ("late AND", 8, "AND needs a term"),
        ("late OR OR x", 8, "OR needs a term"),
        ("NOT", 3, "NOT needs a term"),
        ("(late", 0, "missing ')'"),
        ("late)", 4, "unbalanced ')'"),
        ("()", 0, "empty parentheses"),
        ('say "hi', 4, "unterminated phrase"),
        ('brand:"x', 6, "unterminated value"),
        ("lang:", 5, "lang: needs a value"),
        ("colour:red", 0, "unknown field 'colour'"),
        ("a NEAR b", 2, "NEAR needs a distance"),
        ("a NEAR/500 b", 7, "at most 100"),
        ("a NEAR/2 b NEAR/2 c", 11, "NEAR joins two terms"),
        ("(a AND b) NEAR/2 c", 0, "NEAR joins words or phrases"),
        ("a NEAR/2", 8, "NEAR/2 needs a term"),
        ("!!!", 0, "no letters or digits"),
        ('"..."', 0, "no letters or digits"),
        ("re*und", 2, "wildcard"),
        ("e-mai*", 0, "single word"),
        ("#", 0, "#hashtag needs"),
        ("-spam", 0, "NOT spam"),
    ],
)
def test_errors_point_at_the_problem(query: str, position: int, message: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    error = caught.value
    assert error.position == position
    assert message in str(error)
    assert error.query == query
    pointer_line = str(error).splitlines()[-1]
    assert pointer_line.index("^") - 2 == position


def test_too_many_near_combinations_are_refused() -> None:
    left = "(" + " OR ".join(f"w{i}" for i in range(9)) + ")"
    with pytest.raises(QuerySyntaxError, match="combinations"):
        parse(f"{left} NEAR/2 {left}")


# --------------------------------------------------------------------------- matching


def _post(text: str, **kw: object) -> Post:
    base: dict[str, object] = dict(id="bluesky:1", platform="bluesky", source="s", text=text, created_at=WHEN)
    base.update(kw)
    return Post(**base)  # type: ignore[arg-type]


def _enriched(text: str, brands: tuple[str, ...] = (), lang: str = "fa", tags: tuple[str, ...] = ()) -> EnrichedPost:
    post = _post(text, author=Author(id="did:plc:42", handle="@Ali"), hashtags=("#Sale",))
    return EnrichedPost(
        post,
        Enrichment(
            post_id=post.id,
            lang=lang,
            text=text,
            sentiment=0.0,
            sentiment_label="neutral",
            mentions=tuple(BrandMention(b, b, 0, 1) for b in brands),
            hashtags=tags,
        ),
    )


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("late", "Delivery was LATE.", True),
        ("late", "latest news", False),
        ("lat*", "latest news", True),
        ('"was late"', "delivery was late", True),
        ('"late was"', "delivery was late", False),
        ("delivery NEAR/1 late", "delivery was late", True),
        ("delivery NEAR/0 late", "delivery was late", False),
        ("late NEAR/1 delivery", "delivery was late", True),  # either order
        ('"was late" NEAR/0 again', "it was late again", True),
        ("late NEAR/0 late", "it was late", True),  # operands may be the same words (FTS5, ES intervals)
        ('"a b" NEAR/0 "b c"', "a b c", True),  # or overlap
        ("(slow OR late) NEAR/0 delivery", "slow delivery", True),
        ("a AND b", "b then a", True),
        ("a NOT b", "a and b", False),
        ("NOT b", "nothing here", True),
        ("دیجیکالا", "دیجيكالا عالی است", True),
        ("دیجی‌کالا", "دیجی کالا", True),
        ("دیجی کالا", "دیجیکالا", False),
    ],
)
def test_text_matching(query: str, text: str, expected: bool) -> None:
    assert parse(query).matches(_post(text)) is expected


def test_phrases_and_near_stay_inside_one_field() -> None:
    post = _post("delivery late", title="terrible")
    assert parse("terrible").matches(post)
    assert not parse('"terrible delivery"').matches(post)
    assert not parse("terrible NEAR/5 delivery").matches(post)
    assert parse("terrible AND delivery").matches(post)


def test_field_filters_on_posts_and_enriched_posts() -> None:
    enriched = _enriched("hello", brands=("Snapp Shop",), lang="fa", tags=("offer",))
    assert parse('brand:"snapp shop" lang:fa').matches(enriched)
    assert parse("#sale #offer platform:BLUESKY").matches(enriched)
    assert parse("author:ali author:@ALI author:did:plc:42").matches(enriched)
    assert not parse("author:bob").matches(enriched)
    plain = enriched.post
    assert not parse("brand:snapp").matches(plain)  # a post before NLP has no brands
    assert parse("#sale").matches(plain)
    assert not parse("#offer").matches(plain)
    assert not parse("lang:fa").matches(plain)  # the platform declared no language


def test_documents_can_be_built_directly() -> None:
    doc = Document.build(title=None, text="سلام دنیا", platform="telegram", lang="fa", hashtags=["#X"])
    assert parse("سلام lang:fa #x").matches(doc)
