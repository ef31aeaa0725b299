"""Tokenizer rules for social-media text in Persian, Arabic and English.

A spaCy `Tokenizer` with our own rules (spaCy's language defaults are tuned for edited prose).
The text it sees is already normalised (`nlp.normalise`). What makes a token (each rule is
pinned by a test in tests/nlp/test_tokens.py):

- hashtags `#دیجی_کالا`, `#Kindle2`, `#دیجی‌کالا` (letters, digits, `_` joiners and ZWNJ; at
  least one letter), mentions `@user`, `@user@instance.social`, `@name.bsky.social`, and
  cashtags `$GM` stay whole; a trailing `:` `!` `.` is split off them;
- URLs (spaCy's URL pattern) and emoticons (`:)`, `:-(`, `<3`, spaCy's list) stay whole, and
  an emoticon glued to the end of a word is split off (`Safeway!(:` -> `Safeway`, `!`, `(:`);
- every emoji sequence is its own token, also when glued to words (`great😍😍` -> 3 tokens);
  skin tones, variation selectors and ZWJ sequences (👩‍💻) stay inside their emoji;
- Persian ZWNJ compounds (`می‌خواهم`, `کتاب‌ها`) are one token: ZWNJ never splits;
- punctuation (Latin and Persian: `،` `؛` `؟` `«` `»`) is split off words; a run of the same
  mark (`!!!`, `...`) is one token;
- English possessive `'s` is split off (`Nike's` -> `Nike`, `'s`), so brand names match;
- between letters, `-` and `/` split (`GM/Chevy`, `Nike-sponsored`), as do commas without a
  space (`Ajax,jquery`), `..`/`…`, and `!`/`?`; `&` and `'` inside a word do not (`AT&T`, `don't`).

A hashtag token's match key (its NORM, `fold`) has the `_` joiners removed, so `#دیجی_کالا`
reads as the words "دیجی کالا" for brand and phrase matching; `hashtag_text` gives the form
every stage stores and shows, the kernel's `hashtag_key` ("دیجی_کالا": Persian tags keep `_`
so they still read as a hashtag in an alert or a chart).
"""

from __future__ import annotations

import re

from spacy.lang.tokenizer_exceptions import URL_MATCH, emoticons
from spacy.symbols import ORTH  # type: ignore[import-not-found]
from spacy.tokenizer import Tokenizer  # type: ignore[import-not-found]
from spacy.vocab import Vocab

from nlp.normalise import EMOJI_CHARS, ZWNJ
from trendwatch.query import hashtag_key

_EMOJI_TAIL = "\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
EMOJI = f"(?:[\U0001f1e6-\U0001f1ff]{{2}}|[{EMOJI_CHARS}][{_EMOJI_TAIL}]*(?:\u200d[{EMOJI_CHARS}][{_EMOJI_TAIL}]*)*)"
"""One emoji as a person sees it: a flag pair, or a pictograph with modifiers and ZWJ parts."""

HASHTAG = f"#(?=[\\w{ZWNJ}]*[^\\W\\d_])[\\w{ZWNJ}]+"
MENTION = r"@\w+(?:[.@-]\w+)*"
CASHTAG = r"\$[A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?"

_TOKEN_MATCH = re.compile(f"(?:{HASHTAG}|{MENTION}|{CASHTAG})$")
_WORD_START = r"(?<![\w#@$&\u200c/])"
HASHTAG_IN_TEXT = re.compile(_WORD_START + HASHTAG)
"""Hashtags where a token starts (not `x#y`, not the `#fragment` of a URL)."""
MENTION_IN_TEXT = re.compile(_WORD_START + MENTION)

_OPEN = "([{\"'«‹“‘`*~¿¡<"
_CLOSE = ")]}\"'»›”,;:%*~>،؛"
_PREFIX = re.compile(f"^(?:[{re.escape(_OPEN)}]|([!?,;،؛])\\1*|\\.{{2,}}|…|[$€£¥﷼](?=\\d)|{EMOJI})")
_EMOTICON_END = r"[:;=8][-'^]?[()\[\]DPpOo/|*3]|[()\[\]][-'^]?[:;=8]"
_SUFFIX = re.compile(f"(?:{_EMOTICON_END}|([!?.؟])\\1*|…|[{re.escape(_CLOSE)}]|'s|{EMOJI})$")
_INFIX = re.compile(
    f"(?<=[^\\W_])[-/](?=[^\\W_])|(?<=[^\\W\\d_])[,،](?=[^\\W\\d_])|\\.{{2,}}|…|(?<=[^\\W_])[!?؟]+(?=[^\\W_])|{EMOJI}"
)


def make_tokenizer(vocab: Vocab) -> Tokenizer:
    """A tokenizer with trendwatch's rules over `vocab`."""
    return Tokenizer(
        vocab,
        rules={e: [{ORTH: e}] for e in emoticons},
        prefix_search=_PREFIX.search,
        suffix_search=_SUFFIX.search,
        infix_finditer=_INFIX.finditer,
        token_match=_TOKEN_MATCH.match,
        url_match=URL_MATCH,
    )


def hashtag_text(tag: str) -> str:
    """The comparable form of a hashtag: the kernel's `hashtag_key`, the one form every stage
    uses (`#دیجی‌کالا` -> "دیجی_کالا", `#Black_Friday` -> "blackfriday")."""
    return hashtag_key(tag)
