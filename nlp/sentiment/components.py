"""The sentiment spaCy components and their factories.

Both run last in the pipeline and read what earlier components left on the Doc:

- requires: the normalised text as the Doc text; `doc._.lang` ("fa" | "en" | "ar" | "other";
  when unset, the script decides between fa and en); `doc.spans["brands"]` (optional), Spans
  labelled with the brand's config name, whose tokens never count as sentiment words;
- assigns: `doc._.sentiment` (float in [-1, 1]), `doc._.sentiment_label` (negative | neutral |
  positive) and `doc._.brand_sentiment` (dict brand -> score; empty when no brand is named).

`trendwatch_sentiment_lexicon` is the default (fast, no training). `trendwatch_sentiment_textcat`
applies a model trained with `trendwatch nlp train` (config `nlp.sentiment: textcat`,
`nlp.model: DIR`); brand names are removed from the text it classifies, and in posts naming
several brands each brand's clauses are classified on their own.

Importing this module registers the factories (spaCy's registry is the plugin mechanism here);
`add_sentiment_pipe(nlp, config)` adds the one the configuration asks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from spacy.attrs import ORTH  # type: ignore[import-not-found]
from spacy.language import Language
from spacy.tokens import Doc

from nlp import extensions as ext
from nlp.sentiment.attribution import BrandRef, Range, brand_scores
from nlp.sentiment.lexicon import LexiconSentiment
from nlp.sentiment.textcat import TextcatSentiment
from trendwatch.config import NlpConfig

LEXICON_FACTORY = "trendwatch_sentiment_lexicon"
TEXTCAT_FACTORY = "trendwatch_sentiment_textcat"
REQUIRES = [f"doc._.{ext.LANG}", "doc.spans"]
ASSIGNS = [f"doc._.{ext.SENTIMENT}", f"doc._.{ext.SENTIMENT_LABEL}", f"doc._.{ext.BRAND_SENTIMENT}"]


def brand_refs(doc: Doc) -> list[BrandRef]:
    """The brand mentions of `doc.spans["brands"]` as token ranges (read from the tuples the
    brand matcher keeps, which is cheaper than building Span objects)."""
    return [BrandRef(brand, start, end) for brand, start, end, _, _ in ext.mentions(doc)]


def _assign(doc: Doc, score: float, label: str, brands: dict[str, float]) -> None:
    ext.put(doc, ext.SENTIMENT, score)
    ext.put(doc, ext.SENTIMENT_LABEL, label)
    ext.put(doc, ext.BRAND_SENTIMENT, brands)


class LexiconSentimentComponent:
    """Default sentiment: lexicon scorers per language with per-brand attribution."""

    def __init__(self, name: str = LEXICON_FACTORY) -> None:
        ext.register()
        self.name = name
        self.model = LexiconSentiment()

    def __call__(self, doc: Doc) -> Doc:
        orths = doc.to_array(ORTH).tolist()  # ~4x cheaper than reading token.text
        strings = doc.vocab.strings
        result = self.model.analyse(
            orths, ext.text(doc), ext.get(doc, ext.LANG), brand_refs(doc), lambda orth: str(strings[orth])
        )
        _assign(doc, result.score, result.label, dict(result.brands))
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 1000) -> Iterator[Doc]:
        for doc in docs:
            yield self(doc)


class TextcatSentimentComponent:
    """Sentiment from a classifier trained on the user's own labelled posts."""

    def __init__(self, model: TextcatSentiment, name: str = TEXTCAT_FACTORY) -> None:
        ext.register()
        self.name = name
        self.model = model
        # clause attribution in multi-brand posts reads the lexicon scorer's clauses
        self._lexicon = model.featurize.lexicon or LexiconSentiment()

    def __call__(self, doc: Doc) -> Doc:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._annotate(batch)
                batch = []
        if batch:
            yield from self._annotate(batch)

    def _annotate(self, docs: Sequence[Doc]) -> list[Doc]:
        refs = [brand_refs(doc) for doc in docs]
        texts = [
            _text_without(doc, [(ref.start, ref.end) for ref in doc_refs])
            for doc, doc_refs in zip(docs, refs, strict=True)
        ]
        langs = [ext.get(doc, ext.LANG) for doc in docs]
        for doc, doc_refs, (score, label) in zip(docs, refs, self.model.predict(texts, langs), strict=True):
            _assign(doc, score, label, self._brand_sentiment(doc, doc_refs, score))
        return list(docs)

    def _brand_sentiment(self, doc: Doc, refs: Sequence[BrandRef], score: float) -> dict[str, float]:
        distinct = dict.fromkeys(ref.brand for ref in refs)
        if len(distinct) <= 1:
            return dict.fromkeys(distinct, score)
        lexicon = self._lexicon
        inert = [i for ref in refs for i in range(ref.start, ref.end)]
        lang = ext.get(doc, ext.LANG)
        scored = lexicon.scored([token.text for token in doc], ext.text(doc), lang, inert)
        scopes = lexicon.scopes(scored, refs)
        brand_spans = [(ref.start, ref.end) for ref in refs]

        def classify(ranges: Sequence[Range]) -> float:
            parts = [_text_without(doc[start:end].as_doc(), _shift(brand_spans, start)) for start, end in ranges]
            text = " ".join(part for part in parts if part)
            return self.model.predict([text], [lang])[0][0] if text else 0.0

        return brand_scores(scopes, classify)


def _shift(spans: Sequence[Range], offset: int) -> list[Range]:
    return [(start - offset, end - offset) for start, end in spans]


def _text_without(doc: Doc, spans: Sequence[Range]) -> str:
    """The doc's text with the tokens of `spans` left out (brand names never feed sentiment)."""
    if not spans:
        return ext.text(doc)
    skip = {i for start, end in spans for i in range(max(start, 0), min(end, len(doc)))}
    return "".join(token.text_with_ws for token in doc if token.i not in skip).strip()


@Language.factory(LEXICON_FACTORY, requires=REQUIRES, assigns=ASSIGNS)
def make_lexicon_sentiment(nlp: Language, name: str) -> LexiconSentimentComponent:
    return LexiconSentimentComponent(name)


@Language.factory(TEXTCAT_FACTORY, default_config={"model": None}, requires=REQUIRES, assigns=ASSIGNS)
def make_textcat_sentiment(nlp: Language, name: str, model: str | None) -> TextcatSentimentComponent:
    if not model:
        raise ValueError(f"{TEXTCAT_FACTORY} needs config {{'model': DIR}} (train one with `trendwatch nlp train`)")
    return TextcatSentimentComponent(TextcatSentiment.load(Path(model)), name)


def add_sentiment_pipe(nlp: Language, config: NlpConfig) -> None:
    """Add the sentiment component `config` asks for (`nlp.sentiment`, `nlp.model`), last."""
    if config.sentiment == "textcat":
        nlp.add_pipe(TEXTCAT_FACTORY, config={"model": str(config.model)})
    else:
        nlp.add_pipe(LEXICON_FACTORY)
