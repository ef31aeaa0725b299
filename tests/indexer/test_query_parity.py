"""The query language means the same everywhere: for hundreds of generated queries over a mixed
Persian/English corpus, the store's search (FTS5 on SQLite, query DSL on Elasticsearch when live)
returns exactly the posts the in-memory matcher accepts."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.indexer.factory import at, make
from tests.indexer.test_store_behaviour import settle
from trendwatch.models import EnrichedPost
from trendwatch.query import parse

WORDS = [
    "delivery", "late", "refund", "price", "great", "service", "order", "phone", "shipping", "fast",
    "ارسال", "دیر", "قیمت", "خوب", "سفارش", "پشتیبانی", "تخفیف", "گوشی", "کالا", "دیجی",
]  # fmt: skip
VARIANTS = {"دیجی": ["دیجي", "دیجی"], "کالا": ["كالا", "کالا"], "گوشی": ["گوشي"]}
BRANDS = ["Digikala", "Torob", "Snapp Shop"]
TAGS = ["#sale", "#Late", "#تخفیف", "#دیجی_کالا"]


def corpus(seed: int = 3, size: int = 160) -> list[EnrichedPost]:
    rng = random.Random(seed)
    posts = []
    for i in range(size):
        words = [rng.choice(VARIANTS.get(w, [w])) for w in rng.choices(WORDS, k=rng.randint(3, 12))]
        if rng.random() < 0.2:  # a half-space compound, written the ways people write it
            words.insert(rng.randrange(len(words) + 1), rng.choice(["دیجی‌کالا", "دیجي كالا", "دیجیکالا"]))
        if rng.random() < 0.1:
            words.append(rng.choice(["e-mail", "don't", "۱۴۰۵", "1405", "iPhone15"]))
        posts.append(
            make(
                i,
                " ".join(words),
                when=at(i * 7),
                title=" ".join(rng.choices(WORDS, k=2)) if rng.random() < 0.2 else None,
                platform=rng.choice(["mastodon", "telegram", "bluesky"]),
                author=rng.choice(["ali", "sara", "bob", None]),
                brands=rng.sample(BRANDS, k=rng.choice([0, 1, 1, 2])),
                hashtags=rng.sample(TAGS, k=rng.choice([0, 0, 1, 2])),
                lang=rng.choice(["fa", "en"]),
            )
        )
    return posts


def queries(seed: int = 5, count: int = 120) -> list[str]:
    rng = random.Random(seed)
    fields = ["lang:fa", "lang:en", "platform:telegram", "brand:digikala", 'brand:"snapp shop"', "author:@ali",
              "author:SARA", "#sale", "#late", "#تخفیف", "#دیجی_کالا"]  # fmt: skip

    def atom(depth: int) -> str:
        roll = rng.random()
        if depth > 1 or roll < 0.35:
            return rng.choice(WORDS)
        if roll < 0.45:
            return f'"{rng.choice(WORDS)} {rng.choice(WORDS)}"'
        if roll < 0.55:
            return rng.choice(WORDS)[:3] + "*"
        if roll < 0.7:
            return rng.choice(fields)
        if roll < 0.8:
            return f"{rng.choice(WORDS)} NEAR/{rng.randint(0, 4)} {rng.choice(WORDS)}"
        if roll < 0.88:
            return "NOT " + atom(depth + 1)
        op = rng.choice([" AND ", " OR ", " "])
        return "(" + op.join(atom(depth + 1) for _ in range(rng.randint(2, 3))) + ")"

    fixed = ["دیجی‌کالا", "دیجی کالا", "دیجیکالا", '"e mail"', "don", "1405", "۱۴۰۵", "iphone15", "NOT late"]
    return fixed + [" ".join(atom(0) for _ in range(rng.randint(1, 3))) for _ in range(count)]


QUERIES = queries()


async def test_every_backend_agrees_with_the_matcher(store: Any) -> None:
    posts = corpus()
    await store.upsert(posts)
    expected = {q: sorted((p.id for p in posts if parse(q).matches(p)), key=_order(posts)) for q in QUERIES}
    assert sum(1 for ids in expected.values() if ids) > len(QUERIES) // 2, "the generated queries match too little"
    before = {q: [p.id for p in await store.search(q, limit=1000)] for q in QUERIES}
    await settle(store)
    after = {q: [p.id for p in await store.search(q, limit=1000)] for q in QUERIES}
    for q in QUERIES:
        assert before[q] == expected[q], f"fresh posts: {q!r}"
        assert after[q] == expected[q], f"indexed posts: {q!r}"


def _order(posts: list[EnrichedPost]) -> Any:
    when = {p.id: p.post.created_at for p in posts}
    return lambda post_id: (-when[post_id].timestamp(), _neg(post_id))


def _neg(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


@pytest.mark.parametrize("query", ["دیجی‌کالا", "دیجی کالا"])
def test_half_space_and_space_forms_find_each_other(query: str) -> None:
    posts = [make(1, "دیجی‌کالا"), make(2, "دیجی کالا"), make(3, "دیجیکالا")]
    assert [p.id for p in posts if parse(query).matches(p)] == ["mastodon:1", "mastodon:2"]
