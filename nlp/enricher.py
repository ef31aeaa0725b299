"""The Enricher protocol and its factory: what the service calls to understand posts.

The service builds one enricher per worker process with `build_enricher(config, brands)` and
hands it batches of posts; the enricher runs the spaCy pipeline (`nlp.pipeline`) over them and
returns one `Enrichment` per post, in order.

Two things keep it safe in a long-running worker:

- one bad post never fails a batch: if the batch raises, its posts are retried one by one and a
  post that still fails gets a neutral enrichment of its normalised text (language "other", no
  mentions), is logged once with its id and the error, and is counted in
  `trendwatch_enrich_failures_total`;
- memory stays flat: spaCy's string store (and vocabulary) grows with every new string it
  sees — @handles, URLs, typos — by ~0.4 KB each. The pipeline is rebuilt from the config
  whenever it has taken in `string_budget` new strings (50,000, ~20 MB; on a tweet stream
  that is every ~50k posts). A rebuild takes ~60 ms, about 1% of the time between rebuilds;
  `nlp.memory_zone()` would instead make every post ~6× slower.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Sequence
from typing import Protocol

import structlog
from prometheus_client import Counter
from spacy.language import Language
from spacy.tokens import Doc

from nlp import extensions as ext
from nlp.normalise import normalise
from nlp.pipeline import build_pipeline
from nlp.tokens import HASHTAG
from trendwatch.config import BrandConfig, NlpConfig
from trendwatch.models import BrandMention, Enrichment, Post, SentimentLabel
from trendwatch.query import hashtag_key

log = structlog.get_logger(__name__)

ENRICH_FAILURES = Counter(
    "trendwatch_enrich_failures_total",
    "Posts the NLP stage could not enrich (given a neutral enrichment instead), by reason.",
    ["reason"],
)

MAX_CHARS = 100_000
"""Longer texts (whole articles) are cut: mentions and topics beyond this add little."""

STRING_BUDGET = 50_000
"""New strings the pipeline may take in before it is rebuilt (~0.4 KB each)."""


class Enricher(Protocol):
    """Turns a batch of posts into what the NLP stage understood about each.

    Called from a worker process with batches of a few hundred posts; returns exactly one
    `Enrichment` per post, in the same order, with `post_id` set to the post's id. It never
    raises because of one post's content: a post it cannot analyse gets a neutral enrichment
    and is logged and counted. Construction reads only the config, so it can happen inside the
    worker.
    """

    def __call__(self, posts: Sequence[Post]) -> list[Enrichment]:
        """One Enrichment per post, in the same order. Never raises for one bad post."""
        ...


def post_text(post: Post) -> str:
    """The text the pipeline reads: the title (when it is not already the text's start), the
    body cut at MAX_CHARS, and a last line with the hashtags the platform declared but the text
    does not contain (Bluesky tags, RSS categories), so they count like written ones."""
    text = post.text or ""
    title = (post.title or "").strip()
    if title and not text.startswith(title):
        text = f"{title}\n{text}" if text else title
    text = text[:MAX_CHARS]
    if post.hashtags:
        written = text.lower()
        tags = ("#" + "_".join(tag.lstrip("#").split()) for tag in post.hashtags)
        extra = [tag for tag in tags if len(tag) > 1 and tag.lower() not in written]
        if extra:
            text = f"{text}\n{' '.join(dict.fromkeys(extra))}" if text else " ".join(dict.fromkeys(extra))
    return text


class PipelineEnricher:
    """The default Enricher: the spaCy pipeline of `nlp.pipeline`, rebuilt when its string
    store has grown by `string_budget` strings."""

    def __init__(
        self,
        config: NlpConfig,
        brands: Sequence[BrandConfig],
        string_budget: int = STRING_BUDGET,
        freeze_gc: bool = True,
    ) -> None:
        self._config = config
        self._brands = tuple(brands)
        self._string_budget = string_budget
        self._freeze_gc = freeze_gc
        self.rebuilds = 0
        self.nlp = self._build()
        self._settle()

    def _build(self) -> Language:
        nlp = build_pipeline(self._config, self._brands)
        self._strings_limit = len(nlp.vocab.strings) + self._string_budget
        return nlp

    def _settle(self) -> None:
        """Collect everything unreachable — above all the pipeline just replaced, whose
        components may hold reference cycles (a scorer memoising its own bound method) — then
        freeze every surviving object out of the cyclic collector's view (`gc.freeze`): the
        ~100,000 long-lived objects spaCy, thinc and pydantic create would otherwise be
        traversed by every full collection, ~15% of the enricher's time. The full collection
        costs ~0.1 s once per rebuild (~1% of the time between rebuilds). Meant for the worker
        processes the service runs enrichers in; `freeze_gc=False` leaves the collector alone."""
        if self._freeze_gc:
            gc.unfreeze()
            gc.collect()
            gc.freeze()

    def __call__(self, posts: Sequence[Post]) -> list[Enrichment]:
        if len(self.nlp.vocab.strings) > self._strings_limit:
            self.nlp = self._build()
            self.rebuilds += 1
            self._settle()
        texts = [post_text(p) for p in posts]
        try:
            docs = self._run(texts)
        except Exception:  # one bad post must not fail the batch: find it below
            return [self._one(post, text) for post, text in zip(posts, texts, strict=True)]
        return [enrichment(post, doc) for post, doc in zip(posts, docs, strict=True)]

    def _run(self, texts: list[str]) -> list[Doc]:
        """`nlp.pipe(texts)` without its per-document generator layers (~5% of the time):
        components with a batch `pipe` (sentiment's textcat) get the whole batch."""
        make_doc = self.nlp.make_doc
        docs = [make_doc(text) for text in texts]
        for _, component in self.nlp.pipeline:
            batch = getattr(component, "pipe", None)
            docs = list(batch(docs, batch_size=len(docs) or 1)) if batch else [component(doc) for doc in docs]
        return docs

    def _one(self, post: Post, text: str) -> Enrichment:
        try:
            return enrichment(post, self.nlp(text))
        except Exception as exc:
            reason = type(exc).__name__
            ENRICH_FAILURES.labels(reason=reason).inc()
            log.warning("post not enriched", post_id=post.id, reason=reason, error=str(exc)[:200])
            return _neutral(post.id, text)


def enrichment(post: Post, doc: Doc) -> Enrichment:
    """The Enrichment a finished Doc of `post` describes."""
    text = ext.text(doc)
    label: SentimentLabel = ext.get(doc, ext.SENTIMENT_LABEL)
    return Enrichment(
        post_id=post.id,
        lang=ext.get(doc, ext.LANG),
        text=text,
        sentiment=float(ext.get(doc, ext.SENTIMENT)),
        sentiment_label=label,
        mentions=tuple(BrandMention(b, text[start:end], start, end) for b, _, _, start, end in ext.mentions(doc)),
        hashtags=ext.get(doc, ext.HASHTAGS) + _unreadable_declared_tags(post),
        topics=ext.get(doc, ext.TOPICS),
        brand_sentiment=dict(ext.get(doc, ext.BRAND_SENTIMENT) or {}),
    )


_READABLE_TAG = re.compile(HASHTAG)


def _unreadable_declared_tags(post: Post) -> tuple[str, ...]:
    """Declared hashtags the text pipeline cannot read as hashtags (odd characters): still the
    post's hashtags, so they count too, in the one comparable form. The readable ones were read
    from the text's last line (see `post_text`), brand variants merged there."""
    keys = (
        hashtag_key(tag)
        for tag in post.hashtags
        if not _READABLE_TAG.fullmatch("#" + "_".join(tag.lstrip("#").split()))
    )
    return tuple(dict.fromkeys(k for k in keys if k))


def _neutral(post_id: str, text: str) -> Enrichment:
    try:
        normalised = normalise(text)
    except Exception:
        normalised = text
    return Enrichment(post_id=post_id, lang="other", text=normalised, sentiment=0.0, sentiment_label="neutral")


def build_enricher(config: NlpConfig, brands: Sequence[BrandConfig]) -> Enricher:
    """The configured enricher: brand matching for `brands` (own brand first), sentiment as
    `config.sentiment` says."""
    return PipelineEnricher(config, brands)
