"""Numbers and small helpers every lexicon scorer shares.

Scores follow VADER's scale: a word's valence is roughly in [-4, 4], modifiers add or scale it,
and a post's sum is squashed into [-1, 1] with `normalize`. Keeping one scale lets English and
Persian posts, and the clauses of one post, be compared and summed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trendwatch.models import SentimentLabel

# VADER's empirically derived constants (Hutto & Gilbert 2014), reused for Persian so both
# languages live on one scale.
B_INCR = 0.293  # a booster ("very", "خیلی") adds this much intensity
B_DECR = -0.293  # a dampener ("slightly", "کمی") takes this much away
C_INCR = 0.733  # an ALL-CAPS (or elongated) sentiment word among lower-case ones
N_SCALAR = -0.74  # a negated word keeps 74% of its intensity, with the sign flipped
CONTRAST_BEFORE = 0.5  # "good food but slow delivery": what comes before "but" counts half
CONTRAST_AFTER = 1.5  # ... and what comes after counts one and a half
ALPHA = 15.0  # normalisation constant: the sum at which the score is about 0.97


def normalize(total: float, alpha: float = ALPHA) -> float:
    """Squash a sum of valences into [-1, 1] (VADER's compound score)."""
    if total == 0.0:
        return 0.0
    score = total / math.sqrt(total * total + alpha)
    return -1.0 if score < -1.0 else 1.0 if score > 1.0 else score


def punctuation_emphasis(text: str) -> float:
    """Extra intensity from '!' (up to four) and from two or more question marks."""
    if "!" not in text and "?" not in text and "؟" not in text:
        return 0.0
    exclamations = min(text.count("!"), 4)
    questions = text.count("?") + text.count("؟")
    amplifier = exclamations * 0.292
    if questions > 1:
        amplifier += questions * 0.18 if questions <= 3 else 0.96
    return amplifier


def with_emphasis(total: float, emphasis: float) -> float:
    """Push a non-zero sum further from zero by the punctuation emphasis."""
    if total > 0.0:
        return total + emphasis
    if total < 0.0:
        return total - emphasis
    return 0.0


@dataclass(frozen=True, slots=True)
class Calibration:
    """The few global settings that turn word valences into a post's score and label.

    They were tuned once, as a handful of global numbers, on labelled posts (docs/nlp.md says
    how and gives the figures); the word valences themselves are never fitted to data.

    - `negativity`: negative valences are multiplied by this. People label a post negative on
      less evidence than positive (negativity bias), and complaints are often understated.
    - `question`: positive valences in a post that asks something ("?", "؟") are multiplied by
      this: "is it any good?" asks rather than praises.
    - `weak`: every valence moves this much towards zero, so weak words ("want", "ok",
      "number") stop tipping posts out of neutral, while "love" or "awful" barely change.
    - `positive` / `negative`: where the neutral band ends on each side (score >= positive is
      positive, score <= -negative is negative). VADER suggests 0.05 for both.
    """

    negativity: float = 1.0
    question: float = 1.0
    weak: float = 0.0
    positive: float = 0.05
    negative: float = 0.05

    def __post_init__(self) -> None:
        if not (0.0 <= self.positive <= 1.0 and 0.0 <= self.negative <= 1.0):
            raise ValueError(f"thresholds must be in [0, 1], got {self.positive}, {self.negative}")
        if self.negativity <= 0 or self.question < 0 or self.weak < 0:
            raise ValueError("negativity must be > 0; question and weak >= 0")

    def count(self, valence: float, question: bool) -> float:
        """How one word's valence counts towards the score."""
        if valence > self.weak:
            return (valence - self.weak) * (self.question if question else 1.0)
        if valence < -self.weak:
            return (valence + self.weak) * self.negativity
        return 0.0

    def adjust(self, valences: list[float], question: bool) -> list[float]:
        """Every valence as it counts towards the score."""
        return [self.count(v, question) if v else 0.0 for v in valences]

    def label(self, score: float) -> SentimentLabel:
        if score >= self.positive and score > 0.0:
            return "positive"
        if score <= -self.negative and score < 0.0:
            return "negative"
        return "neutral"


VADER_CALIBRATION = Calibration()
"""VADER's own behaviour: plain sums, neutral band of ±0.05."""
