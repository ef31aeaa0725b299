"""Emerging terms on literal series: a new hashtag, a steady one, a burst that fades smoothly,
too few people, a bursty term, related terms, and per-language queries."""

from __future__ import annotations

import itertools
import zlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np

from alerts.detectors.emerging_term import EmergingTerm
from tests.alerts.detectors.series import END, series
from trendwatch.models import Series

N = 7 * 24
H = timedelta(hours=1)


def detector(**options: Any) -> EmergingTerm:
    return EmergingTerm("trends", EmergingTerm.Options(**options))


def heard(*terms: Series) -> list[Series]:
    """`terms` plus a steady popular hashtag: the store was listening all week."""
    return [*terms, term("#daily", 20)]


def term(name: str, base: float, *, burst: float = 0.0, hours: int = 3, ago: int = 0, seed: int = 5) -> Series:
    """Unique authors per hour for `name`: Poisson(`base`), plus `burst` authors an hour during
    `hours` hours ending `ago` hours before END."""
    rng = np.random.default_rng(seed + zlib.crc32(name.encode()) % 1000)  # hash() differs per process
    authors = rng.poisson(base, N).astype(float)
    if burst:
        end = N - ago
        authors[end - hours : end] += burst
    return series(authors, authors=authors, subject=name, kind="hashtag")


def test_a_new_hashtag_emerges() -> None:
    tag = term("#outage", 0.0, burst=15)
    [alert] = detector().evaluate([tag, term("#daily", 20)], END)
    assert alert.kind == "emerging_term"
    assert alert.subject == "#outage"
    assert alert.metric == "authors"
    assert alert.direction == "up"
    assert alert.expected < 2
    assert alert.observed >= 30
    assert alert.started_at == END - 3 * H
    assert alert.severity == "critical"


def test_a_steady_popular_hashtag_is_not_news() -> None:
    det = detector()
    for h in range(0, 48, 3):
        assert det.evaluate([term("#daily", 20), term("#weekly", 3)], END - h * H) == []


def test_a_burst_rises_fast_and_fades_smoothly() -> None:
    tag = term("#launch", 1.0, burst=20, hours=3, ago=6)  # the burst ended 6 hours ago
    det = detector()
    rising = det.evaluate([tag], END - 8 * H)  # one hour into the burst
    assert [a.subject for a in rising] == ["#launch"]
    seen = []
    for h in range(6, -1, -1):  # from the end of the burst onwards
        alerts = det.evaluate([tag], END - h * H)
        seen.append(alerts[0].observed if alerts else 0.0)
    # Still elevated right after the burst, decaying steadily rather than dropping to nothing.
    assert seen[0] > 0
    assert all(later <= earlier for earlier, later in itertools.pairwise(seen))
    assert seen[1] > 0.7 * seen[0]


def test_too_few_people_is_not_a_trend() -> None:
    authors = np.zeros(N)
    authors[-3:] = [3, 2, 3]  # eight people, out of nowhere
    tiny = series(authors, authors=authors, subject="#tiny", kind="hashtag")
    assert detector().evaluate(heard(tiny), END) == []
    assert detector(min_authors=5).evaluate(heard(tiny), END) != []


def test_a_term_that_is_always_bursty_needs_more() -> None:
    rng = np.random.default_rng(9)
    bursty = rng.poisson(2.0, N).astype(float)
    bursty[rng.choice(N - 10, 12, replace=False)] += 25  # it flares up every now and then
    bursty[-3:] += 8
    s = series(bursty, authors=bursty, subject="#drama", kind="hashtag")
    calm = term("#calm", 2.0, burst=8)
    out = {a.subject for a in detector().evaluate(heard(s, calm), END)}
    assert "#calm" in out
    assert "#drama" not in out


def test_days_before_the_store_heard_anything_are_not_a_quiet_baseline() -> None:
    # The store has heard for the last 3.5 days only: a usual ~1.6 people an hour, then 14 in
    # three hours (under three times the usual 3-hour level: not news).
    usual = np.zeros(N)
    usual[N // 2 :] = np.resize([2, 1, 2, 1, 2], N - N // 2)
    usual[-3:] = [4, 5, 5]
    chatter = series(usual, authors=usual, subject="#ecommerce", kind="hashtag")
    steady = np.full(N, 20.0)
    steady[: N // 2] = 0
    heard_since = series(steady, authors=steady, subject="#daily", kind="hashtag")
    assert detector().evaluate([chatter, heard_since], END) == []
    # Nothing at all before the store has heard for `min_history` (2 days) before the episode:
    # with less, a brand-new term cannot be told from one that was always there.
    outage = term("#outage", 0.0, burst=15)
    for heard_hours, alerts in ((27 + 47, 0), (27 + 48, 1)):  # the episode is the last 27 hours
        steady[:] = 20.0
        steady[: N - heard_hours] = 0
        fresh_store = series(steady, authors=steady, subject="#daily", kind="hashtag")
        assert len(detector().evaluate([outage, fresh_store], END)) == alerts


def test_related_terms_move_together() -> None:
    a = term("#strike", 0.2, burst=12, hours=5)
    b = term("#اعتصاب", 0.2, burst=9, hours=5)
    c = term("#weather", 6)
    alerts = {x.subject: x for x in detector().evaluate([a, b, c], END)}
    assert alerts["#strike"].related == ("#اعتصاب",)
    assert alerts["#اعتصاب"].related == ("#strike",)
    assert detector(related=0).evaluate([a, b], END)[0].related == ()


def test_query_follows_options() -> None:
    det = detector(kind="topic", lang="fa", platform="telegram", limit=50)
    assert det.query.kind == "topic"
    assert det.query.lang == "fa"
    assert det.query.platform == "telegram"
    assert det.query.limit == 50
    assert det.query.subject is None
    [alert] = det.evaluate(heard(term("#x", 0.0, burst=15)), END)
    assert alert.lang == "fa"


def test_clock_jumps_and_missing_buckets() -> None:
    tag = term("#outage", 0.0, burst=15)
    at_end = detector().evaluate(heard(tag), END)
    assert at_end
    assert [replace(a, at=END) for a in detector().evaluate(heard(tag), END + timedelta(minutes=30))] == at_end
    assert detector().evaluate(heard(tag), END - 4 * H) == []  # the clock went back: not started yet
    sparse = np.zeros(N)
    sparse[::13] = 1  # one person every 13 hours; every other bucket absent
    assert detector().evaluate([series(sparse, authors=sparse, subject="#rare", kind="hashtag")], END) == []


def test_the_decaying_peak_is_the_running_max_of_decayed_values() -> None:
    from alerts.detectors.emerging_term import _decaying_peak

    sums = np.array([0.0, 0.0, 4.0, 1.0, 0.0, 9.0, 2.0, 2.0, 0.0] * 200)  # long: no overflow
    expected, level = [], 0.0
    for v in sums:
        level = max(v, level * 0.9)
        expected.append(level)
    assert np.allclose(_decaying_peak(sums, 0.9), expected)
