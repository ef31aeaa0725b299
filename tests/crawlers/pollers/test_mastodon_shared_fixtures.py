"""Contract tests of the mastodon mapping on real responses in ../shared/fixtures/mastodon (read,
never copied): every status maps; ids, times, authors, text, hashtags and engagement are right."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from crawlers.pollers.mastodon import mark, to_post
from tests.conftest import shared_path


def load(name: str) -> object:
    return json.loads(shared_path("fixtures", "mastodon", name).read_text(encoding="utf-8"))


def test_the_documented_status_entity() -> None:
    post = to_post(load("status_entity_example.json"))
    assert post.id == "mastodon:https://mastodon.social/users/Gargron/statuses/103270115826048975"
    assert post.url == "https://mastodon.social/@Gargron/103270115826048975"
    assert post.created_at == datetime(2019, 12, 8, 3, 48, 33, 901000, tzinfo=UTC)
    assert post.text.startswith('"I lost my inheritance with one wrong digit on my sort code"')
    assert post.author is not None
    assert post.author.handle == "Gargron@mastodon.social"
    assert post.author.name == "Eugen"
    assert post.author.followers == 322930
    assert (post.engagement.likes, post.engagement.reposts, post.engagement.replies) == (11, 6, 5)
    assert post.engagement.views is None
    assert post.lang == "en"
    card = "https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code"
    assert post.links == (card,)


def test_a_hashtag_timeline() -> None:
    statuses = load("timelines_tag_hoot.json")
    assert isinstance(statuses, list)
    (post,) = [to_post(s) for s in statuses]
    assert post.hashtags == ("hoot",)
    assert post.text == "#hoot (hashtag toot)"
    assert post.author is not None
    assert post.author.handle == "mastodonpy_test_2@localhost"
    assert post.author.name is None  # display_name was empty: not said
    assert post.lang == "ja"


def test_a_public_timeline_every_status_maps_in_id_order() -> None:
    statuses = load("timelines_public.json")
    assert isinstance(statuses, list)
    posts = [to_post(s) for s in statuses]
    assert len(posts) == 8
    assert len({p.id for p in posts}) == 8
    assert [mark(s) for s in statuses] == sorted((mark(s) for s in statuses), reverse=True)
    for post in posts:
        assert post.created_at.tzinfo is not None
        assert post.text
        assert "<" not in post.text
    mentioning = next(p for p in posts if p.mentions)
    assert mentioning.mentions == ("mastodonpy_test@localhost",)
    assert mentioning.text.startswith("@mastodonpy_test")
    assert "you can't say that on television" in [p.text for p in posts]


def test_a_v2_search_response_has_the_shape_the_source_reads() -> None:
    body = load("search_v2_q-mastodonpy_test.json")
    assert isinstance(body, dict)
    assert body["statuses"] == []  # the recorded search matched accounts only
    assert body["accounts"]
