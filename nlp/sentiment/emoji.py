"""Emoji valences, shared by every language (an emoji means the same in a Persian post).

Our curated table (`emoji.tsv`) gives the common emoji as they are used on social media; any
other emoji gets the summed valence of the words in VADER's description of it ("face with tears
of joy" -> tears + joy), which is what the VADER package does by substituting descriptions into
the text. A token holding several emoji (or an emoji with a skin tone) sums its parts.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

from nlp.sentiment.resources import curated_emoji, vader_emoji_descriptions, vader_lexicon

# Characters that only modify the emoji before them: variation selectors, ZWJ, skin tones.
_MODIFIERS = frozenset(["\ufe0e", "\ufe0f", "\u200d", *map(chr, range(0x1F3FB, 0x1F400))])


@functools.cache
def emoji_valences() -> Mapping[str, float]:
    """emoji character (or sequence) -> valence; every entry is non-zero."""
    lexicon = vader_lexicon()
    table: dict[str, float] = {}
    for emoji, description in vader_emoji_descriptions().items():
        key = "".join(ch for ch in emoji if ch not in _MODIFIERS)
        value = sum(lexicon.get(word, 0.0) for word in description.lower().replace(":", " ").split())
        if key and value:
            table[key] = value
    for emoji, value in curated_emoji().items():
        key = "".join(ch for ch in emoji if ch not in _MODIFIERS)
        if value:
            table[key] = value
        else:
            table.pop(key, None)
    return MappingProxyType(table)


def token_emoji_valence(text: str, table: Mapping[str, float]) -> float:
    """Summed valence of the emoji in a token (0.0 when it holds none)."""
    key = "".join(ch for ch in text if ch not in _MODIFIERS)
    found = table.get(key)
    if found is not None:
        return found
    return sum(table.get(ch, 0.0) for ch in key)


def has_emoji_char(text: str) -> bool:
    """True when the token has a character from the symbol/pictograph planes (cheap pre-check)."""
    return any(ord(ch) >= 0x2190 and not ("\u0600" <= ch <= "\u06ff") and not ch.isalnum() for ch in text)
