"""The Store's browsing queries (`facets`, `posts`), run against every backend.

Literal posts, literal expectations: what a dashboard row and a post list show for a window
narrowed by brand, platform, language and tone.
"""

from __future__ import annotations

from typing import Any

import pytest

from indexer.store import Facet, PostFilter
from tests.indexer.factory import at, make

WINDOW = (at(), at(days=1))


@pytest.fixture
async def filled(store: Any) -> Any:
    await store.upsert(
        [
            make(1, "Digikala late again", when=at(hours=1), author="ali", brands=["Digikala"], sentiment=-0.7,
                 hashtags=["#fail"], topics=["delivery"], likes=10, reposts=2),
            make(2, "Digikala fine, Torob awful", when=at(hours=2), author="sara", brands=["Digikala", "Torob"],
                 sentiment=0.1, brand_sentiment={"Digikala": 0.6, "Torob": -0.8}, topics=["delivery", "price"],
                 likes=1),
            make(3, "تروب عالی بود", when=at(hours=3), author="reza", platform="telegram", lang="fa",
                 brands=["Torob"], sentiment=0.9, hashtags=["#تخفیف"], topics=["price"]),
            make(4, "Torob price again", when=at(hours=4), author="ali", brands=["Torob"], sentiment=-0.4,
                 topics=["price"], likes=50),
            make(5, "no brand here", when=at(hours=5), author="sara", hashtags=["#fail"]),
            make(6, "outside the window", when=at(days=1, hours=1), brands=["Digikala"], likes=999),
        ]
    )  # fmt: skip
    return store


async def test_brand_facets_count_posts_authors_engagement_and_tone_about_each_brand(filled: Any) -> None:
    found = await filled.facets("brand", *WINDOW)
    assert found == [
        Facet("Torob", count=3, authors=3, engagement=51, sentiment_sum=pytest.approx(-0.3), negative=2, positive=1),
        Facet("Digikala", count=2, authors=2, engagement=13, sentiment_sum=pytest.approx(-0.1), negative=1, positive=1),
    ]
    by_engagement = await filled.facets("brand", *WINDOW, order="engagement", limit=1)
    assert [f.value for f in by_engagement] == ["Torob"]


async def test_platform_and_language_facets_follow_the_filters(filled: Any) -> None:
    platforms = await filled.facets("platform", *WINDOW, where=PostFilter(brand="Torob"))
    assert [(f.value, f.count) for f in platforms] == [("mastodon", 2), ("telegram", 1)]
    langs = await filled.facets("lang", *WINDOW)
    assert [(f.value, f.count, f.authors) for f in langs] == [("en", 4, 2), ("fa", 1, 1)]
    assert await filled.facets("lang", *WINDOW, where=PostFilter(platform="nowhere")) == []


async def test_author_facets_rank_by_engagement_with_handles(filled: Any) -> None:
    authors = await filled.facets("author", *WINDOW, order="engagement")
    assert [(f.value, f.label, f.count, f.engagement) for f in authors] == [
        ("ali", "@ali", 2, 62),
        ("sara", "@sara", 2, 1),
        ("reza", "@reza", 1, 0),
    ]


async def test_term_facets_by_tone_about_a_brand_are_complaints_and_praise(filled: Any) -> None:
    complaints = await filled.facets("topic", *WINDOW, where=PostFilter(brand="Torob", tone="negative"))
    assert [(f.value, f.count) for f in complaints] == [("price", 2), ("delivery", 1)]
    praise = await filled.facets("topic", *WINDOW, where=PostFilter(brand="Digikala", tone="positive"))
    assert [(f.value, f.count) for f in praise] == [("delivery", 1), ("price", 1)]
    tags = await filled.facets("hashtag", *WINDOW, order="authors")
    assert [(f.value, f.count, f.authors) for f in tags] == [("fail", 2, 2), ("تخفیف", 1, 1)]
    persian = await filled.facets("hashtag", *WINDOW, where=PostFilter(lang="fa", platform="telegram"))
    assert [f.value for f in persian] == ["تخفیف"]


async def test_posts_list_newest_or_most_engaging_with_filters_and_paging(filled: Any) -> None:
    newest = await filled.posts(*WINDOW)
    assert [p.id for p in newest] == ["mastodon:5", "mastodon:4", "telegram:3", "mastodon:2", "mastodon:1"]
    assert [p.id for p in await filled.posts(*WINDOW, limit=2, offset=2)] == ["telegram:3", "mastodon:2"]
    engaging = await filled.posts(*WINDOW, where=PostFilter(brand="Torob"), order="engagement")
    assert [p.id for p in engaging] == ["mastodon:4", "mastodon:2", "telegram:3"]
    negative_torob = await filled.posts(*WINDOW, where=PostFilter(brand="Torob", tone="negative"))
    assert [p.id for p in negative_torob] == ["mastodon:4", "mastodon:2"]
    persian = await filled.posts(*WINDOW, where=PostFilter(lang="fa"))
    assert [p.post.text for p in persian] == ["تروب عالی بود"]
    assert await filled.posts(*WINDOW, where=PostFilter(brand="Unknown")) == []
