"""Every paging poller, against a local server speaking its platform's protocol: a week of
backfill, new posts followed, a restart mid-backfill (no post lost or repeated, checked by ids),
every failure mode of issue 3 with its reason, and a failing query that does not stop the others."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from crawlers.http import create_session
from tests.crawlers.fakes.base import FakeApi
from tests.crawlers.fakes.failures import JSON_FAILURES, PERSISTENT
from tests.crawlers.helpers import collect, error_count, fast_http, ids_of
from tests.crawlers.pollers.kits import KITS, Kit
from trendwatch.errors import RateLimited, SourceError

pytestmark = pytest.mark.parametrize("kit", KITS, ids=[k.name for k in KITS])


@pytest.fixture
def fake(kit: Kit) -> FakeApi:
    return kit.fake()


@pytest.fixture
async def server(aiohttp_server: Callable[..., Any], kit: Kit, fake: FakeApi) -> TestServer:
    started: TestServer = await aiohttp_server(kit.app(fake))
    return started


@pytest.fixture
async def quick() -> AsyncIterator[aiohttp.ClientSession]:
    async with create_session(fast_http(timeout=timedelta(milliseconds=300), retries=1)) as s:
        yield s


async def test_backfill_pages_through_a_week_without_repeats(kit: Kit, fake, server, session) -> None:
    expected = kit.seed(fake, "brand", 23, False)
    kit.seed(fake, "other", 5, False)

    batches, _ = await collect(kit.source(server, session, "week", ["brand"]))

    ids = ids_of(batches)
    assert len(ids) == len(set(ids)), "a post was yielded twice"
    assert set(ids) == set(expected)
    assert len(batches) >= 3, "it should have paged"


async def test_later_rounds_yield_only_new_posts(kit: Kit, fake, server, session) -> None:
    kit.seed(fake, "brand", 12, False)
    src = kit.source(server, session, "follow", ["brand"])
    _, cursor = await collect(src)

    fresh = kit.seed(fake, "brand", 7, True)
    batches, cursor = await collect(src, cursor)
    assert sorted(ids_of(batches)) == sorted(fresh)

    again, _ = await collect(src, cursor)
    assert ids_of(again) == []


@pytest.mark.parametrize("stop_after", [1, 2, 4])
async def test_restart_mid_backfill_loses_and_repeats_nothing(kit: Kit, fake, server, session, stop_after) -> None:
    expected = kit.seed(fake, "brand", 23, False)

    before, cursor = await collect(kit.source(server, session, "restart", ["brand"]), stop_after=stop_after)
    fresh = kit.seed(fake, "brand", 3, True)  # published while the service was down
    after, _ = await collect(kit.source(server, session, "restart", ["brand"]), cursor)

    ids = ids_of(before) + ids_of(after)
    assert len(ids) == len(set(ids)), "a post was yielded twice"
    assert set(ids) == set(expected) | set(fresh), "a post was lost"


async def test_an_item_that_does_not_map_is_counted_and_its_page_kept(kit: Kit, fake, server, session) -> None:
    assert kit.spoil is not None
    expected = kit.seed(fake, "brand", 9, False)
    reason = kit.spoil(fake)
    name = f"spoiled-{kit.name}"
    before = error_count(name, reason)

    batches, _ = await collect(kit.source(server, session, name, ["brand"]))

    ids = ids_of(batches)
    assert len(ids) == len(expected) - 1
    assert set(ids) < set(expected)
    assert error_count(name, reason) == before + 1


async def test_empty_results_are_not_an_error_but_are_counted(kit: Kit, fake, server, session) -> None:
    found = kit.seed(fake, "brand", 3, False)
    name = f"empty-{kit.name}"
    before = error_count(name, "empty_results")
    src = kit.source(server, session, name, ["nothing-matches-this", "brand"])

    batches, cursor = await collect(src)
    assert set(ids_of(batches)) == set(found)
    assert error_count(name, "empty_results") == before + 1  # the empty query, once; not the other

    again, _ = await collect(src, cursor)  # nothing new for either query: each counted once more
    assert ids_of(again) == []
    assert error_count(name, "empty_results") == before + 3


@pytest.mark.parametrize("reason", sorted(JSON_FAILURES))
async def test_each_failure_ends_a_single_query_round_with_its_reason(kit: Kit, fake, server, quick, reason) -> None:
    kit.seed(fake, "brand", 6, False)
    fake.fail(JSON_FAILURES[reason], times=PERSISTENT)
    with pytest.raises(SourceError) as caught:
        await collect(kit.source(server, quick, f"one-{kit.name}-{reason}", ["brand"]))
    assert caught.value.reason == reason


# A 429 pauses the whole host (next test), so it is not a failure of one query among others.
@pytest.mark.parametrize("reason", sorted(set(JSON_FAILURES) - {"http_429"}))
async def test_a_failing_query_is_counted_and_the_others_kept(kit: Kit, fake, server, quick, reason) -> None:
    good = kit.seed(fake, "good", 6, False)
    kit.seed(fake, "bad", 6, False)
    fake.fail(JSON_FAILURES[reason], times=PERSISTENT, match=kit.match("bad"))
    name = f"two-{kit.name}-{reason}"
    before = error_count(name, reason)

    batches, cursor = await collect(kit.source(server, quick, name, ["good", "bad"]))

    assert set(ids_of(batches)) == set(good)
    assert error_count(name, reason) == before + 1
    assert all("bad" not in key for key in cursor["queries"]), "nothing was committed for the failed query"


async def test_a_429_pauses_every_query_on_that_host(kit: Kit, fake, server, quick) -> None:
    kit.seed(fake, "good", 6, False)
    kit.seed(fake, "bad", 6, False)
    fake.fail(JSON_FAILURES["http_429"], times=1, match=kit.match("bad"))
    src = kit.source(server, quick, f"paused-{kit.name}", ["good", "bad"])
    with contextlib.suppress(RateLimited):  # raised when the good query had not finished either
        await collect(src)
    sent = len(fake.requests)

    with pytest.raises(RateLimited) as caught:
        await collect(src)
    assert caught.value.retry_after == pytest.approx(3600, abs=5)
    assert len(fake.requests) == sent, "nothing is sent to a host that asked us to wait"
