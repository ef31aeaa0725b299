"""The mastodon and rss sources against the demo's own server (trendwatch.service.demo), which
the offline demo backfills a week through: every status collected exactly once across a
backfill and an hour-by-hour replay, and the feed's entries once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestServer

from crawlers.pollers.mastodon import MastodonSource
from crawlers.pollers.rss import RssSource
from tests.crawlers.helpers import collect, ids_of
from trendwatch.service.demo.server import DemoServer, status_id
from trendwatch.service.demo.synthetic import generate

END = datetime(2026, 11, 26, 12, tzinfo=UTC)


async def test_backfill_then_hourly_replay_collects_every_post_once(aiohttp_server, session) -> None:
    stream = generate(END, days=2)
    now = [END - timedelta(hours=6)]
    demo = DemoServer(stream.posts, clock=lambda: now[0])
    server: TestServer = await aiohttp_server(demo.app())
    base = str(server.make_url(""))
    masto = MastodonSource(
        "fediverse",
        MastodonSource.Options(instances=[base], timelines=["public"], backfill="3d", max_pages=1000),
        session,
    )
    news = RssSource("news", RssSource.Options(feeds=[f"{base}/feeds/news.xml"], backfill="3d"), session)

    ids: list[str] = []
    cursors: dict[str, object] = {"fediverse": None, "news": None}
    for _ in range(8):  # the backfill, then six hours replayed one at a time, then a quiet round
        for source in (masto, news):
            batches, cursors[source.name] = await collect(source, cursors[source.name])
            ids += ids_of(batches)
        now[0] = min(now[0] + timedelta(hours=1), END + timedelta(hours=1))

    assert len(ids) == len(set(ids)), "a post was collected twice"
    statuses = {f"mastodon:{base}/users/{p.author.handle}/statuses/{status_id(p)}" for p in demo.statuses}
    assert {i for i in ids if i.startswith("mastodon:")} == statuses
    assert len([i for i in ids if i.startswith("rss:")]) == len(demo.news)
