"""The report's typeface: Vazirmatn (Persian and Latin in one font, SIL OFL 1.1; see SOURCE.txt).

Bundled so PDFs and charts look the same on every machine and in the container, with no system
font packages. `printable` drops characters the font has no glyph for (emoji, rare scripts) so
the PDF never shows an empty box; the HTML keeps them (the reader's browser has fallbacks).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
FAMILY = "Vazirmatn"
REGULAR = HERE / "Vazirmatn-Regular.ttf"
BOLD = HERE / "Vazirmatn-Bold.ttf"
# Invisible formatting characters the shaper handles without a glyph of their own.
_FORMAT = {0x200C, 0x200D, 0x200E, 0x200F, 0x2066, 0x2067, 0x2068, 0x2069, 0x0A, 0x09}


@cache
def codepoints() -> frozenset[int]:
    """Every character Vazirmatn (regular) has a glyph for."""
    with TTFont(str(REGULAR), lazy=True) as font:
        return frozenset(font.getBestCmap()) | _FORMAT


def printable(text: str) -> str:
    """`text` without the characters the font cannot draw."""
    known = codepoints()
    return "".join(c for c in text if ord(c) in known)
