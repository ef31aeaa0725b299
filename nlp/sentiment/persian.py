"""Persian lexicon sentiment: our own lexicon (`fa_lexicon.tsv`) and rules for how Persian says
things, formal and colloquial.

Rules:
- **Verb negation.** Persian puts the verb last and negates it with a prefix, so a negated verb
  flips the sentiment words before it in its clause: "غذا خوب نبود" (the food was not good),
  "کیفیت خوبی نداشت", "اصلا راضی نبودم", "هیچ مشکلی نداشت" (had no problem: positive). A
  negated verb with nothing to flip reports something missing or undone — "سس نداشت",
  "نرسید", "نیاوردن" — which in a post about a service is a complaint (`COMPLAINT`). Verb
  forms come from `persian_verbs.py`, with or without the half-space (نمی‌دم، نمیدم، نمی دم).
- **Particles.** نه، بدون، بی، غیر before a sentiment word flip it ("بدون مشکل" is positive).
- **Intensifiers and diminishers** before a word: خیلی، بسیار، واقعا، کاملا، اصلا، به‌شدت ...;
  کمی، یکم، نسبتا، تقریبا ... ("کم" is "little" on its own, a diminisher before an adjective).
- **Contrast.** ولی / اما shift the weight to what follows, like VADER's "but".
- **Affixes.** Look-up strips suffixes (ها، ی، ه، ش، م، تون، تر، ترین ...): "خوشمزه‌ترینش" is
  "خوشمزه" made stronger; نا/غیر + a positive word is negative ("نامناسب", "غیراستاندارد").
- **Colloquial spelling and emphasis.** Arabic letter variants, diacritics, tatweel and
  half-spaces are ignored; elongations ("خیلییییی", "عالیییی") are undone and count as emphasis.
- **Emoji, emoticons and Latin words** (ok, nice, :)) count as they do in English.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from operator import attrgetter

from nlp.sentiment.emoji import emoji_valences, has_emoji_char, token_emoji_valence
from nlp.sentiment.persian_verbs import LEMMAS, VerbForm, build_verb_forms
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

COMPLAINT = -1.2  # a negated verb that flips nothing: "سس نداشت", "نرسید"
SUPERLATIVE = 1.25  # "خوشمزه‌ترین"
COMPARATIVE = 1.1  # "خوشمزه‌تر"

_CHAR_MAP = {
    "ي": "ی",
    "ى": "ی",
    "ئ": "ی",
    "ك": "ک",
    "ة": "ه",
    "ۀ": "ه",
    "ە": "ه",
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ؤ": "و",
    "\u200c": None,  # ZWNJ: "می‌دم" == "میدم"
    "\u200d": None,
    "\u200f": None,
    "\u0640": None,  # tatweel
    **{chr(c): None for c in range(0x064B, 0x0660)},  # harakat, tanwin, shadda, sukun
    "\u0670": None,
}
KEY_TABLE = str.maketrans(_CHAR_MAP)
_JOIN = attrgetter("join")
_PHRASE = attrgetter("phrase")
_ELONGATION = re.compile(r"(.)\1{2,}")
_DOUBLE = re.compile(r"(.)\1")


def fa_key(text: str) -> str:
    """The look-up key of a Persian token (also applied to every lexicon entry)."""
    return text.translate(KEY_TABLE).lower()


BOOSTERS: Mapping[str, float] = {
    **dict.fromkeys(
        split_words(
            """خیلی خعلی بسیار بسی واقعا واقعن کاملا کاملن شدیدا بشدت شدت بینهایت بیاندازه اصلا اصلن اصن هیچ
            کلا حسابی انقدر اینقدر اونقدر چقدر زیادی فوق حتما حتمن کلی"""
        ),
        B_INCR,
    ),
    **dict.fromkeys(
        split_words(
            """کمی یکم یکمی یهکم یخورده یهخورده یذره یهذره نسبتا نسبتن تقریبا تقریبن تاحدودی قدری اندکی کمابیش"""
        ),
        B_DECR,
    ),
}
NEGATORS = frozenset({"نه", "بدون", "بی", "غیر", "نا", "بیآنکه", "بیانکه"})
CONTRASTIVE = frozenset({"ولی", "اما", "ولیکن", "لیکن", "منتها", "منتهی"})
# Words that open a new clause: concession, subordination. A negated verb after them does not
# reach back across ("مشکل اینجاست که غذا نرسید" does not flip مشکل).
CLAUSE_OPENERS = frozenset(
    {"البته", "هرچند", "اگرچه", "درعوض", "بلکه", "که", "چون", "چونکه", "زیرا", "تا", "اگر", "اگه", "وقتی"}
)
COMPARISONS = frozenset({"برخلاف", "خلاف", "برعکس", "بجای", "بهجای", "درمقایسه", "مقایسه", "نسبت"})
CLAUSE_ENDERS = frozenset(
    {
        "،",
        "؛",
        ".",
        "!",
        "؟",
        "?",
        ",",
        ";",
        ":",
        "…",
        "...",
        "..",
        "-",
        "--",
        "—",
        "–",
        "(",
        ")",
        "\n",
        "|",
        "/",
        "«",
        "»",
    }
)
# Written apart but belonging to the next token (می دم، بی کیفیت) or to the previous one
# (خوشمزه ترین، غذا ها): joined before look-up.
JOIN_NEXT = frozenset({"می", "نمی", "بی", "نا"})
JOIN_PREVIOUS = frozenset({"ها", "های", "هایی", "تر", "ترین", "ای", "ام", "اید", "اند", "است", "ست", "اش", "ات"})
# Suffixes stripped at look-up, longest first. (No bare "ن": "بدن" is a body, not "bad".)
SUFFIXES = (
    "هاشون",
    "هامون",
    "هاتون",
    "هایی",
    "ترین",
    "های",
    "هاش",
    "هام",
    "هات",
    "شون",
    "مون",
    "تون",
    "است",
    "ها",
    "تر",
    "یی",
    "ای",
    "ام",
    "اش",
    "ات",
    "ست",
    "ش",
    "م",
    "ت",
    "ی",
    "ه",
)
# Suffixes after which a second one may be stripped ("خوشمزه‌ترینش": ش, then ترین).
OUTER_SUFFIXES = frozenset({"ش", "م", "ت", "ه", "اش", "ام", "ات", "شون", "مون", "تون", "ست", "است"})
INNER_SUFFIXES = frozenset({"ترین", "تر", "ها", "های", "ی"})
# Words that look inflected but are not (دقیقه is a minute, not "exact"; بدن a body).
NOT_INFLECTED = frozenset({"دقیقه", "دقایق", "بدن", "بدنه", "کمک", "کمیته", "بدست", "گرمی", "سردار", "کمال"})
# Sentence adverbs, thanks and interjections: a later negated verb does not flip them
# ("متاسفانه مثل قبل نبود" is unfortunate, not fortunate).
UNNEGATED = frozenset(
    fa_key(word)
    for word in split_words(
        """متاسفانه متأسفانه خوشبختانه کاش حیف ممنون ممنونم ممنونیم مرسی متشکرم متشکر مچکرم سپاس سپاسگزارم
        تشکر ایول آفرین براوو افسوس اه ایش"""
    )
)
# Adjectives that, right before another sentiment word, work as intensifiers ("فوق‌العاده دیر").
ADVERBIAL = frozenset({"فوقالعاده", "وحشتناک", "افتضاح", "بینظیر", "عالی"})
_PREFIX_NEGATIONS = ("نا", "غیر")
# "بهتره" alone is advice ("بهتره دقت کنید": you had better take care), a complaint; after
# "از ..." in its clause it compares ("X از Y بهتره": X is better than Y).
ADVISORY = frozenset({"بهتره", "بهتراست"})


class PersianWord(Word):
    """A Persian token: normalised key plus its role for the rules."""

    __slots__ = ("booster", "complaint", "elongated", "fixed", "join", "lemma", "negated", "negator", "phrase")

    def __init__(
        self,
        key: str,
        valence: float = 0.0,
        boundary: int = NO_BOUNDARY,
        *,
        booster: float = 0.0,
        negator: bool = False,
        lemma: str | None = None,
        negated: bool = False,
        complaint: bool = False,
        phrase: bool = False,
        join: int = 0,
        elongated: bool = False,
        fixed: bool = False,
    ) -> None:
        super().__init__(key, valence, boundary)
        self.booster = booster
        self.negator = negator
        self.lemma = lemma  # set on verb forms
        self.negated = negated
        self.complaint = complaint
        self.phrase = phrase
        self.join = join  # 1: joins the next token, 2: joins the previous one
        self.elongated = elongated
        self.fixed = fixed  # never flipped by a later negated verb


PLAIN = PersianWord("")
INERT = PersianWord("")
PART = PersianWord("")  # a token absorbed into its neighbour or into a phrase

Phrase = tuple[tuple[str, ...], str | None, PersianWord]  # literal keys, verb lemma or None, result


class PersianScorer:
    """Scores Persian token sequences with our lexicon and the rules above."""

    def __init__(
        self,
        lexicon: Mapping[str, float] | None = None,
        emoji: Mapping[str, float] | None = None,
        latin: Mapping[str, float] | None = None,
    ) -> None:
        entries = read_valence_table("fa_lexicon.tsv") if lexicon is None else dict(lexicon)
        self._verbs: Mapping[str, VerbForm] = build_verb_forms()
        self._lexicon: dict[str, float] = {}
        phrases: dict[str, list[Phrase]] = {}
        for term, value in entries.items():
            parts = [fa_key(part) for part in term.split()]
            if len(parts) == 1:
                self._lexicon[parts[0]] = value
                continue
            self._lexicon.setdefault("".join(parts), value)  # "به موقع" also written "بموقع"
            lemma = parts[-1] if parts[-1] in LEMMAS else None
            literal = tuple(parts[:-1]) if lemma else tuple(parts)
            result = PersianWord(" ".join(parts), value, fixed=True)
            phrases.setdefault(parts[0], []).append((literal, lemma, result))
        for candidates in phrases.values():
            # longest first; on a tie the literal phrase ("پیشنهاد نمی‌کنم") beats the verb pattern
            candidates.sort(key=lambda item: (-(len(item[0]) + (item[1] is not None)), item[1] is not None))
        self._phrases = phrases
        # what may come right after each phrase's first word: a literal key, or a verb lemma
        self._seconds = {
            first: {literal[1] if len(literal) > 1 else lemma for literal, lemma, _ in candidates}
            for first, candidates in phrases.items()
        }
        self._phrase_words = frozenset(part for term in entries for part in map(fa_key, term.split()))
        self._emoji = emoji_valences() if emoji is None else emoji
        self._latin = vader_lexicon() if latin is None else latin
        self._memo: Memo[PersianWord] = Memo(self._classify)

    # -- classification of one token text ----------------------------------------------------------

    def _classify(self, text: str) -> PersianWord:
        if (text.startswith("@") and len(text) > 1) or text.startswith(("http://", "https://", "www.")):
            return INERT
        key = fa_key(text)
        if key.startswith("#") and len(key) > 1:
            key = key[1:].replace("_", "")
        word = self._known(key)
        if word is None and _ELONGATION.search(key):
            collapsed = _ELONGATION.sub(r"\1", key)
            word = self._known(collapsed) or self._inflected(collapsed)
            if word is not None and (word.valence or word.booster):
                word = _copy(word, elongated=True)
        if word is None:
            word = self._inflected(key)
        if word is None and _DOUBLE.search(key):
            collapsed = _DOUBLE.sub(r"\1", key)
            word = self._known(collapsed) or self._inflected(collapsed)
            if word is not None and (word.valence or word.booster):
                word = _copy(word, elongated=True)
        if word is None and key.isascii():
            valence = self._latin.get(key)
            if valence:
                word = PersianWord(key, valence)
        if word is None and has_emoji_char(text):
            valence = token_emoji_valence(text, self._emoji)
            if valence:
                word = PersianWord(key, valence)
        boundary = _boundary(key, text)
        join = 1 if key in JOIN_NEXT else 2 if key in JOIN_PREVIOUS else 0
        phrase = key in self._phrases
        if word is None:
            if not (boundary or join or key in self._phrase_words or key == "از"):
                return PLAIN
            word = PersianWord(key)
        word.boundary = boundary or word.boundary
        word.join = join
        word.phrase = phrase
        return word

    def _known(self, key: str) -> PersianWord | None:
        """Exact look-up: function words first, then verb forms, then the lexicon."""
        booster = BOOSTERS.get(key)
        if booster is not None:
            return PersianWord(key, booster=booster)
        if key in NEGATORS:
            return PersianWord(key, negator=True)
        verb = self._verbs.get(key)
        if verb is not None:
            return PersianWord(
                key, verb.valence, lemma=verb.lemma, negated=verb.negated, complaint=verb.complaint and verb.negated
            )
        valence = self._lexicon.get(key)
        if valence is not None:
            return PersianWord(key, valence, fixed=key in UNNEGATED)
        return None

    def _inflected(self, key: str) -> PersianWord | None:
        """Strip up to two suffixes ("خوشمزه‌ترینش"), or read نا/غیر + a positive word."""
        if key in NOT_INFLECTED:
            return None
        for first in SUFFIXES:
            if key.endswith(first) and len(key) - len(first) >= 2:
                stem = key[: -len(first)]
                found = self._lexicon.get(stem)
                scale = SUPERLATIVE if first == "ترین" else COMPARATIVE if first == "تر" else 1.0
                if found is None and first in OUTER_SUFFIXES:
                    for second in INNER_SUFFIXES:
                        if stem.endswith(second) and len(stem) - len(second) >= 3:
                            inner = self._lexicon.get(stem[: -len(second)])
                            if inner is not None:
                                found = inner
                                scale *= SUPERLATIVE if second == "ترین" else COMPARATIVE if second == "تر" else 1.0
                                break
                if found is not None:
                    return PersianWord(key, found * scale)
        for prefix in _PREFIX_NEGATIONS:
            if key.startswith(prefix) and len(key) - len(prefix) >= 3:
                base = self._lexicon.get(key[len(prefix) :])
                if base is not None and base > 0:
                    return PersianWord(key, base * N_SCALAR - 0.5)
        return None

    # -- scoring ------------------------------------------------------------------------------------

    def words(
        self, tokens: Sequence[Token], inert: Collection[int] = (), resolve: Resolve = as_text
    ) -> list[PersianWord]:
        words = self._memo.lookup(tokens, resolve)
        for i in inert:
            words[i] = INERT
        if any(map(_JOIN, words)):
            self._join(words, tokens, resolve)
        if any(map(_PHRASE, words)):
            self._match_phrases(words)
        return words

    def _join(self, words: list[PersianWord], tokens: Sequence[Token], resolve: Resolve) -> None:
        """ "می دم" -> "میدم", "بی کیفیت" -> "بیکیفیت", "خوشمزه ترین" -> "خوشمزهترین" when the joined
        form means more than the parts."""
        n = len(words)
        for i in range(n):
            word = words[i]
            if word.join == 1 and i + 1 < n and words[i + 1] is not INERT and not words[i + 1].boundary:
                joined = self._memo.lookup([word.key + fa_key(resolve(tokens[i + 1]))])[0]
                if joined.valence or joined.lemma:
                    words[i], words[i + 1] = PART, joined
            elif word.join == 2 and i > 0 and words[i - 1] is not INERT and not words[i - 1].boundary:
                joined = self._memo.lookup([fa_key(resolve(tokens[i - 1])) + word.key])[0]
                if joined.valence or joined.lemma:
                    words[i - 1], words[i] = PART, joined

    def _match_phrases(self, words: list[PersianWord]) -> None:
        """Replace each matched phrase by parts plus one word holding its valence (flipped when
        the phrase ends in a negated form of its verb: "لذت نبردم"). Tokens already absorbed
        by a join ("نمی" of "نمی کنم") are skipped."""
        live = [k for k, word in enumerate(words) if word is not PART] if PART in words else range(len(words))
        n = len(live)
        done = -1  # positions up to here belong to a matched phrase
        for at in [at for at, k in enumerate(live) if words[k].phrase]:
            word = words[live[at]]
            if at <= done or at + 1 >= n or word.key not in self._phrases:
                continue
            following = words[live[at + 1]]
            if following.key not in self._seconds[word.key] and following.lemma not in self._seconds[word.key]:
                continue  # cheap test first: nothing that can follow this word does
            for literal, lemma, result in self._phrases[word.key]:
                end = at + len(literal)
                if end > n or any(words[live[at + k]].key != literal[k] for k in range(1, len(literal))):
                    continue
                if lemma is None:
                    for k in range(at, end - 1):
                        words[live[k]] = PART
                    words[live[end - 1]] = result
                    done = end - 1
                    break
                if end < n and words[live[end]].lemma == lemma:
                    verb = words[live[end]]
                    value = result.valence * N_SCALAR if verb.negated else result.valence
                    for k in range(at, end):
                        words[live[k]] = PART
                    words[live[end]] = PersianWord(result.key, value, fixed=True)
                    done = end
                    break

    def score(
        self, tokens: Sequence[Token], text: str, inert: Collection[int] = (), resolve: Resolve = as_text
    ) -> Scored:
        """Score one post given its tokens (texts, or ORTH hashes with `resolve` to read them) and
        full text; tokens at `inert` indices (brand names, handles) are neither sentiment words
        nor modifiers."""
        words = self.words(tokens, inert, resolve)
        n = len(words)
        valences = [0.0] * n
        flipped_by: set[int] = set()
        contrast = next((i for i, w in enumerate(words) if w.boundary == CONTRAST and w.key in CONTRASTIVE), -1)
        for i in [i for i, w in enumerate(words) if w.valence and w.lemma is None]:
            word = words[i]
            following = words[i + 1] if i + 1 < n else PLAIN
            if following.valence and following.lemma is None and not following.fixed:
                if word.key == "کم":
                    continue  # "کم شور", "کم نمک": a diminisher here, not "little"
                if word.key in ADVERBIAL:
                    continue  # "فوق‌العاده دیر": an intensifier here (read by the next word)
            valence = word.valence
            if word.key in ADVISORY and _compares(words, i):
                valence = self._lexicon.get("بهتر", 1.7)  # "X از Y بهتره": better, not "you'd better"
            if word.elongated:
                valence += C_INCR if valence > 0 else -C_INCR
            # modifiers before the word, within its clause
            for distance in (1, 2):
                j = i - distance
                if j < 0 or words[j].boundary:
                    break
                before = words[j]
                if before.booster:
                    scalar = before.booster if valence > 0 else -before.booster
                    if before.elongated:
                        scalar += C_INCR if valence > 0 else -C_INCR
                    valence += scalar * (1.0 if distance == 1 else 0.95)
                elif before.key == "کم" and distance == 1:
                    valence += B_DECR if valence > 0 else -B_DECR
                elif before.key in ADVERBIAL and distance == 1:
                    valence += B_INCR if valence > 0 else -B_INCR
                elif before.negator:
                    valence *= N_SCALAR
                    break
            # a negated verb after it, before the clause ends or another verb intervenes
            if not word.fixed:
                for j in range(i + 1, i + 5 if i + 5 < n else n):
                    after = words[j]
                    if after.boundary:
                        break
                    if after.lemma is not None:
                        if after.negated:
                            valence *= N_SCALAR
                            flipped_by.add(j)
                        break
            valences[i] = valence
        for i in [i for i, w in enumerate(words) if w.lemma is not None]:
            word = words[i]
            if i in flipped_by:
                continue
            if word.valence:  # verbs that carry sentiment: چسبید، می‌ارزه، نمی‌ارزه
                valences[i] = word.valence * N_SCALAR if word.negated else word.valence
            elif word.complaint:
                valences[i] = COMPLAINT
            else:
                continue
            for distance in (1, 2):  # "اصلا نرسید", "هیچ وقت نیومد"
                j = i - distance
                if j < 0 or words[j].boundary:
                    break
                if words[j].booster > 0:
                    valences[i] += B_INCR if valences[i] > 0 else -B_INCR
                    break
        return Scored(
            words=words,
            valences=valences,
            contrast=contrast,
            emphasis=punctuation_emphasis(text),
            question="?" in text or "؟" in text,
            language="fa",
        )


def _compares(words: Sequence[PersianWord], i: int) -> bool:
    for j in range(i - 1, max(-1, i - 6), -1):
        if words[j].boundary:
            return False
        if words[j].key == "از":
            return True
    return False


def _boundary(key: str, text: str) -> int:
    if key in CONTRASTIVE:
        return CONTRAST
    if key in COMPARISONS:
        return COMPARISON
    if (
        key in CLAUSE_ENDERS
        or key in CLAUSE_OPENERS
        or (text.isspace() and "\n" in text)
        or (key and set(key) <= {".", "!", "?", "؟"})
    ):
        return CLAUSE
    return NO_BOUNDARY


def _copy(word: PersianWord, *, elongated: bool) -> PersianWord:
    return PersianWord(
        word.key,
        word.valence,
        word.boundary,
        booster=word.booster,
        negator=word.negator,
        lemma=word.lemma,
        negated=word.negated,
        complaint=word.complaint,
        elongated=elongated,
        fixed=word.fixed,
    )
