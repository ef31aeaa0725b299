"""Buckets on the display zone's calendar (Asia/Tehran, UTC+3:30), over a real SQLite store whose
own buckets follow the Unix epoch: the web API's series and the report's CSV put a post on its
own local (Jalali) date, and distinct authors per local day stay exact."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from indexer.sqlite import SqliteStore
from tests.indexer.factory import make
from trendwatch.config import Settings, settings_from_data
from trendwatch.models import SeriesQuery
from trendwatch.service.local_buckets import LocalGrid, local_series
from trendwatch.service.report.csv_export import render_csv
from trendwatch.service.report.gather import gather, make_request
from trendwatch.service.web import create_app
from trendwatch.timeutil import DisplayClock

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
TEHRAN = "Asia/Tehran"
# 01:00 on Saturday 2026-01-03 in Tehran (13 Dey 1404) is 21:30 on Friday 2026-01-02 in UTC.
EARLY = datetime(2026, 1, 2, 21, 30, tzinfo=UTC)
LATE = datetime(2026, 1, 3, 5, 0, tzinfo=UTC)  # 08:30 the same local day, the next UTC day
LOCAL_MIDNIGHT = datetime(2026, 1, 2, 20, 30, tzinfo=UTC)
END = datetime(2026, 1, 7, 20, 30, tzinfo=UTC)  # 2026-01-08 00:00 in Tehran


def _settings(db: Path) -> Settings:
    return settings_from_data(
        {
            "brand": {"name": "Digikala"},
            "display": {"timezone": TEHRAN, "calendar": "jalali", "digits": "latin"},
            "store": {"type": "sqlite", "path": str(db)},
        }
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(SqliteStore.Options(path=tmp_path / "tehran.db"))
    await store.open()
    await store.upsert(
        [
            make(1, "Digikala at one in the night", when=EARLY, author="sara", brands=["Digikala"], sentiment=-0.6),
            make(2, "Digikala in the morning", when=LATE, author="sara", brands=["Digikala"], sentiment=0.7),
            make(3, "Digikala the evening before", when=EARLY - 2 * HOUR, author="reza", brands=["Digikala"]),
        ]
    )
    yield store
    await store.close()


async def test_api_daily_series_puts_a_post_at_one_am_on_its_local_date(store: SqliteStore, tmp_path: Path) -> None:
    """Bug: buckets followed the epoch, so 00:00-03:30 of each Tehran day fell under the day before."""
    settings = _settings(tmp_path / "tehran.db")
    app = create_app(store, settings, now=lambda: END)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/api/overview", params={"range": "7d", "step": "1d"})
        assert response.status == 200, await response.text()
        body = await response.json()
    assert body["window"]["since"] == "2025-12-31T20:30:00Z", "from a local midnight"
    series = body["brands"][0]["series"]
    days = dict(zip(series["times"], zip(series["posts"], series["authors"], strict=True), strict=True))
    assert len(days) == 7
    assert days["2026-01-02T00:00"] == (1, 1), "reza's evening post, alone on Friday"
    assert days["2026-01-03T00:00"] == (2, 1), "both of sara's posts on Saturday, one author"
    assert sum(series["posts"]) == 3
    clock = DisplayClock(tz=TEHRAN, calendar="jalali")
    assert clock.format(EARLY) == "1404-10-13 01:00"
    assert clock.format(LOCAL_MIDNIGHT) == "1404-10-13 00:00"


async def test_api_hourly_buckets_start_on_the_local_hour(store: SqliteStore, tmp_path: Path) -> None:
    app = create_app(store, _settings(tmp_path / "tehran.db"), now=lambda: END)
    async with TestClient(TestServer(app)) as client:
        params = {"from": "2026-01-02T18:00:00Z", "to": "2026-01-03T06:00:00Z", "step": "1h"}
        body = await (await client.get("/api/overview", params=params)).json()
    series = body["brands"][0]["series"]
    assert all(t.endswith(":00") for t in series["times"]), series["times"][:3]
    counted = {t: n for t, n in zip(series["times"], series["posts"], strict=True) if n}
    assert counted == {"2026-01-02T23:00": 1, "2026-01-03T01:00": 1, "2026-01-03T08:00": 1}


async def test_report_csv_puts_a_post_at_one_am_on_its_jalali_date(store: SqliteStore, tmp_path: Path) -> None:
    settings = _settings(tmp_path / "tehran.db")
    report = await gather(store, make_request(settings, span=7 * DAY, until=END), now=END)
    rows = list(csv.DictReader(io.StringIO(render_csv(report).decode("utf-8-sig"))))
    by_date = {r["date_shown"]: r for r in rows}
    assert len(rows) == 7
    assert rows[0]["bucket_start"] == "2026-01-01T00:00:00+03:30"
    assert (by_date["1404/10/12"]["mentions"], by_date["1404/10/12"]["unique_authors"]) == ("1", "1")
    assert (by_date["1404/10/13"]["mentions"], by_date["1404/10/13"]["unique_authors"]) == ("2", "1")
    assert by_date["1404/10/13"]["bucket_start"] == "2026-01-03T00:00:00+03:30"


async def test_local_series_is_one_store_query_where_the_grids_agree(store: SqliteStore) -> None:
    """Quarter hours fit Tehran's offset; UTC days fit UTC: the store's own buckets are used."""
    since, until = END - DAY * 7, END
    for grid in (LocalGrid(TEHRAN, timedelta(minutes=15)), LocalGrid("UTC", DAY)):
        assert grid.native(grid.starts(since, until))
        query = SeriesQuery(kind="brand", step=grid.step)
        assert await local_series(store, query, since, until, grid) == await store.series(query, since, until)
    for grid in (LocalGrid(TEHRAN, HOUR), LocalGrid(TEHRAN, DAY)):
        assert not grid.native(grid.starts(since, until))
    # London is at UTC in winter only: a year of days is not the store's grid (summer days
    # start at 23:00 UTC), though both ends of the window are in winter.
    london = LocalGrid("Europe/London", DAY)
    year = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC)
    assert not london.native(london.starts(*year))
    assert london.native(london.starts(datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)))


def test_grid_follows_daylight_saving_and_weeks() -> None:
    new_york = LocalGrid("America/New_York", DAY)
    starts = new_york.starts(datetime(2026, 3, 7, 5, tzinfo=UTC), datetime(2026, 3, 10, 4, tzinfo=UTC))
    assert [s.hour for s in starts] == [5, 5, 4], "local midnights across the change to summer time"
    assert starts[2] - starts[1] == timedelta(hours=23)
    week = LocalGrid(TEHRAN, 7 * DAY)
    start = week.floor(EARLY)
    assert DisplayClock(tz=TEHRAN).local(start).strftime("%A %H:%M") == "Thursday 00:00"  # as 1970-01-01
    assert week.next(start) - start == 7 * DAY
    assert week.ceil(start) == start
