"""Finglish: candidate spellings of a brand name in the other script.

Persian posts write Latin brand names in Persian letters ("Snapp" as اسنپ) and Latin posts write
Persian names in Latin letters (دیوار as "divar"). When a brand's config sets `finglish: true`
the brand matcher adds these candidates to its aliases.

Transliteration is ambiguous both ways (Persian script leaves out short vowels; Latin spelling
follows pronunciation), so each function returns a few *candidates*, most likely first, rather
than one answer. Letter rules are written for Persian names and for Latin names spelt the way
Persian speakers spell them (Digikala, Snapp, Tapsi, Divar); English names pronounced unlike
their spelling (Nike = نایکی) need an explicit alias.
"""

from __future__ import annotations

from itertools import product

MAX_CANDIDATES = 8

_LATIN_DIGRAPHS: dict[str, tuple[str, ...]] = {
    "kh": ("خ",),
    "sh": ("ش",),
    "ch": ("چ",),
    "zh": ("ژ",),
    "gh": ("ق", "غ"),
    "ph": ("ف",),
    "th": ("ت",),
    "ck": ("ک",),
    "ee": ("ی",),
    "oo": ("و",),
    "ou": ("و",),
    "ei": ("ی",),
    "ey": ("ی",),
    "ai": ("ای",),
    "ay": ("ای",),
    "aa": ("ا",),
}
_LATIN_CONSONANTS: dict[str, tuple[str, ...]] = {
    "b": ("ب",),
    "p": ("پ",),
    "t": ("ت",),
    "j": ("ج",),
    "d": ("د",),
    "r": ("ر",),
    "z": ("ز",),
    "s": ("س",),
    "f": ("ف",),
    "q": ("ق",),
    "k": ("ک",),
    "l": ("ل",),
    "m": ("م",),
    "n": ("ن",),
    "v": ("و",),
    "w": ("و",),
    "x": ("کس",),
}
_VOWELS = "aeiou"


def _latin_units(word: str) -> list[tuple[str, ...]]:
    """Per-sound Persian options for one lower-case Latin word."""
    units: list[tuple[str, ...]] = []
    i, n = 0, len(word)
    if n > 1 and word[0] == "s" and word[1] not in _VOWELS + "hy":
        units.append(("ا",))  # Persian needs a vowel before s+consonant: Snapp -> اسنپ
    while i < n:
        ch = word[i]
        pair = word[i : i + 2]
        initial, final = i == 0, i + len(pair) >= n if pair in _LATIN_DIGRAPHS else i == n - 1
        if pair in _LATIN_DIGRAPHS:
            options = _LATIN_DIGRAPHS[pair]
            if initial and pair[0] in _VOWELS:
                options = tuple("ا" + o if not o.startswith("ا") else o for o in options)
            units.append(options)
            i += 2
            continue
        if i and ch == word[i - 1] and ch not in _VOWELS:
            i += 1  # a doubled consonant is written once
            continue
        nxt = word[i + 1] if i + 1 < n else ""
        if ch == "a":
            units.append(("آ", "ا") if initial else ("ا",) if final else ("ا", ""))
        elif ch == "e":
            units.append(("ا",) if initial else ("ه",) if final else ("",))
        elif ch == "i":
            units.append(("ای",) if initial else ("ی",))
        elif ch == "o":
            units.append(("ا", "او") if initial else ("و",) if final else ("و", ""))
        elif ch == "u":
            units.append(("او",) if initial else ("و",))
        elif ch == "y":
            units.append(("ی",))
        elif ch == "h":
            units.append(("ه",))
        elif ch == "g":
            units.append(("گ", "ج") if nxt in ("i", "e") else ("گ",))
        elif ch == "c":
            units.append(("س",) if nxt in ("e", "i", "y") else ("ک",))
        elif ch in _LATIN_CONSONANTS:
            units.append(_LATIN_CONSONANTS[ch])
        i += 1
    return units


def to_persian(phrase: str) -> list[str]:
    """Persian-script candidates for a Latin-script name ("Snapp" -> ["اسناپ", "اسنپ"])."""
    words = phrase.lower().split()
    if not words or not all(w.isascii() and w.isalpha() for w in words):
        return []
    per_word = [_spellings(_latin_units(w)) for w in words]
    return _combine(per_word)


_PERSIAN_LETTERS: dict[str, tuple[str, ...]] = {
    "ا": ("a",),
    "آ": ("a",),
    "ب": ("b",),
    "پ": ("p",),
    "ت": ("t",),
    "ث": ("s",),
    "ج": ("j",),
    "چ": ("ch",),
    "ح": ("h",),
    "خ": ("kh",),
    "د": ("d",),
    "ذ": ("z",),
    "ر": ("r",),
    "ز": ("z",),
    "ژ": ("zh",),
    "س": ("s",),
    "ش": ("sh",),
    "ص": ("s",),
    "ض": ("z",),
    "ط": ("t",),
    "ظ": ("z",),
    "ع": ("", "a"),
    "غ": ("gh",),
    "ف": ("f",),
    "ق": ("gh", "q"),
    "ک": ("k",),
    "گ": ("g",),
    "ل": ("l",),
    "م": ("m",),
    "ن": ("n",),
}


def _persian_units(word: str) -> list[tuple[str, ...]]:
    units: list[tuple[str, ...]] = []
    for i, ch in enumerate(word):
        initial, final = i == 0, i == len(word) - 1
        prev, nxt = word[i - 1] if i else "", word[i + 1] if not final else ""
        if ch == "و":
            units.append(("v",) if initial or nxt in ("ا", "ی") or prev == "ا" else ("o", "u"))
        elif ch == "ی":
            units.append(("y",) if initial or nxt == "ا" else ("i",))
        elif ch == "ه":
            units.append(("e", "eh") if final and not initial else ("h",))
        elif ch == "ا" and initial and nxt in ("ی", "و"):
            units.append(("",))  # ای / او at the start are the vowels i / u|o
        elif ch in _PERSIAN_LETTERS:
            units.append(_PERSIAN_LETTERS[ch])
    return units


_DIGRAPHS = ("sh", "kh", "ch", "gh", "zh")


def _pronounceable(spelling: str) -> bool:
    """No run of three consonants: Persian leaves short vowels out, and a Finglish candidate
    without them ("trb" for ترب) is noise rather than a spelling anyone types."""
    run = 0
    for part in _DIGRAPHS:
        spelling = spelling.replace(part, "C")
    for ch in spelling:
        run = 0 if ch in "aeiouy" else run + 1
        if run > 2:
            return False
    return True


def to_latin(phrase: str) -> list[str]:
    """Finglish candidates for a Persian-script name ("دیوار" -> ["divar", ...])."""
    words = phrase.replace("\u200c", " ").split()
    if not words or not all(any("\u0600" <= ch <= "\u06ff" for ch in w) for w in words):
        return []
    per_word = [[s for s in _spellings(_persian_units(w)) if len(s) >= 3 and _pronounceable(s)] for w in words]
    return _combine(per_word)


def _spellings(units: list[tuple[str, ...]]) -> list[str]:
    out: list[str] = []
    for parts in product(*units):
        spelling = "".join(parts)
        if spelling and spelling not in out:
            out.append(spelling)
        if len(out) >= MAX_CANDIDATES:
            break
    return out


def _combine(per_word: list[list[str]]) -> list[str]:
    if not all(per_word):
        return []
    out: list[str] = []
    for parts in product(*per_word):
        out.append(" ".join(parts))
        if len(out) >= MAX_CANDIDATES:
            break
    return out
