"""Net sentiment with its uncertainty, as the web app and the report both show it.

Each post (or mention) scores +1 (positive), 0 (neutral) or -1 (negative); net sentiment is the
mean score, the share of positive minus the share of negative, in [-1, 1]. Its 95% interval uses
the variance of that three-valued score: (p + q - (p - q)^2) / n.
"""

from __future__ import annotations

import math

Z95 = 1.96


def net_sentiment(positive: int, negative: int, total: int) -> tuple[float, float] | None:
    """(net sentiment, half-width of its 95% interval), or None when there is nothing to judge."""
    if total <= 0:
        return None
    p, q = positive / total, negative / total
    variance = max(0.0, p + q - (p - q) ** 2) / total
    return p - q, Z95 * math.sqrt(variance)
