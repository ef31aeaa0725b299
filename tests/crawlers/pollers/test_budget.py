"""The daily budget (YouTube quota units, X posts read): never overspent, reset at the platform's
midnight, remembered across restarts through the cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crawlers.pollers.budget import DailyBudget, QuotaExhausted


def test_spending_up_to_the_limit_then_refusing_until_the_pacific_midnight() -> None:
    now = [datetime(2026, 3, 10, 7, 30, tzinfo=UTC)]  # 00:30 in Los Angeles (PDT, UTC-7)
    budget = DailyBudget(250, unit="quota units", zone="America/Los_Angeles", clock=lambda: now[0])
    budget.reserve(100)
    budget.reserve(100)
    with pytest.raises(QuotaExhausted) as caught:
        budget.reserve(100)
    assert caught.value.retry_after == pytest.approx(23.5 * 3600)
    assert "250 quota units" in str(caught.value)
    assert budget.remaining == 50  # a refused reservation records nothing
    budget.reserve(50)  # what still fits is allowed
    assert budget.remaining == 0
    now[0] += timedelta(hours=23, minutes=31)  # past midnight in Los Angeles
    budget.reserve(100)
    assert budget.remaining == 150


def test_a_refund_gives_back_what_a_request_did_not_cost() -> None:
    now = [datetime(2026, 3, 10, 12, tzinfo=UTC)]
    budget = DailyBudget(100, unit="posts", clock=lambda: now[0])
    budget.reserve(100)
    budget.refund(60)  # asked for a page of 100, got 40
    assert budget.remaining == 60
    now[0] += timedelta(days=1)
    budget.refund(40)  # yesterday's reservation: today's count is not lowered
    assert budget.remaining == 100


def test_a_saved_count_is_taken_back_only_for_the_same_day() -> None:
    now = [datetime(2026, 3, 10, 12, tzinfo=UTC)]
    budget = DailyBudget(1000, unit="posts", clock=lambda: now[0])
    budget.load({"day": "2026-03-10", "used": 600})
    assert budget.remaining == 400
    budget.load({"day": "2026-03-10", "used": 100})  # an older cursor never forgets spending
    assert budget.remaining == 400
    fresh = DailyBudget(1000, unit="posts", clock=lambda: now[0])
    fresh.load({"day": "2026-03-09", "used": 900})  # yesterday's spending does not count today
    assert fresh.remaining == 1000
    fresh.load("garbage")
    assert fresh.dump() == {"day": "2026-03-10", "used": 0}
