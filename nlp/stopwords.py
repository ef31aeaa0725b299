"""Persian and English stop words (nlp/data/stopwords_*.txt, our own lists), as match keys.

Used for the lexemes' IS_STOP and to keep function words out of key phrases. Each list is one
word per line in normalised spelling; `#` starts a comment.
"""

from __future__ import annotations

import functools
from pathlib import Path

from nlp.normalise import fold, normalise

DATA = Path(__file__).parent / "data"


@functools.cache
def stop_words() -> frozenset[str]:
    """Every stop word of every list, as `fold(normalise(word))`."""
    words: set[str] = set()
    for path in sorted(DATA.glob("stopwords_*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                words.add(fold(normalise(line)))
    return frozenset(words)


def is_stop(word: str) -> bool:
    """Whether a token is a stop word (case, letter variants and joiners ignored)."""
    return fold(word) in stop_words()
