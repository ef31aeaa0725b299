"""The Overview dashboard: how much each brand is talked about, in what tone, and about what.

Mentions count posts that name a brand (a post naming two brands counts once for each). Tone is
net sentiment: the share of positive posts minus the share of negative ones, in [-1, 1], shown
with its 95% interval so a swing on a handful of posts is not mistaken for a shift. Hashtags and
topics are ranked by distinct authors (as the store's `top_terms` does), so one account posting
fifty times does not make a trend.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import elasticsearch as es
from grafana_foundation_sdk.models import dashboard as dm

from trendwatch.service.grafana import panels, variables
from trendwatch.service.grafana.annotations import AlertAnnotation
from trendwatch.service.grafana.queries import (
    ALERTS,
    POSTS,
    count,
    filters,
    histogram,
    lucene,
    minimum,
    net_sentiment,
    posts_filter,
    target,
    terms,
    unique,
)

UID = "trendwatch-overview"
TIME = "created_at"


def _net_sentiment_target(ref: str, show: str) -> es.Dataquery:
    """One of the three series of each brand's net sentiment: the estimate, its low or high bound."""
    return target(
        POSTS,
        posts_filter(),
        metrics=net_sentiment(1, show=show),
        buckets=[terms("10", "brands", size=10), histogram("11", TIME)],
        ref=ref,
        alias=f"{{{{term brands}}}} {show}",
    )


def build() -> db.Dashboard:
    mentions = target(POSTS, posts_filter(), metrics=[count("1")], buckets=[histogram("2", TIME)], alias="mentions")
    authors = target(POSTS, posts_filter(), metrics=[unique("1", "author.id")], buckets=[filters("2", {"all": "*"})])
    tone = target(POSTS, posts_filter(), metrics=net_sentiment(1), buckets=[filters("10", {"all": "*"})])
    opened = target(
        ALERTS,
        lucene("status:open", "(subject:$brand OR related:$brand)"),
        metrics=[count("1")],
        buckets=[histogram("2", "at")],
        alias="opened",
    )
    per_brand = target(
        POSTS,
        posts_filter(),
        metrics=[count("1")],
        buckets=[terms("2", "brands", size=10), histogram("3", TIME)],
        alias="{{term brands}}",
    )
    share = target(POSTS, posts_filter(), metrics=[count("1")], buckets=[terms("2", "brands", size=10)])
    hashtags = target(
        POSTS,
        posts_filter(brand=False),
        metrics=[unique("1", "author.id")],
        buckets=[terms("2", "hashtags", size=15, order_by="1")],
    )
    topics = target(
        POSTS,
        posts_filter(brand=False),
        metrics=[unique("1", "author.id")],
        buckets=[terms("2", "topics", size=15, order_by="1")],
    )
    emerging = target(
        POSTS,
        posts_filter(brand=False),
        metrics=[minimum("1", TIME), count("2"), unique("3", "author.id")],
        buckets=[terms("4", "topics", size=15, order_by="1", min_doc_count=3)],
    )

    tone_panel = panels.time_series(
        "Net sentiment per brand (95% interval)",
        "Share of positive minus share of negative posts that mention the brand, per interval, "
        "from -1 (all negative) to +1 (all positive). The dashed lines are the 95% interval of "
        "that estimate: wide when few posts were seen.",
        _net_sentiment_target("A", "net"),
        _net_sentiment_target("B", "low"),
        _net_sentiment_target("C", "high"),
        unit="none",
        span=24,
        height=9,
        legend_calcs=("mean", "lastNotNull"),
    )
    tone_panel = (
        tone_panel.min(-1)
        .max(1)
        .decimals(2)
        .override_by_regexp(
            "/ (low|high)$/",
            [
                dm.DynamicConfigValue(id_val="custom.lineStyle", value={"fill": "dash", "dash": [6, 4]}),
                dm.DynamicConfigValue(id_val="custom.lineWidth", value=1),
                dm.DynamicConfigValue(id_val="custom.fillOpacity", value=0),
                dm.DynamicConfigValue(id_val="custom.hideFrom", value={"legend": True, "tooltip": False, "viz": False}),
            ],
        )
    )

    return (
        db.Dashboard("trendwatch / Overview")
        .uid(UID)
        .description("Mentions, share of voice, tone and what people talk about, for every tracked brand.")
        .tags(["trendwatch", "overview"])
        .time("now-7d", "now")
        .refresh("5m")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .with_variable(variables.brand())
        .with_variable(variables.platform())
        .with_variable(variables.language())
        .with_variable(variables.interval())
        .annotation(AlertAnnotation())
        .with_row(panels.row("At a glance"))
        .with_panel(
            panels.single_stat(
                "Mentions",
                "Posts that mention a selected brand, with the selected platforms and languages.",
                mentions,
            )
        )
        .with_panel(
            panels.single_stat(
                "Unique authors",
                "Distinct authors of those posts (approximate above 3,000: Elasticsearch cardinality).",
                authors,
                calc="lastNotNull",
                sparkline=False,
            )
        )
        .with_panel(
            panels.single_stat(
                "Net sentiment",
                "Share of positive minus share of negative posts, -1 to +1.",
                tone,
                unit="none",
                decimals=2,
                calc="lastNotNull",
                sparkline=False,
            )
        )
        .with_panel(
            panels.single_stat(
                "Alerts opened",
                "Alerts opened in the time range about the selected brands (see the Alerts dashboard).",
                opened,
            )
        )
        .with_row(panels.row("Volume"))
        .with_panel(
            panels.time_series(
                "Mentions over time per brand",
                "Posts per interval that mention each brand. Red markers are alerts.",
                per_brand,
                span=16,
                height=9,
            )
        )
        .with_panel(
            panels.pie(
                "Share of voice",
                "Each brand's share of all brand mentions in the time range.",
                share,
            )
        )
        .with_row(panels.row("Tone"))
        .with_panel(tone_panel)
        .with_row(panels.row("Conversation"))
        .with_panel(
            panels.ranked_bars(
                "Top hashtags",
                "Hashtags of all collected posts (not only brand mentions), ranked by distinct authors.",
                hashtags,
            )
        )
        .with_panel(
            panels.ranked_bars(
                "Top topics",
                "Topics found by the language pipeline in all collected posts, ranked by distinct authors.",
                topics,
            )
        )
        .with_panel(
            panels.data_table(
                "Emerging topics",
                "Topics with at least 3 posts whose first post in the time range is the most recent: "
                "what people started talking about lately.",
                emerging,
                span=8,
                height=9,
            )
            .override_by_regexp("/^Min /", [panels.display_name("first seen"), panels.unit("dateTimeFromNow")])
            .override_by_name("Count", [panels.display_name("posts")])
            .override_by_regexp("/^Unique Count/", [panels.display_name("authors")])
        )
    )
