"""The service's HTTP face on a real SQLite store: health, metrics, the overview API, the page,
token protection, and untrusted text served as data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from indexer.sqlite import SqliteStore
from tests.indexer.factory import at, make
from trendwatch.config import Settings, settings_from_data
from trendwatch.service.web import create_app

NOW = at(days=2)


def _settings(**web: object) -> Settings:
    return settings_from_data({"brand": {"name": "Digikala"}, "competitors": [{"name": "Torob"}], "web": web})


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(SqliteStore.Options(path=tmp_path / "web.db"))
    await store.open()
    await store.upsert(
        [
            make(1, "Digikala was great", when=at(days=1, hours=1), brands=["Digikala"], sentiment=0.8, hashtags=["#sale"]),
            make(2, "Torob slow", when=at(days=1, hours=2), author="bob", brands=["Torob"], sentiment=-0.6),
            make(3, "<script>alert(1)</script>", when=at(days=1, hours=2), author="eve", brands=["Digikala"],
                 hashtags=["#<img src=x onerror=alert(1)>"]),
        ]
    )  # fmt: skip
    yield store
    await store.close()


async def test_health_metrics_and_overview(store: SqliteStore) -> None:
    app = create_app(store, _settings())
    async with TestClient(TestServer(app)) as client:
        health = await client.get("/health")
        assert health.status == 200
        body = await health.json()
        assert body["status"] == "ok"
        assert body["posts"] == 3
        metrics = await client.get("/metrics")
        assert metrics.status == 200
        assert "trendwatch_posts_stored_total" in await metrics.text()
        params = {"range": "3d", "step": "1h", "until": NOW.isoformat()}
        overview = await (await client.get("/api/overview", params=params)).json()
        assert overview["own_brand"] == "Digikala"
        assert overview["brands"]["Digikala"]["total"] == 2
        assert overview["brands"]["Torob"]["total"] == 1
        assert overview["brands"]["Torob"]["negative"] == 1
        assert sum(overview["brands"]["Digikala"]["counts"]) == 2
        times = overview["brands"]["Digikala"]["times"]
        assert len(times) == 72  # three days of hours; the last bucket holds `until`
        assert times[-1] == NOW.isoformat()
        assert overview["until"] == (NOW + timedelta(hours=1)).isoformat()
        assert {t["term"] for t in overview["hashtags"]} == {"sale", "<img src=x onerror=alert(1)>"}
        page = await client.get("/")
        assert page.status == 200
        assert "/static/plotly.min.js" in await page.text()
        plotly = await client.get("/static/plotly.min.js")
        assert plotly.status == 200
        assert len(await plotly.read()) > 1_000_000


async def test_bad_parameters_are_400_with_a_reason(store: SqliteStore) -> None:
    async with TestClient(TestServer(create_app(store, _settings()))) as client:
        bad = await client.get("/api/overview?range=soon")
        assert bad.status == 400
        assert "not a duration" in await bad.text()
        too_fine = await client.get("/api/overview?range=30d&step=1m")
        assert too_fine.status == 400


async def test_token_required_when_configured(store: SqliteStore) -> None:
    app = create_app(store, _settings(token="s3cret"))
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/health")).status == 200
        assert (await client.get("/api/overview")).status == 401
        assert (await client.get("/api/overview", headers={"Authorization": "Bearer wrong"})).status == 401
        assert (await client.get("/api/overview", headers={"Authorization": "Bearer s3cret"})).status == 200
        assert (await client.get("/?token=s3cret")).status == 200
