"""Loading the lexicons: VADER's (read from the installed vaderSentiment package, never copied),
our Persian lexicon and our emoji table (`*.tsv` files beside this module).

Each loader parses its file once per process and returns a read-only mapping.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from importlib import resources
from types import MappingProxyType

DATA = resources.files("nlp.sentiment")


def _lines(text: str) -> Iterator[list[str]]:
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            yield line.split("\t")


@functools.cache
def vader_lexicon() -> Mapping[str, float]:
    """word -> mean valence from `vader_lexicon.txt` inside the vaderSentiment package."""
    text = resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    return MappingProxyType({fields[0]: float(fields[1]) for fields in _lines(text)})


@functools.cache
def vader_emoji_descriptions() -> Mapping[str, str]:
    """emoji -> English description from `emoji_utf8_lexicon.txt` inside the vaderSentiment package."""
    text = resources.files("vaderSentiment").joinpath("emoji_utf8_lexicon.txt").read_text(encoding="utf-8")
    return MappingProxyType({fields[0]: fields[1] for fields in _lines(text) if len(fields) >= 2})


def read_valence_table(name: str) -> dict[str, float]:
    """A two-column `term<TAB>valence` file beside this module ('#' starts a comment line)."""
    table: dict[str, float] = {}
    text = DATA.joinpath(name).read_text(encoding="utf-8")
    for number, fields in enumerate(_lines(text), start=1):
        if len(fields) < 2:
            raise ValueError(f"{name}: entry {number} {fields[0]!r} has no valence column")
        term = fields[0].strip()
        if term in table:
            raise ValueError(f"{name}: {term!r} is listed twice")
        table[term] = float(fields[1])
    return table


@functools.cache
def curated_emoji() -> Mapping[str, float]:
    """Our valences for common emoji and emoticons, as used on social media (🔥 is praise, not
    arson); they override what VADER's emoji descriptions would give."""
    return MappingProxyType(read_valence_table("emoji.tsv"))
