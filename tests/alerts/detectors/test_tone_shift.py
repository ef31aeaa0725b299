"""Tone shift on literal series: a steady tone, a negative pile-on (the crisis alert), a souring
net sentiment, improvements, volatile brands, sparse windows and missing buckets."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import numpy as np

from alerts.detectors.tone_shift import ToneShift
from tests.alerts.detectors.series import END, series

DAYS = 14
N = DAYS * 24
_S = timedelta(seconds=1)


def detector(**options: Any) -> ToneShift:
    return ToneShift("tone", ToneShift.Options(**options))


def brand(
    posts: float = 40,
    neg_share: float = 0.15,
    pos_share: float = 0.35,
    *,
    seed: int = 1,
    volatility: float = 0.0,
    last: int = 0,
    last_neg: float | None = None,
    last_pos: float | None = None,
    subject: str = "Acme",
) -> Any:
    """Hourly posts with binomial tone; `volatility` makes the shares drift from day to day;
    the `last` hours use `last_neg`/`last_pos` shares instead."""
    rng = np.random.default_rng(seed)
    count = rng.poisson(posts, N).astype(float)
    neg_p = np.full(N, neg_share)
    pos_p = np.full(N, pos_share)
    if volatility:
        swing = rng.normal(0, volatility, N // 3 + 1).repeat(3)[:N]  # shares wander per 3-hour block
        neg_p = np.clip(neg_p + swing, 0.01, 0.9)
        pos_p = np.clip(pos_p - swing, 0.01, 0.9)
    if last:
        if last_neg is not None:
            neg_p[-last:] = last_neg
        if last_pos is not None:
            pos_p[-last:] = last_pos
    negative = rng.binomial(count.astype(int), neg_p)
    positive = rng.binomial((count - negative).astype(int), np.clip(pos_p / (1 - neg_p), 0, 1))
    return series(count, negative=negative, positive=positive, subject=subject)


def test_a_steady_tone_raises_nothing() -> None:
    det = detector(direction="both")
    for seed in range(5):
        s = brand(seed=seed)
        assert [a for h in range(0, 48, 3) for a in det.evaluate([s], END - h * 3600 * _S)] == []


def test_a_negative_pile_on_is_the_crisis_alert() -> None:
    s = brand(last=3, last_neg=0.6, last_pos=0.1)
    [alert] = detector().evaluate([s], END)
    assert alert.kind == "tone_shift"
    assert alert.metric == "negative_share"
    assert alert.direction == "up"
    assert alert.severity == "critical"
    assert 0.1 < alert.expected < 0.2
    assert alert.observed > 0.45
    assert alert.z > 5
    assert alert.started_at == END - 3 * 3600 * _S


def test_souring_net_sentiment_is_reported_when_negatives_stay_few() -> None:
    # Positives vanish, negatives barely move: the net sentiment drops, the negative share does not.
    s = brand(neg_share=0.05, pos_share=0.6, last=3, last_neg=0.07, last_pos=0.1)
    [alert] = detector().evaluate([s], END)
    assert alert.metric == "net_sentiment"
    assert alert.direction == "down"
    assert alert.observed < alert.expected
    assert alert.severity == "warning"


def test_improvements_are_reported_only_when_asked() -> None:
    s = brand(neg_share=0.4, pos_share=0.2, last=3, last_neg=0.02, last_pos=0.8)
    assert detector().evaluate([s], END) == []
    [better] = detector(direction="better").evaluate([s], END)
    assert better.direction in ("up", "down")
    assert [a.metric for a in detector(direction="both").evaluate([s], END)] == [better.metric]


def test_significance_depends_on_the_brands_own_history() -> None:
    """The same move is news for a brand whose tone never moves, and ordinary for one whose
    tone swings every few hours: no fixed threshold."""
    shift: dict[str, Any] = {"last": 3, "last_neg": 0.32, "last_pos": 0.3}
    stable = brand(**shift)
    volatile = brand(volatility=0.15, **shift)
    assert detector(metric="negative_share").evaluate([stable], END) != []
    assert detector(metric="negative_share").evaluate([volatile], END) == []


def test_a_bigger_window_of_posts_makes_a_smaller_move_significant() -> None:
    move: dict[str, Any] = {"last": 3, "last_neg": 0.25, "last_pos": 0.3}
    assert detector(metric="negative_share").evaluate([brand(posts=15, **move)], END) == []
    assert detector(metric="negative_share").evaluate([brand(posts=400, **move)], END) != []


def test_too_few_posts_or_negatives_are_not_judged() -> None:
    s = brand(posts=3, last=3, last_neg=0.9, last_pos=0.0)
    assert detector().evaluate([s], END) == []
    s = brand(posts=40, last=3, last_neg=0.6, last_pos=0.1)
    assert detector(min_negative=1000).evaluate([s], END) != []  # net sentiment still speaks
    assert detector(min_negative=1000, metric="negative_share").evaluate([s], END) == []


def test_missing_buckets_and_a_short_history() -> None:
    counts = np.zeros(N)
    counts[-3:] = 30
    neg = np.zeros(N)
    neg[-3:] = 25
    s = series(counts, negative=neg)
    assert detector().evaluate([s], END) == []  # no history windows with posts: nothing to compare with
    sparse = brand(last=3, last_neg=0.6, last_pos=0.1)
    filled = series(
        [b.count for b in sparse.dense()],
        negative=[b.negative for b in sparse.dense()],
        positive=[b.positive for b in sparse.dense()],
        keep_zeros=True,
    )
    assert detector().evaluate([sparse], END) == detector().evaluate([filled], END)


def test_each_brand_is_judged_on_its_own() -> None:
    calm = brand(subject="Calm", seed=3)
    angry = brand(subject="Angry", seed=4, last=3, last_neg=0.6, last_pos=0.1)
    assert [a.subject for a in detector().evaluate([calm, angry], END)] == ["Angry"]


def test_clock_jumps_judge_only_complete_buckets_before_now() -> None:
    s = brand(last=3, last_neg=0.6, last_pos=0.1)
    # Between bucket edges: the same complete window as at END.
    assert [replace(a, at=END) for a in detector().evaluate([s], END + timedelta(minutes=40))] == detector().evaluate(
        [s], END
    )
    # The clock went back five hours: the pile-on has not happened yet.
    assert detector().evaluate([s], END - timedelta(hours=5)) == []
