"""The session factory over real HTTP: User-Agent, per-host spacing, retries with backoff,
Retry-After and platform rate-limit headers, and each failure turned into a stable reason."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp.test_utils import TestServer

from crawlers.http import (
    HostLimiter,
    PoliteMiddleware,
    create_session,
    fetch,
    rate_limit_window,
    safe_url,
)
from tests.crawlers.helpers import Script, fast_http, reply, request_count, truncated
from trendwatch.errors import AuthError, BadPayload, RateLimited, SourceError, SourceGone
from trendwatch.waits import MAX_WAIT, retry_after_seconds

JSON = "application/json"


async def test_identifying_user_agent_is_sent(server: TestServer, script: Script) -> None:
    script.on("/x", reply(b"{}", content_type=JSON))
    async with create_session(fast_http(user_agent="trendwatch-test/1 (+https://example.org)")) as session:
        await fetch(session, server.make_url("/x"))
    assert script.seen("/x")[0].headers["User-Agent"] == "trendwatch-test/1 (+https://example.org)"


async def test_requests_to_one_host_are_spaced_by_the_rate_limit(server, script) -> None:
    script.on("/x", reply(b"{}", content_type=JSON))
    async with create_session(fast_http(per_host_rate=20.0, per_host_burst=1)) as session:
        started = time.monotonic()
        for _ in range(6):
            await fetch(session, server.make_url("/x"))
        elapsed = time.monotonic() - started
    assert elapsed >= 5 / 20 * 0.9  # five gaps of 50 ms


def test_gcra_allows_a_burst_then_spaces_requests() -> None:
    now = [100.0]
    limiter = HostLimiter(rate=2.0, burst=3, max_wait=60, clock=lambda: now[0])
    waits = [limiter.delay("h:80") for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(0.5)
    assert waits[4] == pytest.approx(1.0)
    assert limiter.delay("other:80") == 0.0  # hosts are independent


def test_paced_by_rate_limit_headers_no_more_go_at_once_than_remain() -> None:
    """The bug: with 3 requests left in a 300 s window the burst tolerance still let 4 go at once."""
    now = [100.0]
    limiter = HostLimiter(rate=1000.0, burst=5, max_wait=600, clock=lambda: now[0])
    limiter.observe("h:80", {"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "300"})
    waits = [limiter.delay("h:80") for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]  # what remains may go at once
    assert waits[3:] == [pytest.approx(300), pytest.approx(300)]  # then nothing before the reset


def test_a_spent_window_longer_than_max_wait_refuses_at_once() -> None:
    now = [100.0]
    limiter = HostLimiter(rate=1000.0, burst=5, max_wait=60, clock=lambda: now[0])
    limiter.observe("h:80", {"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "300"})
    assert [limiter.delay("h:80") for _ in range(2)] == [0.0, 0.0]
    with pytest.raises(RateLimited) as caught:
        limiter.delay("h:80")
    assert caught.value.retry_after == pytest.approx(300)
    now[0] += 301  # the window has reset
    assert limiter.delay("h:80") == 0.0


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    mw = PoliteMiddleware(fast_http(backoff=timedelta(seconds=1), max_backoff=timedelta(seconds=10)))
    mw._rng = random.Random(7)
    for attempt, base in enumerate([1, 2, 4, 8, 10, 10]):
        delays = {mw.backoff_delay(attempt) for _ in range(20)}
        assert all(base / 2 <= d <= base for d in delays)
        assert len(delays) > 1  # jittered


async def test_5xx_is_retried_until_it_succeeds(server, script, session) -> None:
    script.on("/x", reply(b"", status=502), reply(b"", status=503), reply(b'{"ok": 1}', content_type=JSON))
    fetched = await fetch(session, server.make_url("/x"))
    assert fetched.json() == {"ok": 1}
    assert len(script.seen("/x")) == 3


async def test_5xx_beyond_the_retries_is_reported_with_its_status(server, script, session) -> None:
    script.on("/x", reply(b"", status=503))
    with pytest.raises(SourceError) as caught:
        await fetch(session, server.make_url("/x"))
    assert caught.value.reason == "http_503"
    assert len(script.seen("/x")) == 3  # retries=2
    assert request_count("127.0.0.1", "503") >= 3


async def test_retry_after_is_honoured(server, script, session) -> None:
    script.on("/x", reply(b"", status=503, headers={"Retry-After": "1"}), reply(b"{}", content_type=JSON))
    started = time.monotonic()
    await fetch(session, server.make_url("/x"))
    assert time.monotonic() - started >= 0.95


async def test_spent_platform_budget_waits_for_the_reset(server, script, session) -> None:
    reset = (datetime.now(UTC) + timedelta(seconds=1.2)).isoformat()
    script.on(
        "/x",
        reply(b"{}", content_type=JSON, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}),
        reply(b"{}", content_type=JSON),
    )
    await fetch(session, server.make_url("/x"))
    started = time.monotonic()
    await fetch(session, server.make_url("/x"))
    assert time.monotonic() - started >= 0.8


async def test_budget_spent_for_an_hour_refuses_without_sending(server, script, session) -> None:
    script.on(
        "/x",
        reply(
            b"{}",
            content_type=JSON,
            headers={"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(time.time()) + 3600)},
        ),
    )
    await fetch(session, server.make_url("/x"))
    with pytest.raises(RateLimited) as caught:
        await fetch(session, server.make_url("/x"))
    assert caught.value.retry_after == pytest.approx(3600, abs=5)
    assert len(script.seen("/x")) == 1


def test_rate_limit_headers_in_every_spelling() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    mastodon = {"X-RateLimit-Remaining": "12", "X-RateLimit-Reset": "2026-01-01T12:05:00.000Z"}
    reddit = {"x-ratelimit-remaining": "57.0", "x-ratelimit-reset": "42"}
    x_api = {"x-rate-limit-remaining": "3", "x-rate-limit-reset": str(int(now.timestamp()) + 90)}
    ietf = {"RateLimit-Remaining": "0", "RateLimit-Reset": "30"}
    assert rate_limit_window(mastodon, now) == (12, 300)
    assert rate_limit_window(reddit, now) == (57, 42)
    assert rate_limit_window(x_api, now) == (3, 90)
    assert rate_limit_window(ietf, now) == (0, 30)
    assert rate_limit_window({"X-RateLimit-Remaining": "many"}, now) is None


def test_retry_after_as_seconds_or_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds(b"1.5", now) == 1.5
    assert retry_after_seconds(format_datetime(now + timedelta(minutes=2), usegmt=True), now) == 120
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


@pytest.mark.parametrize("value", ["inf", "Infinity", "1e400", "nan", "-inf"])
def test_retry_after_that_is_not_a_finite_number_is_ignored(value: str) -> None:
    assert retry_after_seconds(value) is None


def test_waits_are_clamped_to_a_day() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("1e300", now) == MAX_WAIT == 86400
    assert retry_after_seconds(format_datetime(now + timedelta(days=30), usegmt=True), now) == MAX_WAIT
    assert retry_after_seconds("-5", now) == 0
    assert rate_limit_window({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1e300"}, now) == (0, MAX_WAIT)
    assert rate_limit_window({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "inf"}, now) is None
    assert rate_limit_window({"X-RateLimit-Remaining": "nan", "X-RateLimit-Reset": "30"}, now) is None


async def test_an_endless_retry_after_does_not_block_the_host_forever(server, script, session) -> None:
    """The bug: `Retry-After: inf` blocked the host for ever (and overflowed the scheduler)."""
    script.on(
        "/x",
        reply(
            b"", status=429, headers={"Retry-After": "inf", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "inf"}
        ),
        reply(b"{}", content_type=JSON),
    )
    fetched = await fetch(session, server.make_url("/x"))  # retried after the usual backoff
    assert fetched.status == 200
    assert len(script.seen("/x")) == 2


async def test_a_timeout_is_reported_as_timeout(aiohttp_server, script) -> None:
    from tests.crawlers.helpers import slow

    script.on("/x", slow(1.0, reply(b"{}", content_type=JSON)))
    server = await aiohttp_server(script.app())
    async with create_session(fast_http(timeout=timedelta(milliseconds=150), retries=1)) as session:
        with pytest.raises(SourceError) as caught:
            await fetch(session, server.make_url("/x"))
    assert caught.value.reason == "timeout"
    assert len(script.seen("/x")) == 2


async def test_a_refused_connection_is_reported_as_connection(unused_tcp_port: int) -> None:
    async with create_session(fast_http(retries=1)) as session:
        with pytest.raises(SourceError) as caught:
            await fetch(session, f"http://127.0.0.1:{unused_tcp_port}/x")
    assert caught.value.reason == "connection"


async def test_a_body_cut_short_is_retried_then_reported(server, script, session) -> None:
    script.on("/x", truncated(b'{"items": [1, 2', claimed=500))
    with pytest.raises(BadPayload) as caught:
        await fetch(session, server.make_url("/x"))
    assert caught.value.reason == "truncated_body"
    assert len(script.seen("/x")) == 3


async def test_401_names_the_credential_and_never_the_query(server, script, session) -> None:
    script.on("/search", reply(b'{"error": "invalid key"}', status=401, content_type=JSON))
    with pytest.raises(AuthError) as caught:
        await fetch(session, server.make_url("/search").with_query(key="SECRET123"), credential="the youtube api_key")
    message = str(caught.value)
    assert caught.value.reason == "http_401"
    assert "the youtube api_key" in message
    assert "SECRET123" not in message


async def test_404_is_gone(server, script, session) -> None:
    with pytest.raises(SourceGone) as caught:
        await fetch(session, server.make_url("/missing"))
    assert caught.value.reason == "http_404"


BODIES = {
    "html_instead_of_json": reply(b"<!doctype html><html><body>Oops</body></html>", content_type="text/html"),
    "invalid_utf8": reply(b'{"text": "\xff\xfe"}', content_type=JSON),
    "malformed_json": reply(b'{"a": 1,, "b": 2}', content_type=JSON),
    "truncated_json": reply(b'{"statuses": [{"id": "1"', content_type=JSON),
    "empty_body": reply(b"", content_type=JSON),
}


@pytest.mark.parametrize("reason", sorted(BODIES))
async def test_json_bodies_that_are_not_json_say_why(server, script, session, reason: str) -> None:
    script.on("/x", BODIES[reason])
    fetched = await fetch(session, server.make_url("/x"))
    with pytest.raises(BadPayload) as caught:
        fetched.json()
    assert caught.value.reason == reason


def test_safe_url_drops_query_and_credentials() -> None:
    assert (
        safe_url("https://user:pw@api.example.com/v3/search?key=SECRET&q=x#frag") == "https://api.example.com/v3/search"
    )
