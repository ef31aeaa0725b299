"""Share of voice on literal series: steady shares, a competitor taking voice, one brand only,
a thin window, and a brand filter."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np

from alerts.detectors.share_of_voice import ShareOfVoice
from tests.alerts.detectors.series import END, series
from trendwatch.models import Series

N = 14 * 24


def detector(**options: Any) -> ShareOfVoice:
    return ShareOfVoice("sov", ShareOfVoice.Options(**options))


def market(
    rates: dict[str, float], *, surge: dict[str, float] | None = None, hours: int = 6, seed: int = 2
) -> list[Series]:
    """Hourly mentions per brand with a shared daily rhythm; `surge` multiplies a brand's rate
    over the last `hours`."""
    rng = np.random.default_rng(seed)
    rhythm = 1 + 0.5 * np.sin(np.arange(N) / 24 * 2 * np.pi)
    out = []
    for name, rate in rates.items():
        lam = rate * rhythm
        if surge and name in surge:
            lam[-hours:] *= surge[name]
        out.append(series(rng.poisson(lam).astype(float), subject=name))
    return out


def test_steady_shares_raise_nothing() -> None:
    brands = market({"Acme": 30, "Rival": 20, "Other": 10})
    for h in range(0, 48, 2):
        assert detector().evaluate(brands, END - timedelta(hours=h)) == []


def test_a_competitor_taking_voice_shows_both_sides() -> None:
    brands = market({"Acme": 30, "Rival": 20, "Other": 10}, surge={"Rival": 3.0})
    alerts = {a.subject: a for a in detector().evaluate(brands, END)}
    assert alerts["Rival"].direction == "up"
    assert alerts["Rival"].metric == "share_of_voice"
    assert 0.25 < alerts["Rival"].expected < 0.42
    assert alerts["Rival"].observed > 0.5
    assert alerts["Acme"].direction == "down"
    assert alerts["Rival"].started_at == END - timedelta(hours=6)
    assert {a.subject for a in detector(direction="up").evaluate(brands, END)} == {"Rival"}
    assert [a.subject for a in detector(brand="Acme").evaluate(brands, END)] == ["Acme"]


def test_everyone_growing_together_keeps_shares() -> None:
    brands = market({"Acme": 30, "Rival": 20}, surge={"Acme": 3.0, "Rival": 3.0})
    assert detector().evaluate(brands, END) == []


def test_one_brand_alone_has_no_share_to_shift() -> None:
    assert detector().evaluate(market({"Acme": 30}, surge={"Acme": 5.0}), END) == []


def test_a_thin_window_is_not_judged() -> None:
    brands = market({"Acme": 1, "Rival": 0.5}, surge={"Rival": 4.0})
    assert detector(min_posts=1000).evaluate(brands, END) == []


def test_clock_jumps_and_missing_buckets() -> None:
    brands = market({"Acme": 30, "Rival": 20, "Other": 10}, surge={"Rival": 3.0})
    at_end = detector().evaluate(brands, END)
    assert [replace(a, at=END) for a in detector().evaluate(brands, END + timedelta(minutes=20))] == at_end
    assert detector().evaluate(brands, END - timedelta(hours=8)) == []  # before the surge
    # A brand with no posts in most hours (absent buckets) is still counted as zeros.
    rare = np.zeros(N)
    rare[::24] = 2
    quiet = [*market({"Acme": 30, "Rival": 20}), series(rare, subject="Rare")]
    assert detector().evaluate(quiet, END) == []
