"""What a lexicon scorer knows about one token, and the per-post result both languages share.

Scorers classify each distinct token text once (lexicon look-up, affixes, elongation, hashtag
prefix, emoji) and remember the answer in a bounded memo, so scoring a post is a list of dict
hits plus a few comparisons: that is what keeps the English path several times faster than the
VADER package's own loop while applying the same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from nlp.sentiment.valence import CONTRAST_AFTER, CONTRAST_BEFORE, Calibration, normalize, with_emphasis

# Boundary kinds: where a clause ends, for per-brand attribution and contrast weighting.
NO_BOUNDARY = 0
CLAUSE = 1  # punctuation that ends a clause: , ; . ! ? ، ؛ ؟ … and line breaks
CONTRAST = 2  # "but", "however", "ولی", "اما": a clause ends and the weight shifts to what follows
COMPARISON = 3  # "unlike", "than", "برخلاف": what follows is compared against what came before


class Word:
    """A token's sentiment-relevant properties (shared by every occurrence of the same text).

    `valence` is the lexicon valence on VADER's scale (0.0 for most tokens); `boundary` one of
    the kinds above. Language scorers subclass this with their own rule flags.
    """

    __slots__ = ("boundary", "key", "valence")

    def __init__(self, key: str, valence: float = 0.0, boundary: int = NO_BOUNDARY) -> None:
        self.key = key
        self.valence = valence
        self.boundary = boundary

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r}, valence={self.valence}, boundary={self.boundary})"


W = TypeVar("W", bound=Word)


def split_words(text: str) -> list[str]:
    """A word list written as whitespace-separated text (how the rule word lists read best)."""
    return text.split()


Token = int | str
"""A token as its text, or as spaCy's ORTH hash of the text (what `Doc.to_array(ORTH)` gives,
about four times cheaper than building Token objects to read `.text`)."""

Resolve = Callable[[Token], str]


def as_text(token: Token) -> str:
    """The identity resolver, for tokens given as text."""
    return token if isinstance(token, str) else str(token)


class Memo(Generic[W]):
    """token (text or ORTH hash) -> Word, bounded so a long-running process keeps flat memory.

    Most tokens carry no sentiment; they all map to one shared plain Word, so an entry costs
    little more than its key. ORTH hashes are a fixed function of the text (MurmurHash), so
    entries stay valid when the pipeline, and with it the string store, is rebuilt. When the
    memo reaches `limit` entries it starts afresh (cheaper and simpler than LRU bookkeeping on
    the hot path; the next posts re-fill it).
    """

    __slots__ = ("_classify", "_entries", "limit")

    def __init__(self, classify: Callable[[str], W], limit: int = 200_000) -> None:
        self._classify = classify
        self._entries: dict[Token, W] = {}
        self.limit = limit

    def lookup(self, tokens: Sequence[Token], resolve: Resolve = as_text) -> list[W]:
        entries = self._entries
        if len(entries) > self.limit:
            entries.clear()
        get = entries.get
        out = [get(token) for token in tokens]
        if None in out:
            classify = self._classify
            for i, found in enumerate(out):
                if found is None:
                    token = tokens[i]
                    word = entries[token] = classify(resolve(token))
                    out[i] = word
        return out  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(slots=True)
class Scored:
    """One post scored token by token.

    `valences[i]` is token i's contribution after the word-level rules (negation, boosters,
    caps, idioms) and before contrast weighting; `words[i]` what the scorer knew about it;
    `contrast` the index of the first contrastive conjunction ("but", "ولی"), or -1;
    `emphasis` the extra intensity from "!" and "??"; `question` whether the post asks;
    `language` which scorer read it ("en" or "fa").
    """

    words: Sequence[Word]
    valences: list[float]
    contrast: int
    emphasis: float
    question: bool
    language: str = "en"

    def total(self, calibration: Calibration, start: int = 0, end: int | None = None) -> float:
        """Summed valence of tokens [start, end), as the calibration counts it, with "X but Y"
        weighting Y over X (VADER's 'but' rule) when the contrast falls inside the range."""
        values = self.valences if start == 0 and end is None else self.valences[start:end]
        c = self.contrast - start
        count = calibration.count
        question = self.question
        if not 0 <= c < len(values):
            return sum([count(v, question) for v in values if v])
        before = sum([count(v, question) for v in values[:c] if v])
        after = sum([count(v, question) for v in values[c + 1 :] if v])
        return CONTRAST_BEFORE * before + CONTRAST_AFTER * after

    def score(self, calibration: Calibration) -> float:
        """The post's sentiment in [-1, 1] (VADER's compound score)."""
        return normalize(with_emphasis(self.total(calibration), self.emphasis))
