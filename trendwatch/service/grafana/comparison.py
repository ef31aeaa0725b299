"""The Competitor comparison dashboard: every selected brand side by side.

Each row is one measure and repeats its panel once per selected brand (Grafana's panel repeat
on the `brand` variable), so the own brand and each competitor sit next to each other with the
same scale of question: how much, by how many people, in what tone, and what they complain
about or praise. Tone here is brand-specific: the average of `brand_sentiment.score` for that
brand, so "X was great, unlike Y" counts as praise for X and criticism of Y.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import elasticsearch as es
from grafana_foundation_sdk.models import dashboard as dm

from trendwatch.service.grafana import panels, variables
from trendwatch.service.grafana.annotations import AlertAnnotation
from trendwatch.service.grafana.queries import (
    POSTS,
    average,
    count,
    filters,
    histogram,
    nested,
    posts_filter,
    target,
    terms,
    unique,
)

UID = "trendwatch-comparison"
TIME = "created_at"
SPAN = 6  # four brands per row; more wrap to the next line


def _terms_by_tone(label: str) -> es.Dataquery:
    return target(
        POSTS,
        posts_filter(f"sentiment_label:{label}"),
        metrics=[unique("1", "author.id")],
        buckets=[terms("2", "topics", size=8, order_by="1")],
    )


def build() -> db.Dashboard:
    volume = target(POSTS, posts_filter(), metrics=[count("1")], buckets=[histogram("2", TIME)], alias="$brand")
    authors = target(POSTS, posts_filter(), metrics=[unique("1", "author.id")], buckets=[filters("2", {"all": "*"})])
    tone = target(
        POSTS,
        posts_filter(),
        metrics=[average("1", "brand_sentiment.score")],
        buckets=[nested("2", "brand_sentiment"), filters("3", {"$brand": "brand_sentiment.brand:$brand"})],
    )
    volume_all = target(
        POSTS,
        posts_filter(),
        metrics=[count("1")],
        buckets=[terms("2", "brands", size=10), histogram("3", TIME)],
        alias="{{term brands}}",
    )
    authors_all = target(
        POSTS,
        posts_filter(),
        metrics=[unique("1", "author.id")],
        buckets=[terms("2", "brands", size=10), histogram("3", TIME)],
        alias="{{term brands}}",
    )

    return (
        db.Dashboard("trendwatch / Competitor comparison")
        .uid(UID)
        .description("The own brand and its competitors side by side: volume, reach, tone, complaints, praise.")
        .tags(["trendwatch", "competitors"])
        .time("now-30d", "now")
        .refresh("15m")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .with_variable(variables.brand())
        .with_variable(variables.platform())
        .with_variable(variables.language())
        .with_variable(variables.interval())
        .annotation(AlertAnnotation())
        .with_row(panels.row("Volume"))
        .with_panel(
            panels.per_brand(
                panels.single_stat(
                    "$brand: mentions",
                    "Posts that mention the brand in the time range; the sparkline shows the trend.",
                    volume,
                    span=SPAN,
                )
            )
        )
        .with_row(panels.row("Reach"))
        .with_panel(
            panels.per_brand(
                panels.single_stat(
                    "$brand: unique authors",
                    "Distinct authors who mentioned the brand (approximate above 3,000).",
                    authors,
                    calc="lastNotNull",
                    sparkline=False,
                    span=SPAN,
                )
            )
        )
        .with_row(panels.row("Tone"))
        .with_panel(
            panels.per_brand(
                panels.single_stat(
                    "$brand: tone",
                    "Average sentiment expressed about this brand (brand_sentiment), -1 to +1.",
                    tone,
                    unit="none",
                    decimals=2,
                    calc="lastNotNull",
                    sparkline=False,
                    span=SPAN,
                )
                .min(-1)
                .max(1)
            )
        )
        .with_row(panels.row("Complaints"))
        .with_panel(
            panels.per_brand(
                panels.ranked_bars(
                    "$brand: complaint topics",
                    "Topics of negative posts that mention the brand, ranked by distinct authors.",
                    _terms_by_tone("negative"),
                    span=SPAN,
                    height=8,
                ).color_scheme(panels.fixed_scheme("red"))
            )
        )
        .with_row(panels.row("Praise"))
        .with_panel(
            panels.per_brand(
                panels.ranked_bars(
                    "$brand: praise topics",
                    "Topics of positive posts that mention the brand, ranked by distinct authors.",
                    _terms_by_tone("positive"),
                    span=SPAN,
                    height=8,
                ).color_scheme(panels.fixed_scheme("green"))
            )
        )
        .with_row(panels.row("Over time"))
        .with_panel(
            panels.time_series(
                "Mentions per brand",
                "Posts per interval that mention each brand.",
                volume_all,
                span=12,
                height=9,
            )
        )
        .with_panel(
            panels.time_series(
                "Unique authors per brand",
                "Distinct authors per interval who mentioned each brand.",
                authors_all,
                span=12,
                height=9,
                legend_calcs=("mean", "max"),
            )
        )
    )
