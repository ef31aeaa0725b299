"""The service-facing contract of nlp.enricher: one Enrichment per post, in order, never
raising for one bad post, flat memory through periodic rebuilds."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from nlp.enricher import ENRICH_FAILURES, PipelineEnricher, build_enricher, post_text
from nlp.pipeline import SENTIMENT_FACTORIES, sentiment_available
from tests.nlp.conftest import post
from trendwatch.config import BrandConfig, NlpConfig
from trendwatch.models import Enrichment, Post

BRANDS = [
    BrandConfig(name="Digikala", aliases=["دیجی‌کالا"]),
    BrandConfig(name="Snapp", aliases=["اسنپ"]),
]


@pytest.fixture(scope="module")
def enricher() -> PipelineEnricher:
    built = build_enricher(NlpConfig(), BRANDS)
    assert isinstance(built, PipelineEnricher)
    return built


def test_one_enrichment_per_post_in_order(enricher: PipelineEnricher) -> None:
    texts = ["سفارشم از دیجی کالا دیر رسید #دیجی_کالا", "Snapp was late again", "", "just text"]
    out = enricher([post(t, i) for i, t in enumerate(texts)])
    assert [e.post_id for e in out] == ["test:0", "test:1", "test:2", "test:3"]
    assert all(isinstance(e, Enrichment) for e in out)
    first, second, empty, _ = out
    assert (first.lang, first.brands, first.hashtags) == ("fa", ("Digikala",), ("digikala",))
    assert first.mentions[0].text == "دیجی کالا"
    assert first.text[first.mentions[0].start : first.mentions[0].end] == "دیجی کالا"
    assert (second.lang, second.brands) == ("en", ("Snapp",))
    assert (empty.lang, empty.brands, empty.text) == ("other", (), "")


def test_enrichment_text_is_normalised(enricher: PipelineEnricher) -> None:
    (e,) = enricher([post("علي  مي خواهد ۱۲ تا")])
    assert e.text == "علی می\u200cخواهد 12 تا"


def test_empty_batch(enricher: PipelineEnricher) -> None:
    assert enricher([]) == []


def test_declared_hashtags_missing_from_the_text_are_read_too(enricher: PipelineEnricher) -> None:
    tagged = Post(
        id="test:t",
        platform="test",
        source="tests",
        text="ارسال سریع بود #sale",
        hashtags=("sale", "digikala", "black friday", "#"),
        created_at=post("").created_at,
    )
    assert post_text(tagged) == "ارسال سریع بود #sale\n#digikala #black_friday"
    (e,) = enricher([tagged])
    assert e.hashtags == ("sale", "digikala", "blackfriday")
    assert e.brands == ("Digikala",)


def test_title_is_read_with_the_text() -> None:
    assert post_text(post("body", title="Digikala raises prices")) == "Digikala raises prices\nbody"
    assert post_text(post("Digikala raises prices today", title="Digikala raises prices")) == (
        "Digikala raises prices today"
    )


class _Exploding:
    """A component that fails on one kind of post, like a buggy plugin would."""

    def __call__(self, doc: Doc) -> Doc:
        if "boom" in doc.text:
            raise ValueError("cannot handle this post")
        return doc


@Language.component("test_exploding")
def _exploding(doc: Doc) -> Doc:
    return _Exploding()(doc)


def test_one_bad_post_does_not_fail_the_batch() -> None:
    enricher = PipelineEnricher(NlpConfig(), BRANDS)
    enricher.nlp.add_pipe("test_exploding")
    before = ENRICH_FAILURES.labels(reason="ValueError")._value.get()
    out = enricher([post("Snapp ok", 0), post("boom Snapp", 1), post("دیجی‌کالا", 2)])
    assert [e.post_id for e in out] == ["test:0", "test:1", "test:2"]
    assert out[0].brands == ("Snapp",)
    assert (out[1].lang, out[1].brands, out[1].sentiment_label, out[1].text) == ("other", (), "neutral", "boom Snapp")
    assert out[2].brands == ("Digikala",)
    assert ENRICH_FAILURES.labels(reason="ValueError")._value.get() == before + 1


def test_pipeline_is_rebuilt_when_its_string_store_has_grown() -> None:
    enricher = PipelineEnricher(NlpConfig(), BRANDS, string_budget=20)
    first: Any = enricher.nlp
    enricher([post("Snapp again and again", 0)])
    assert enricher.nlp is first  # a few new strings: within the budget
    enricher([post(" ".join(f"word{i}" for i in range(30)), 1)])
    assert enricher.nlp is first  # over budget now: the rebuild happens before the next batch
    out = enricher([post("Snapp", 2)])
    assert enricher.nlp is not first
    assert enricher.rebuilds == 1
    assert out[0].brands == ("Snapp",)
    assert "word1" not in enricher.nlp.vocab.strings


SENTIMENT = pytest.mark.skipif(
    not sentiment_available(SENTIMENT_FACTORIES["lexicon"]),
    reason="the sentiment component (nlp.sentiment) is not installed",
)


@SENTIMENT
def test_sentiment_runs_last_and_brand_names_are_not_sentiment_words() -> None:
    enricher = build_enricher(NlpConfig(), [BrandConfig(name="United Airlines", aliases=["United"])])
    assert isinstance(enricher, PipelineEnricher)
    assert enricher.nlp.pipe_names[-1] == SENTIMENT_FACTORIES["lexicon"]
    neutral, positive, negative = enricher(
        [
            post("flying United tomorrow", 0),
            post("I love this airline, great crew", 1),
            post("awful delay, never again", 2),
        ]
    )
    assert neutral.brands == ("United Airlines",)
    assert neutral.sentiment_label == "neutral"  # VADER alone scores "united" as positive
    assert positive.sentiment_label == "positive"
    assert negative.sentiment_label == "negative"


@SENTIMENT
def test_per_brand_sentiment_reaches_the_enrichment() -> None:
    enricher = build_enricher(NlpConfig(), [BrandConfig(name="Snapp"), BrandConfig(name="Tapsi")])
    (e,) = enricher([post("Snapp was great, unlike Tapsi which was terrible", 0)])
    assert e.brands == ("Snapp", "Tapsi")
    assert e.brand_sentiment["Snapp"] > 0 > e.brand_sentiment["Tapsi"]


def test_without_the_sentiment_component_scores_stay_neutral() -> None:
    enricher = PipelineEnricher(NlpConfig(), BRANDS)
    if SENTIMENT_FACTORIES["lexicon"] in enricher.nlp.pipe_names:
        enricher.nlp.remove_pipe(SENTIMENT_FACTORIES["lexicon"])
    (e,) = enricher([post("I love Snapp so much", 0)])
    assert (e.sentiment, e.sentiment_label, dict(e.brand_sentiment)) == (0.0, "neutral", {})


@pytest.mark.parametrize(
    "text",
    [
        "bad \ud800 surrogate",
        "😍" * 5000,
        "\u200c" * 50,
        "!!!???...,,,",
        "\u202b\u200fسلام\u202c",
        "nul \x00 byte \x07 bell",
        "x" * 120_000,
        "#" * 300 + "@" * 300,
        "ﷺ ﷲ ﻻ",
        "\n\n\n",
    ],
)
def test_nasty_texts_are_enriched_without_failures(enricher: PipelineEnricher, text: str) -> None:
    before = sum(sample.value for metric in ENRICH_FAILURES.collect() for sample in metric.samples)
    (e,) = enricher([post(text)])
    assert e.lang in ("fa", "en", "ar", "other")
    e.text.encode("utf-8")  # raises UnicodeEncodeError if the text could not be stored
    after = sum(sample.value for metric in ENRICH_FAILURES.collect() for sample in metric.samples)
    assert after == before


def test_textcat_without_its_component_or_model_fails_at_build(tmp_path: Path) -> None:
    config = NlpConfig(sentiment="textcat", model=tmp_path / "no-such-model")
    with pytest.raises(Exception, match="no-such-model"):
        build_enricher(config, BRANDS)


def test_the_core_components_of_a_dropped_pipeline_are_freed_at_once() -> None:
    """No reference cycles in the core components: a replaced pipeline's memory comes back by
    reference counting, before any collection (the enricher collects fully anyway)."""
    enricher = PipelineEnricher(NlpConfig(), BRANDS, string_budget=1, freeze_gc=False)
    enricher([post("Snapp and دیجی‌کالا #tag", 0)])
    components = [
        weakref.ref(c)
        for name, c in enricher.nlp.pipeline
        if name.startswith("trendwatch_") and "sentiment" not in name
    ]
    assert len(components) == 3
    tokenizer = weakref.ref(enricher.nlp.tokenizer)
    gc.disable()
    try:
        enricher([post("rebuilt now", 1)])  # over budget: a new pipeline replaces the old one
        assert enricher.rebuilds == 1
        assert [ref() for ref in components] == [None, None, None]
        assert tokenizer() is None
    finally:
        gc.enable()


def test_frozen_objects_do_not_pile_up_across_rebuilds() -> None:
    """gc.freeze() hides objects from the collector; a rebuild must unfreeze and collect the
    old pipeline (whatever cycles its components hold) before freezing again."""
    enricher = PipelineEnricher(NlpConfig(), BRANDS, string_budget=200)
    frozen = []
    for round_ in range(4):
        enricher([post(f"word{round_}x{i} Snapp دیجی‌کالا", i) for i in range(250)])
        enricher([post("again", 999)])  # rebuilds when over budget
        frozen.append(gc.get_freeze_count())
    assert enricher.rebuilds >= 3
    assert max(frozen) - min(frozen) < 2_000, frozen
    gc.unfreeze()
