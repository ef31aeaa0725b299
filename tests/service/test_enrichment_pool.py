"""The NLP worker pool: results come back in order from another process; a worker that cannot
start says why instead of a bare BrokenProcessPool."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from trendwatch.config import BrandConfig, NlpConfig
from trendwatch.models import Post
from trendwatch.service.enrichment import EnrichmentPool, NlpStartupError

BRANDS = [BrandConfig(name="Digikala", aliases=["دیجی‌کالا"]), BrandConfig(name="Torob", aliases=["ترب"])]


def _post(i: int, text: str) -> Post:
    return Post(id=f"t:{i}", platform="t", source="s", text=text, created_at=datetime(2026, 1, 1, tzinfo=UTC))


async def test_enriches_in_a_worker_process_in_order() -> None:
    pool = EnrichmentPool(NlpConfig(workers=1), BRANDS)
    try:
        posts = [_post(1, "خرید از دیجی کالا عالی بود"), _post(2, "Torob is slow today"), _post(3, "hello")]
        result = await pool(posts)
        assert [e.post_id for e in result] == ["t:1", "t:2", "t:3"]
        assert result[0].brands == ("Digikala",)
        assert result[0].lang == "fa"
        assert result[1].brands == ("Torob",)
        assert result[2].brands == ()
    finally:
        pool.close()


async def test_a_worker_that_cannot_start_names_the_cause(tmp_path: Path) -> None:
    pool = EnrichmentPool(NlpConfig(sentiment="textcat", model=tmp_path / "no-such-model"), BRANDS)
    try:
        with pytest.raises(NlpStartupError, match=r"the NLP pipeline could not start: .*no-such-model"):
            await pool.warm_up()
    finally:
        pool.close()
