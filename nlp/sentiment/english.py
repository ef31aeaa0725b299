"""English lexicon sentiment: VADER's lexicon and rules, reimplemented over our tokens for speed.

The lexicon is the one inside the installed vaderSentiment package. The rules are VADER's
(Hutto & Gilbert 2014): negation within three words ("not good", "isn't bad", "never so good"),
"no" before a sentiment word, "least", boosters and dampeners with distance decay ("very",
"kind of"), ALL-CAPS emphasis among lower-case words, idioms ("the bomb", "yeah right"),
"but" shifting weight to the second clause, and emphasis from "!" and "??". Beyond the package:
hashtags are looked up without "#" ("#fail"), elongations are undone ("sooo goood"), curly
apostrophes count as straight ones, and emoji use our curated valences.

Speed: each distinct token text is classified once into an `EnglishWord` (memoised), and the
rules only run around tokens that carry valence, so a tweet costs a few microseconds where the
package's per-post string handling costs about 150.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from operator import attrgetter

from nlp.sentiment.emoji import emoji_valences, has_emoji_char, token_emoji_valence
from nlp.sentiment.resources import read_valence_table, vader_lexicon
from nlp.sentiment.valence import B_DECR, B_INCR, C_INCR, N_SCALAR, punctuation_emphasis
from nlp.sentiment.words import (
    CLAUSE,
    COMPARISON,
    CONTRAST,
    NO_BOUNDARY,
    Memo,
    Resolve,
    Scored,
    Token,
    Word,
    as_text,
    split_words,
)

# VADER's negations ("n't" anywhere in a token also negates).
NEGATIONS = frozenset(
    split_words(
        """aint arent cannot cant couldnt darent didnt doesnt ain't aren't can't couldn't daren't didn't
        doesn't dont hadnt hasnt havent isnt mightnt mustnt neither don't hadn't hasn't haven't isn't
        mightn't mustn't neednt needn't never none nope nor not nothing nowhere oughtnt shant shouldnt
        uhuh wasnt werent oughtn't shan't shouldn't uh-uh wasn't weren't without wont wouldnt won't
        wouldn't rarely seldom despite n't nt"""
    )
)

# VADER's boosters (+) and dampeners (-).
BOOSTERS: Mapping[str, float] = {
    **dict.fromkeys(
        split_words(
            """absolutely amazingly awfully completely considerable considerably decidedly deeply effing
            enormous enormously entirely especially exceptional exceptionally extreme extremely fabulously
            flipping flippin frackin fracking fricking frickin frigging friggin fully fuckin fucking fuggin
            fugging greatly hella highly hugely incredible incredibly intensely major majorly more most
            particularly purely quite really remarkably so substantially thoroughly total totally tremendous
            tremendously uber unbelievably unusually utter utterly very"""
        ),
        B_INCR,
    ),
    **dict.fromkeys(
        split_words(
            """almost barely hardly kinda kindof kind-of less little marginal marginally occasional
            occasionally partly scarce scarcely slight slightly somewhat sorta sortof sort-of"""
        ),
        B_DECR,
    ),
}
# Two-word dampeners: VADER adds them to the valence of the word that follows.
BOOSTER_BIGRAMS: Mapping[tuple[str, str], float] = {
    ("kind", "of"): B_DECR,
    ("sort", "of"): B_DECR,
    ("just", "enough"): B_DECR,
}
# VADER's special cases: an idiom containing a lexicon word replaces that word's valence.
IDIOMS: Mapping[tuple[str, ...], float] = {
    ("the", "shit"): 3.0,
    ("the", "bomb"): 3.0,
    ("bad", "ass"): 1.5,
    ("badass",): 1.5,
    ("bus", "stop"): 0.0,
    ("yeah", "right"): -2.0,
    ("kiss", "of", "death"): -1.5,
    ("to", "die", "for"): 3.0,
    ("beating", "heart"): 3.5,
}

# "like" is the verb (a sentiment) only after a subject, an auxiliary or an adverb; elsewhere it is
# the preposition or filler of "looks like", "like a", "like 5 minutes".
LIKE_SUBJECTS = frozenset(
    split_words(
        """i you we they u ya ye people everyone everybody nobody who i'd you'd we'd they'd 'd would do
        does did don't doesn't didn't dont doesnt didnt n't not really actually totally just also still
        kinda to gonna will 'll i'll you'll we'll they'll might may"""
    )
)
# VADER's "but" rule (the first one weighs the clause after it over the one before), extended to
# its synonyms "however" and "yet".
CONTRASTIVE = frozenset({"but", "however", "yet"})
_IDIOM_WORDS = frozenset(
    {word for idiom in IDIOMS for word in idiom} | {w for bigram in BOOSTER_BIGRAMS for w in bigram}
)
CLAUSE_ENDERS = frozenset(
    {",", ";", ".", "!", "?", ":", "…", "...", "..", "-", "--", "—", "–", "(", ")", "\n", "\n\n", "|", "/"}
)
# Punctuation inside a sentence: negation and boosters reach across it ("not smart, handsome, nor
# funny"), but not across a sentence end.
LIST_PUNCTUATION = frozenset({",", ";", ":", "-", "--", "—", "–", "(", ")", "/", "|"})
CONTRAST_WORDS = frozenset({"but", "however", "although", "though", "whereas", "except", "nevertheless", "yet"})
COMPARISON_WORDS = frozenset({"unlike", "than", "vs", "vs.", "versus", "instead", "compared", "whereas"})

# A capitalised sentiment word inside a sentence is mostly part of a name or a headline
# ("Homeland Security", "Best Buy", "Dark Souls 3 Launch Date Confirmed"): it counts half.
TITLE_CASE = 0.5

_PHRASE = attrgetter("phrase")
_CAPS = attrgetter("caps")
_ELONGATION = re.compile(r"(\w)\1{2,}")


class EnglishWord(Word):
    """An English token: lower-cased look-up key plus VADER's per-word facts."""

    __slots__ = ("booster", "caps", "elongated", "in_lexicon", "negation", "phrase", "title")

    def __init__(
        self,
        key: str,
        valence: float = 0.0,
        boundary: int = NO_BOUNDARY,
        *,
        in_lexicon: bool = False,
        booster: float = 0.0,
        negation: bool = False,
        caps: bool = False,
        elongated: bool = False,
        phrase: bool = False,
        title: bool = False,
    ) -> None:
        super().__init__(key, valence, boundary)
        self.in_lexicon = in_lexicon
        self.booster = booster
        self.negation = negation
        self.caps = caps
        self.elongated = elongated
        self.phrase = phrase
        self.title = title


PLAIN = EnglishWord("")  # every token without any sentiment role shares this one
INERT = EnglishWord("")  # brand names, handles, URLs: never sentiment, never modifiers
PHRASE_PART = EnglishWord("", in_lexicon=True)  # a non-final word of a matched phrase

# Inflections tried when a word is not in the lexicon: (suffix, replacements), longest first.
# ("cried" -> cry, "stopped" -> stop, "saddest" -> sad, "happily" -> happy, "sadness" -> sad)
_SUFFIXES = (
    ("iest", ("y",)),
    ("ness", ("",)),
    ("ing", ("", "e", "-double")),
    ("ied", ("y",)),
    ("ies", ("y",)),
    ("ily", ("y",)),
    ("ier", ("y",)),
    ("est", ("", "e", "-double")),
    ("ed", ("", "e", "-double")),
    ("er", ("", "e", "-double")),
    ("ly", ("", "le")),
    ("es", ("",)),
    ("s", ("",)),
)


class EnglishScorer:
    """Scores English token sequences with VADER's lexicon and rules."""

    def __init__(self, lexicon: Mapping[str, float] | None = None, emoji: Mapping[str, float] | None = None) -> None:
        entries = {**vader_lexicon(), **read_valence_table("en_lexicon.tsv")} if lexicon is None else dict(lexicon)
        self._lexicon = {key: value for key, value in entries.items() if " " not in key}
        phrases: dict[str, list[tuple[tuple[str, ...], EnglishWord]]] = {}
        for key, value in entries.items():
            if " " in key and not key.startswith("("):
                seq = tuple(key.split())
                phrases.setdefault(seq[0], []).append((seq, EnglishWord(key, value, in_lexicon=True)))
        for candidates in phrases.values():
            candidates.sort(key=lambda item: -len(item[0]))
        self._phrases = phrases
        self._seconds = {first: {seq[1] for seq, _ in candidates} for first, candidates in phrases.items()}
        # words whose identity the rules look at, so they must keep their key (not share PLAIN)
        self._rule_words = frozenset(
            {word for key in entries if " " in key for word in key.split()}
            | {word for idiom in IDIOMS for word in idiom}
            | {word for bigram in BOOSTER_BIGRAMS for word in bigram}
            | LIKE_SUBJECTS
            | {"this", "doubt", "at", "very", "or", "nor", "least", "like", "no", "never", "without", "so"}
        )
        self._emoji = emoji_valences() if emoji is None else emoji
        self._memo: Memo[EnglishWord] = Memo(self._classify)

    # -- classification of one token text (runs once per distinct text) ------------------------

    def _classify(self, text: str) -> EnglishWord:
        if (text.startswith("@") and len(text) > 1) or text.startswith(("http://", "https://", "www.")):
            return INERT
        key = text.replace("\u2019", "'").replace("\u2018", "'").lower()
        if key.startswith("#") and len(key) > 1:
            key = key[1:]
        boundary = self._boundary(key, text)
        word = self._lookup(key, text, boundary)
        if word is None and _ELONGATION.search(key):
            for collapsed in (_ELONGATION.sub(r"\1\1", key), _ELONGATION.sub(r"\1", key)):
                word = self._lookup(collapsed, text, boundary, elongated=True)
                if word is not None:
                    break
        if word is None and key.isalpha():
            word = self._inflected(key, text, boundary)
        if word is None and has_emoji_char(text):
            valence = token_emoji_valence(text, self._emoji)
            if valence:
                return EnglishWord(key, valence, boundary, in_lexicon=True)
        if word is not None:
            if key in self._phrases:
                word.phrase = True
            return word
        if key in self._phrases:
            return EnglishWord(key, boundary=boundary, phrase=True)
        if boundary != NO_BOUNDARY or key in self._rule_words:
            return EnglishWord(key, boundary=boundary)
        return PLAIN

    def _inflected(self, key: str, text: str, boundary: int) -> EnglishWord | None:
        """'deaths' -> death, 'loved' -> love, 'stopped' -> stop: the valence of the base form
        (for the first suffix that fits; a word the lexicon knows is never stripped)."""
        for suffix, replacements in _SUFFIXES:
            if key.endswith(suffix) and len(key) - len(suffix) >= 3 and not key.endswith("ss"):
                stem = key[: -len(suffix)]
                for tail in replacements:
                    base = stem[:-1] if tail == "-double" and stem[-1] == stem[-2] else stem + tail
                    if tail == "-double" and base == stem:
                        continue
                    valence = self._lexicon.get(base)
                    if valence is not None and base not in BOOSTERS:
                        return EnglishWord(
                            key,
                            valence,
                            boundary,
                            in_lexicon=True,
                            caps=text.isupper(),
                            title=text[0].isupper() and not text.isupper(),
                        )
                return None
        return None

    def _lookup(self, key: str, text: str, boundary: int, *, elongated: bool = False) -> EnglishWord | None:
        booster = BOOSTERS.get(key, 0.0)
        negation = key in NEGATIONS or "n't" in key
        valence = self._lexicon.get(key)
        if valence is None and not booster and not negation:
            return None
        return EnglishWord(
            key,
            0.0 if booster or valence is None else valence,
            boundary,
            in_lexicon=valence is not None,
            booster=booster,
            negation=negation,
            caps=text.isupper(),
            elongated=elongated,
            title=len(text) > 1 and text[0].isupper() and not text.isupper(),
        )

    @staticmethod
    def _boundary(key: str, text: str) -> int:
        if key in CONTRAST_WORDS:
            return CONTRAST
        if key in COMPARISON_WORDS:
            return COMPARISON
        if key in CLAUSE_ENDERS or (text.isspace() and "\n" in text) or (set(key) <= {".", "!", "?"} and key):
            return CLAUSE
        return NO_BOUNDARY

    # -- scoring ----------------------------------------------------------------------------------

    def words(
        self, tokens: Sequence[Token], inert: Collection[int] = (), resolve: Resolve = as_text
    ) -> list[EnglishWord]:
        words = self._memo.lookup(tokens, resolve)
        for i in inert:
            words[i] = INERT
        return words

    def score(
        self, tokens: Sequence[Token], text: str, inert: Collection[int] = (), resolve: Resolve = as_text
    ) -> Scored:
        """Score one post given its tokens (texts, or ORTH hashes with `resolve` to read them) and
        full text; tokens at `inert` indices (brand names, handles) are neither sentiment words
        nor modifiers."""
        words = self.words(tokens, inert, resolve)
        if any(map(_PHRASE, words)):
            self._match_phrases(words)
        valences = [0.0] * len(words)
        cap_diff: bool | None = None
        contrast = next((i for i, w in enumerate(words) if w.boundary == CONTRAST and w.key in CONTRASTIVE), -1)
        last = len(words) - 1
        for i in [i for i, w in enumerate(words) if w.valence]:
            word = words[i]
            if word.key == "kind" and i < last and words[i + 1].key == "of":
                continue  # "kind of" is a dampener, not kindness
            if word.key == "like" and (i == 0 or words[i - 1].key not in LIKE_SUBJECTS):
                continue  # "looks like", "like a boss", "like 5 min": a preposition, not a liking
            if word.key == "no" and i < last and words[i + 1].boundary == NO_BOUNDARY:
                continue  # "no one", "no school today": a determiner; only a bare "No." is negative
            if cap_diff is None:  # once per post, and only for posts with a sentiment word
                cap_diff = any(map(_CAPS, words)) and _cap_differential([resolve(token) for token in tokens])
            valences[i] = self._valence(words, i, cap_diff)
        return Scored(
            words=words,
            valences=valences,
            contrast=contrast,
            emphasis=punctuation_emphasis(text),
            question="?" in text,
        )

    def _match_phrases(self, words: list[EnglishWord]) -> None:
        """Replace each matched phrase ("can't wait") by parts plus one scored final word."""
        n = len(words)
        done = -1  # words up to here belong to a matched phrase
        for i in [i for i, word in enumerate(words) if word.phrase]:
            word = words[i]
            if i <= done or i + 1 >= n or words[i + 1].key not in self._seconds[word.key]:
                continue
            for seq, phrase in self._phrases[word.key]:
                end = i + len(seq)
                if end <= n and all(words[i + k].key == seq[k] for k in range(1, len(seq))):
                    words[i : end - 1] = [PHRASE_PART] * (len(seq) - 1)
                    words[end - 1] = phrase
                    done = end - 1
                    break

    def _valence(self, words: Sequence[EnglishWord], i: int, cap_diff: bool) -> float:
        word = words[i]
        key = word.key
        n = len(words)
        valence = word.valence
        # "no" directly before another lexicon word is a negation, not a sentiment word itself
        if key == "no" and i + 1 < n and words[i + 1].in_lexicon:
            return 0.0
        if (
            (i > 0 and words[i - 1].key == "no")
            or (i > 1 and words[i - 2].key == "no")
            or (i > 2 and words[i - 3].key == "no" and words[i - 1].key in ("or", "nor"))
        ):
            valence = word.valence * N_SCALAR
        if (word.caps and cap_diff) or word.elongated:
            valence += C_INCR if valence > 0 else -C_INCR
        for distance in (1, 2, 3):
            j = i - distance
            if j < 0 or (words[j].boundary == CLAUSE and words[j].key not in LIST_PUNCTUATION):
                break  # modifiers reach back within the sentence only ("It isn't new. Scary.")
            before = words[j]
            if before.in_lexicon:
                continue
            if before.booster:
                scalar = before.booster if valence >= 0 else -before.booster
                if (before.caps and cap_diff) or before.elongated:
                    scalar += C_INCR if valence > 0 else -C_INCR
                valence += scalar * (1.0, 0.95, 0.9)[distance - 1]
            valence = self._negation(valence, words, distance, i)
            if distance == 3 and _IDIOM_WORDS.intersection([w.key for w in words[i - 3 : i + 3]]):
                valence = self._idioms(valence, words, i)
        valence = self._least(valence, words, i)
        if word.title and i and words[i - 1].boundary == NO_BOUNDARY and words[i - 1] is not INERT:
            valence *= TITLE_CASE  # "Supreme Court", "Best Buy", headline case: mostly names
        return valence

    @staticmethod
    def _negation(valence: float, words: Sequence[EnglishWord], distance: int, i: int) -> float:
        if distance == 1:
            return valence * N_SCALAR if words[i - 1].negation else valence
        if distance == 2:
            if words[i - 2].key == "never" and words[i - 1].key in ("so", "this"):
                return valence * 1.25
            if words[i - 2].key == "without" and words[i - 1].key == "doubt":
                return valence
            return valence * N_SCALAR if words[i - 2].negation else valence
        if words[i - 3].key == "never" and (words[i - 2].key in ("so", "this") or words[i - 1].key in ("so", "this")):
            return valence * 1.25
        if words[i - 3].key == "without" and "doubt" in (words[i - 2].key, words[i - 1].key):
            return valence
        return valence * N_SCALAR if words[i - 3].negation else valence

    @staticmethod
    def _idioms(valence: float, words: Sequence[EnglishWord], i: int) -> float:
        k1, k2, k3 = words[i - 1].key, words[i - 2].key, words[i - 3].key
        key = words[i].key
        for seq in ((k1, key), (k2, k1, key), (k2, k1), (k3, k2, k1), (k3, k2)):
            if seq in IDIOMS:
                valence = IDIOMS[seq]
                break
        n = len(words)
        if i + 1 < n and (key, words[i + 1].key) in IDIOMS:
            valence = IDIOMS[(key, words[i + 1].key)]
        if i + 2 < n and (key, words[i + 1].key, words[i + 2].key) in IDIOMS:
            valence = IDIOMS[(key, words[i + 1].key, words[i + 2].key)]
        for bigram in ((k3, k2), (k2, k1)):
            valence += BOOSTER_BIGRAMS.get(bigram, 0.0)
        return valence

    @staticmethod
    def _least(valence: float, words: Sequence[EnglishWord], i: int) -> float:
        if (
            i > 0
            and words[i - 1].key == "least"
            and not words[i - 1].in_lexicon
            and (i == 1 or words[i - 2].key not in ("at", "very"))
        ):
            return valence * N_SCALAR
        return valence


def _cap_differential(texts: Sequence[str]) -> bool:
    """VADER's test: some, but not all, words are in ALL CAPS."""
    caps = total = 0
    for text in texts:
        if any(ch.isalpha() for ch in text):
            total += 1
            caps += text.isupper()
    return 0 < caps < total
