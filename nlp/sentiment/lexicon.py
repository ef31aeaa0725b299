"""The default sentiment model: lexicon scorers per language plus per-brand attribution.

`LexiconSentiment.analyse(tokens, text, lang, brands)` is independent of spaCy (the component in
`components.py` feeds it a Doc's tokens), so it is easy to test and reuse in the textcat
features. Brand mentions are inert: their tokens are neither sentiment words nor modifiers, so
"United" or "@united" never makes a post about United Airlines positive.

Languages: "en" uses the English scorer (VADER's lexicon and rules); "fa" and "ar" the Persian
one (Arabic shares the script and much sentiment vocabulary — ممتاز، ضعیف، مشکل — but has no
lexicon of its own yet); "other" the English one, which still reads emoji, emoticons and English
words in, say, a Finglish post.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nlp.sentiment.attribution import BrandRef, BrandScope, Range, attribute, brand_scores
from nlp.sentiment.english import EnglishScorer
from nlp.sentiment.persian import PersianScorer
from nlp.sentiment.valence import Calibration, normalize
from nlp.sentiment.words import Resolve, Scored, Token, Word, as_text
from trendwatch.models import SentimentLabel

DEFAULT_CALIBRATION = Calibration(negativity=1.4, question=0.5, weak=1.0, positive=0.2, negative=0.05)
"""Tuned once on TweetEval (English, 3-class) and checked on Snappfood (Persian, binary); see
docs/nlp.md for the procedure and the figures on each half of the data."""


@dataclass(frozen=True, slots=True)
class SentimentResult:
    """A post's sentiment: score in [-1, 1], its label, and per-brand scores."""

    score: float
    label: SentimentLabel
    brands: Mapping[str, float] = field(default_factory=dict)


def script_language(text: str) -> str:
    """'fa' when the text has Arabic-script letters, else 'en' — for callers with no language
    detector upstream (the pipeline's language component sets doc._.lang properly)."""
    for ch in text:
        if "\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufeff":
            return "fa"
    return "en"


PERSIAN_COMPARED_BY = frozenset({"از"})


def _persian_comparative(word: Word) -> bool:
    return bool(word.valence) and word.key.endswith(("تر", "تره"))


class LexiconSentiment:
    """Routes a post to its language's scorer and attributes sentiment to brands."""

    def __init__(self, calibration: Calibration = DEFAULT_CALIBRATION) -> None:
        self.calibration = calibration
        self.english = EnglishScorer()
        self.persian = PersianScorer()

    def scored(
        self,
        tokens: Sequence[Token],
        text: str,
        lang: str | None,
        inert: Sequence[int] = (),
        resolve: Resolve = as_text,
    ) -> Scored:
        """Token-level scores (what the textcat features and the attribution build on).
        `tokens` are texts, or ORTH hashes with `resolve` turning one into its text."""
        if lang is None:
            lang = script_language(text)
        scorer = self.persian if lang in ("fa", "ar") else self.english
        return scorer.score(tokens, text, inert, resolve)

    def analyse(
        self,
        tokens: Sequence[Token],
        text: str,
        lang: str | None,
        brands: Sequence[BrandRef] = (),
        resolve: Resolve = as_text,
    ) -> SentimentResult:
        inert = [i for ref in brands for i in range(ref.start, ref.end)]
        scored = self.scored(tokens, text, lang, inert, resolve)
        score = scored.score(self.calibration)
        label = self.calibration.label(score)
        if not brands:
            return SentimentResult(score, label)
        return SentimentResult(score, label, self.brand_sentiment(scored, brands, score))

    @staticmethod
    def scopes(scored: Scored, brands: Sequence[BrandRef]) -> list[BrandScope]:
        """Which token ranges speak about which brand (language-aware comparison rules)."""
        persian = scored.language == "fa"
        return attribute(
            scored.words,
            scored.valences,
            brands,
            is_comparative=_persian_comparative,
            compared_by=PERSIAN_COMPARED_BY if persian else frozenset(),
            predicate_to_subject=persian,
        )

    def brand_sentiment(self, scored: Scored, brands: Sequence[BrandRef], score: float) -> dict[str, float]:
        distinct = dict.fromkeys(ref.brand for ref in brands)
        if len(distinct) == 1:
            return dict.fromkeys(distinct, score)
        scopes = self.scopes(scored, brands)
        count = self.calibration.count

        def clause_score(ranges: Sequence[Range]) -> float:
            total = 0.0
            for start, end in ranges:
                total += sum(count(v, scored.question) for v in scored.valences[start:end] if v)
            return normalize(total)

        return brand_scores(scopes, clause_score)
