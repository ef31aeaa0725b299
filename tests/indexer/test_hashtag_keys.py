"""A hashtag is counted once, under the NLP stage's merged form, and found by any spelling.

Bug: the store counted the platform's raw hashtags beside the NLP stage's, under a different
key, so `#کاوه_مارت_پاسخگو_باش` was listed (and alerted on) twice, and a brand's hashtag once
as the brand's merged tag and once as written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from tests.indexer.factory import at, make
from trendwatch.query import hashtag_key


def test_one_key_for_every_spelling() -> None:
    assert hashtag_key("#کاوه_مارت_پاسخگو_باش") == hashtag_key("کاوه مارت پاسخگو باش") == "کاوه_مارت_پاسخگو_باش"
    assert hashtag_key("#دیجی\u200cکالا") == hashtag_key("#دیجي_كالا") == hashtag_key("#دیجی  کالا") == "دیجی_کالا"
    assert hashtag_key("#BlackFriday") == hashtag_key("#black_friday") == hashtag_key("blackfriday") == "blackfriday"
    assert hashtag_key("#iPhone") == hashtag_key("#IPHONE") == "iphone"
    assert hashtag_key("#") == ""


async def test_counted_once_under_the_nlp_form_and_found_by_the_written_one(store: Any) -> None:
    protest = make(1, "جواب بده", when=at(hours=1), hashtags=["کاوه مارت پاسخگو باش"])
    protest = replace(protest, post=replace(protest.post, hashtags=("کاوه_مارت_پاسخگو_باش",)))
    # A brand hashtag: written #کاوه_مارت, merged by the NLP stage into the brand's tag.
    brand = make(2, "خرید", when=at(hours=1), author="bob", hashtags=["kavehmart"])
    brand = replace(brand, post=replace(brand.post, hashtags=("کاوه_مارت",)))
    await store.upsert([protest, brand])

    terms = await store.top_terms("hashtag", at(), at(days=1))
    assert sorted((t.term, t.count) for t in terms) == [("kavehmart", 1), ("کاوه_مارت_پاسخگو_باش", 1)]
    found = await store.search("#کاوه_مارت", since=at(), until=at(days=1))
    assert [p.id for p in found] == [brand.id]
    assert [p.id for p in await store.search("#kavehmart", since=at(), until=at(days=1))] == [brand.id]
    assert [p.id for p in await store.search("#کاوه_مارت_پاسخگو_باش", until=at(days=1) + timedelta(0))] == [protest.id]
