"""Brand mentions: a PhraseMatcher built from the configured brands.

Every name and alias of a brand, in any script, becomes a set of token patterns compared on the
tokens' NORM, which is `nlp.normalise.fold` of the token (lower-case, Persian letter variants
and joiners folded). On top of that, each alias is expanded so that what separates its words does
not matter: "Time Warner" also matches `TimeWarner`, `time-warner`, `Time/Warner` and
`#time_warner`; "دیجی کالا" also matches `دیجی‌کالا` (ZWNJ) and `دیجیکالا` (nothing).

What a brand matches (see tests/nlp/test_brands.py):

- its name and aliases, with the separator variants above, case-insensitively; a Persian name
  of four letters or more also with the enclitics colloquial Persian glues to it
  (`اسنپو`, `دیجی‌کالاها`, `دیجی‌کالایی`);
- the hashtag, handle and cashtag forms of each (`#digikala`, `@digikala`, `$GM`);
- its configured `handles` and `hashtags`, only in that form (`@united` does not make the word
  "united" a mention);
- with `finglish: true`, Persian-script candidates of Latin names and Finglish candidates of
  Persian ones (`nlp.finglish`);
- a one- or two-letter alias written in capitals (GM, HP, EA) only as written: in lower case
  such tokens are usually something else ("gm" = good morning).

Phrases in `exclude` cancel a mention they overlap ("apple pie" is not Apple). Overlapping
mentions keep the longest ("Time Warner Cable" over "Time Warner"). The result is one Span per
mention in `doc.spans["brands"]`, labelled with the brand's config name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import product
from typing import Any

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from nlp import extensions as ext
from nlp.finglish import to_latin, to_persian
from nlp.normalise import key, normalise
from trendwatch.config import BrandConfig

_WORD_BREAKS = re.compile(r"[\s\u200c_\-/]+")
_GAPS = (" ", "", "-", "/")
_MAX_GAP_WORDS = 4
_EXCLUDE = "\x00exclude\x00"


PERSIAN_SUFFIXES = ("ها", "های", "هایی", "هارو", "ی", "یی", "یها", "رو", "و", "ش", "شون", "مون", "تون")
"""Enclitics colloquial Persian glues to a name: plural, indefinite, object marker, possessives."""


def persian_inflections(joined: str) -> list[str]:
    """`اسنپو`, `دیجیکالاها`, ... for a Persian-script name of four letters or more (shorter
    names are too often the start of other words: ترب + ت is the town تربت)."""
    if len(joined) < 4 or not all("\u0600" <= ch <= "\u06ff" for ch in joined):
        return []
    return [joined + suffix for suffix in PERSIAN_SUFFIXES]


def _is_acronym(name: str) -> bool:
    letters = [ch for ch in name if ch.isalpha()]
    return 0 < len(letters) <= 2 and name.isascii() and name.isupper()


def spellings(phrase: str) -> list[str]:
    """The written variants of a phrase.

    Several words: each gap between them as a space, nothing, `-` or `/` (all combinations up
    to four words; longer phrases: spaced or fully joined). One word: also split in two where
    people split compounds — Persian with a space or `-` (دیجیکالا / دیجی کالا), Latin only
    with `-` or `/` ("digi-kala"; a Latin name split by a space is usually two other words:
    "safe way" is not Safeway).
    """
    words = [w for w in _WORD_BREAKS.split(normalise(phrase)) if w]
    if len(words) == 1:
        return [words[0], *_splits(words[0])]
    if len(words) <= _MAX_GAP_WORDS:
        gap_sets: Iterable[tuple[str, ...]] = product(_GAPS, repeat=len(words) - 1)
    else:
        gap_sets = [(" ",) * (len(words) - 1), ("",) * (len(words) - 1)]
    out = [words[0] + "".join(g + w for g, w in zip(gaps, words[1:], strict=True)) for gaps in gap_sets]
    return list(dict.fromkeys(out))


def _splits(word: str) -> list[str]:
    letters = sum(ch.isalpha() for ch in word)
    if letters != len(word):
        return []  # AT&T, Kindle2: not a compound of two words
    persian = all("\u0600" <= ch <= "\u06ff" for ch in word)
    shortest, gaps = (2, (" ", "-")) if persian else (3, ("-", "/"))
    return [word[:i] + gap + word[i:] for i in range(shortest, len(word) - shortest + 1) for gap in gaps]


class BrandMatcher:
    """spaCy component: finds brand mentions and stores them in `doc.spans["brands"]`."""

    def __init__(self, nlp: Language, brands: Sequence[BrandConfig]) -> None:
        self._make_doc = nlp.tokenizer  # not nlp itself: no reference cycle, so an old pipeline
        self._vocab = nlp.vocab  # is freed as soon as the enricher drops it
        self.brands = tuple(brands)
        self._folded = PhraseMatcher(nlp.vocab, attr="NORM")
        self._exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self._has_exact = False
        strings = nlp.vocab.strings
        self._brand_of = {strings.add(b.name): b.name for b in self.brands}  # match id -> brand
        self._vetoes: dict[int, int] = {}  # match id of an exclusion -> match id of its brand
        for brand in self.brands:
            self._add_brand(brand)

    # -------------------------------------------------------------- building

    def _add_brand(self, brand: BrandConfig) -> None:
        folded: list[Doc] = []
        exact: list[Doc] = []
        for name in self._names(brand):
            if _is_acronym(name):
                exact.extend(self._words(f"{sigil}{name}") for sigil in ("", "#", "$"))
                continue
            folded.extend(self._make_doc(variant) for variant in spellings(name))
            joined = key(name)
            if joined:
                folded.extend(self._words(f"{sigil}{joined}") for sigil in ("", "#", "@", "$"))
                folded.extend(self._words(inflected) for inflected in persian_inflections(joined))
        for handle in brand.handles:
            folded.append(self._words("@" + key(handle.lstrip("@"))))
        for tag in brand.hashtags:
            folded.append(self._words("#" + key(tag.lstrip("#"))))
        self._folded.add(brand.name, folded)
        if exact:
            self._exact.add(brand.name, exact)
            self._has_exact = True
        exclusions = [self._make_doc(v) for phrase in brand.exclude for v in spellings(phrase)]
        if exclusions:
            self._folded.add(_EXCLUDE + brand.name, exclusions)
            strings = self._vocab.strings
            self._vetoes[strings.add(_EXCLUDE + brand.name)] = strings.add(brand.name)

    def _words(self, token: str) -> Doc:
        """A one-token pattern (hashtag/handle forms must not be split by the tokenizer)."""
        return Doc(self._vocab, words=[normalise(token)])

    @staticmethod
    def _names(brand: BrandConfig) -> Iterator[str]:
        names = list(dict.fromkeys([brand.name, *brand.aliases]))
        yield from names
        if brand.finglish:
            for name in names:
                yield from to_persian(name)
                yield from to_latin(name)

    # -------------------------------------------------------------- matching

    def __call__(self, doc: Doc) -> Doc:
        matches: list[tuple[int, int, int]] = self._folded(doc)
        if self._has_exact:
            matches += self._exact(doc)
        if self._vetoes and matches:
            matches = self._without_exclusions(matches)
        if len(matches) > 1:
            matches = _longest_first(matches)
        spans = [Span(doc, start, end, label=key) for key, start, end in matches]
        doc.spans[ext.BRAND_SPANS] = spans
        brand_of = self._brand_of
        doc.user_data[ext.MENTIONS_KEY] = tuple(
            (brand_of[key], s.start, s.end, s.start_char, s.end_char)
            for (key, _, _), s in zip(matches, spans, strict=True)
        )
        return doc

    def _without_exclusions(self, matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        vetoes = self._vetoes
        excluded = [(vetoes[key], start, end) for key, start, end in matches if key in vetoes]
        if not excluded:
            return matches
        return [
            (key, start, end)
            for key, start, end in matches
            if key not in vetoes and not any(b == key and s < end and start < e for b, s, e in excluded)
        ]


def _longest_first(matches: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Non-overlapping matches, preferring the longest, then the earliest (spaCy's
    `filter_spans` on plain tuples), in text order."""
    kept: list[tuple[int, int, int]] = []
    taken: set[int] = set()
    for match in sorted(matches, key=lambda m: (m[1] - m[2], m[1])):
        span = range(match[1], match[2])
        if taken.isdisjoint(span):
            kept.append(match)
            taken.update(span)
    return sorted(kept, key=lambda m: m[1])


@Language.factory(
    "trendwatch_brands",
    requires=["token.norm"],
    assigns=["doc.spans"],
    default_config={"brands": []},
)
def make_brand_matcher(nlp: Language, name: str, brands: list[dict[str, Any]]) -> BrandMatcher:
    """`brands` are BrandConfig mappings (as `BrandConfig.model_dump()` gives them)."""
    return BrandMatcher(nlp, [BrandConfig.model_validate(b) for b in brands])


def brand_configs(brands: Iterable[BrandConfig]) -> list[dict[str, Any]]:
    """The component's `brands` setting for these brands."""
    return [b.model_dump(mode="json") for b in brands]
