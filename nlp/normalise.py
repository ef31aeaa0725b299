"""Text normalisation: one canonical spelling for Persian, Arabic and English posts.

Two levels, both pure functions of a string:

- `normalise(text)` gives the text every later step sees (the Doc text, and `Enrichment.text`
  whose offsets brand mentions point into). It keeps the post readable: case, emoji, URLs and
  mentions survive, but the many ways of typing the same Persian word collapse into one.
- `fold(term)` gives the *match key* of a token or phrase: `normalise`d, lower-cased, with the
  joiners people use interchangeably (ZWNJ, `_`, `-`, `'`, `.`, `&`, `/`) removed, and the few
  Persian letters people type loosely (آ/ا, ئ/ی, ء) folded. The brand matcher compares keys, so
  "Digikala", "digi-kala", "دیجی‌کالا" and "دیجیکالا" meet; the tokenizer's lexemes carry it as
  their NORM.

Every rule is a `str.translate` table or one compiled regex, applied only when the text can
contain what it fixes, so a plain ASCII tweet costs a few microseconds. (hazm's Normalizer does
similar work ~20× slower and pulls in ~390 MB of dependencies; see DESIGN.md §7.)

Rules of `normalise`, in order (each is pinned by a test in tests/nlp/test_normalise.py):

1. HTML entities are unescaped (`AT&amp;T` -> `AT&T`), as platforms often deliver them escaped.
2. Unicode NFC composition (`ا` + maddah -> `آ`).
3. One character table: Arabic letter variants to Persian (ي ى ې -> ی, ك ڪ -> ک, ة ۀ ە ھ ہ -> ه,
   أ إ ٱ -> ا, ؤ -> و); Arabic diacritics, Quranic marks and tatweel removed; Persian and
   Arabic-Indic digits to ASCII (and ٪ ٫ ٬ to % . ,); Arabic presentation forms (ﻻ, ﺑ, ...) to letters;
   full-width Latin to ASCII; the typographic apostrophe ’ to '; invisible controls (ZWSP, LRM,
   RLM, bidi embeddings, BOM, soft hyphen), control characters and lone surrogates removed;
   exotic spaces to a plain space.
4. ZWJ is kept only inside emoji sequences (👩‍💻); elsewhere it is removed.
5. ZWNJ (half-space): doubled ones become one; a ZWNJ not between two Arabic-script letters
   (stray, next to a space or at a word edge) is removed.
6. Whitespace: runs of spaces become one space, blank lines one newline; ends stripped.
7. Persian affixes are joined with a ZWNJ: the verb prefixes `می`/`نمی` written apart
   (`می خواهم` -> `می‌خواهم`) and the suffixes `ها`, `های`, `هایی`, `تر`, `ترین` written apart
   (`کتاب ها` -> `کتاب‌ها`); `ها` not at the end of a sentence (there it is the interjection
   "ها؟"), and `تر` only before `از` (alone it is also the word "wet": `لباس تر شد`).
8. Elongation: a letter repeated 3+ times becomes two in Latin script (`sooooo` -> `soo`,
   `goooood` -> `good`) and one in Arabic script (`خیلیییی` -> `خیلی`), except in the few words
   written with a doubled letter (`مممنون` -> `ممنون`). URLs, @handles and words of one repeated letter (`III`) are left
   untouched.
9. A run of more than 1,000 characters without a space is cut into pieces of 1,000 (spaCy
   peels prefixes and suffixes off a chunk one at a time, so a 50,000-emoji "word" would take
   minutes; no real word or URL is that long).
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

ARABIC_LETTERS = "\u0621-\u063a\u0641-\u064a\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff"
"""Character class body of the Arabic-script letters (no digits, marks or punctuation)."""

ZWNJ = "\u200c"
ZWJ = "\u200d"

EMOJI_CHARS = (
    "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2300-\u23ff\u2190-\u21ff"
    "\u3030\u303d\u3297\u3299\u00a9\u00ae\u203c\u2049\u2122\u2139\u24c2\u25aa-\u25fe"
)
"""Character class body of emoji and pictographs (a base character, not a whole sequence)."""


def _letter_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}

    def put(chars: str, to: str | None) -> None:
        for ch in chars:
            table[ord(ch)] = to

    put("\u064a\u0649\u06d0\u06cd\u06ce", "\u06cc")  # ي ى ې ۍ ێ -> ی
    put("\u0643\u06aa", "\u06a9")  # ك ڪ -> ک
    put("\u0629\u06c0\u06d5\u06be\u06c1\u06c2", "\u0647")  # ة ۀ ە ھ ہ ۂ -> ه
    put("\u0623\u0625\u0671", "\u0627")  # أ إ ٱ -> ا
    put("\u0624", "\u0648")  # ؤ -> و
    put("\u066a", "%")  # ٪
    put("\u066b", ".")  # Arabic decimal separator (۳٫۵ -> 3.5)
    put("\u066c", ",")  # Arabic thousands separator (۱۲۳٬۴۵۶ -> 123,456)
    put("\u2019\u02bc", "'")  # ’ ʼ -> '
    for i in range(10):
        table[0x06F0 + i] = str(i)  # Persian digits
        table[0x0660 + i] = str(i)  # Arabic-Indic digits
    # Diacritics (harakat, hamza/maddah marks), superscript alef, Quranic annotation, tatweel.
    for cp in [*range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE), 0x0640]:
        if cp not in (0x06DD, 0x06DE, 0x06E9):  # end-of-ayah, rub el hizb, sajdah: symbols
            table[cp] = None
    # Invisible controls: ZWSP, LRM, RLM, ALM, bidi embeddings/isolates, word joiner, BOM, SHY.
    put("\u200b\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2060\ufeff\u00ad", None)
    # Spaces of every width become a plain space; CR becomes a newline.
    put("\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000", " ")
    put("\r\u2028\u2029\x0b\x0c\x85", "\n")
    for cp in range(0xFF01, 0xFF5F):  # full-width ASCII
        table[cp] = chr(cp - 0xFEE0)
    for cp in range(0xD800, 0xE000):  # lone surrogates (from broken JSON escapes) cannot be encoded
        table[cp] = None
    for cp in [*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0x85), *range(0x86, 0xA0)]:
        table[cp] = None  # C0/C1 control characters (NUL, BEL, ESC, ...); tab and newlines are mapped above
    return table


def _build_table() -> dict[int, str | None]:
    table = _letter_table()
    # Arabic presentation forms (A: FB50-FDFF, B: FE70-FEFF) decompose (NFKC) into base letters;
    # the result goes through the letter table too, so ﻙ becomes ک and ﹰ loses its mark.
    for cp in [*range(0xFB50, 0xFE00), *range(0xFE70, 0xFEFF)]:
        ch = chr(cp)
        if cp in table or not unicodedata.decomposition(ch):
            continue
        decomposed = unicodedata.normalize("NFKC", ch).translate(table).strip()
        table[cp] = decomposed or None
    return table


TABLE = _build_table()


def _char_class(codepoints: list[int]) -> str:
    """A regex character class body matching exactly these code points (as ranges)."""
    parts: list[str] = []
    start = prev = codepoints[0]
    for cp in [*codepoints[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(re.escape(chr(start)) if start == prev else f"{re.escape(chr(start))}-{re.escape(chr(prev))}")
        start = prev = cp
    return "".join(parts)


_NEEDS_TABLE = re.compile(f"[{_char_class(sorted(TABLE))}]")
"""Any character the table changes: most posts have none, and a search is ~15× cheaper than
translating (str.translate looks every character up in the table)."""

_ARABIC_RUN = re.compile(f"[{ARABIC_LETTERS}]")
_ZWJ_OUTSIDE_EMOJI = re.compile(f"(?<![{EMOJI_CHARS}\ufe0f\U0001f3fb-\U0001f3ff]){ZWJ}|{ZWJ}(?![{EMOJI_CHARS}])")
_SPACES = re.compile(r" {2,}")
_NEWLINES = re.compile(r" *\n[\n ]*")
_ZWNJ_RUN = re.compile(f"{ZWNJ}{{2,}}")
_ZWNJ_STRAY = re.compile(f"(?<![{ARABIC_LETTERS}]){ZWNJ}|{ZWNJ}(?![{ARABIC_LETTERS}])")
_PREFIX_APART = re.compile(f"(?<![\\w{ZWNJ}])(ن?می) (?=[{ARABIC_LETTERS}])")
_SUFFIX_APART = re.compile(
    f"(?<=[{ARABIC_LETTERS}]{{2}}) "
    # ها ends a sentence as the interjection ("ها؟"); تر alone is also "wet": joined only before از
    f"(هایی|های|ترین|ها(?![\\w{ZWNJ}])(?! *(?:[?!؟\\n]|$))|تر(?= از(?![\\w{ZWNJ}])))(?![\\w{ZWNJ}])"
)
_LONG_CHUNK = re.compile(r"\S{1001,}")
MAX_CHUNK = 1000
_TRIPLE = re.compile(r"([^\W\d_])\1\1")
_ELONGATED = re.compile(r"(https?://\S+|www\.\S+|@[\w.]+)|([^\W\d_])\2{2,}")


def _shorten(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1)
    text, start, end = match.string, match.start(), match.end()
    if not ((start and text[start - 1].isalpha()) or (end < len(text) and text[end].isalpha())):
        return match.group(0)  # a word of one repeated letter (III, zzz) is not elongation
    letter = match.group(2)
    if letter < "\u0600" or letter > "\u06ff":
        return letter * 2
    return letter * 2 if _doubled_in_word(text, start, end, letter) else letter


DOUBLED_STEMS = ("ممنون", "ممکن", "مقرر", "مکرر", "محقق", "تحقق", "مجدد", "تجدد", "مردد", "مشدد", "شش", "المللی")
"""Persian words written with a doubled letter: an elongated one of these keeps two (`مممنون`
-> `ممنون`, not `منون`); elsewhere Arabic script doubles no letter by elongation (`خیلیییی`)."""


def _doubled_in_word(text: str, start: int, end: int, letter: str) -> bool:
    left = text.rfind(" ", 0, start) + 1
    right = text.find(" ", end)
    word = text[left:start] + letter * 2 + text[end : len(text) if right < 0 else right]
    return any(stem in word for stem in DOUBLED_STEMS)


def normalise(text: str) -> str:
    """The canonical form of a post's text (rules in the module docstring)."""
    if "&" in text and ";" in text:
        text = html.unescape(text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if _NEEDS_TABLE.search(text) is not None:
        text = text.translate(TABLE)
    if ZWJ in text:
        text = _ZWJ_OUTSIDE_EMOJI.sub("", text)
    if ZWNJ in text:
        text = _ZWNJ_STRAY.sub("", _ZWNJ_RUN.sub(ZWNJ, text))
    if "  " in text:
        text = _SPACES.sub(" ", text)
    if "\n" in text:
        text = _NEWLINES.sub("\n", text)
    text = text.strip()
    if _ARABIC_RUN.search(text) is not None:
        if "می " in text:
            text = _PREFIX_APART.sub(f"\\1{ZWNJ}", text)
        if " ها" in text or " تر" in text:
            text = _SUFFIX_APART.sub(f"{ZWNJ}\\1", text)
    if _TRIPLE.search(text) is not None:
        text = _ELONGATED.sub(_shorten, text)
    if len(text) > MAX_CHUNK:
        text = _LONG_CHUNK.sub(_cut, text)
    return text


def _cut(match: re.Match[str]) -> str:
    chunk = match.group()
    return " ".join(chunk[i : i + MAX_CHUNK] for i in range(0, len(chunk), MAX_CHUNK))


_FOLD_TABLE: dict[int, str | None] = {ord(ch): None for ch in ZWNJ + "_-'.&/\u0621"}  # joiners, ء
_FOLD_TABLE.update({ord("\u0622"): "\u0627", ord("\u0626"): "\u06cc"})  # آ -> ا, ئ -> ی


def fold(term: str) -> str:
    """The match key of a normalised token or phrase: lower-case, joiners removed.

    A term made only of joiners (a lone `-` or `/`) keeps itself, so separators still match
    separators. Used as the NORM of every lexeme, so it runs once per distinct string.
    """
    lowered = term.lower()
    return lowered.translate(_FOLD_TABLE) or lowered


@lru_cache(maxsize=4096)
def key(phrase: str) -> str:
    """The match key of a whole configured phrase (normalised, folded, spaces removed)."""
    return fold(normalise(phrase)).replace(" ", "").replace("\n", "")
