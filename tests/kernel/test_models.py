"""Boundary objects keep their invariants: ids, aware timestamps, score ranges, immutability."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import UTC, datetime, timedelta

import pytest

from trendwatch.models import Alert, BrandMention, Bucket, EnrichedPost, Enrichment, Post, Series

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _post(**kw: object) -> Post:
    base: dict[str, object] = {"id": "rss:abc", "platform": "rss", "source": "news", "text": "hi", "created_at": T0}
    base.update(kw)
    return Post(**base)  # type: ignore[arg-type]


def test_post_id_must_carry_its_platform() -> None:
    with pytest.raises(ValueError, match="must look like 'rss:<native id>'"):
        _post(id="abc")
    with pytest.raises(ValueError):
        _post(id="rss:")
    assert _post().native_id == "abc"


def test_naive_timestamps_are_rejected() -> None:
    with pytest.raises(ValueError, match="created_at must be timezone-aware"):
        _post(created_at=datetime(2026, 1, 1))


def test_posts_are_frozen_slotted_and_picklable() -> None:
    post = _post(raw={"a": [1, 2]})
    with pytest.raises(dataclasses.FrozenInstanceError):
        post.text = "x"  # type: ignore[misc]
    assert not hasattr(post, "__dict__")
    assert pickle.loads(pickle.dumps(post)) == post


def test_enrichment_lists_brands_once_in_order() -> None:
    e = Enrichment(
        post_id="rss:abc",
        lang="en",
        text="a b a",
        sentiment=0.5,
        sentiment_label="positive",
        mentions=(BrandMention("B", "b", 2, 3), BrandMention("A", "a", 0, 1), BrandMention("B", "b", 4, 5)),
    )
    assert e.brands == ("B", "A")
    with pytest.raises(ValueError):
        dataclasses.replace(e, sentiment=1.5)
    with pytest.raises(ValueError, match="not for"):
        EnrichedPost(_post(id="rss:other"), e)


def test_dense_series_fills_missing_buckets() -> None:
    step = timedelta(hours=1)
    s = Series("A", "brand", step, T0, T0 + 3 * step, (Bucket(T0 + step, 4, 2),))
    assert [b.count for b in s.dense()] == [0, 4, 0]
    assert s.dense()[1].neutral == 4


def test_alert_key_and_score_range() -> None:
    a = Alert(
        rule="spike",
        kind="volume_spike",
        subject="A",
        metric="posts",
        status="open",
        severity="warning",
        direction="up",
        started_at=T0,
        at=T0,
        expected=3,
        observed=30,
        score=0.99,
        z=6.0,
        lang="fa",
    )
    assert a.key == "spike|A|lang=fa"
    with pytest.raises(ValueError):
        dataclasses.replace(a, score=2.0)
