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
    start, lead, previous = 0, NO_BOUNDARY, -1
    for i in [i for i, word in enumerate(words) if word.boundary]:
        content = i > start if previous < start else i > previous + 1  # words since the clause opened
        if content:
            out.append((start, i, lead))
            start, lead = i, words[i].boundary
        else:  # ", but", ". Unlike": consecutive boundaries open one clause
            lead = max(lead, words[i].boundary)
        previous = i
    if start < len(words) or not out:
        out.append((start, len(words), lead))
    return out


def attribute(
    words: Sequence[Word],
    valences: Sequence[float],
    brands: Sequence[BrandRef],
    is_comparative: Callable[[Word], bool] = lambda word: False,
    compared_by: frozenset[str] = frozenset(),
    predicate_to_subject: bool = False,
) -> list[BrandScope]:
    """Scopes for every distinct brand in `brands` (in order of first mention).

    `is_comparative(word)` says whether a word is a comparative ("بهتر"), and `compared_by` the
    keys of words that put a brand on the compared side of it ("از"), for languages that
    compare inside one clause instead of with a separate "than" clause.
    `predicate_to_subject`: in a comparison clause ("unlike Y ...", "برخلاف Y ...") the words
    after the compared brand describe the subject, as in Persian "X برخلاف Y سریع بود" (X,
    unlike Y, was fast); otherwise they describe the compared brand, as in English "X was great,
    unlike Y which lost my bag".
    """
    order = list(dict.fromkeys(ref.brand for ref in brands))
    if not order:
        return []
    parts = [_Clause(start, end, lead, [], [], any(valences[start:end])) for start, end, lead in clauses(words)]
    for ref in brands:
        clause = _clause_of(parts, ref.start)
        compared = (
            ref.start > clause.start
            and words[ref.start - 1].key in compared_by
            and any(is_comparative(words[i]) for i in range(clause.start, clause.end))
        )
        target = clause.inverse_brands if compared else clause.brands
        if ref.brand not in target:
            target.append(ref.brand)

    owned: dict[str, list[Range]] = {brand: [] for brand in order}
    contrasted: dict[str, list[str]] = {brand: [] for brand in order}  # brand -> its subjects
    current: list[str] = []  # the brands the post is talking about now
    pending: list[Range] = []  # sentiment before any brand is named
    waiting: list[str] = []  # "Unlike Y, ...": compared brands waiting for their subject
    for clause in parts:
        span = (clause.start, clause.end)
        if clause.lead == COMPARISON and clause.brands:
            if current:
                for brand in clause.brands:
                    contrasted[brand].extend(current)
            else:
                waiting.extend(clause.brands)
            if clause.has_sentiment:
                if not predicate_to_subject:
                    for brand in clause.brands:
                        owned[brand].append(span)
                elif current:
                    for brand in current:
                        owned[brand].append(span)
                else:
                    pending.append(span)
            continue
        if clause.brands or clause.inverse_brands:
            subjects = clause.brands
            for brand in subjects:
                owned[brand].append(span)
                owned[brand].extend(pending)
            for brand in clause.inverse_brands:
                contrasted[brand].extend(subjects)
            for brand in waiting:
                contrasted[brand].extend(subjects)
            pending, waiting = [], []
            current = subjects or current
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
            continue
        compared_with = [r for subject in dict.fromkeys(contrasted[brand]) if subject != brand for r in owned[subject]]
        if compared_with:
            scopes.append(BrandScope(brand, tuple(dict.fromkeys(compared_with)), inverse=True))
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
