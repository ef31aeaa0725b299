"""The Brand drill-down dashboard: one brand, taken apart.

Where its mentions come from (platform, language), how the tone splits over time, which posts
and which authors drew the most engagement (likes + reposts + replies, a count the platform did
not report counting as 0), and the latest posts to read. Top posts are grouped by URL, so posts
without a URL (rare: some feeds) are left out of that table but not of the counts.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from trendwatch.service.grafana import panels, variables
from trendwatch.service.grafana.annotations import AlertAnnotation
from trendwatch.service.grafana.queries import (
    ENGAGEMENT_SCRIPT,
    POSTS,
    average,
    count,
    filters,
    histogram,
    maximum,
    nested,
    posts_filter,
    raw_data,
    scripted_sum,
    target,
    terms,
    unique,
)

UID = "trendwatch-brand"
TIME = "created_at"


def build() -> db.Dashboard:
    mentions = target(POSTS, posts_filter(), metrics=[count("1")], buckets=[histogram("2", TIME)], alias="mentions")
    authors = target(POSTS, posts_filter(), metrics=[unique("1", "author.id")], buckets=[filters("2", {"all": "*"})])
    tone = target(
        POSTS,
        posts_filter(),
        metrics=[average("1", "brand_sentiment.score")],
        buckets=[nested("2", "brand_sentiment"), filters("3", {"$brand": "brand_sentiment.brand:$brand"})],
    )
    engagement = target(
        POSTS,
        posts_filter(),
        metrics=[scripted_sum("1", ENGAGEMENT_SCRIPT)],
        buckets=[histogram("2", TIME)],
        alias="engagement",
    )
    by_platform = target(
        POSTS,
        posts_filter(),
        metrics=[count("1")],
        buckets=[terms("2", "platform", size=20), histogram("3", TIME)],
        alias="{{term platform}}",
    )
    by_language = target(POSTS, posts_filter(), metrics=[count("1")], buckets=[terms("2", "lang", size=10)])
    by_tone = target(
        POSTS,
        posts_filter(),
        metrics=[count("1")],
        buckets=[terms("2", "sentiment_label", size=3), histogram("3", TIME)],
        alias="{{term sentiment_label}}",
    )
    top_posts = target(
        POSTS,
        posts_filter(),
        metrics=[
            scripted_sum("1", ENGAGEMENT_SCRIPT),
            maximum("2", "engagement.likes"),
            maximum("3", "engagement.reposts"),
            maximum("4", "engagement.replies"),
            maximum("5", "engagement.views"),
            average("6", "sentiment"),
        ],
        buckets=[terms("7", "url", size=20, order_by="1")],
    )
    top_authors = target(
        POSTS,
        posts_filter(),
        metrics=[
            scripted_sum("1", ENGAGEMENT_SCRIPT),
            count("2"),
            maximum("3", "author.followers"),
            average("4", "sentiment"),
        ],
        buckets=[terms("5", "author.handle", size=20, order_by="1")],
    )
    latest = target(POSTS, posts_filter(), metrics=[raw_data("1", 100)])

    tone_mix = panels.with_sentiment_colours(
        panels.time_series(
            "Sentiment mix over time",
            "Share of negative, neutral and positive posts per interval (each post's overall sentiment).",
            by_tone,
            stack=cm.StackingMode.PERCENT,
            bars=True,
            unit="short",
            span=24,
            height=8,
        )
    )
    columns = {
        "Sum": "engagement",
        "Max engagement.likes": "likes",
        "Max engagement.reposts": "reposts",
        "Max engagement.replies": "replies",
        "Max engagement.views": "views",
        "Average sentiment": "sentiment",
        "Count": "posts",
        "Max author.followers": "followers",
    }
    post_table = panels.data_table(
        "Top posts by engagement",
        "The 20 posts with the most likes + reposts + replies in the time range (grouped by URL).",
        top_posts,
        span=14,
        height=11,
    ).override_by_name(
        "url",
        [
            dm.DynamicConfigValue(
                id_val="links",
                value=[{"title": "Open the post", "url": "${__value.raw}", "targetBlank": True}],
            )
        ],
    )
    author_table = panels.data_table(
        "Top authors by engagement",
        "Authors whose posts about the brand drew the most engagement; followers as last reported.",
        top_authors,
        span=10,
        height=11,
    )
    for column, name in columns.items():
        post_table = post_table.override_by_name(column, [panels.display_name(name)])
        author_table = author_table.override_by_name(column, [panels.display_name(name)])

    latest_table = panels.data_table(
        "Latest posts",
        "The newest 100 posts that mention the brand. Text is shown as the platform gave it.",
        latest,
        span=24,
        height=12,
    ).with_transformation(
        dm.DataTransformerConfig(
            id_val="organize",
            options={
                "includeByName": {
                    TIME: True,
                    "platform": True,
                    "lang": True,
                    "author.handle": True,
                    "text": True,
                    "sentiment": True,
                    "sentiment_label": True,
                    "engagement.likes": True,
                    "url": True,
                },
                "indexByName": {
                    TIME: 0,
                    "platform": 1,
                    "author.handle": 2,
                    "text": 3,
                    "sentiment_label": 4,
                    "sentiment": 5,
                    "engagement.likes": 6,
                    "lang": 7,
                    "url": 8,
                },
                "renameByName": {TIME: "time", "author.handle": "author", "engagement.likes": "likes"},
            },
        )
    )

    return (
        db.Dashboard("trendwatch / Brand drill-down")
        .uid(UID)
        .description("One brand in detail: platforms, languages, tone, top posts and authors, latest posts.")
        .tags(["trendwatch", "brand"])
        .time("now-7d", "now")
        .refresh("5m")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .with_variable(variables.brand(multi=False))
        .with_variable(variables.platform())
        .with_variable(variables.language())
        .with_variable(variables.interval())
        .annotation(AlertAnnotation())
        .with_row(panels.row("$brand at a glance"))
        .with_panel(panels.single_stat("Mentions", "Posts that mention the brand.", mentions))
        .with_panel(
            panels.single_stat(
                "Unique authors",
                "Distinct authors (approximate above 3,000).",
                authors,
                calc="lastNotNull",
                sparkline=False,
            )
        )
        .with_panel(
            panels.single_stat(
                "Tone",
                "Average sentiment expressed about the brand (brand_sentiment), -1 to +1.",
                tone,
                unit="none",
                decimals=2,
                calc="lastNotNull",
                sparkline=False,
            )
            .min(-1)
            .max(1)
        )
        .with_panel(panels.single_stat("Engagement", "Likes + reposts + replies of the brand's posts.", engagement))
        .with_row(panels.row("Where"))
        .with_panel(
            panels.time_series(
                "Mentions per platform",
                "Posts per interval by platform (stacked).",
                by_platform,
                stack=cm.StackingMode.NORMAL,
                span=16,
                height=9,
            )
        )
        .with_panel(panels.pie("Mentions per language", "Detected language of the posts.", by_language))
        .with_row(panels.row("Tone"))
        .with_panel(tone_mix)
        .with_row(panels.row("Top content"))
        .with_panel(post_table)
        .with_panel(author_table)
        .with_row(panels.row("Latest"))
        .with_panel(latest_table)
    )
