"""Prometheus metrics every stage shares, defined once so names never drift.

Stages count through these objects directly (e.g.
`SOURCE_ERRORS.labels(source="news", reason="timeout").inc()`); the service exposes them at
`/metrics`. Label values are short stable reasons, never user text or secrets.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

POSTS_FETCHED = Counter("trendwatch_posts_fetched_total", "Posts a source mapped successfully.", ["source"])
SOURCE_ERRORS = Counter(
    "trendwatch_source_errors_total",
    "Fetch or mapping failures of a source, by reason (timeout, http_429, malformed_xml, ...).",
    ["source", "reason"],
)
SOURCE_REQUESTS = Counter(
    "trendwatch_http_requests_total", "HTTP requests made by sources, by host and status.", ["host", "status"]
)
POSTS_DROPPED = Counter(
    "trendwatch_posts_dropped_total", "Posts dropped on purpose, by stage and reason.", ["stage", "reason"]
)
POSTS_STORED = Counter(
    "trendwatch_posts_stored_total",
    "Posts written to the store, inserted or updated; counted by the store, so every write path counts once.",
    ["result"],
)
POSTS_FILTERED = Counter(
    "trendwatch_posts_filtered_total",
    "Posts not stored because they did not match their source's `filter:` query, by source.",
    ["source"],
)
ENRICH_SECONDS = Histogram("trendwatch_enrich_batch_seconds", "Wall time to enrich one batch of posts.")
INGEST_QUEUE = Gauge("trendwatch_ingest_queue_depth", "Batches waiting to be enriched and stored.")
ALERTS = Counter("trendwatch_alerts_total", "Alert lifecycle events, by rule and status.", ["rule", "status"])
NOTIFICATIONS = Counter(
    "trendwatch_notifications_total", "Notification deliveries, by notifier and result.", ["notifier", "result"]
)
DETECTOR_ERRORS = Counter("trendwatch_detector_errors_total", "Detector runs that failed, by rule.", ["rule"])
