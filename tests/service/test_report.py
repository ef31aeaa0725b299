"""The competitor report's content, gathered from a real SQLite store.

`ReportWorld` writes two weeks of posts about three brands (Persian and English) and a few alerts
into a real `SqliteStore`, and keeps its own tally of what it wrote, so the report's figures are
checked against numbers computed independently of the store. The format tests
(test_report_formats.py) and the e-mail tests (test_report_email.py) use the same world.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from indexer.sqlite import SqliteStore
from trendwatch.config import Settings
from trendwatch.models import Alert, Author, BrandMention, Engagement, EnrichedPost, Enrichment, Post
from trendwatch.service.report.gather import ReportError, gather, make_request, step_for
from trendwatch.service.report.model import Report

UNTIL = datetime(2026, 1, 7, 20, 30, tzinfo=UTC)  # Thursday 2026-01-08 00:00 in Tehran; 1404/10/18 Jalali
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

CONFIG = """
brand:
  name: Digikala
  aliases: [دیجی‌کالا]
  language: fa
competitors:
  - name: Torob
    aliases: [ترب]
  - name: Snapp Shop
    aliases: [اسنپ‌شاپ]
display:
  timezone: Asia/Tehran
  calendar: {calendar}
  digits: {digits}
  language: {language}
store:
  type: sqlite
  path: {path}
"""

# (brand, posts per day this week, posts per day the week before, share positive, share negative)
PLAN = {
    "Digikala": (12, 10, 0.25, 0.50),
    "Torob": (8, 8, 0.50, 0.25),
    "Snapp Shop": (4, 2, 0.50, 0.0),
}
TEXTS = {
    "Digikala": ("ارسال سفارش دیجی‌کالا خیلی دیر شد", "Digikala support answered fast"),
    "Torob": ("مقایسه قیمت در ترب عالی است", "Torob price alerts are handy"),
    "Snapp Shop": ("اسنپ‌شاپ تخفیف خوبی داد", "Snapp Shop delivery was on time"),
}
HASHTAGS = {"Digikala": "دیجی_کالا", "Torob": "ترب", "Snapp Shop": "snappshop"}
TOPICS = {"Digikala": "ارسال", "Torob": "قیمت", "Snapp Shop": "تخفیف"}


@dataclass
class Tally:
    mentions: int = 0
    previous: int = 0
    positive: int = 0
    negative: int = 0
    authors: set[str] = field(default_factory=set)
    daily: dict[datetime, int] = field(default_factory=dict)
    best_post: tuple[int, str] = (-1, "")


@dataclass
class ReportWorld:
    settings: Settings
    store: SqliteStore
    tally: dict[str, Tally]
    alerts: list[Alert]


def settings_for(path: Path, *, language: str = "fa", calendar: str = "jalali", digits: str = "persian") -> Settings:
    from trendwatch.service import plugins

    text = CONFIG.format(path=path, language=language, calendar=calendar, digits=digits)
    return plugins.parse(text)


def _posts(tally: dict[str, Tally]) -> list[EnrichedPost]:
    posts = []
    serial = 0
    for brand, (this_week, last_week, share_pos, share_neg) in PLAN.items():
        t = tally.setdefault(brand, Tally())
        for day in range(14):
            start = UNTIL - (day + 1) * DAY
            per_day = this_week if day < 7 else last_week
            for i in range(per_day):
                serial += 1
                when = start + timedelta(hours=1 + i)  # never on a bucket edge
                persian = i % 3 != 2
                fraction = i / per_day
                score = 0.6 if fraction < share_pos else -0.6 if fraction < share_pos + share_neg else 0.0
                author = f"{brand[:3].lower()}{i % 5}" if i % 2 == 0 else f"user{(serial * 7) % 23}"
                likes, reposts = (serial * 13) % 97, (serial * 5) % 11
                text = f"{TEXTS[brand][0 if persian else 1]} #{HASHTAGS[brand]} ({serial})"
                platform = "mastodon" if i % 4 else "bluesky"
                post = Post(
                    id=f"{platform}:{serial}",
                    platform=platform,
                    source="test",
                    text=text,
                    created_at=when,
                    url=f"https://social.example/@{author}/{serial}",
                    author=Author(id=author, handle=f"@{author}", followers=100 + serial),
                    lang="fa" if persian else "en",
                    hashtags=(f"#{HASHTAGS[brand]}",),
                    engagement=Engagement(likes=likes, reposts=reposts, replies=1),
                )
                label = "positive" if score > 0 else "negative" if score < 0 else "neutral"
                enrichment = Enrichment(
                    post_id=post.id,
                    lang=post.lang or "fa",
                    text=text,
                    sentiment=score,
                    sentiment_label=label,
                    mentions=(BrandMention(brand, brand, 0, len(brand)),),
                    hashtags=(HASHTAGS[brand],),
                    topics=(TOPICS[brand],),
                    brand_sentiment={brand: score},
                )
                posts.append(EnrichedPost(post, enrichment))
                if day < 7:
                    t.mentions += 1
                    t.positive += score > 0
                    t.negative += score < 0
                    t.authors.add(author)
                    t.daily[start] = t.daily.get(start, 0) + 1  # `start` is a local (Tehran) midnight
                    t.best_post = max(t.best_post, (likes + reposts + 1, post.id))
                else:
                    t.previous += 1
    return posts


def _alerts() -> list[Alert]:
    def alert(rule: str, subject: str, status: Any, at: datetime, **extra: Any) -> Alert:
        fields: dict[str, Any] = {
            "rule": rule,
            "kind": "volume_spike",
            "subject": subject,
            "metric": "posts",
            "status": status,
            "severity": "critical",
            "direction": "up",
            "started_at": UNTIL - 2 * DAY,
            "at": at,
            "expected": 12.0,
            "observed": 40.0,
            "score": 0.97,
            "z": 5.2,
        }
        fields.update(extra)
        return Alert(**fields)

    return [
        alert("volume-spike", "Digikala", "open", UNTIL - 2 * DAY),
        alert("volume-spike", "Digikala", "resolved", UNTIL - DAY, observed=14.0),
        alert("volume-spike", "Torob", "open", UNTIL - 3 * HOUR, severity="warning", direction="down", observed=3.0),
        alert("old-rule", "Torob", "open", UNTIL - 20 * DAY),  # before the period
    ]


async def open_world(tmp_path: Path, **display: str) -> ReportWorld:
    settings = settings_for(tmp_path / "store.db", **display)
    store = SqliteStore(settings.store.options)
    await store.open()
    tally: dict[str, Tally] = {}
    await store.upsert(_posts(tally))
    alerts = _alerts()
    for event in alerts:
        await store.record_alert(event)
    return ReportWorld(settings, store, tally, alerts)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[ReportWorld]:
    opened = await open_world(tmp_path)
    yield opened
    await opened.store.close()


async def weekly(world: ReportWorld, **kwargs: Any) -> Report:
    request = make_request(world.settings, span=7 * DAY, until=UNTIL, **kwargs)
    return await gather(world.store, request, now=UNTIL + HOUR)


# ------------------------------------------------------------------------------ tests


async def test_figures_match_what_was_written(world: ReportWorld) -> None:
    report = await weekly(world)
    assert [b.brand for b in report.brands] == ["Digikala", "Torob", "Snapp Shop"]
    assert [b.own for b in report.brands] == [True, False, False]
    total = sum(t.mentions for t in world.tally.values())
    for summary in report.brands:
        tally = world.tally[summary.brand]
        assert summary.mentions == tally.mentions
        assert summary.previous_mentions == tally.previous
        assert summary.authors == len(tally.authors), "unique authors over the whole week, not summed per day"
        assert (summary.positive, summary.negative) == (tally.positive, tally.negative)
        assert summary.share == pytest.approx(tally.mentions / total)
    assert sum(b.share for b in report.brands) == pytest.approx(1.0)


async def test_change_and_net_sentiment(world: ReportWorld) -> None:
    digikala, torob, snapp = (await weekly(world)).brands
    assert digikala.change == pytest.approx((12 - 10) / 10)
    assert torob.change == pytest.approx(0.0)
    assert snapp.change == pytest.approx(1.0)
    assert digikala.net_sentiment == pytest.approx((digikala.positive - digikala.negative) / digikala.mentions)
    assert digikala.net_sentiment < 0 < torob.net_sentiment  # type: ignore[operator]
    n = digikala.mentions
    p, q = digikala.positive / n, digikala.negative / n
    assert digikala.net_margin == pytest.approx(1.96 * ((p + q - (p - q) ** 2) / n) ** 0.5)


async def test_daily_series_is_dense_and_sums_to_the_total(world: ReportWorld) -> None:
    report = await weekly(world)
    assert report.step == DAY
    for summary in report.brands:
        assert len(summary.series) == 7
        assert [b.start for b in summary.series] == [UNTIL - (7 - i) * DAY for i in range(7)]
        assert {b.start: b.count for b in summary.series} == world.tally[summary.brand].daily
        assert sum(b.count for b in summary.series) == summary.mentions


async def test_terms_and_top_posts(world: ReportWorld) -> None:
    report = await weekly(world, brands=["digikala"])
    (digikala,) = report.brands
    assert [t.term for t in digikala.hashtags] == ["دیجی_کالا"]  # the one comparable form
    assert [t.term for t in digikala.topics] == ["ارسال"]
    assert len(digikala.top_posts) == 3
    engagement = [p.engagement for p in digikala.top_posts]
    assert engagement == sorted(engagement, reverse=True)
    assert digikala.top_posts[0].id == world.tally["Digikala"].best_post[1]
    assert all(p.brand == "Digikala" and UNTIL - 7 * DAY <= p.created_at < UNTIL for p in digikala.top_posts)


async def test_alerts_of_the_period_latest_event_each(world: ReportWorld) -> None:
    report = await weekly(world)
    assert [(a.rule, a.subject, a.status) for a in report.alerts] == [
        ("volume-spike", "Digikala", "resolved"),
        ("volume-spike", "Torob", "open"),
    ]
    only_digikala = await weekly(world, brands=["Digikala"])
    assert [a.subject for a in only_digikala.alerts] == ["Digikala"]


async def test_brand_choice_and_errors(world: ReportWorld) -> None:
    report = await weekly(world, brands=["snapp shop", "Digikala", "SNAPP SHOP"])
    assert [b.brand for b in report.brands] == ["Digikala", "Snapp Shop"]
    assert sum(b.share for b in report.brands) == pytest.approx(1.0)
    with pytest.raises(ReportError, match="unknown brand 'Amazon'; configured: Digikala, Torob, Snapp Shop"):
        make_request(world.settings, span=7 * DAY, brands=["Amazon"])
    with pytest.raises(ReportError, match="at least an hour"):
        make_request(world.settings, span=timedelta(minutes=5))


async def test_an_empty_period_reports_nothing_without_failing(world: ReportWorld) -> None:
    request = make_request(world.settings, span=7 * DAY, until=UNTIL - 60 * DAY)
    report = await gather(world.store, request)
    assert report.total_mentions == 0
    assert report.leader is None
    assert all(b.net_sentiment is None and b.change is None for b in report.brands)
    assert report.alerts == ()


def test_bucket_step_follows_the_span() -> None:
    assert step_for(DAY) == HOUR
    assert step_for(2 * DAY) == HOUR
    assert step_for(7 * DAY) == DAY
    assert step_for(90 * DAY) == DAY
    assert step_for(180 * DAY) == 7 * DAY


async def test_hourly_report_has_hourly_buckets(world: ReportWorld) -> None:
    request = make_request(world.settings, span=DAY, until=UNTIL)
    report = await gather(world.store, request)
    assert report.step == HOUR
    digikala = report.brands[0]
    assert len(digikala.series) == 24
    assert sum(b.count for b in digikala.series) == 12
