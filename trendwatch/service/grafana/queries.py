"""Building blocks of Elasticsearch targets, so the dashboards read as what they ask for.

Each helper returns a Grafana Foundation SDK builder (a metric or a bucket aggregation, or a whole
target). Metric and bucket ids are strings unique within one target; callers pass them
explicitly because later metrics (bucket scripts, term ordering) refer to earlier ones by id.

The Lucene filters use Grafana's template variables. Grafana formats a multi-value variable in an
Elasticsearch query as `("a" OR "b")`, and the variables' "All" value is `*`, so `brands:$brand`
means "any of the selected brands" and, with All, "any post that mentions a brand".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from grafana_foundation_sdk.builders import elasticsearch as es
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import elasticsearch as esm

from trendwatch.service.grafana.contract import (
    ALERTS_INDEX,
    ALERTS_TIME_FIELD,
    ENGAGEMENT_FIELDS,
    POSTS_INDEX,
    POSTS_TIME_FIELD,
)

#: The two provisioned Elasticsearch datasources, by uid (one per index: Grafana binds a
#: datasource to an index pattern and a time field).
POSTS: Final = dm.DataSourceRef(type_val="elasticsearch", uid=POSTS_INDEX)
ALERTS: Final = dm.DataSourceRef(type_val="elasticsearch", uid=ALERTS_INDEX)

TIME_FIELDS: Final = {POSTS_INDEX: POSTS_TIME_FIELD, ALERTS_INDEX: ALERTS_TIME_FIELD}

# ------------------------------------------------------------------------------ Lucene filters

BRAND: Final = "brands:$brand"
PLATFORM: Final = "platform:$platform"
LANG: Final = "lang:$lang"


def lucene(*clauses: str) -> str:
    """AND together the non-empty clauses (`*` when there are none)."""
    kept = [c for c in clauses if c]
    return " AND ".join(kept) if kept else "*"


def posts_filter(*extra: str, brand: bool = True) -> str:
    """The dashboard filters (brand, platform, language) plus any extra clauses."""
    return lucene(BRAND if brand else "", PLATFORM, LANG, *extra)


# ------------------------------------------------------------------------------ Painless scripts


def _doc_value_or_zero(field: str) -> str:
    return f"(doc['{field}'].size() > 0 ? doc['{field}'].value : 0)"


def keyword_is(field: str, value: str) -> str:
    """1 for a document whose keyword `field` equals `value`, else 0 (for scripted sums)."""
    return f"doc['{field}'].size() > 0 && doc['{field}'].value == '{value}' ? 1 : 0"


#: likes + reposts + replies of a post; a count the platform did not report counts as 0.
ENGAGEMENT_SCRIPT: Final = " + ".join(_doc_value_or_zero(f) for f in ENGAGEMENT_FIELDS)

#: Net sentiment of a bucket: share of positive minus share of negative posts, in [-1, 1].
NET_SCRIPT: Final = "params.n > 0 ? (params.pos - params.neg) / params.n : 0"

# The 95% interval of that share difference. With p = pos/n and q = neg/n, each post scores
# +1, 0 or -1, so the variance of the mean is (p + q - (p - q)^2) / n.
_HALF_WIDTH: Final = "1.96 * Math.sqrt(Math.max(0, (params.pos + params.neg) / params.n - Math.pow((params.pos - params.neg) / params.n, 2)) / params.n)"  # noqa: E501
NET_LOW_SCRIPT: Final = f"params.n > 0 ? (params.pos - params.neg) / params.n - {_HALF_WIDTH} : 0"
NET_HIGH_SCRIPT: Final = f"params.n > 0 ? (params.pos - params.neg) / params.n + {_HALF_WIDTH} : 0"

# ------------------------------------------------------------------------------ metrics


def count(id_: str, *, hide: bool = False) -> es.Count:
    return es.Count().id(id_).hide(hide)


def unique(id_: str, field: str, *, hide: bool = False) -> es.UniqueCount:
    return es.UniqueCount().id(id_).field(field).hide(hide)


def average(id_: str, field: str) -> es.Average:
    return es.Average().id(id_).field(field)


def maximum(id_: str, field: str) -> es.Max:
    return es.Max().id(id_).field(field)


def minimum(id_: str, field: str) -> es.Min:
    return es.Min().id(id_).field(field)


def scripted_sum(id_: str, script: str, *, hide: bool = False) -> es.Sum:
    """A sum of a Painless expression per document (no field)."""
    return es.Sum().id(id_).hide(hide).settings(es.ElasticsearchSumSettings().script(_inline(script)))


def bucket_script(id_: str, script: str, variables: dict[str, str], *, hide: bool = False) -> es.BucketScript:
    """A per-bucket expression over other metrics of the target, named `params.<name>`."""
    return (
        es.BucketScript()
        .id(id_)
        .hide(hide)
        .pipeline_variables([es.PipelineVariable().name(name).pipeline_agg(ref) for name, ref in variables.items()])
        .settings(es.ElasticsearchBucketScriptSettings().script(_inline(script)))
    )


def raw_data(id_: str, size: int) -> es.RawData:
    return es.RawData().id(id_).settings(es.ElasticsearchRawDataSettings().size(str(size)))


NET_SERIES: Final = {"net": NET_SCRIPT, "low": NET_LOW_SCRIPT, "high": NET_HIGH_SCRIPT}


def net_sentiment(first_id: int, *, show: str = "net") -> list[es.Count | es.Sum | es.BucketScript]:
    """Hidden counts (posts, positive, negative) and one visible bucket script over them.

    `show` picks the script: "net" (the estimate), "low" or "high" (its 95% bounds). Ids
    `first_id` .. `first_id + 3` are used.
    """
    n, pos, neg, shown = (str(first_id + i) for i in range(4))
    return [
        count(n, hide=True),
        scripted_sum(pos, keyword_is("sentiment_label", "positive"), hide=True),
        scripted_sum(neg, keyword_is("sentiment_label", "negative"), hide=True),
        bucket_script(shown, NET_SERIES[show], {"n": n, "pos": pos, "neg": neg}),
    ]


# ------------------------------------------------------------------------------ bucket aggregations


def terms(id_: str, field: str, *, size: int = 10, order_by: str = "_count", min_doc_count: int = 1) -> es.Terms:
    """Top `size` values of `field`, ordered by `order_by` (`_count`, `_key` or a metric id), descending."""
    settings = (
        es.ElasticsearchTermsSettings()
        .size(str(size))
        .order(esm.TermsOrder.DESC)
        .order_by(order_by)
        .min_doc_count(str(min_doc_count))
    )
    return es.Terms().id(id_).field(field).settings(settings)


def histogram(id_: str, field: str, interval: str = "$interval") -> es.DateHistogram:
    """Buckets over time; empty buckets are kept so lines drop to zero instead of skipping."""
    settings = es.ElasticsearchDateHistogramSettings().interval(interval).min_doc_count("0")
    return es.DateHistogram().id(id_).field(field).settings(settings)


def filters(id_: str, queries: dict[str, str]) -> es.Filters:
    """One bucket per labelled Lucene query."""
    return (
        es.Filters()
        .id(id_)
        .settings(
            es.ElasticsearchFiltersSettings().filters([es.Filter().label(k).query(v) for k, v in queries.items()])
        )
    )


def nested(id_: str, path: str) -> es.Nested:
    return es.Nested().id(id_).field(path)


# ------------------------------------------------------------------------------ targets


def target(
    source: dm.DataSourceRef,
    query: str,
    *,
    metrics: Sequence[cogbuilder.Builder[esm.MetricAggregation]],
    buckets: Sequence[cogbuilder.Builder[esm.BucketAggregation]] = (),
    ref: str = "A",
    alias: str | None = None,
) -> es.Dataquery:
    """One Elasticsearch target on `source` (POSTS or ALERTS), with its index's time field."""
    index = source.uid or ""
    built = (
        es.Dataquery()
        .ref_id(ref)
        .datasource(source)
        .query(query)
        .time_field(TIME_FIELDS[index])
        .metrics(list(metrics))
        .bucket_aggs(list(buckets))
    )
    if alias:
        built = built.alias(alias)
    return built


class _Script(cogbuilder.Builder[esm.InlineScript]):
    """A Painless source as the SDK's `InlineScript` (its plain-string form).

    Grafana passes metric settings to Elasticsearch as they are, so the string form becomes
    `"script": "<source>"`, which every current Elasticsearch accepts; the object form
    (`{"inline": ...}`) uses a key Elasticsearch removed in 6.0.
    """

    def __init__(self, source: str) -> None:
        self._source = source

    def build(self) -> esm.InlineScript:
        return self._source


def _inline(script: str) -> _Script:
    return _Script(script)
