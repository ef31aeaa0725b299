"""Assembling the spaCy pipeline: a blank multi-language base with trendwatch's vocabulary
attributes and tokenizer, then the components in order.

    text ─ normalise ─▶ tokenizer ─▶ trendwatch_language ─▶ trendwatch_brands ─▶ trendwatch_topics
                                                                            ─▶ sentiment (last)

`normalise` runs on the string before tokenising (a Doc's text cannot change afterwards), so
`pipeline(text)` and `pipeline.pipe(texts)` take raw text and the Doc text is the normalised
one. Lexemes carry trendwatch's match key as NORM (`nlp.normalise.fold`), the language a word
is evidence for as LANG (`nlp.language.word_class`) and our stop words as IS_STOP; all three are
computed once per distinct string, which keeps per-post work in C.

The sentiment component is looked up by factory name (`SENTIMENT_FACTORIES`); `nlp.sentiment`
registers those factories when imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import structlog
from spacy.attrs import (  # type: ignore[import-not-found]
    IS_ASCII,
    IS_BRACKET,
    IS_CURRENCY,
    IS_LEFT_PUNCT,
    IS_QUOTE,
    IS_RIGHT_PUNCT,
    IS_STOP,
    LANG,
    LIKE_EMAIL,
    LIKE_URL,
    NORM,
    PREFIX,
    SHAPE,
    SUFFIX,
)
from spacy.lang.xx import MultiLanguage
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import create_vocab

from nlp import brands, language
from nlp import extensions as ext
from nlp import topics as _topics  # noqa: F401  (registers trendwatch_topics)
from nlp.language import ARABIC_MARKS, ARABIC_MARKS_KEY
from nlp.normalise import fold, normalise
from nlp.stopwords import is_stop
from nlp.tokens import make_tokenizer
from trendwatch.config import BrandConfig, NlpConfig

log = structlog.get_logger(__name__)

SENTIMENT_FACTORIES = {"lexicon": "trendwatch_sentiment_lexicon", "textcat": "trendwatch_sentiment_textcat"}
"""spaCy factory of the sentiment component for each `nlp.sentiment` setting."""

UNUSED_LEXEME_ATTRS = (
    SHAPE,
    PREFIX,
    SUFFIX,
    LIKE_URL,
    LIKE_EMAIL,
    IS_ASCII,
    IS_BRACKET,
    IS_QUOTE,
    IS_LEFT_PUNCT,
    IS_RIGHT_PUNCT,
    IS_CURRENCY,
)
"""Lexeme attributes no component reads, not computed: every new word (a fresh @handle, URL
or typo, ~0.6 per post in a tweet stream) would cost ~5 µs more. `token.shape_`, `prefix_`,
`suffix_`, `like_url`, `like_email` and the bracket/quote/currency flags are therefore empty."""

TOKENIZER_CACHE = 200_000
"""Distinct whitespace-separated chunks the tokenizer remembers (spaCy's default, 10,000, is
too small for Persian vocabularies; the pipeline is rebuilt periodically, which bounds it)."""


class NormalisingTokenizer:
    """Normalises the text, then tokenises it: the Doc text is the normalised text. Also keeps
    the count of Arabic-only letters of the raw text for the language component."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        marks = 0 if text.isascii() else len(ARABIC_MARKS.findall(text))
        text = normalise(text)
        doc: Doc = self.tokenizer(text)
        doc.user_data[ext.TEXT_KEY] = text
        if marks:
            doc.user_data[ARABIC_MARKS_KEY] = marks
        return doc

    def pipe(self, texts: Iterable[str], batch_size: int = 1000) -> Iterator[Doc]:
        for text in texts:
            yield self(text)


def blank() -> Language:
    """A blank pipeline with trendwatch's lexeme attributes and tokenizer, no components.

    Built directly rather than with `spacy.blank` (which resolves a config and builds a default
    tokenizer first): ~20 ms instead of ~70 ms, which matters because the enricher rebuilds.
    """
    vocab = create_vocab("xx", MultiLanguage.Defaults)
    getters = vocab.lex_attr_getters  # type: ignore[attr-defined]  # set before any lexeme exists
    for attr in UNUSED_LEXEME_ATTRS:
        getters.pop(attr, None)
    getters[NORM] = fold
    getters[LANG] = language.word_class
    getters[IS_STOP] = is_stop
    return MultiLanguage(vocab=vocab, create_tokenizer=_tokenizer)


def _tokenizer(nlp: Language) -> NormalisingTokenizer:
    tokenizer = make_tokenizer(nlp.vocab)
    tokenizer.max_cache_size = TOKENIZER_CACHE
    return NormalisingTokenizer(tokenizer)


def build_pipeline(config: NlpConfig, brand_list: Sequence[BrandConfig]) -> Language:
    """The full pipeline for these brands, sentiment included when its package is present."""
    nlp = blank()
    nlp.add_pipe("trendwatch_language")
    nlp.add_pipe("trendwatch_brands", config={"brands": brands.brand_configs(brand_list)})
    nlp.add_pipe("trendwatch_topics")
    _add_sentiment(nlp, config)
    return nlp


SENTIMENT_MODULES = ("nlp.sentiment", "nlp.sentiment.components")
"""Modules that register the sentiment factories when imported (the first that exists wins)."""


def sentiment_available(factory: str) -> bool:
    """Whether the sentiment factory is registered, importing `nlp.sentiment` to register it."""
    for module in SENTIMENT_MODULES:
        if Language.has_factory(factory):
            return True
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise  # the sentiment package exists but one of its imports is missing: a real error
    return Language.has_factory(factory)


def _add_sentiment(nlp: Language, config: NlpConfig) -> None:
    factory = SENTIMENT_FACTORIES[config.sentiment]
    if not sentiment_available(factory):
        if config.sentiment == "textcat":  # asked for explicitly: neutral scores would be a silent lie
            raise RuntimeError(f"nlp.sentiment is 'textcat' (model {config.model}) but {factory} is not installed")
        log.warning("sentiment component not installed; sentiment stays neutral", factory=factory)
        return
    settings: dict[str, Any] = {}
    if config.sentiment == "textcat" and config.model is not None:
        settings["model"] = str(config.model)
    nlp.add_pipe(factory, config=settings)
