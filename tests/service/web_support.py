"""A real store for the web app's tests: the demo's synthetic week, enriched by the real NLP
stage, stored in a real SQLite file, with alerts from the real alert engine (tone shift, share of
voice, emerging hashtags) replayed hour by hour from just before the injected incident, plus a
handful of hostile posts carrying script and HTML in every untrusted field.

Building takes a few seconds, so it happens once per test session (`built_store`); each
test then works on its own copy of the file (`copy_store`), so acknowledging or muting in one
test is never seen by another.
"""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alerts.engine import AlertEngine
from indexer.sqlite import SqliteStore
from nlp.enricher import build_enricher
from trendwatch.config import Settings, settings_from_data
from trendwatch.models import Author, Engagement, EnrichedPost, Post
from trendwatch.service import plugins
from trendwatch.service.app import alert_context
from trendwatch.service.demo.synthetic import BRANDS, HOUR, generate
from trendwatch.service.demo.synthetic import as_post as demo_post

END = datetime(2026, 11, 26, 12, tzinfo=UTC)
"""The synthetic week ends here; tests ask for windows ending at END."""
DAYS = 7

HOSTILE_TEXT = (
    'Kavehmart <script>window.pwned = "script"</script><img src=x onerror="window.pwned=\'img\'">'
    "<b>bold?</b> &lt;i&gt;entity&lt;/i&gt;"
)
HOSTILE_AUTHOR = "<img src=y onerror=\"window.pwned='author'\">Mallory"
HOSTILE_TAG = "<svg/onload=window.pwned=1>"
HOSTILE_URL = "javascript:window.pwned='link'"
HOSTILE_POSTS = 20


def settings(db: Path, *, brand_language: str = "en", web: dict[str, Any] | None = None, **display: Any) -> Settings:
    """The demo's brands and three detectors (tone shift, share of voice, emerging hashtags),
    storing in `db`; `display` settings as given (time zone Asia/Tehran)."""
    brands = [
        {
            "name": b.name,
            "aliases": list(b.aliases),
            "handles": list(b.handles),
            "hashtags": list(b.hashtags),
            "language": brand_language,
        }
        for b in BRANDS
    ]
    data = {
        "brand": brands[0],
        "competitors": brands[1:],
        "display": {"timezone": "Asia/Tehran", **display},
        "store": {"type": "sqlite", "path": str(db)},
        "web": web or {},
        "detectors": [
            {"type": "tone_shift", "name": "tone-shift"},
            {"type": "share_of_voice", "name": "share-of-voice"},
            {"type": "emerging_term", "name": "emerging-hashtags", "kind": "hashtag"},
        ],
    }
    return settings_from_data(data, file="<web tests>", registries=plugins.REGISTRIES)


def hostile_posts() -> list[Post]:
    """Posts whose text, author, hashtag and link try to run script, from distinct authors in
    the last day (so the hashtag is among the top and emerging terms)."""
    out = []
    for i in range(HOSTILE_POSTS):
        out.append(
            Post(
                id=f"mastodon:666{i:03d}",
                platform="mastodon",
                source="hostile",
                text=f"{HOSTILE_TEXT} #{HOSTILE_TAG}",
                created_at=END - timedelta(hours=3, minutes=i),
                url=HOSTILE_URL,
                author=Author(id=f"mallory{i}", handle=f"@mallory{i}", name=HOSTILE_AUTHOR, url=HOSTILE_URL),
                lang="en",
                hashtags=(HOSTILE_TAG,),
                engagement=Engagement(likes=1 + i % 3, reposts=0, replies=1),
            )
        )
    return out


@dataclass(frozen=True)
class Built:
    """The filled database and what is in it, counted here from the enriched posts (an oracle
    independent of the store's queries)."""

    db: Path
    posts: tuple[EnrichedPost, ...]
    events: int

    def about(self, brand: str, since: datetime, until: datetime, **where: str) -> list[EnrichedPost]:
        return [
            p
            for p in self.posts
            if brand in p.enrichment.brands
            and since <= p.post.created_at < until
            and all(getattr(p.post, k) == v if k == "platform" else p.enrichment.lang == v for k, v in where.items())
        ]


async def build(db: Path, *, hostile: bool = True) -> Built:
    """Fill `db`: enrich and store the week (and the hostile posts), then replay the detectors."""
    config = settings(db)
    stream = generate(END, days=DAYS)
    posts = [demo_post(p, source="synthetic") for p in stream.posts] + (hostile_posts() if hostile else [])
    enricher = build_enricher(config.nlp, config.brands)
    enriched = [EnrichedPost(p, e) for p, e in zip(posts, enricher(posts), strict=True)]
    store = SqliteStore(SqliteStore.Options(path=db))
    await store.open()
    try:
        for start in range(0, len(enriched), 1000):
            await store.upsert(enriched[start : start + 1000])
        await store.flush()
        detectors = plugins.build_detectors(config)
        engine = AlertEngine(store, detectors, [], alert_context(config))
        events = 0
        t = stream.incident_start - 2 * HOUR  # from just before the incident: what the tests look at
        while t <= END:
            for detector in detectors:
                events += len(await engine.run(detector, t))
            t += HOUR
        return Built(db=db, posts=tuple(enriched), events=events)
    finally:
        await store.close()


_BUILT: dict[str, Built] = {}


def built_store(directory: Path, *, hostile: bool = True) -> Built:
    """The filled database, built once per test session under `directory`; without the hostile
    posts for the screenshots (a reader of the README should see the product, not the attack)."""
    name = "web.db" if hostile else "clean.db"
    if name not in _BUILT:
        _BUILT[name] = asyncio.run(build(directory / name, hostile=hostile))
    return _BUILT[name]


def copy_store(source: Path, target_dir: Path) -> Path:
    target = target_dir / source.name
    for suffix in ("", "-wal"):
        found = source.with_name(source.name + suffix)
        if found.exists():
            shutil.copyfile(found, target.with_name(target.name + suffix))
    return target


@functools.cache
def _openapi(spec: str) -> Any:
    """The validator of a document (checking the document itself takes a second: once)."""
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(json.loads(spec))


class CheckedClient:
    """An aiohttp test client whose every API exchange is validated against the served OpenAPI
    document (request parameters and body, response status, content type and body)."""

    def __init__(self, client: Any, spec: dict[str, Any]) -> None:
        self.client = client
        self.openapi = _openapi(json.dumps(spec, sort_keys=True))
        self.checked = 0

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        check_request: bool = True,
    ) -> tuple[int, Any]:
        """One exchange; `check_request=False` for requests that break the document on purpose
        (their answer is still checked)."""
        from openapi_core.testing import MockRequest, MockResponse

        data = None if body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json"} if data is not None else {}
        response = await self.client.request(
            method, path, params=params, data=data, headers={**sent, **(headers or {})}
        )
        raw = await response.read()
        request = MockRequest(
            "http://127.0.0.1", method.lower(), path, args=params or {}, data=data, headers=headers,
            content_type="application/json" if data is not None else "",
        )  # fmt: skip
        if check_request:
            self.openapi.validate_request(request)
        self.openapi.validate_response(
            request, MockResponse(raw, status_code=response.status, content_type=response.content_type)
        )
        self.checked += 1
        return response.status, json.loads(raw) if response.content_type == "application/json" else raw

    async def get(self, path: str, **params: str) -> Any:
        status, body = await self.call("GET", path, params=params)
        assert status == 200, body
        return body
