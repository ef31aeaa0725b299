"""The Doc extensions the NLP components share, defined in one place.

Every component of the pipeline reads or writes these `doc._` attributes; both the core
components (normalise, language, tokens, brands, topics) and the sentiment components in
`nlp.sentiment` import the names from here, and nothing else from each other. Importing this
module registers the extensions on spaCy's `Doc` (idempotently), so any module that uses a name
has also made sure the attribute exists.

Contract between the components (the sentiment component runs last):

- the Doc text is the *normalised* text (see `nlp.normalise`);
- `doc._.lang` is "fa", "en", "ar" or "other" (set by the language component);
- `doc.spans[BRAND_SPANS]` holds one Span per brand mention, `span.label_` = the brand's
  config name (set by the brands component; sentiment never counts tokens inside these spans);
- hashtags, mentions, URLs and emoji are single tokens (the tokenizer's rules);
- `doc._.hashtags` / `doc._.topics` are tuples of normalised terms (set by the topics component);
- `doc._.sentiment` (float in [-1, 1]), `doc._.sentiment_label` ("negative" | "neutral" |
  "positive") and `doc._.brand_sentiment` (dict brand name -> score) are set by sentiment.

Defaults are immutable (tuples, None) because spaCy shares an extension's default between docs.

`get(doc, name)` / `put(doc, name, value)` read and write the same values as `doc._.name`
without building spaCy's `Underscore` proxy each time (~2.5 µs per access, which adds up at
10,000 posts per second); tests check that both views agree. `text(doc)` is the Doc's text as
the tokenizer received it, kept by `nlp.pipeline` so it need not be re-joined from the tokens,
and `mentions(doc)` the brand spans as plain tuples (prefer both in per-post code: `doc.text`
and iterating `doc.spans` build Python objects for every token and span).
"""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc

LANG = "lang"
HASHTAGS = "hashtags"
TOPICS = "topics"
SENTIMENT = "sentiment"
SENTIMENT_LABEL = "sentiment_label"
BRAND_SENTIMENT = "brand_sentiment"

BRAND_SPANS = "brands"
"""Key of `doc.spans` holding the brand mentions."""

LANGUAGES = ("fa", "en", "ar", "other")

_DEFAULTS: dict[str, Any] = {
    LANG: "other",
    HASHTAGS: (),
    TOPICS: (),
    SENTIMENT: 0.0,
    SENTIMENT_LABEL: "neutral",
    BRAND_SENTIMENT: None,
}


TEXT_KEY = "trendwatch.text"
"""`doc.user_data` key under which the pipeline keeps the Doc's text."""

MENTIONS_KEY = "trendwatch.mentions"
"""`doc.user_data` key of the brand mentions as plain tuples (see `mentions`)."""

Mention = tuple[str, int, int, int, int]
"""(brand, start token, end token, start char, end char) of one brand mention."""


def _key(name: str) -> tuple[str, str, None, None]:
    return ("._.", name, None, None)  # how spaCy's Underscore stores doc._.<name>


_KEYS = {name: _key(name) for name in _DEFAULTS}


def get(doc: Doc, name: str) -> Any:
    """`doc._.<name>` (or its default), without the Underscore proxy."""
    data: dict[Any, Any] = doc.user_data
    return data.get(_KEYS[name], _DEFAULTS[name])


def put(doc: Doc, name: str, value: Any) -> None:
    """`doc._.<name> = value`, without the Underscore proxy."""
    data: dict[Any, Any] = doc.user_data
    data[_KEYS[name]] = value


def text(doc: Doc) -> str:
    """The Doc's text (kept by the pipeline's tokenizer; joined from the tokens otherwise)."""
    kept = doc.user_data.get(TEXT_KEY)
    return kept if kept is not None else doc.text


def mentions(doc: Doc) -> tuple[Mention, ...]:
    """The brand mentions of `doc.spans[BRAND_SPANS]` as tuples, kept by the brand matcher so
    later steps need not rebuild Span objects (each costs a few Token lookups)."""
    kept = doc.user_data.get(MENTIONS_KEY)
    if kept is not None:
        return kept
    spans = doc.spans.get(BRAND_SPANS, ())
    return tuple((s.label_, s.start, s.end, s.start_char, s.end_char) for s in spans)


def register() -> None:
    """Register every extension on `Doc` unless it is already there (safe to call again)."""
    for name, default in _DEFAULTS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=default)


register_extensions = register  # the name nlp.sentiment uses

register()
