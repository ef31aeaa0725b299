"""Which parts of a post speak about which brand: per-brand sentiment in multi-brand posts.

"X was great, unlike Y" is positive about X and negative about Y; "Y keeps crashing. Switched to
X, love it" is negative about Y and positive about X. The post is cut into clauses at
punctuation, contrast words (but, ولی) and comparison words (unlike, than, برخلاف); each
brand owns the clauses that mention it, and a clause that names no brand ("love it") belongs to
the brand mentioned last before it (or, at the start of a post, the first one after it). A brand
whose own clause only compares it ("unlike Y", "than Y", "Y از ... بهتره" with Y after از) gets
the opposite of the clause it is compared with.

The result is a list of `BrandScope`s: token ranges to score per brand. Scoring is left to the
caller, so the lexicon scorer sums valences over the ranges and the textcat model classifies
their text — one attribution, two scorers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nlp.sentiment.valence import N_SCALAR
from nlp.sentiment.words import COMPARISON, NO_BOUNDARY, Word

Range = tuple[int, int]


@dataclass(frozen=True, slots=True)
class BrandRef:
    """A brand mention as token indices [start, end) of the post."""

    brand: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class BrandScope:
    """The token ranges whose sentiment is about `brand`. When `inverse`, the ranges are what
    the brand is compared against, and its sentiment is the opposite of theirs."""

    brand: str
    ranges: tuple[Range, ...]
    inverse: bool = False


@dataclass(slots=True)
class _Clause:
    start: int
    end: int
    lead: int  # boundary kind of the token that opened it (NO_BOUNDARY for the first clause)
    brands: list[str]
    inverse_brands: list[str]
    has_sentiment: bool


def clauses(words: Sequence[Word]) -> list[tuple[int, int, int]]:
    """(start, end, lead boundary kind) for each clause; a boundary token opens the next one."""
    out: list[tuple[int, int, int]] = []
    start, lead = 0, NO_BOUNDARY
    for i, word in enumerate(words):
        if word.boundary and i > start:
            out.append((start, i, lead))
            start, lead = i, word.boundary
        elif word.boundary:
            lead = max(lead, word.boundary)
    if start < len(words) or not out:
        out.append((start, len(words), lead))
    return out


def attribute(
    words: Sequence[Word],
    valences: Sequence[float],
    brands: Sequence[BrandRef],
    is_comparative: Callable[[Word], bool] = lambda word: False,
    compared_by: frozenset[str] = frozenset(),
) -> list[BrandScope]:
    """Scopes for every distinct brand in `brands` (in order of first mention).

    `is_comparative(word)` says whether a word is a comparative ("بهتر"), and `compared_by` the
    keys of words that put a brand on the compared side of it ("از"), for languages that
    compare inside one clause instead of with a separate "than" clause.
    """
    order = list(dict.fromkeys(ref.brand for ref in brands))
    if not order:
        return []
    parts: list[_Clause] = []
    for start, end, lead in clauses(words):
        parts.append(
            _Clause(start, end, lead, [], [], any(valences[i] for i in range(start, end)))
        )
    for ref in brands:
        clause = _clause_of(parts, ref.start)
        compared = (
            ref.start > clause.start
            and words[ref.start - 1].key in compared_by
            and any(is_comparative(words[i]) for i in range(clause.start, clause.end))
        )
        (clause.inverse_brands if compared else clause.brands).append(ref.brand)

    owned: dict[str, list[Range]] = {brand: [] for brand in order}
    inverse: dict[str, list[Range]] = {brand: [] for brand in order}
    current: list[str] = []
    pending: list[Range] = []  # sentiment before any brand is named
    for index, clause in enumerate(parts):
        span = (clause.start, clause.end)
        if clause.brands or clause.inverse_brands:
            for brand in clause.brands:
                owned[brand].append(span)
                owned[brand].extend(pending)
            for brand in clause.inverse_brands:
                inverse[brand].append(span)
            if clause.lead == COMPARISON and not clause.has_sentiment and index > 0:
                # "..., unlike Y": Y is compared against the clause before
                before = parts[index - 1]
                for brand in clause.brands:
                    owned[brand].remove(span)
                    inverse[brand].append((before.start, before.end))
            pending = []
            current = clause.brands or clause.inverse_brands
        elif clause.has_sentiment:
            if current:
                for brand in current:
                    owned[brand].append(span)
            else:
                pending.append(span)
    scopes = []
    for brand in order:
        if owned[brand]:
            scopes.append(BrandScope(brand, tuple(owned[brand])))
        elif inverse[brand]:
            scopes.append(BrandScope(brand, tuple(inverse[brand]), inverse=True))
        else:
            scopes.append(BrandScope(brand, ()))
    return scopes


def brand_scores(scopes: Sequence[BrandScope], score: Callable[[Sequence[Range]], float]) -> dict[str, float]:
    """brand -> sentiment in [-1, 1], scoring each scope's ranges with `score`."""
    out: dict[str, float] = {}
    for scope in scopes:
        if not scope.ranges:
            out[scope.brand] = 0.0
            continue
        value = score(scope.ranges)
        out[scope.brand] = value * N_SCALAR if scope.inverse else value
    return out


def _clause_of(parts: Sequence[_Clause], token: int) -> _Clause:
    for clause in parts:
        if clause.start <= token < clause.end:
            return clause
    return parts[-1]
