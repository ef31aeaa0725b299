from __future__ import annotations

import math

import pytest

from trendwatch.service.tone import net_sentiment


def test_net_sentiment_and_its_interval() -> None:
    assert net_sentiment(0, 0, 0) is None
    net, margin = net_sentiment(60, 20, 100)  # type: ignore[misc]
    assert net == pytest.approx(0.4)
    # variance of a +1/0/-1 score: p + q - (p - q)^2 = 0.6 + 0.2 - 0.16 = 0.64; / n = 0.0064
    assert margin == pytest.approx(1.96 * math.sqrt(0.0064))
    assert net_sentiment(5, 0, 5) == (1.0, 0.0)  # all positive: no spread
