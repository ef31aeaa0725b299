"""Every panel's request, run against a live Elasticsearch when TRENDWATCH_ES_URL points at one.

No cluster runs on the development machines, so this is skipped there (with the reason); the
specification check in test_grafana_queries.py always runs. Against a cluster whose
`trendwatch-posts` and `trendwatch-alerts` indices were created by indexer/elastic.py, each
panel's `_search` body (as Grafana would send it, variables set to "All") must be accepted:
Elasticsearch parses the query, checks aggregations against the mappings and compiles the
Painless scripts. Credentials: TRENDWATCH_ES_USER / TRENDWATCH_ES_PASSWORD (optional).
"""

from __future__ import annotations

import os
import time
from typing import Any

import aiohttp
import pytest

from trendwatch.service.grafana import catalog, es_request
from trendwatch.service.grafana.contract import ALERTS_INDEX, ALERTS_TIME_FIELD, POSTS_TIME_FIELD

pytestmark = pytest.mark.live_es

URL = os.environ.get("TRENDWATCH_ES_URL", "")
ALL = {"brand": "$__all", "platform": "$__all", "lang": "$__all", "rule": "$__all", "interval": "1d"}
TARGETS = [
    (d.uid or "", title, target) for d in catalog.build_dashboards() for title, target in es_request.panel_targets(d)
]


@pytest.fixture
async def es() -> Any:
    if not URL:
        pytest.skip("no live Elasticsearch: set TRENDWATCH_ES_URL (and TRENDWATCH_ES_USER/_PASSWORD) to run")
    user, password = os.environ.get("TRENDWATCH_ES_USER"), os.environ.get("TRENDWATCH_ES_PASSWORD", "")
    auth = aiohttp.BasicAuth(user, password) if user else None
    async with aiohttp.ClientSession(auth=auth, timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@pytest.mark.parametrize(("uid", "title", "target"), TARGETS, ids=[f"{u}:{t}:{x['refId']}" for u, t, x in TARGETS])
async def test_panel_request_is_accepted_by_elasticsearch(
    es: Any, uid: str, title: str, target: dict[str, Any]
) -> None:
    index = target["datasource"]["uid"]
    time_field = ALERTS_TIME_FIELD if index == ALERTS_INDEX else POSTS_TIME_FIELD
    now = int(time.time() * 1000)
    body = es_request.search_body(
        es_request.interpolate_target(target, ALL), time_field, start_ms=now - 7 * 86_400_000, end_ms=now
    )
    async with es.post(f"{URL.rstrip('/')}/{index}/_search", json=body) as response:
        answer = await response.json()
    assert response.status == 200, f"{uid} / {title}: {answer.get('error', answer)}"
    assert answer.get("_shards", {}).get("failed", 0) == 0, f"{uid} / {title}: {answer['_shards']}"
