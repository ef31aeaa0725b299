"""The web app's HTTP face on a real SQLite store: health, metrics, the page and its assets,
the OpenAPI document, and the safety rules (token, host names, writes, headers, bad input)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from openapi_spec_validator import validate as validate_spec

from indexer.sqlite import SqliteStore
from tests.indexer.factory import at, make
from tests.service.web_support import CheckedClient
from trendwatch.config import Settings, settings_from_data
from trendwatch.service.web import create_app
from trendwatch.service.web.openapi import FILE, document, text
from trendwatch.service.web.routes import ROUTES
from trendwatch.service.web.security import CSP

NOW = at(days=2)


def _settings(**web: object) -> Settings:
    return settings_from_data({"brand": {"name": "Digikala"}, "competitors": [{"name": "Torob"}], "web": web})


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(SqliteStore.Options(path=tmp_path / "web.db"))
    await store.open()
    await store.upsert(
        [
            make(1, "Digikala was great", when=at(days=1, hours=1), brands=["Digikala"], sentiment=0.8, hashtags=["#sale"]),
            make(2, "Torob slow", when=at(days=1, hours=2), author="bob", brands=["Torob"], sentiment=-0.6),
            make(3, "<script>alert(1)</script>", when=at(days=1, hours=2), author="eve", brands=["Digikala"],
                 hashtags=["#<svg/onload=alert(1)>"], url="javascript:alert(1)"),
        ]
    )  # fmt: skip
    yield store
    await store.close()


@pytest.fixture
async def client(store: SqliteStore) -> AsyncIterator[CheckedClient]:
    async with TestClient(TestServer(create_app(store, _settings(), now=lambda: NOW))) as raw:
        yield CheckedClient(raw, document())


def test_openapi_file_is_current_and_valid() -> None:
    assert FILE.read_text(encoding="utf-8") == text(), "run: python -m trendwatch.service.web.openapi"
    validate_spec(json.loads(FILE.read_text(encoding="utf-8")))


async def test_every_route_is_documented(store: SqliteStore) -> None:
    app = create_app(store, _settings())
    documented = {(r.method, r.path) for r in ROUTES}
    paths = document()["paths"]
    served = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or (info["prefix"] + "/{path}" if "prefix" in info else None)
        if route.method == "HEAD":
            continue
        served.add((route.method, path))
    # plotly.js and the fonts are files under /static/ served by their own handlers.
    assert served - documented == {("GET", "/static/plotly.min.js"), ("GET", "/static/fonts/{name}")}
    assert documented <= served
    assert all(route.method.lower() in paths[route.path] for route in ROUTES)


async def test_health_metrics_and_openapi(client: CheckedClient) -> None:
    status, health = await client.call("GET", "/health")
    assert status == 200
    assert health["status"] == "ok"
    assert health["posts"] == 3
    status, metrics = await client.call("GET", "/metrics")
    assert status == 200
    assert b"trendwatch_posts_stored_total" in metrics
    assert b'trendwatch_web_requests_total{route="/health",status="200"}' in metrics
    spec = await client.get("/api/openapi.json")
    assert spec == document()


async def test_health_says_degraded_when_the_store_cannot_answer(store: SqliteStore) -> None:
    async with TestClient(TestServer(create_app(store, _settings()))) as raw:
        client = CheckedClient(raw, document())
        await store.close()
        status, body = await client.call("GET", "/health")
        assert status == 503
        assert body["status"] == "degraded"
        assert body["store_error"] == "StoreError"
        status, body = await client.call("GET", "/api/overview")
        assert status == 503
        assert "cannot answer" in body["error"]


async def test_page_assets_and_headers(client: CheckedClient) -> None:
    raw = client.client
    page = await raw.get("/")
    assert page.status == 200
    html = await page.text()
    assert '<script src="/static/plotly.min.js" defer></script>' in html
    assert page.headers["Content-Security-Policy"] == CSP
    assert "script-src 'self';" in CSP
    assert "unsafe-eval" not in CSP
    assert "'unsafe-inline'" not in CSP.split("style-src")[0], "no inline script"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    for asset in ("app.js", "dom.js", "charts.js", "api.js", "posts.js", "i18n.js", "style.css", "view-overview.js",
                  "view-compare.js", "view-brand.js", "view-alerts.js"):  # fmt: skip
        response = await raw.get(f"/static/{asset}")
        assert response.status == 200, asset
        assert "Content-Security-Policy" in response.headers
    plotly = await raw.get("/static/plotly.min.js")
    assert plotly.status == 200
    assert len(await plotly.read()) > 1_000_000
    font = await raw.get("/static/fonts/Vazirmatn-Regular.ttf")
    assert font.status == 200
    assert font.headers["Content-Type"] == "font/ttf"
    assert (await raw.get("/static/fonts/OFL.txt")).status == 404, "only the two font files are served"


def test_no_script_in_the_page_is_inline_and_no_html_is_parsed_from_data() -> None:
    static = Path(__file__).resolve().parents[2] / "trendwatch" / "service" / "static"
    html = (static / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "onclick" not in html
    for script in static.glob("*.js"):
        source = script.read_text(encoding="utf-8")
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in source, f"{script.name} uses {sink}"


async def test_bad_parameters_are_400_with_the_parameter(client: CheckedClient) -> None:
    cases = {
        "range=soon": ("range", "not a duration"),
        "range=30d&step=1m": ("step", "at most 5000 buckets"),
        "from=yesterday": ("from", "not an ISO-8601 time"),
        "from=2026-11-22T00:00:00Z&to=2026-11-21T00:00:00Z": ("from", "before"),
        "step=90.5s": ("step", "whole seconds"),
        "brand=Nobody": ("brand", "configured: Digikala, Torob"),
        "lang=" + "x" * 100: ("lang", "short name"),
        # Bug: values beyond what a timedelta or datetime can hold answered 500.
        "range=99999999999999d": ("range", "too long a duration"),
        "range=99999d": ("range", "at most 3660 days"),
        "step=99999999999999d": ("step", "too long a duration"),
        "range=30d&step=99999d": ("step", "at most 3660 days"),
        "to=0001-01-01T00:30": ("to", "out of range"),
        "to=9999-12-31T23:59&range=1h": ("to", "out of range"),
        "from=0001-01-01T00:00:00+01:00&to=2026-11-21T00:00:00Z": ("from", "not an ISO-8601 time"),
    }
    for query, (param, words) in cases.items():
        params = dict(part.split("=", 1) for part in query.split("&"))
        status, body = await client.call("GET", "/api/overview", params=params)
        assert status == 400, query
        assert body["param"] == param, query
        assert words in body["error"], (query, body)
    status, body = await client.call("GET", "/api/posts", params={"limit": "500"}, check_request=False)
    assert (status, body["param"]) == (400, "limit")
    status, body = await client.call("GET", "/api/posts", params={"order": "random"}, check_request=False)
    assert (status, body["param"]) == (400, "order")
    missing = await client.client.get("/api/nothing-here")
    assert missing.status == 404
    assert (await missing.json())["error"] == "Not Found", "API errors are JSON even for unknown paths"


async def test_untrusted_text_is_returned_as_data_and_bad_links_are_dropped(client: CheckedClient) -> None:
    posts = await client.get("/api/posts", **{"from": at(days=1).isoformat(), "to": NOW.isoformat()})
    hostile = next(p for p in posts["posts"] if p["id"] == "mastodon:3")
    assert "".join(s["text"] for s in hostile["segments"]) == "<script>alert(1)</script>"
    assert hostile["url"] is None, "a javascript: URL never becomes a link"
    overview = await client.get("/api/overview", range="3d", to=NOW.isoformat())
    assert {t["term"] for t in overview["hashtags"]} == {"sale", "<svg/onload=alert(1)>"}


async def test_token_guards_the_api_not_the_page(store: SqliteStore) -> None:
    app = create_app(store, _settings(host="0.0.0.0", token="s3cret"))
    async with TestClient(TestServer(app)) as raw:
        client = CheckedClient(raw, document())
        assert (await raw.get("/health")).status == 200
        assert (await raw.get("/")).status == 200, "the page holds no data; it asks for the token"
        assert (await raw.get("/static/app.js")).status == 200
        for path in ("/api/overview", "/api/openapi.json", "/metrics"):
            status, body = await client.call("GET", path)
            assert status == 401, path
            assert "token" in body["error"]
        status, _ = await client.call("GET", "/api/overview", headers={"Authorization": "Bearer wrong"})
        assert status == 401
        status, _ = await client.call("GET", "/api/overview", params={"token": "s3cret"}, check_request=False)
        assert status == 401, "the token is never accepted in a URL"
        status, _ = await client.call("GET", "/api/overview", headers={"Authorization": "Bearer s3cret"})
        assert status == 200
        # Any Host is fine with a token (the token is the protection).
        response = await raw.get("/api/meta", headers={"Host": "trendwatch.example", "Authorization": "Bearer s3cret"})
        assert response.status == 200


async def test_without_a_token_only_local_host_names_are_served(client: CheckedClient) -> None:
    raw = client.client
    for host in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765", "localhost"):
        assert (await raw.get("/api/meta", headers={"Host": host})).status == 200, host
    for host in ("attacker.example", "attacker.example:8765", "127.0.0.1.attacker.example"):
        response = await raw.get("/api/meta", headers={"Host": host})
        assert response.status == 421, host
        assert "host" in (await response.json())["error"]


async def test_writes_need_json_from_the_same_origin(client: CheckedClient) -> None:
    raw = client.client
    form = await raw.post(
        "/api/alerts/ack", data="key=x", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status == 415
    cross = await raw.post("/api/alerts/ack", json={"key": "x"}, headers={"Origin": "http://attacker.example"})
    assert cross.status == 403
    same = await raw.post("/api/alerts/ack", json={"key": "x"}, headers={"Origin": str(raw.make_url("")).rstrip("/")})
    assert same.status == 404, "same origin passes the check (and the key is unknown)"
    status, body = await client.call("POST", "/api/alerts/ack", body={"nope": 1}, check_request=False)
    assert (status, body["param"]) == (400, "key")
    bad_json = await raw.post("/api/alerts/mute", data=b"{not json", headers={"Content-Type": "application/json"})
    assert bad_json.status == 400


async def test_every_exchange_above_matched_the_document(client: CheckedClient) -> None:
    for path in ("/api/meta", "/api/overview", "/api/compare", "/api/brand", "/api/alerts", "/api/posts"):
        body: Any = await client.get(path, to=NOW.isoformat(), range="3d")
        assert body["window"]["until"] == "2026-11-22T00:00:00Z"
    assert client.checked == 6
